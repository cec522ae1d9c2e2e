/**
 * The watched jobs as the renderer sees them. Jobs live in a plain Map keyed by
 * `job.key`; a `$state` version counter makes the map reactive, bumped once
 * per applied batch, so a delta of 500 upserts costs one re-sort, and rows
 * whose job object did not change are left alone by the keyed {#each}.
 *
 * The list pipeline is split into memoised stages so each input only redoes
 * its own work: sort (version, sort key) → filters except status (provider,
 * model, account, dates, debounced search) → status. Typing in the search box
 * never re-sorts; switching the status tab never re-runs the search.
 */
import type { GenwatchApi } from '../../../src-shared/bridge';
import type { AddJobsResult, JobsDelta } from '../../../src-shared/ipc-contract';
import { isTerminalStatus } from '../../../src-shared/job';
import type { Job, ProviderId } from '../../../src-shared/job';
import { addSummary } from './format';
import { errorMessage, settle } from './ipc';
import {
  SORT_FIRST_DIR,
  applyFilters,
  collectFacets,
  countByAccount,
  countByStatus,
  dayStart,
  matchesStatusFilter,
  sortJobs,
  type DownloadedFilter,
  type Facets,
  type SortDir,
  type SortKey,
  type StatusCounts,
  type StatusFilter,
} from './job-list';

export {
  STATUS_FILTERS,
  SORT_FIRST_DIR,
  accountRef,
  compareJobs,
  matchesQuery,
  sortJobs,
  type SortDir,
  type SortKey,
  type StatusCounts,
  type StatusFilter,
} from './job-list';

