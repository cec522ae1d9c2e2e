/**
 * `genwatch list <provider> [--status S] [--model M] [--since ISO] [--scope user|team] [--json]`:
 * every page of the account's job list, newest first. `--json` prints one job
 * per line in the common model; `--since` stops at the first older job.
 */
import type { Job } from '../../src-shared/job';
import { walkPages } from '../core/paging';
import { withRetries } from './retries';
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

/**
 * An ISO date argument as epoch ms (null when absent). A date without a time
 * is the start of that day (UTC), or with `edge` 'end' its last millisecond:
 * `--until 2026-03-15` includes the 15th. Dates not in the calendar
 * (2026-02-30) are refused rather than rolled over.
 */
export function parseDateArg(flag: string, value: string | undefined, edge: 'start' | 'end' = 'start'): { ok: true; ms: number | null } | { ok: false; message: string } {
  if (value === undefined) return { ok: true, ms: null };
  const m = /^(\d{4})-(\d{2})-(\d{2})(T.*)?$/.exec(value);
  const ms = Date.parse(value);
  if (m === null || Number.isNaN(ms)) return { ok: false, message: `${flag} must be an ISO date like 2026-03-15 or 2026-03-15T10:00:00Z (got "${value}").` };
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return { ok: false, message: `${flag}: ${value.slice(0, 10)} is not a day in the calendar.` };
  return { ok: true, ms: m[4] === undefined && edge === 'end' ? day.getTime() + 86_400_000 - 1 : ms };
}

export const parseSince = (value: string | undefined): ReturnType<typeof parseDateArg> => parseDateArg('--since', value);

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
      withRetries(
        'the job list',
        () =>
          listPage(context, {
            limit: APIFRAME_MAX_LIMIT,
            ...(status ? { status } : {}),
            ...(options.model ? { model: options.model } : {}),
            ...(options.scope ? { scope: options.scope } : {}),
            ...(cursor ? { cursor } : {}),
          }),
        io,
      ),
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

