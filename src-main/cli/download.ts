/**
 * `genwatch download <provider> [jobId…] --out DIR [--since ISO] [--until ISO]
 * [--status S] [--model M] [--concurrency N] [--limit-rate MBPS] [--force] [--fsync] [--json]`: every asset of
 * every matching job into DIR with the same engine, naming, ledger and
 * sidecars as the app. Without ids it walks the account's job list (newest
 * first), fetching a job's full result when the list only gives one URL.
 * Exit 0: everything is on disk (or already was); 1: some files failed; 2: usage.
 */
import { isTerminalStatus } from '../../src-shared/job';
import type { Job } from '../../src-shared/job';
import type { Result } from '../../src-shared/result';
import { DownloadEngine, midjourneyCdnSource } from '../core/downloads';
import type { DownloadDeps, DownloadItem, FileSnapshot } from '../core/downloads';
import { walkPages } from '../core/paging';
import type { ProviderAdapter, ProviderContext, ProviderJob } from '../core/providers/provider';
import { APIFRAME_MAX_LIMIT } from '../core/providers/apiframe';
import { parseSince } from './list';
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

/** A list item's result is one bare URL: the job itself has the full set. */
const needsFullResult = (job: ProviderJob): boolean => job.assets.length === 0 || job.assets.some((a) => a.meta['fromList'] === true);

async function collectJobs(adapter: ProviderAdapter, context: ProviderContext, options: DownloadOptions, io: WatchIo): Promise<Result<Job[]>> {
  const jobs: Job[] = [];
  const full = async (id: string): Promise<Result<Job>> => {
    const fetched = await adapter.getJob(context, id);
    return fetched.ok ? { ok: true, value: asJob(fetched.value) } : fetched;
  };
  if (options.ids.length > 0) {
    for (const token of options.ids) {
      const parsed = adapter.parseId(token);
      if (!parsed.ok) return { ok: false, error: { kind: 'invalid-input', message: `${token}: ${parsed.reason}` } };
      const job = await full(parsed.id);
      if (!job.ok) return job;
      jobs.push(job.value);
    }
    return { ok: true, value: jobs };
  }
  const listPage = adapter.listJobs;
  if (!listPage) {
    return { ok: false, error: { kind: 'invalid-input', message: `${adapter.label} has no job history list: give the job ids to download.` } };
  }
  const since = parseSince(options.since);
  const until = parseSince(options.until);
  if (!since.ok) return { ok: false, error: { kind: 'invalid-input', message: since.message } };
  if (!until.ok) return { ok: false, error: { kind: 'invalid-input', message: until.message.replace('--since', '--until') } };
  const listed: ProviderJob[] = [];
  const walk = await walkPages(
    (cursor) =>
      listPage(context, {
        limit: APIFRAME_MAX_LIMIT,
        status: (options.status ?? 'COMPLETED').toUpperCase(),
        ...(options.model ? { model: options.model } : {}),
        ...(cursor ? { cursor } : {}),
      }),
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
    if (enriched.ok) jobs.push(enriched.value);
    else io.err(`${job.id}: ${enriched.error.message}`);
  }
  return { ok: true, value: jobs };
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
  const collected = await collectJobs(adapter, context, options, io);
  if (!collected.ok) {
    io.err(collected.error.message);
    return collected.error.kind === 'invalid-input' || collected.error.kind === 'auth' ? EXIT.usage : EXIT.failed;
  }
  const unfinished = collected.value.filter((job) => !isTerminalStatus(job.status));
  for (const job of unfinished) io.err(`${job.id}: still ${job.rawStatus.toLowerCase()}, nothing to download yet.`);
  const items: DownloadItem[] = collected.value.filter((job) => job.status === 'completed').flatMap((job) => job.assets.map((asset) => ({ job, asset })));
  if (items.length === 0) {
    io.err('No completed job with results matched.');
    return EXIT.ok;
  }
  const proxy = adapter.id === 'useapi' ? { apiBase: context.baseUrl, token: context.apiKey } : null;
  const engine = await DownloadEngine.create(engineDeps, {
    root: options.out,
    concurrency: options.concurrency,
    perHostConcurrency: options.concurrency,
    maxBytesPerSecond: options.maxBytesPerSecond ?? null,
    fsync: options.fsync === true,
    sources: [midjourneyCdnSource(proxy ? { proxy } : {})],
    refreshUrl: async (job, asset) => {
      const fresh = await adapter.getJob(context, job.id);
      return fresh.ok ? (fresh.value.assets.find((a) => a.kind === asset.kind && a.index === asset.index)?.url ?? null) : null;
    },
  });
  if (!engine.ok) {
    io.err(engine.error.message);
    return EXIT.usage;
  }
  engine.value.onEvent((event) => {
    if (event.type !== 'file' || !['done', 'skipped', 'failed'].includes(event.file.state)) return;
    io.out(options.json ? JSON.stringify({ type: 'file', ...event.file, error: event.file.failure?.error.message ?? null }) : fileLine(event.file));
  });
  io.err(`Downloading ${items.length} file${items.length === 1 ? '' : 's'} of ${collected.value.length - unfinished.length} job(s) into ${options.out} …`);
  const batch = await engine.value.enqueue(items, { force: options.force });
  if (!batch.ok) {
    io.err(batch.error.message);
    return EXIT.failed;
  }
  const summary = await batch.value.done;
  const line = `${summary.done} downloaded, ${summary.skipped} already there, ${summary.failed.length} failed (${(summary.bytes / 1_048_576).toFixed(1)} MiB).`;
  if (options.json) io.out(JSON.stringify({ type: 'summary', done: summary.done, skipped: summary.skipped, failed: summary.failed.length, bytes: summary.bytes }));
  io.err(line);
  return summary.failed.length > 0 ? EXIT.failed : EXIT.ok;
}