export const SEARCH_DEBOUNCE_MS = 100;

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
  /** A notification or tray click asked for exactly these jobs; cleared with the other filters. */
  onlyKeys = $state<ReadonlySet<string> | null>(null);
  /** What a screen reader is told (an aria-live region): jobs that just finished, one sentence per update. */
  announcement = $state('');
  provider = $state<ProviderId | 'all'>('all');
  /** '' = every model. */
  model = $state('');
  /** '' = every account, else `provider:accountId`. */
  account = $state('');
  /** Created on or after / on or before these local dates (`YYYY-MM-DD`, '' = open). */
  createdFrom = $state('');
  createdTo = $state('');
  /** On disk or not, per the download folder's ledger. */
  downloaded = $state<DownloadedFilter>('');

  sortKey = $state<SortKey>('created');
  sortDir = $state<SortDir>('desc');

  // The search box updates #query at once; the list follows #appliedQuery,
  // SEARCH_DEBOUNCE_MS after the last keystroke.
  #query = $state('');
  #appliedQuery = $state('');
  #queryTimer: ReturnType<typeof setTimeout> | null = null;

  adding = $state(false);
  lastAdd = $state<AddJobsResult | null>(null);
  addError = $state<string | null>(null);
  removeError = $state<string | null>(null);

  constructor(bridge: GenwatchApi) {
    this.#bridge = bridge;
  }

  get query(): string {
    return this.#query;
  }

  set query(value: string) {
    this.#query = value;
    if (this.#queryTimer !== null) clearTimeout(this.#queryTimer);
    this.#queryTimer = null;
    // Clearing the box shows everything at once; typing waits for a pause.
    if (!value.trim()) this.#appliedQuery = '';
    else this.#queryTimer = setTimeout(() => this.flushQuery(), SEARCH_DEBOUNCE_MS);
  }

  /** Applies the typed search now (Enter, tests). */
  flushQuery(): void {
    if (this.#queryTimer !== null) clearTimeout(this.#queryTimer);
    this.#queryTimer = null;
    this.#appliedQuery = this.#query;
  }

  get appliedQuery(): string {
    return this.#appliedQuery;
  }

  /** Every job, in the chosen order. */
  readonly all: Job[] = $derived.by(() => {
    void this.#version;
    return sortJobs(this.#jobs.values(), this.sortKey, this.sortDir);
  });

  /** Every filter except status: the base of the status counts shown next to the tabs. */
  readonly #faceted: Job[] = $derived(
    applyFilters(this.all, {
      provider: this.provider,
      model: this.model,
      account: this.account,
      from: dayStart(this.createdFrom),
      to: dayStart(this.createdTo, 1),
      query: this.#appliedQuery,
      downloaded: this.downloaded,
    }),
  );

  /** Every filter but status, narrowed to the jobs a notification pointed at (if one did). */
  readonly #narrowed: Job[] = $derived.by(() => {
    const only = this.onlyKeys;
    return only ? this.#faceted.filter((job) => only.has(job.key)) : this.#faceted;
  });

  /** The list the view renders. */
  readonly visible: Job[] = $derived.by(() => {
    const filter = this.filter;
    const base = this.#narrowed;
    return filter === 'all' ? base : base.filter((job) => matchesStatusFilter(job, filter));
  });

  /** Totals over every job (sidebar). */
  readonly counts: StatusCounts = $derived.by(() => {
    void this.#version;
    return countByStatus(this.#jobs.values());
  });

  /** Counts with every filter but status applied (the status tabs). */
  readonly filteredCounts: StatusCounts = $derived.by(() => countByStatus(this.#narrowed));

  /** Models, providers and accounts present, for the filter selects. */
  readonly facets: Facets = $derived.by(() => {
    void this.#version;
    return collectFacets(this.#jobs.values());
  });

  /** Jobs per `provider:accountId`. */
  readonly accountCounts: ReadonlyMap<string, number> = $derived.by(() => {
    void this.#version;
    return countByAccount(this.#jobs.values());
  });

  /** True when anything narrows the list (status included). */
  readonly filtering: boolean = $derived(
    this.onlyKeys !== null ||
      this.filter !== 'all' ||
      this.provider !== 'all' ||
      !!this.model ||
      !!this.account ||
      !!this.createdFrom ||
      !!this.downloaded ||
      !!this.createdTo ||
      !!this.#query.trim(),
  );

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
    return () => {
      off();
      if (this.#queryTimer !== null) clearTimeout(this.#queryTimer);
    };
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
    let completed = 0;
    let failed = 0;
    for (const job of delta.upserted) {
      const before = this.#jobs.get(job.key);
      // Only a job seen unfinished that finishes now is news (not a history import's finished jobs).
      if (before && !isTerminalStatus(before.status) && isTerminalStatus(job.status)) {
        if (job.status === 'completed') completed++;
        else failed++;
      }
      this.#jobs.set(job.key, job);
    }
    this.#version += 1;
    if (completed + failed > 0) this.announcement = finishedSentence(completed, failed);
  }

  /** Clicking a column header: same column flips the direction, another starts with its natural one. */
  sortBy(key: SortKey): void {
    if (this.sortKey === key) this.sortDir = this.sortDir === 'asc' ? 'desc' : 'asc';
    else {
      this.sortKey = key;
      this.sortDir = SORT_FIRST_DIR[key];
    }
  }

  /** Sends pasted ids to main. Returns the inputs that were rejected (to keep in the box). */
  async add(provider: ProviderId, input: string, accountId?: string): Promise<{ ok: boolean; rejectedInputs: string[] }> {
    if (!input.trim() || this.adding) return { ok: false, rejectedInputs: [] };
    this.adding = true;
    this.addError = null;
    try {
      const request = accountId ? { provider, accountId, input } : { provider, input };
      const result = await settle(() => this.#bridge.addJobs(request));
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

  /** Shows exactly these jobs (the filtered list a batched notification points at). */
  showOnly(keys: readonly string[]): void {
    this.clearFilters();
    // Replaced wholesale, never mutated: the $state assignment is the reactive change.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    this.onlyKeys = new Set(keys);
  }

  /** Back from a notification's jobs to the whole list (the other filters stay). */
  showAll(): void {
    this.onlyKeys = null;
  }

  clearFilters(): void {
    this.onlyKeys = null;
    this.filter = 'all';
    this.provider = 'all';
    this.model = '';
    this.account = '';
    this.createdFrom = '';
    this.createdTo = '';
    this.downloaded = '';
    this.query = '';
  }
}

/** "2 jobs completed, 1 failed." */
function finishedSentence(completed: number, failed: number): string {
  const jobs = (n: number): string => `${n} ${n === 1 ? 'job' : 'jobs'}`;
  const parts: string[] = [];
  if (completed > 0) parts.push(`${jobs(completed)} completed`);
  if (failed > 0) parts.push(completed > 0 ? `${failed} failed` : `${jobs(failed)} failed`);
  return `${parts.join(', ')}.`;
}

