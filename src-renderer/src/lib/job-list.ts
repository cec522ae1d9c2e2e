/**
 * Pure helpers of the job list: sorting, searching, date bounds, facets.
 * Plain TypeScript (no runes) so they are cheap to test and reuse; the
 * JobsState class composes them into memoised stages.
 */
import type { Job, JobStatus, ProviderId } from '../../../src-shared/job';
import { parseTime } from './format';

/** 'attention': jobs genwatch cannot follow right now (stalled, their account paused, or an error about them). */
export type StatusFilter = 'all' | JobStatus | 'attention';
export const STATUS_FILTERS: readonly StatusFilter[] = ['all', 'queued', 'running', 'completed', 'failed', 'attention'];

/** Stalled, held by its account (key, credits, address) or given up on: the user may have to act. */
export function needsAttention(job: Pick<Job, 'watch'>): boolean {
  return job.watch.state === 'stalled' || job.watch.state === 'paused' || job.watch.state === 'error';
}

export function matchesStatusFilter(job: Job, filter: StatusFilter): boolean {
  return filter === 'all' || (filter === 'attention' ? needsAttention(job) : job.status === filter);
}


export type SortKey = 'created' | 'completed' | 'status' | 'model' | 'progress' | 'cost';
export type SortDir = 'asc' | 'desc';
/** The direction a column sorts in when first clicked. */
export const SORT_FIRST_DIR: Record<SortKey, SortDir> = {
  created: 'desc',
  completed: 'desc',
  status: 'asc',
  model: 'asc',
  progress: 'desc',
  cost: 'desc',
};

/** Active work first, then problems, then finished. */
const STATUS_RANK: Record<JobStatus, number> = { running: 0, queued: 1, failed: 2, completed: 3 };

/** `provider:accountId`, the value of the account filter. */
export function accountRef(job: Pick<Job, 'provider' | 'accountId'>): string {
  return `${job.provider}:${job.accountId}`;
}

// Per job object (jobs are immutable values: a change is a new object):
// parsed times and the lower-cased search text, computed once.
type Derived = { created: number | null; completed: number | null; text: string };
const derivedCache = new WeakMap<Job, Derived>();
function derived(job: Job): Derived {
  let d = derivedCache.get(job);
  if (!d) {
    d = {
      created: parseTime(job.createdAt),
      completed: parseTime(job.completedAt),
      text: `${job.id}\n${job.model ?? ''}\n${job.prompt ?? ''}`.toLowerCase(),
    };
    derivedCache.set(job, d);
  }
  return d;
}

/** Newest created first; jobs not yet fetched (no createdAt) are newest of all. */
export function compareJobs(a: Job, b: Job): number {
  const ta = derived(a).created ?? Number.POSITIVE_INFINITY;
  const tb = derived(b).created ?? Number.POSITIVE_INFINITY;
  if (ta !== tb) return tb > ta ? 1 : -1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function sortValue(job: Job, key: SortKey): number | string | null {
  switch (key) {
    case 'created':
      return derived(job).created ?? Number.POSITIVE_INFINITY;
    case 'completed':
      return derived(job).completed;
    case 'status':
      return STATUS_RANK[job.status];
    case 'model':
      return job.model?.toLowerCase() ?? null;
    case 'progress':
      return job.progress;
    case 'cost':
      return job.cost ? (job.cost.refunded ? 0 : job.cost.credits) : null;
  }
}

/**
 * Sorted copy: decorate once (O(n)), sort on the cached values. Missing values
 * go last in either direction; ties fall back to newest created, then key.
 */
export function sortJobs(jobs: Iterable<Job>, key: SortKey, dir: SortDir): Job[] {
  const rows: { v: number | string | null; job: Job }[] = [];
  for (const job of jobs) rows.push({ v: sortValue(job, key), job });
  const sign = dir === 'asc' ? 1 : -1;
  rows.sort((a, b) => {
    if (a.v !== b.v) {
      if (a.v === null) return 1;
      if (b.v === null) return -1;
      return (a.v < b.v ? -1 : 1) * sign;
    }
    return compareJobs(a.job, b.job);
  });
  return rows.map((r) => r.job);
}

export function matchesQuery(job: Job, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return derived(job).text.includes(q);
}

/** Local-time day bounds of a `YYYY-MM-DD` date input; null when empty or invalid. */
export function dayStart(date: string, offsetDays = 0): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + offsetDays).getTime();
}


export type StatusCounts = Record<StatusFilter, number>;

export function countByStatus(jobs: Iterable<Job>): StatusCounts {
  const counts: StatusCounts = { all: 0, queued: 0, running: 0, completed: 0, failed: 0, attention: 0 };
  for (const job of jobs) {
    counts[job.status] += 1;
    counts.all += 1;
    if (needsAttention(job)) counts.attention += 1;
  }
  return counts;
}

export type Facets = { models: string[]; providers: ProviderId[]; accounts: string[] };

/** Models, providers and accounts present, sorted, for the filter selects. */
export function collectFacets(jobs: Iterable<Job>): Facets {
  const models = new Set<string>();
  const providers = new Set<ProviderId>();
  const accounts = new Set<string>();
  for (const job of jobs) {
    if (job.model) models.add(job.model);
    providers.add(job.provider);
    accounts.add(accountRef(job));
  }
  return { models: [...models].sort(), providers: [...providers].sort(), accounts: [...accounts].sort() };
}

/** Jobs per `provider:accountId`. */
export function countByAccount(jobs: Iterable<Job>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const job of jobs) {
    const ref = accountRef(job);
    counts.set(ref, (counts.get(ref) ?? 0) + 1);
  }
  return counts;
}

/** '' = either; 'yes' = every result on disk; 'no' = not (yet) all on disk. */
export type DownloadedFilter = '' | 'yes' | 'no';

export type ListFilters = {
  provider: ProviderId | 'all';
  model: string;
  account: string;
  from: number | null;
  to: number | null;
  query: string;
  downloaded?: DownloadedFilter;
};

/** Every filter except status. Returns the input itself when nothing filters. */
export function applyFilters(jobs: Job[], f: ListFilters): Job[] {
  const q = f.query.trim().toLowerCase();
  const downloaded = f.downloaded ?? '';
  if (f.provider === 'all' && !f.model && !f.account && f.from === null && f.to === null && !q && !downloaded) return jobs;
  return jobs.filter((job) => {
    if (f.provider !== 'all' && job.provider !== f.provider) return false;
    if (downloaded && (job.downloaded === 'all') !== (downloaded === 'yes')) return false;
    if (f.model && job.model !== f.model) return false;
    if (f.account && accountRef(job) !== f.account) return false;
    const d = derived(job);
    if (f.from !== null || f.to !== null) {
      if (d.created === null) return false;
      if (f.from !== null && d.created < f.from) return false;
      if (f.to !== null && d.created >= f.to) return false;
    }
    return !q || d.text.includes(q);
  });
}
