/**
 * The watched jobs as the renderer sees them. Jobs live in a plain Map keyed by
 * `job.key`; a `$state` version counter makes the map reactive, bumped once
 * per applied batch, so a delta of 500 upserts costs one re-sort, and rows
 * whose job object did not change are left alone by the keyed {#each}.
 */
import type { GenwatchApi } from '../../../src-shared/bridge';
import type { AddJobsResult, JobsDelta } from '../../../src-shared/ipc-contract';
import type { Job, JobStatus, ProviderId } from '../../../src-shared/job';
import { addSummary, parseTime } from './format';
import { errorMessage, settle } from './ipc';

export type StatusFilter = 'all' | JobStatus;
export const STATUS_FILTERS: readonly StatusFilter[] = ['all', 'queued', 'running', 'completed', 'failed'];

export type StatusCounts = Record<JobStatus, number> & { all: number };

/** Newest created first; jobs not yet fetched (no createdAt) are newest of all. */
export function compareJobs(a: Job, b: Job): number {
  const ta = parseTime(a.createdAt) ?? Number.POSITIVE_INFINITY;
  const tb = parseTime(b.createdAt) ?? Number.POSITIVE_INFINITY;
  if (ta !== tb) return tb > ta ? 1 : -1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

export function matchesQuery(job: Job, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return (
    job.id.toLowerCase().includes(q) ||
    (job.model ?? '').toLowerCase().includes(q) ||
    (job.prompt ?? '').toLowerCase().includes(q)
  );
}

export class JobsState {
  readonly #bridge: GenwatchApi;
  // Deliberately not a SvelteMap: one delta bumps #version once instead of
  // notifying per job, which keeps large batches cheap.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #jobs = new Map<string, Job>();
  #version = $state(0);

  loaded = $state(false);
  loadError = $state<string | null>(null);

  filter = $state<StatusFilter>('all');
  query = $state('');

  adding = $state(false);
  lastAdd = $state<AddJobsResult | null>(null);
  addError = $state<string | null>(null);
  removeError = $state<string | null>(null);

  constructor(bridge: GenwatchApi) {
    this.#bridge = bridge;
  }

  /** Every job, sorted. */
  readonly all: Job[] = $derived.by(() => {
    void this.#version;
    return Array.from(this.#jobs.values()).sort(compareJobs);
  });

  /** The list the view renders: status filter, then text search. */
  readonly visible: Job[] = $derived.by(() => {
    const filter = this.filter;
    const query = this.query;
    if (filter === 'all' && !query.trim()) return this.all;
    return this.all.filter((job) => (filter === 'all' || job.status === filter) && matchesQuery(job, query));
  });

  readonly counts: StatusCounts = $derived.by(() => {
    const counts: StatusCounts = { all: 0, queued: 0, running: 0, completed: 0, failed: 0 };
    for (const job of this.all) {
      counts[job.status] += 1;
      counts.all += 1;
    }
    return counts;
  });

  get size(): number {
    void this.#version;
    return this.#jobs.size;
  }

  get(key: string | null): Job | undefined {
    void this.#version;
    return key === null ? undefined : this.#jobs.get(key);
  }

  readonly addSummary: string | null = $derived(this.lastAdd ? addSummary(this.lastAdd) : null);

  /** Subscribes to deltas, then loads the snapshot. Returns the unsubscribe function. */
  start(): () => void {
    const off = this.#bridge.on('jobsDelta', (delta) => this.applyDelta(delta));
    void this.load();
    return off;
  }

  async load(): Promise<void> {
    const result = await settle(() => this.#bridge.listJobs({}));
    if (!result.ok) {
      this.loadError = errorMessage(result.error);
      return;
    }
    // IPC replies and events share one ordered channel: deltas received before
    // this reply are older than the snapshot, so the snapshot wins.
    this.replaceAll(result.value);
    this.loadError = null;
    this.loaded = true;
  }

  replaceAll(jobs: readonly Job[]): void {
    this.#jobs.clear();
    for (const job of jobs) this.#jobs.set(job.key, job);
    this.#version += 1;
  }

  applyDelta(delta: JobsDelta): void {
    if (delta.upserted.length === 0 && delta.removed.length === 0) return;
    for (const key of delta.removed) this.#jobs.delete(key);
    for (const job of delta.upserted) this.#jobs.set(job.key, job);
    this.#version += 1;
  }

  /** Sends pasted ids to main. Returns the inputs that were rejected (to keep in the box). */
  async add(provider: ProviderId, input: string): Promise<{ ok: boolean; rejectedInputs: string[] }> {
    if (!input.trim() || this.adding) return { ok: false, rejectedInputs: [] };
    this.adding = true;
    this.addError = null;
    try {
      const result = await settle(() => this.#bridge.addJobs({ provider, input }));
      if (!result.ok) {
        this.lastAdd = null;
        this.addError = errorMessage(result.error);
        return { ok: false, rejectedInputs: [] };
      }
      this.lastAdd = result.value;
      return { ok: true, rejectedInputs: result.value.rejected.map((r) => r.input) };
    } finally {
      this.adding = false;
    }
  }

  clearAddMessage(): void {
    this.lastAdd = null;
    this.addError = null;
  }

  async remove(keys: string[]): Promise<boolean> {
    if (keys.length === 0) return true;
    this.removeError = null;
    const result = await settle(() => this.#bridge.removeJobs({ keys }));
    if (!result.ok) {
      this.removeError = errorMessage(result.error);
      return false;
    }
    // Main also sends a delta; removing here makes the UI respond at once.
    this.applyDelta({ upserted: [], removed: keys });
    return true;
  }

  clearFilters(): void {
    this.filter = 'all';
    this.query = '';
  }
}
