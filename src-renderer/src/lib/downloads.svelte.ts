/**
 * Downloads as the renderer sees them. Main pushes the whole DownloadsState
 * (throttled `downloads` event); the panel, the nav indicator, the at-risk
 * banner and the detail panel's "Download" read it from here. Controls are
 * applied optimistically (download-list.ts `applyControl`) and replaced by
 * main's answer.
 */
import type { GenwatchApi } from '../../../src-shared/bridge';
import type { BatchCounts, DownloadFile, DownloadsState as DownloadsSnapshot } from '../../../src-shared/downloads';
import {
  aggregatePercent,
  applyControl,
  batchSummary,
  emptyAggregate,
  jobsOnDisk,
  pendingFiles,
  type BatchResult,
  type ControlAction,
} from './download-list';
import { errorMessage, settle } from './ipc';

export type Notice = { tone: 'ok' | 'warn' | 'error'; text: string };
export type JobNotice = Notice & { result: BatchResult | null };
export type BatchOutcome = { result: BatchResult; jobs: number; text: string; tone: Notice['tone'] };

function toneOf(result: BatchResult): Notice['tone'] {
  if (result.failed > 0) return 'warn';
  return 'ok';
}

export class DownloadsState {
  readonly #bridge: GenwatchApi;

  snapshot = $state<DownloadsSnapshot | null>(null);
  loadError = $state<string | null>(null);
  /** The last "Download N jobs" from the job list. */
  lastBatch = $state<BatchOutcome | null>(null);
  batchError = $state<string | null>(null);
  downloading = $state(false);
  /** Per job key: the outcome of the detail panel's Download button. */
  jobNotice = $state<Record<string, JobNotice>>({});
  /** Pause/resume/cancel/retry/reveal problems, one line above the list. */
  actionError = $state<string | null>(null);
  choosingFolder = $state(false);
  folderError = $state<string | null>(null);

  constructor(bridge: GenwatchApi) {
    this.#bridge = bridge;
  }

  readonly loaded: boolean = $derived(this.snapshot !== null);
  readonly root: string | null = $derived(this.snapshot?.root ?? null);
  readonly files: DownloadFile[] = $derived(this.snapshot?.files ?? []);
  readonly aggregate = $derived(this.snapshot?.aggregate ?? emptyAggregate());
  readonly percent: number = $derived(aggregatePercent(this.aggregate, this.files));
  /** Files still to do (queued, downloading, paused): the nav shows progress while > 0. */
  readonly pending: number = $derived(pendingFiles(this.aggregate));
  readonly running: boolean = $derived(this.aggregate.files.active + this.aggregate.files.queued > 0);
  readonly failedBatches = $derived(this.snapshot?.failedBatches ?? []);
  /** Main's per-request counts (newest last). */
  readonly batches = $derived(this.snapshot?.batches ?? []);
  #lastCountsSeen: BatchCounts | undefined;
  /**
   * The counts of `lastBatch`'s request: the last ones main sent, kept once
   * main no longer sends them (many newer requests), so its line never
   * freezes on "Downloading…".
   */
  readonly lastBatchCounts: BatchCounts | undefined = $derived.by(() => {
    const id = this.lastBatch?.result.batchId;
    const now = id === undefined ? undefined : this.batches.find((b) => b.batchId === id);
    if (now !== undefined) this.#lastCountsSeen = now;
    return id !== undefined && this.#lastCountsSeen?.batchId === id ? this.#lastCountsSeen : undefined;
  });
  readonly atRisk = $derived(this.snapshot?.atRisk ?? { count: 0, keys: [] });

  /** Job keys with at least one file on disk (from the shown rows). */
  readonly #onDisk: ReadonlySet<string> = $derived(jobsOnDisk(this.files));

  /** True when some result of this job is known to be on disk already. */
  isDownloaded(jobKey: string): boolean {
    return this.#onDisk.has(jobKey);
  }

  filesOf(jobKey: string): DownloadFile[] {
    return this.files.filter((f) => f.jobKey === jobKey);
  }

