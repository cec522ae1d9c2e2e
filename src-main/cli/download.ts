/**
 * `genwatch download <provider> [jobId…] --out DIR [--since ISO] [--until ISO]
 * [--status S] [--model M] [--concurrency N] [--limit-rate MBPS] [--force] [--fsync] [--json]`: every asset of
 * every matching job into DIR with the same engine, naming, ledger and
 * sidecars as the app. Without ids it walks the account's job list (newest
 * first), fetching a job's full result when the list only gives one URL.
 * Calls to the provider that fail for a passing reason are tried again (backoff,
 * Retry-After). Exit 0: everything is on disk (or already was); 1: some files
 * failed, or some jobs could not be read or have no results; 2: usage or key.
 */
import { isTerminalStatus } from '../../src-shared/job';
import type { Job } from '../../src-shared/job';
import type { Result } from '../../src-shared/result';
import { err, ok } from '../../src-shared/result';
import { DownloadEngine, midjourneyCdnSource } from '../core/downloads';
import type { DownloadDeps, DownloadItem, FileSnapshot } from '../core/downloads';
import { needsFullResult } from '../core/job-merge';
import { linkRefresher } from '../core/download-service';
import { walkPages } from '../core/paging';
import type { ProviderAdapter, ProviderContext, ProviderJob } from '../core/providers/provider';
import { APIFRAME_MAX_LIMIT } from '../core/providers/apiframe';
import { parseDateArg } from './list';
import { withRetries } from './retries';
import { EXIT } from './watch';
import type { WatchIo } from './watch';

export interface DownloadOptions {
  ids: string[];
  out: string;
  since?: string;
  until?: string;
  status?: string;
  model?: string;
  concurrency: number;
  /** All files together at most this many bytes per second. */
  maxBytesPerSecond?: number;
  force: boolean;
  /** fsync every file before it counts as done (power-cut safe, slower). */
  fsync?: boolean;
  json: boolean;
}

const asJob = (job: ProviderJob): Job => ({ ...job, watch: { state: 'done', message: null, lastCheckedAt: null, progressAt: null } });


interface Collected {
  jobs: Job[];
  /** Jobs that were asked for or listed but could not be downloaded (unreadable, or failed at the provider). */
  failed: Array<{ id: string; message: string }>;
}

async function collectJobs(adapter: ProviderAdapter, context: ProviderContext, options: DownloadOptions, io: WatchIo): Promise<Result<Collected>> {
  const jobs: Job[] = [];
  const failed: Collected['failed'] = [];
  const full = (id: string): Promise<Result<ProviderJob>> => withRetries(id, () => adapter.getJob(context, id), io);
  if (options.ids.length > 0) {
    const filters = (['since', 'until', 'status', 'model'] as const).filter((f) => options[f] !== undefined);
    if (filters.length > 0) return err('invalid-input', `${filters.map((f) => `--${f}`).join(', ')} filter the account's history: with job ids, give only the ids.`);
    for (const token of options.ids) {
      const parsed = adapter.parseId(token);
      if (!parsed.ok) return err('invalid-input', `${token}: ${parsed.reason}`);
      const job = await full(parsed.id);
      // A rejected key fails every other id too: said once, as a usage problem.
      if (!job.ok && job.error.kind === 'auth') return job;
      if (!job.ok) failed.push({ id: parsed.id, message: job.error.message });
      else if (job.value.status === 'failed') failed.push({ id: parsed.id, message: `the job failed at ${adapter.label}${job.value.error ? ` (${job.value.error.message})` : ''}, so it has no results.` });
      else jobs.push(asJob(job.value));
    }
    return ok({ jobs, failed });
  }
  const listPage = adapter.listJobs;
  if (!listPage) return err('invalid-input', `${adapter.label} has no job history list: give the job ids to download.`);
  const since = parseDateArg('--since', options.since);
  if (!since.ok) return err('invalid-input', since.message);
  const until = parseDateArg('--until', options.until, 'end');
  if (!until.ok) return err('invalid-input', until.message);
  if (since.ms !== null && until.ms !== null && until.ms < since.ms) return err('invalid-input', `--until ${options.until ?? ''} is before --since ${options.since ?? ''}: no job could match.`);
  const listed: ProviderJob[] = [];
  const walk = await walkPages(
    (cursor) =>
      withRetries(
        'the job list',
        () =>
          listPage(context, {
            limit: APIFRAME_MAX_LIMIT,
            status: (options.status ?? 'COMPLETED').toUpperCase(),
            ...(options.model ? { model: options.model } : {}),
            ...(cursor ? { cursor } : {}),
          }),
        io,
      ),
    {
      onPage: (page) => {
        for (const job of page.jobs) {
          const created = job.createdAt ? Date.parse(job.createdAt) : Number.NaN;
          if (since.ms !== null && created < since.ms) return false; // newest first: nothing older matches
          if (until.ms !== null && created > until.ms) continue;
          listed.push(job);
        }
        return true;
      },
    },
  );
  if (!walk.ok) return walk;
  for (const job of listed) {
    if (job.status !== 'completed') continue;
    if (!needsFullResult(job)) {
      jobs.push(asJob(job));
      continue;
    }
    const enriched = await full(job.id);
    if (enriched.ok) jobs.push(asJob(enriched.value));
    else failed.push({ id: job.id, message: `its full result could not be read: ${enriched.error.message}` });
  }
  return ok({ jobs, failed });
}

