/**
 * `genwatch list <provider> [--status S] [--model M] [--since ISO] [--scope user|team] [--json]`:
 * every page of the account's job list, newest first. `--json` prints one job
 * per line in the common model; `--since` stops at the first older job.
 */
import type { Job } from '../../src-shared/job';
import { walkPages } from '../core/paging';
import type { ProviderAdapter, ProviderContext } from '../core/providers/provider';
import { APIFRAME_MAX_LIMIT } from '../core/providers/apiframe';
import { humanLine } from './job-events';
import { EXIT } from './watch';
import type { WatchIo } from './watch';

export interface ListOptions {
  status?: string;
  model?: string;
  since?: string;
  scope?: 'user' | 'team';
  json: boolean;
}

export function parseSince(value: string | undefined): { ok: true; ms: number | null } | { ok: false; message: string } {
  if (value === undefined) return { ok: true, ms: null };
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) return { ok: false, message: `--since must be an ISO date like 2026-03-15 or 2026-03-15T10:00:00Z (got "${value}").` };
  return { ok: true, ms };
}

export async function listJobs(adapter: ProviderAdapter, context: ProviderContext, options: ListOptions, io: WatchIo): Promise<number> {
  const listPage = adapter.listJobs;
  if (!listPage) {
    io.err(`${adapter.label} has no job history list; use \`genwatch watch ${adapter.id} <id…>\`.`);
    return EXIT.usage;
  }
  const since = parseSince(options.since);
  if (!since.ok) {
    io.err(since.message);
    return EXIT.usage;
  }
  const status = options.status?.toUpperCase();
  let printed = 0;
  let reachedSince = false;
  const walk = await walkPages(
    (cursor) =>
      listPage(context, {
        limit: APIFRAME_MAX_LIMIT,
        ...(status ? { status } : {}),
        ...(options.model ? { model: options.model } : {}),
        ...(options.scope ? { scope: options.scope } : {}),
        ...(cursor ? { cursor } : {}),
      }),
    {
      onPage: (page) => {
        for (const providerJob of page.jobs) {
          if (since.ms !== null && providerJob.createdAt && Date.parse(providerJob.createdAt) < since.ms) {
            reachedSince = true;
            break;
          }
          const job: Job = { ...providerJob, watch: { state: 'done', message: null, lastCheckedAt: null, progressAt: null } };
          io.out(options.json ? JSON.stringify(job) : humanLine(job));
          printed++;
        }
        // Newest first: once a job is older than --since, no later page can match.
        return !reachedSince;
      },
    },
  );
  if (!walk.ok) {
    io.err(walk.error.message);
    return walk.error.kind === 'auth' || walk.error.kind === 'invalid-input' ? EXIT.usage : EXIT.failed;
  }
  io.err(`${printed} job${printed === 1 ? '' : 's'} (${walk.value.pages} page${walk.value.pages === 1 ? '' : 's'}).`);
  return EXIT.ok;
}