  start(): () => void {
    const off = this.#bridge.on('downloads', (snapshot) => {
      this.snapshot = snapshot;
    });
    void this.load();
    return off;
  }

  async load(): Promise<void> {
    const result = await settle(() => this.#bridge.getDownloads({}));
    if (!result.ok) {
      this.loadError = errorMessage(result.error);
      return;
    }
    this.snapshot = result.value;
    this.loadError = null;
  }

  /** Opens the system folder picker. Returns the chosen folder (null when the user cancelled). */
  async chooseFolder(): Promise<string | null> {
    if (this.choosingFolder) return null;
    this.choosingFolder = true;
    this.folderError = null;
    try {
      const result = await settle(() => this.#bridge.chooseDownloadFolder({}));
      if (!result.ok) {
        this.folderError = errorMessage(result.error);
        return null;
      }
      const root = result.value.root;
      if (root !== null) {
        // The folder may clear a problem (not writable…): take main's whole view.
        if (this.snapshot) this.snapshot = { ...this.snapshot, root };
        await this.load();
      }
      return root;
    } finally {
      this.choosingFolder = false;
    }
  }

  /** Downloads these jobs' results. `source` 'list' fills `lastBatch`, a job key fills `jobNotice`. */
  async download(keys: readonly string[], options: { force?: boolean; source?: 'list' | string } = {}): Promise<BatchResult | null> {
    if (keys.length === 0) return null;
    const source = options.source ?? 'list';
    if (source === 'list') {
      this.downloading = true;
      this.batchError = null;
    }
    try {
      const request = options.force ? { keys: [...keys], force: true } : { keys: [...keys] };
      const result = await settle(() => this.#bridge.downloadJobs(request));
      if (!result.ok) {
        const text = errorMessage(result.error);
        if (source === 'list') {
          this.batchError = text;
          this.lastBatch = null;
        } else this.jobNotice[source] = { tone: 'error', text, result: null };
        return null;
      }
      const outcome: BatchOutcome = {
        result: result.value,
        jobs: keys.length,
        text: batchSummary(result.value, keys.length),
        tone: toneOf(result.value),
      };
      if (source === 'list') this.lastBatch = outcome;
      else this.jobNotice[source] = { tone: outcome.tone, text: batchSummary(result.value), result: result.value };
      return result.value;
    } finally {
      if (source === 'list') this.downloading = false;
    }
  }

  clearBatch(): void {
    this.lastBatch = null;
    this.batchError = null;
  }

  /** Pause, resume or cancel one file (`id`) or all; `clear` drops finished rows. */
  async control(action: ControlAction, id?: string): Promise<boolean> {
    this.actionError = null;
    if (this.snapshot) this.snapshot = applyControl(this.snapshot, action, id);
    const request = id === undefined ? { action } : { action, id };
    const result = await settle(() => this.#bridge.controlDownloads(request));
    if (!result.ok) {
      this.actionError = errorMessage(result.error);
      await this.load(); // undo the optimistic change
      return false;
    }
    this.snapshot = result.value;
    return true;
  }

  async retry(batchId: string): Promise<boolean> {
    this.actionError = null;
    const result = await settle(() => this.#bridge.retryFailedDownloads({ batchId }));
    if (!result.ok) {
      this.actionError = errorMessage(result.error);
      return false;
    }
    if (this.snapshot) {
      // Main's event follows; until then the batch is no longer "failed".
      this.snapshot = { ...this.snapshot, failedBatches: this.snapshot.failedBatches.filter((b) => b.batchId !== batchId) };
    }
    return true;
  }

  async reveal(path: string): Promise<boolean> {
    return this.#fileAction(() => this.#bridge.revealFile({ path }));
  }

  async open(path: string): Promise<boolean> {
    return this.#fileAction(() => this.#bridge.openFile({ path }));
  }

  async #fileAction(call: () => ReturnType<GenwatchApi['openFile']>): Promise<boolean> {
    this.actionError = null;
    const result = await settle(call);
    if (!result.ok) this.actionError = errorMessage(result.error);
    return result.ok;
  }
}