function fileLine(file: FileSnapshot): string {
  const what = file.path ?? file.url;
  if (file.state === 'done') return `✔ ${what}`;
  if (file.state === 'skipped') return `= ${what} (${file.skipReason === 'deleted-by-user' ? 'deleted by you earlier; --force brings it back' : 'already downloaded'})`;
  return `✖ ${file.jobId} ${file.assetKey}: ${file.failure?.error.message ?? file.state}`;
}

export async function downloadCommand(
  adapter: ProviderAdapter,
  context: ProviderContext,
  engineDeps: DownloadDeps,
  options: DownloadOptions,
  io: WatchIo,
): Promise<number> {
  const json = (event: Record<string, unknown>): void => {
    if (options.json) io.out(JSON.stringify(event));
  };
  const collected = await collectJobs(adapter, context, options, io);
  if (!collected.ok) {
    json({ type: 'error', message: collected.error.message });
    io.err(collected.error.message);
    return collected.error.kind === 'invalid-input' || collected.error.kind === 'auth' ? EXIT.usage : EXIT.failed;
  }
  const { jobs, failed: failedJobs } = collected.value;
  for (const f of failedJobs) {
    json({ type: 'job', id: f.id, state: 'failed', error: f.message });
    io.err(`✖ ${f.id}: ${f.message}`);
  }
  const unfinished = jobs.filter((job) => !isTerminalStatus(job.status));
  for (const job of unfinished) {
    json({ type: 'job', id: job.id, state: 'unfinished', status: job.rawStatus });
    io.err(`${job.id}: still ${job.rawStatus.toLowerCase()}, nothing to download yet.`);
  }
  // Ids asked for by name and not downloadable make the run incomplete; a filter matching running jobs does not.
  const incomplete = failedJobs.length > 0 || (options.ids.length > 0 && unfinished.length > 0);
  const completed = jobs.filter((job) => job.status === 'completed');
  const items: DownloadItem[] = completed.flatMap((job) => job.assets.map((asset) => ({ job, asset })));
  const finish = (counts: { done: number; skipped: number; deletedByYou: number; failed: number; bytes: number }): number => {
    json({ type: 'summary', ...counts, failedJobs: failedJobs.length });
    const parts = [`${counts.done} downloaded`, `${counts.skipped - counts.deletedByYou} already there`];
    if (counts.deletedByYou > 0) parts.push(`${counts.deletedByYou} deleted by you earlier (--force brings them back)`);
    parts.push(`${counts.failed} failed`);
    if (failedJobs.length > 0) parts.push(`${failedJobs.length} job${failedJobs.length === 1 ? '' : 's'} not downloadable`);
    io.err(`${parts.join(', ')} (${(counts.bytes / 1_048_576).toFixed(1)} MiB).`);
    return counts.failed > 0 || incomplete ? EXIT.failed : EXIT.ok;
  };
  if (items.length === 0) {
    io.err(jobs.length === 0 && failedJobs.length === 0 ? 'No completed job with results matched.' : 'Nothing to download.');
    return finish({ done: 0, skipped: 0, deletedByYou: 0, failed: 0, bytes: 0 });
  }
  const proxy = adapter.id === 'useapi' ? { apiBase: context.baseUrl, token: context.apiKey } : null;
  const engine = await DownloadEngine.create(engineDeps, {
    root: options.out,
    concurrency: options.concurrency,
    perHostConcurrency: options.concurrency,
    maxBytesPerSecond: options.maxBytesPerSecond ?? null,
    fsync: options.fsync === true,
    sources: [midjourneyCdnSource(proxy ? { proxy } : {})],
    refreshUrl: linkRefresher(context.clock, (job) => job.id, async (job) => {
      const fresh = await adapter.getJob(context, job.id);
      return fresh.ok ? fresh.value : null;
    }),
  });
  if (!engine.ok) {
    json({ type: 'error', message: engine.error.message });
    io.err(engine.error.message);
    return EXIT.usage;
  }
  let deletedByYou = 0;
  engine.value.onEvent((event) => {
    if (event.type !== 'file' || !['done', 'skipped', 'failed'].includes(event.file.state)) return;
    if (event.file.skipReason === 'deleted-by-user') deletedByYou++;
    if (options.json) io.out(JSON.stringify({ type: 'file', ...event.file, error: event.file.failure?.error.message ?? null }));
    else io.out(fileLine(event.file));
  });
  io.err(`Downloading ${items.length} file${items.length === 1 ? '' : 's'} of ${completed.length} job${completed.length === 1 ? '' : 's'} into ${options.out} …`);
  const batch = await engine.value.enqueue(items, { force: options.force });
  if (!batch.ok) {
    json({ type: 'error', message: batch.error.message });
    io.err(batch.error.message);
    return EXIT.failed;
  }
  const summary = await batch.value.done;
  return finish({ done: summary.done, skipped: summary.skipped, deletedByYou, failed: summary.failed.length, bytes: summary.bytes });
}
