/**
 * The download queue: bounded concurrency (global and per host), retries
 * with backoff, pause/resume/cancel, progress, ledger dedupe, naming,
 * free-space holds and the finishing steps (PNG text / XMP, atomic rename, file
 * times, sidecar). One engine per download root.
 */
import { tallyBatch } from '../../../src-shared/batch-counts';
import type { BatchCounts } from '../../../src-shared/downloads';
import type { Asset, Job } from '../../../src-shared/job';
import type { Result } from '../../../src-shared/result';
import { err, ok } from '../../../src-shared/result';
import { backoffDelay } from '../backoff';
import type { Clock, Logger, Random, TimerHandle } from '../ports';
import { silentLogger } from '../ports';
import type { DownloadFailure } from './errors';
import { diskFailure, failure, TransferError } from './errors';
import type { LedgerEntry } from './ledger';
import { assetKeyOf, DownloadLedger, ledgerKeyFor } from './ledger';
import { DEFAULT_TEMPLATE, extensionFromContentType, inferExtension, renderName, validateTemplate } from './naming';
import { endsWithIend, IEND_CHUNK, isPng, pngTextChunks } from './png-metadata';
import type { DownloadHttpPort, FileSystemPort, HasherFactory } from './ports';
import { RateLimiter } from './rate-limit';
import { etaMs, SpeedMeter } from './progress';
import { baseNameOf, isInsideRoot, joinInsideRoot, MAX_RELATIVE_PATH_BYTES, MAX_SEGMENT_BYTES, parentOf, sanitiseSegment, truncateUtf8, utf8Length } from './sanitise';
import { buildSidecar, mergeSidecarFiles, pngTextFor, xmpFieldsFor } from './sidecar';
import type { SidecarFile } from './sidecar';
import { expectedMedia } from './sniff';
import type { AssetSource } from './sources';
import type { TransferResult, TransferTarget } from './transfer';
import type { SyncGate } from './transfer';
import { NO_HASH, readPartMeta, transfer, writeFileAtomic } from './transfer';
import type { AggregateProgress, BatchHandle, BatchSummary, DownloadEvent, DownloadItem, EnqueueOptions, FileSnapshot, FileState } from './types';
import { countFile, EMPTY_AGGREGATE, isFinished, notifyAll, summariseBatch } from './types';
import { hostOf, isAllowedDownloadUrl } from './url-safety';
import { runPlanner, xmpPlannerFor } from './xmp-metadata';

export interface DownloadDeps {
  http: DownloadHttpPort;
  fs: FileSystemPort;
  hasher: HasherFactory;
  clock: Clock;
  random: Random;
  logger?: Logger;
  /** Starts every batch id (and so every file id): an engine started after another died must not reuse its ids. */
  idPrefix?: string;
}

export interface DownloadSettings {
  /** Absolute folder every file lands under. */
  root: string;
  template: string;
  concurrency: number;
  perHostConcurrency: number;
  /** Attempts per file for retryable failures (network, 5xx, truncation). */
  maxAttempts: number;
  retryBaseMs: number;
  /** Leave source URLs out of sidecars and embedded metadata (PNG text, XMP). */
  privacy: boolean;
  /**
   * Write the prompt and ids into the files themselves: PNG tEXt/iTXt, and
   * XMP for JPEG and WebP (chosen by the file's bytes, not its extension).
   * The name is historical: it covers every format with embedded metadata.
   */
  embedPngText: boolean;
  writeSidecar: boolean;
  /**
   * Hash every file (SHA-256) into the ledger and sidecar. Off by default: it
   * costs ~0.6 s of CPU per GB, and sizes, validators and the ledger already
   * keep downloads whole and deduplicated.
   */
  checksums: boolean;
  /** One cap for all downloads together, in bytes per second; null = as fast as the network allows. */
  maxBytesPerSecond: number | null;
  /** Set each file's mtime to the job's completion time. */
  setFileTimes: boolean;
  /**
   * fsync each finished file before its rename and each ledger group (durable
   * across power loss). Off by default (see DownloadSettings.fsync in
   * src-shared/downloads.ts); a file a power cut left empty is downloaded
   * again when its job is queued next (see enqueue).
   */
  fsync: boolean;
  /** A batch is refused when free space < its known size + this margin. */
  reserveBytes: number;
  /** Downloads are held while free space is below this, and resume above 1.5× it. */
  lowSpaceBytes: number;
  progressIntervalMs: number;
  sources: readonly AssetSource[];
  /**
   * Called at most once per file when its URL answers 403/404/410: return a
   * fresh URL for the same asset (re-fetch the job), or null.
   */
  refreshUrl: ((job: Job, asset: Asset) => Promise<string | null>) | null;
}

export const DEFAULT_SETTINGS: Omit<DownloadSettings, 'root'> = {
  template: DEFAULT_TEMPLATE,
  concurrency: 6,
  perHostConcurrency: 6,
  maxAttempts: 5,
  retryBaseMs: 500,
  privacy: false,
  embedPngText: true,
  writeSidecar: true,
  checksums: false,
  maxBytesPerSecond: null,
  setFileTimes: true,
  fsync: false,
  reserveBytes: 256 * 1024 * 1024,
  lowSpaceBytes: 128 * 1024 * 1024,
  progressIntervalMs: 100,
  sources: [],
  refreshUrl: null,
};

const SPACE_CHECK_BYTES = 64 * 1024 * 1024;
const SPACE_CHECK_MS = 2_000;
const SPACE_RECHECK_MS = 5_000;
const MAX_COLLISIONS = 999;
const SIDECAR_CACHE_MAX = 256;
/** The abort reason for whatever an attempt left open; one object for all (nobody reads it), not a stack trace per file. */
const ATTEMPT_OVER = new Error('The attempt is over.');
const OUTSIDE_FOLDER = 'That folder leads outside the download folder, so it was refused.';
/**
 * Longest a finished file's sidecar entry waits for the rest of its job: a
 * grid's four upscales finishing together share one sidecar write instead of
 * four (each write creates a temp file and renames it: the costliest file
 * system work per download after the data itself). Bounded so that a crash
 * leaves at most this much unlisted, which the sidecar repair restores.
 */
export const SIDECAR_HOLD_MS = 1_000;

type AbortReason = 'pause' | 'cancel' | 'hold';

interface Task {
  snap: FileSnapshot;
  item: DownloadItem;
  force: boolean;
  refreshed: boolean;
  controller: AbortController | null;
  abortReason: AbortReason | null;
  retryTimer: TimerHandle | null;
  host: string;
  meter: SpeedMeter;
  lastEmit: number;
  finalPath: string | null;
  extConfident: boolean;
  ext: string;
  /** The name plan() rendered for `ext` (relative to the root): finish() reuses it while the extension stands. */
  planned: string | null;
  /** claim() just found no .part / .part.json under finalPath: the first attempt need not look again. */
  fresh: boolean;
  /** Its bytes are in; the rename, ledger and sidecar steps are running. */
  finishing: boolean;
  /**
   * A forced re-download of a file the ledger records at this absolute path
   * (inside the folder): it replaces that file in place instead of making a
   * copy next to it. null otherwise.
   */
  replaces: string | null;
  /** claim() took `replaces` because the file was there: the one path the final rename may overwrite. */
  replacing: string | null;
}

interface Batch {
  id: string;
  tasks: Task[];
  resolve(summary: BatchSummary): void;
  settled: boolean;
  /** When it settled (engine clock), for batchCounts. */
  settledAt: number | null;
  /** tasks[0 … finishedUpTo) are all finished (see checkBatch). */
  finishedUpTo: number;
}

/** A settled request stays in batchCounts this long even when newer ones push it out (its final counts reach the window). */
const RECENTLY_SETTLED_MS = 60_000;
/** …but never more than this many requests per state push. */
const MAX_COUNTED_REQUESTS = 100;

/** Why a failure keeps its .part: a later retry resumes it (network trouble, a full disk). */
function keepsPart(f: DownloadFailure): boolean {
  return f.retryable || f.reason === 'disk-full';
}

function completionMs(job: Job): number | null {
  for (const iso of [job.completedAt, job.updatedAt, job.createdAt]) {
    const ms = iso === null ? Number.NaN : Date.parse(iso);
    if (Number.isFinite(ms)) return ms;
  }
  return null;
}

function withSuffix(relative: string, n: number): string {
  if (n <= 1) return relative;
  const slash = relative.lastIndexOf('/');
  const dir = relative.slice(0, slash + 1);
  const name = relative.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const suffix = ` (${n})`;
  // A name already at the length limit gives up the end of its stem, or sanitising would cut the suffix off again.
  const room = Math.min(MAX_SEGMENT_BYTES, MAX_RELATIVE_PATH_BYTES - utf8Length(dir)) - utf8Length(ext) - utf8Length(suffix);
  return `${dir}${utf8Length(stem) > room ? truncateUtf8(stem, Math.max(1, room)) : stem}${suffix}${ext}`;
}

/**
 * What the app's download service uses of an engine: a DownloadEngine, or
 * one running in a worker thread behind the same calls
 * (adapters/remote-engine.ts), which also has `close`.
 */
export type DownloadEngineApi = Pick<
  DownloadEngine,
  'configure' | 'onEvent' | 'isDownloaded' | 'enqueue' | 'retryFailed' | 'batchCounts' | 'snapshot' | 'aggregate' | 'clearFinished' | 'pause' | 'resume' | 'cancel' | 'pauseAll' | 'resumeAll' | 'cancelAll' | 'stop'
> & {
  /** Ends it for good once what it was told is done (a worker thread exits). */
  close?(): Promise<void>;
  /**
   * Resolves once every call made so far has been applied by the engine and
   * the events it emitted meanwhile have arrived here (an engine in another
   * thread answers in order). Absent: calls are applied before they return.
   */
  settled?(timeoutMs?: number): Promise<void>;
  /**
   * Blocks the calling thread until transfers are paused and pending records
   * written (bounded), for an end of session with no event-loop turn left.
   * Only an engine in another thread can do this; see RemoteEngine.haltNow.
   */
  haltNow?(timeoutMs?: number): boolean;
};

export class DownloadEngine {
  private enqueueing: Promise<unknown> = Promise.resolve();
  private settings: DownloadSettings;
  private readonly logger: Logger;
  private tasks: Task[] = [];
  private readonly batches = new Map<string, Batch>();
  private readonly listeners = new Set<(event: DownloadEvent) => void>();
  private readonly hostActive = new Map<string, number>();
  /** Final paths chosen by live tasks (lower-cased: case-insensitive volumes collide too). */
  private readonly reserved = new Set<string>();
  private readonly sidecarLocks = new Map<string, Promise<void>>();
  /** Sidecar entries waiting for the next write of their file: files finishing together share one write. */
  private readonly sidecarPending = new Map<string, SidecarFile[]>();
  /** Entries rebuilt from the ledger: added to a sidecar only where it does not list that asset already. */
  private readonly repairEntries = new WeakSet<SidecarFile>();
  /** Folders already created and checked to be inside the root (saves syscalls per file). */
  private readonly checkedDirs = new Set<string>();
  /** The files list of sidecars this engine wrote last (saves reading them back for the next merge). */
  private readonly sidecarCache = new Map<string, SidecarFile[]>();
  /** Sidecar entries held back while other files of their job are still queued or running (see SIDECAR_HOLD_MS). */
  private readonly sidecarHeld = new Map<string, { job: Job; dir: string; files: SidecarFile[]; when: number | null; timer: TimerHandle }>();
  /** Background fsyncs of big .part files: at most this many at once (they hold thread-pool threads). */
  private readonly syncGate: SyncGate = { active: 0, max: 2 };
  private active = 0;
  /** stop() was called: nothing new starts. */
  private stopping = false;
  /** The attempts under way (see stop()). */
  private readonly runs = new Set<Promise<void>>();
  private nextId = 1;
  private allPaused = false;
  private lowSpace = false;
  private spaceCheck: { bytes: number; at: number; running: boolean; timer: TimerHandle | null } = { bytes: 0, at: 0, running: false, timer: null };
  private lastAggregate = 0;
  private aggregateTimer: TimerHandle | null = null;
  /** tasks[0 … pumpFrom) are all finished (see pump). */
  private pumpFrom = 0;
  /** The tasks of each job (by Job.key), for the sidecar hold's "other files of this job" (no scan of every task). */
  private readonly tasksByJob = new Map<string, Task[]>();
  private readonly aggregateMeter = new SpeedMeter();
  private finishedBytes = 0;
  private readonly limiter: RateLimiter;

  private constructor(
    private readonly deps: DownloadDeps,
    settings: DownloadSettings,
    private readonly ledger: DownloadLedger,
    private readonly rootReal: string,
  ) {
    this.settings = settings;
    this.logger = deps.logger ?? silentLogger;
    this.limiter = new RateLimiter(deps.clock, settings.maxBytesPerSecond);
    ledger.onChange = (key, downloaded) => this.emit({ type: 'ledger', key, downloaded });
  }

  /** Creates the root if needed and loads its ledger. */
  static async create(deps: DownloadDeps, settings: Partial<DownloadSettings> & { root: string }): Promise<Result<DownloadEngine>> {
    const full: DownloadSettings = { ...DEFAULT_SETTINGS, ...settings };
    const template = validateTemplate(full.template);
    if (!template.ok) return template;
    if (!/^([A-Za-z]:)?[/\\]/.test(full.root)) return err('invalid-input', 'The download folder must be an absolute path.');
    try {
      await deps.fs.mkdirp(full.root);
      const rootReal = await deps.fs.realpath(full.root);
      const ledger = await DownloadLedger.open(deps.fs, full.root);
      ledger.sync = full.fsync;
      return ok(new DownloadEngine(deps, full, ledger, rootReal));
    } catch (e) {
      return { ok: false, error: diskFailure(e).error };
    }
  }

  get root(): string {
    return this.settings.root;
  }

  /** Changes everything but the root (a new root needs a new engine: the ledger lives in it). */
  configure(patch: Partial<Omit<DownloadSettings, 'root'>>): Result<void> {
    if (patch.template !== undefined) {
      const v = validateTemplate(patch.template);
      if (!v.ok) return v;
    }
    this.settings = { ...this.settings, ...patch };
    this.ledger.sync = this.settings.fsync;
    if (this.limiter.rate !== this.settings.maxBytesPerSecond) this.limiter.setRate(this.settings.maxBytesPerSecond);
    this.pump();
    return ok(undefined);
  }

  onEvent(listener: (event: DownloadEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  ledgerEntries(): LedgerEntry[] {
    return this.ledger.all();
  }

  /** The ledger key (ledgerKeyFor) of every asset isDownloaded() is true for. */
  downloadedKeys(): string[] {
    return this.ledger.keys();
  }

  /** Whether this asset was downloaded before (per the ledger), whatever is on disk now. */
  isDownloaded(job: Job, asset: Asset): boolean {
    return this.ledger.get(ledgerKeyFor(job, asset)) !== undefined;
  }

  /**
   * Queues assets. Ledger hits are skipped (unless `force`), refused URLs fail
   * at once, and the batch is refused when the known sizes do not fit in the
   * free space (plus `reserveBytes`).
   */
  enqueue(items: readonly DownloadItem[], options: EnqueueOptions = {}): Promise<Result<BatchHandle>> {
    // One at a time: an enqueue awaits the disk (ledger checks, free space) before its tasks are listed, and
    // two overlapping ones (an auto-download and a click) would each see the other's assets as not queued yet.
    const run = this.enqueueing.then(() => this.enqueueNow(items, options));
    this.enqueueing = run.catch(() => undefined);
    return run;
  }

  private async enqueueNow(items: readonly DownloadItem[], options: EnqueueOptions): Promise<Result<BatchHandle>> {
    const batchId = `${this.deps.idPrefix ?? ''}b${this.nextId++}`;
    const force = options.force === true;
    const tasks: Task[] = [];
    const onDiskAlready: Array<{ job: Job; asset: Asset; entry: LedgerEntry }> = [];
    const live = new Set(this.tasks.filter((t) => !isFinished(t.snap.state)).map((t) => ledgerKeyFor(t.item.job, t.item.asset)));
    const seen = new Set<string>();
    let neededBytes = 0;
    let toFetch = 0;
    for (const item of items) {
      const key = ledgerKeyFor(item.job, item.asset);
      if (seen.has(key) || live.has(key)) continue; // already queued: one download per asset
      seen.add(key);
      const task = this.newTask(batchId, item, force);
      const recorded = this.ledger.get(key);
      let entry = force ? undefined : recorded;
      if (force && recorded !== undefined) task.replaces = await this.ledgerPathInside(recorded.path);
      const onDisk = entry === undefined ? null : await this.deps.fs.stat(`${this.rootDir()}/${entry.path}`).catch(() => null);
      if (entry !== undefined && onDisk !== null && onDisk.isFile && onDisk.size === 0 && entry.size > 0) {
        // Empty where the ledger recorded bytes: what a power cut does to a file whose data never
        // reached the disk (fsync off). Nobody empties a picture on purpose: fetch it again in its place.
        const inside = await this.ledgerPathInside(entry.path);
        if (inside !== null) {
          this.logger.warn('a downloaded file is empty on disk: downloading it again', { job: item.job.id, path: entry.path });
          // Out of the ledger first (flushed to disk): should the new download fail, it is retried like any
          // other, never "deleted by you". The file goes only if that worked and it is still empty.
          const forgotten = await this.ledger.forget(entry).then(
            () => true,
            (e: unknown) => (this.logger.warn('could not write the ledger', { error: String(e) }), false),
          );
          if (forgotten) {
            if ((await this.deps.fs.stat(inside).catch(() => null))?.size === 0) await this.deps.fs.unlink(inside).catch(() => undefined);
            entry = undefined;
          }
        }
      }
      if (entry !== undefined) {
        task.snap.state = 'skipped';
        task.snap.skipReason = onDisk === null ? 'deleted-by-user' : 'already-downloaded';
        if (onDisk !== null) onDiskAlready.push({ job: item.job, asset: item.asset, entry });
        task.snap.path = entry.path;
        task.snap.bytes = entry.size;
        task.snap.total = entry.size;
      } else if (!isAllowedDownloadUrl(item.asset.url)) {
        task.snap.state = 'failed';
        task.snap.failure = failure('url-refused', 'Only https links (or http to this computer) are downloaded; this one was refused.');
      } else {
        neededBytes += item.asset.size ?? 0;
        toFetch++;
      }
      tasks.push(task);
    }
    const free = toFetch === 0 ? null : await this.deps.fs.freeBytes(this.settings.root).catch(() => null);
    // Sizes are mostly unknown before the download (Apiframe gives none): then at least the reserve must be free.
    if (free !== null && neededBytes + this.settings.reserveBytes > free) {
      const mb = (n: number): string => `${Math.ceil(n / (1024 * 1024))} MB`;
      return err(
        'invalid-input',
        neededBytes > 0
          ? `Not enough free space in the download folder: ${mb(neededBytes + this.settings.reserveBytes)} needed, ${mb(free)} free.`
          : `Not enough free space in the download folder: ${mb(free)} free, and genwatch leaves at least ${mb(this.settings.reserveBytes)} free for your system.`,
      );
    }
    if (options.retryOf !== undefined) {
      // The failed rows of the request being retried make way for the new ones (one row per file; `seen` holds their keys).
      const replaced = new Set((this.batches.get(options.retryOf)?.tasks ?? []).filter((t) => t.snap.state === 'failed' && seen.has(ledgerKeyFor(t.item.job, t.item.asset))));
      if (replaced.size > 0) {
        this.dropTasks(replaced);
        this.emit({ type: 'removed', ids: [...replaced].map((t) => t.snap.id) });
      }
    }
    let resolve: (s: BatchSummary) => void = () => undefined;
    const done = new Promise<BatchSummary>((r) => (resolve = r));
    const batch: Batch = { id: batchId, tasks, resolve, settled: false, settledAt: null, finishedUpTo: 0 };
    this.batches.set(batchId, batch);
    for (const task of tasks) {
      if (task.snap.state === 'queued' && this.allPaused) task.snap.state = 'paused';
      this.tasks.push(task);
      const ofJob = this.tasksByJob.get(task.snap.jobKey);
      if (ofJob === undefined) this.tasksByJob.set(task.snap.jobKey, [task]);
      else ofJob.push(task);
      this.emitFile(task, true);
    }
    this.checkBatch(batch);
    this.pump();
    this.emitAggregate(true);
    if (this.settings.writeSidecar && onDiskAlready.length > 0) {
      void this.repairSidecars(onDiskAlready).catch((e: unknown) => this.logger.warn('could not repair sidecars', { error: String(e) }));
    }
    return ok({ batchId, files: tasks.map((t) => ({ ...t.snap })), done });
  }

  /**
   * Per request, its files by outcome, newest last: the newest `limit`
   * requests, and older ones still running or settled within the last
   * minute (automatic downloads make a request per job; a bulk run the
   * window follows must not drop out of the counts before it ends).
   */
  batchCounts(limit = 20): BatchCounts[] {
    const now = this.deps.clock.now();
    const all = [...this.batches.values()];
    return all
      .filter((b, i) => i >= all.length - limit || !b.settled || now - (b.settledAt ?? 0) < RECENTLY_SETTLED_MS)
      .slice(-MAX_COUNTED_REQUESTS)
      .map((batch) => tallyBatch(batch.id, batch.tasks.map((t) => t.snap.state)));
  }

  /** The failed items of a batch, for "retry failed". */
  failures(batchId: string): DownloadItem[] {
    return (this.batches.get(batchId)?.tasks ?? []).filter((t) => t.snap.state === 'failed').map((t) => t.item);
  }

  retryFailed(batchId: string, options: EnqueueOptions = {}): Promise<Result<BatchHandle>> {
    return this.enqueue(this.failures(batchId), { ...options, retryOf: batchId });
  }

  snapshot(): FileSnapshot[] {
    return this.tasks.map((t) => ({ ...t.snap }));
  }

  /**
   * Drops done, skipped and cancelled files of settled requests from
   * `snapshot()` (the ledger keeps the record). Failed ones stay, with their
   * retry, until a retry replaces them.
   */
  clearFinished(): void {
    const gone = new Set(this.tasks.filter((t) => isFinished(t.snap.state) && t.snap.state !== 'failed' && this.batches.get(t.snap.batchId)?.settled === true));
    for (const t of gone) if (t.snap.state === 'done') this.finishedBytes -= t.snap.bytes;
    this.dropTasks(gone);
  }

  /** Takes tasks off the list (and out of the totals). */
  private dropTasks(gone: ReadonlySet<Task>): void {
    if (gone.size === 0) return;
    this.pumpFrom = 0;
    this.tasks = this.tasks.filter((t) => !gone.has(t));
    for (const [key, ofJob] of this.tasksByJob) {
      const kept = ofJob.filter((t) => !gone.has(t));
      if (kept.length === 0) this.tasksByJob.delete(key);
      else if (kept.length !== ofJob.length) this.tasksByJob.set(key, kept);
    }
  }

  pause(id: string): boolean {
    const task = this.find(id);
    // Finishing (all bytes in, being renamed and recorded): too late to stop, and saying so.
    if (task === undefined || isFinished(task.snap.state) || task.snap.state === 'paused' || task.finishing) return false;
    this.stopTask(task, 'pause');
    return true;
  }

  resume(id: string): boolean {
    const task = this.find(id);
    if (task === undefined) return false;
    if (this.unpauseWindingDown(task)) return true;
    if (task.snap.state !== 'paused') return false;
    this.setState(task, 'queued');
    this.pump();
    return true;
  }

  /**
   * A pause still winding down (its transfer has not stopped yet) is turned
   * into a plain stop: the file settles as queued and goes on, instead of
   * settling as paused after the resume came.
   */
  private unpauseWindingDown(task: Task): boolean {
    if (task.snap.state !== 'active' || task.abortReason !== 'pause') return false;
    task.abortReason = 'hold';
    return true;
  }

  /** Cancels a file: its .part is deleted and nothing is saved. */
  cancel(id: string): boolean {
    const task = this.find(id);
    if (task === undefined || isFinished(task.snap.state) || task.finishing) return false;
    this.stopTask(task, 'cancel');
    return true;
  }

  pauseAll(): void {
    this.allPaused = true;
    for (const t of this.tasks) if (!isFinished(t.snap.state) && t.snap.state !== 'paused') this.stopTask(t, 'pause');
  }

  /**
   * For a quit: pauses everything (each .part keeps its validator, so the
   * next start resumes it), then waits, at most `timeoutMs`, for the
   * attempts to wind down and for what is pending to be written: held
   * sidecar entries and ledger lines.
   */
  async stop(timeoutMs = 3_000): Promise<void> {
    this.stopping = true;
    this.pauseAll();
    const within = async (ms: number, work: Promise<unknown>): Promise<void> => {
      let timer: TimerHandle | null = null;
      await Promise.race([work, new Promise<void>((done) => (timer = this.deps.clock.setTimeout(done, ms)))]);
      if (timer !== null) this.deps.clock.clearTimeout(timer);
    };
    const started = this.deps.clock.now();
    // Attempts get most of the time; what is pending is written whatever they did.
    await within(timeoutMs * 0.7, (async () => {
      while (this.runs.size > 0) await Promise.all([...this.runs]);
    })());
    await within(Math.max(200, timeoutMs - (this.deps.clock.now() - started)), (async () => {
      await this.flushSidecars();
      await this.ledger.whenIdle();
    })());
  }

  resumeAll(): void {
    this.allPaused = false;
    for (const t of this.tasks) if (!this.unpauseWindingDown(t) && t.snap.state === 'paused') this.setState(t, 'queued');
    this.pump();
  }

  cancelAll(): void {
    for (const t of this.tasks) if (!isFinished(t.snap.state)) this.stopTask(t, 'cancel');
  }

  aggregate(): AggregateProgress {
    const files = { ...EMPTY_AGGREGATE.files };
    let bytes = this.finishedBytes;
    let totalBytes = this.finishedBytes;
    // What is still to come, for the ETA: unknown while a coming file's size is, and paused files wait for the user.
    let remaining: number | null = 0;
    for (const t of this.tasks) {
      const s = t.snap.state;
      countFile(files, s);
      if (isFinished(s)) continue;
      bytes += t.snap.bytes;
      totalBytes += t.snap.total ?? t.snap.bytes;
      if (s === 'paused' || remaining === null) continue;
      remaining = t.snap.total === null ? null : remaining + Math.max(0, t.snap.total - t.snap.bytes);
    }
    const now = this.deps.clock.now();
    const speed = this.aggregateMeter.speed(now);
    return { files, bytes, totalBytes, speed, etaMs: remaining === null ? null : etaMs(remaining, speed), hold: this.lowSpace ? 'low-space' : null };
  }

  // ── internals ────────────────────────────────────────────────────────────

  private newTask(batchId: string, item: DownloadItem, force: boolean): Task {
    const { ext, confident } = inferExtension(item.asset);
    return {
      snap: {
        id: `${batchId}:${this.nextId++}`,
        batchId,
        jobKey: item.job.key,
        provider: item.job.provider,
        accountId: item.job.accountId,
        jobId: item.job.id,
        assetKey: assetKeyOf(item.asset),
        kind: item.asset.kind,
        url: item.asset.url,
        state: 'queued',
        bytes: 0,
        total: item.asset.size,
        speed: 0,
        etaMs: null,
        path: null,
        attempts: 0,
        failure: null,
        skipReason: null,
      },
      item,
      force,
      refreshed: false,
      controller: null,
      abortReason: null,
      retryTimer: null,
      host: '',
      meter: new SpeedMeter(),
      lastEmit: 0,
      finalPath: null,
      extConfident: confident,
      ext,
      planned: null,
      fresh: false,
      finishing: false,
      replaces: null,
      replacing: null,
    };
  }

  private find(id: string): Task | undefined {
    return this.tasks.find((t) => t.snap.id === id);
  }

  private emit(event: DownloadEvent): void {
    notifyAll(this.listeners, event, this.logger);
  }

  private emitFile(task: Task, force: boolean): void {
    const now = this.deps.clock.now();
    if (!force && now - task.lastEmit < this.settings.progressIntervalMs) return;
    task.lastEmit = now;
    this.emit({ type: 'file', file: { ...task.snap } });
  }

  /**
   * At most one 'aggregate' event per progressIntervalMs (aggregate() walks
   * every file: once per state change made big batches quadratic). A state
   * change inside the interval still gets a trailing event at its end.
   */
  private emitAggregate(force: boolean): void {
    const now = this.deps.clock.now();
    const wait = this.lastAggregate + this.settings.progressIntervalMs - now;
    if (wait <= 0) {
      // A trailing event still pending (its timer came late, after this call's I/O) would repeat this one at once.
      if (this.aggregateTimer !== null) {
        this.deps.clock.clearTimeout(this.aggregateTimer);
        this.aggregateTimer = null;
      }
      this.lastAggregate = now;
      this.emit({ type: 'aggregate', progress: this.aggregate() });
    } else if (force && this.aggregateTimer === null) {
      this.aggregateTimer = this.deps.clock.setTimeout(() => {
        this.aggregateTimer = null;
        // Unconditionally: timers and Date.now() are different clocks, and a timer that fires "1 ms early"
        // must not drop the trailing event (whoever mirrors the engine from its events would keep stale totals).
        this.lastAggregate = this.deps.clock.now();
        this.emit({ type: 'aggregate', progress: this.aggregate() });
      }, wait);
    }
  }

  private setState(task: Task, state: FileState): void {
    task.snap.state = state;
    if (state !== 'active') {
      task.snap.speed = 0;
      task.snap.etaMs = null;
      task.meter.reset();
    }
    if (state === 'done') this.finishedBytes += task.snap.bytes;
    if (state !== 'active' && state !== 'queued' && this.sidecarHeld.size > 0) this.releaseSidecarsOf(task);
    this.emitFile(task, true);
    this.emitAggregate(true);
    const batch = this.batches.get(task.snap.batchId);
    if (batch !== undefined && isFinished(state)) this.checkBatch(batch);
  }

  private checkBatch(batch: Batch): void {
    if (batch.settled) return;
    // Finished states are final, so the finished prefix only grows: each file is looked at once, not per change.
    while (batch.finishedUpTo < batch.tasks.length && isFinished((batch.tasks[batch.finishedUpTo] as Task).snap.state)) batch.finishedUpTo++;
    if (batch.finishedUpTo < batch.tasks.length) return;
    batch.settled = true;
    batch.settledAt = this.deps.clock.now();
    const summary = summariseBatch(batch.id, batch.tasks.map((t) => t.snap));
    // Every sidecar entry held back for this batch's jobs is written before anyone hears it is over.
    void this.flushSidecars().then(() => {
      batch.resolve(summary);
      this.emit({ type: 'batch-done', summary });
    });
  }

  private stopTask(task: Task, reason: AbortReason): void {
    if (task.retryTimer !== null) {
      this.deps.clock.clearTimeout(task.retryTimer);
      task.retryTimer = null;
    }
    // All its bytes are in and it is being renamed and recorded: too late to stop, it is done in a moment.
    if (task.finishing) return;
    if (task.snap.state === 'active' && task.controller !== null) {
      // The running attempt notices the abort and settles the state. A cancel is never turned back into a
      // pause, nor a pause into a hold (low disk space): a file the user paused stays paused when space returns.
      if (task.abortReason === 'cancel' || (task.abortReason === 'pause' && reason === 'hold')) return;
      task.abortReason = reason;
      task.controller.abort(new Error(`download ${reason}`));
      return;
    }
    if (reason === 'cancel') {
      void this.discardPart(task).finally(() => this.setState(task, 'cancelled'));
      task.snap.state = 'cancelled';
    } else if (reason === 'pause') this.setState(task, 'paused');
  }

  private pump(): void {
    if (this.lowSpace || this.stopping) return;
    // Finished states are final: the finished files at the front never need looking at again.
    while (this.pumpFrom < this.tasks.length && isFinished((this.tasks[this.pumpFrom] as Task).snap.state)) this.pumpFrom++;
    for (let i = this.pumpFrom; i < this.tasks.length; i++) {
      const task = this.tasks[i] as Task;
      if (this.active >= this.settings.concurrency) return;
      if (task.snap.state !== 'queued') continue;
      const host = hostOf(task.snap.url);
      if ((this.hostActive.get(host) ?? 0) >= this.settings.perHostConcurrency) continue;
      this.active++;
      this.ledger.hold(true);
      this.hostActive.set(host, (this.hostActive.get(host) ?? 0) + 1);
      task.host = host;
      task.snap.state = 'active';
      const running: Promise<void> = this.run(task).finally(() => {
        this.runs.delete(running);
        this.active--;
        const n = (this.hostActive.get(host) ?? 1) - 1;
        if (n <= 0) this.hostActive.delete(host);
        else this.hostActive.set(host, n);
        this.pump();
        if (this.active === 0) this.ledger.hold(false);
      });
      this.runs.add(running);
    }
  }

  private async run(task: Task): Promise<void> {
    const controller = new AbortController();
    task.controller = controller;
    task.abortReason = null;
    task.snap.attempts++;
    this.emitFile(task, true);
    let outcome: { ok: true; result: TransferResult } | { ok: false; failure: DownloadFailure } | { ok: 'aborted' };
    try {
      if (task.finalPath === null) {
        const adopted = await this.plan(task);
        if (adopted !== null) {
          task.controller = null;
          await this.adopt(task, adopted);
          return;
        }
      }
      const target = this.target(task);
      target.fresh = task.fresh;
      task.fresh = false;
      const result = await transfer(this.transferDeps(task, controller.signal), target);
      // Cancelled while the last bytes were arriving (the answer was already on its way): still cancelled.
      outcome = controller.signal.aborted && task.abortReason === 'cancel' ? { ok: 'aborted' } : { ok: true, result };
    } catch (e) {
      if (controller.signal.aborted) outcome = { ok: 'aborted' };
      else if (e instanceof TransferError) {
        outcome = { ok: false, failure: e.failure };
        if (e.detail !== undefined) this.logger.info('download attempt failed', { job: task.snap.jobId, asset: task.snap.assetKey, reason: e.failure.reason, detail: e.detail });
      }
      else outcome = { ok: false, failure: failure('filesystem', `The download failed unexpectedly (${e instanceof Error ? e.message : String(e)}).`) };
    }
    task.controller = null;
    // Whatever the attempt left open (a response it never read to its end, after a failure) is torn down.
    if (!controller.signal.aborted) controller.abort(ATTEMPT_OVER);
    if (outcome.ok === true) {
      task.finishing = true;
      try {
        await this.finish(task, outcome.result);
        task.finishing = false;
        this.setState(task, 'done');
      } catch (e) {
        task.finishing = false;
        const f = e instanceof TransferError ? e.failure : diskFailure(e);
        await this.fail(task, f);
      }
      return;
    }
    if (outcome.ok === 'aborted') {
      const reason = task.abortReason;
      task.abortReason = null;
      if (reason === 'cancel') {
        await this.discardPart(task);
        this.setState(task, 'cancelled');
      } else if (reason === 'pause') this.setState(task, 'paused');
      else this.setState(task, 'queued');
      return;
    }
    const f = outcome.failure;
    if (f.reason === 'expired' && !task.refreshed && this.settings.refreshUrl !== null) {
      task.refreshed = true;
      const fresh = await this.settings.refreshUrl(task.item.job, task.item.asset).catch(() => null);
      if (task.snap.state !== 'active') return; // paused or cancelled meanwhile: that stands
      if (fresh !== null && isAllowedDownloadUrl(fresh)) {
        this.logger.info('download URL refreshed', { job: task.snap.jobId, asset: task.snap.assetKey });
        task.snap.url = fresh;
        task.snap.attempts = Math.max(0, task.snap.attempts - 1);
        this.setState(task, 'queued');
        return;
      }
    }
    if (f.reason === 'disk-full') void this.checkSpace(true);
    if (f.retryable && task.snap.attempts < this.settings.maxAttempts) {
      task.snap.failure = f;
      this.setState(task, 'retrying');
      const delay = backoffDelay(this.settings.retryBaseMs, task.snap.attempts - 1, this.deps.random);
      task.retryTimer = this.deps.clock.setTimeout(() => {
        task.retryTimer = null;
        if (task.snap.state === 'retrying') {
          this.setState(task, 'queued');
          this.pump();
        }
      }, delay);
      return;
    }
    await this.fail(task, f);
  }

  private async fail(task: Task, f: DownloadFailure): Promise<void> {
    task.snap.failure = f;
    if (!keepsPart(f)) await this.discardPart(task);
    this.release(task);
    this.logger.warn('download failed', { job: task.snap.jobId, asset: task.snap.assetKey, reason: f.reason });
    this.setState(task, 'failed');
  }

  private async discardPart(task: Task): Promise<void> {
    if (task.finalPath !== null) {
      await this.deps.fs.unlink(`${task.finalPath}.part`).catch(() => undefined);
      await this.deps.fs.unlink(`${task.finalPath}.part.json`).catch(() => undefined);
      await this.deps.fs.unlink(`${task.finalPath}.part.xmp`).catch(() => undefined); // a metadata edit cut short
    }
    this.release(task);
  }

  private release(task: Task): void {
    if (task.finalPath !== null) this.reserved.delete(task.finalPath.toLowerCase());
  }

  private target(task: Task): TransferTarget {
    const finalPath = task.finalPath ?? '';
    return { key: ledgerKeyFor(task.item.job, task.item.asset), url: task.snap.url, partPath: `${finalPath}.part`, metaPath: `${finalPath}.part.json`, expected: expectedMedia(task.item.asset.kind) };
  }

  private logRestart(task: Task, why: string): void {
    this.logger.info('download restarted from zero', { job: task.snap.jobId, asset: task.snap.assetKey, why });
  }

  private transferDeps(task: Task, signal: AbortSignal): Parameters<typeof transfer>[0] {
    return {
      http: this.deps.http,
      fs: this.deps.fs,
      hasher: this.hasher(),
      sources: this.settings.sources,
      fsync: this.settings.fsync,
      syncGate: this.syncGate,
      throttle: (bytes) => this.limiter.take(bytes),
      signal,
      onBytes: (bytes, total) => this.progress(task, bytes, total),
      onRestart: (why) => this.logRestart(task, why),
      now: () => this.deps.clock.now(),
      remakeFolder: () => this.ensureFolder(parentOf(task.finalPath ?? ''), true),
    };
  }

  private progress(task: Task, bytes: number, total: number | null): void {
    const now = this.deps.clock.now();
    const delta = bytes - task.snap.bytes;
    task.snap.bytes = bytes;
    task.snap.total = total ?? task.snap.total;
    task.meter.add(now, bytes);
    task.snap.speed = task.meter.speed(now);
    task.snap.etaMs = etaMs(task.snap.total === null ? null : task.snap.total - bytes, task.snap.speed);
    if (delta > 0) {
      this.aggregateBytes += delta;
      this.aggregateMeter.add(now, this.aggregateBytes);
      this.spaceCheck.bytes += delta;
      if (this.spaceCheck.bytes >= SPACE_CHECK_BYTES || now - this.spaceCheck.at >= SPACE_CHECK_MS) void this.checkSpace(false);
    }
    this.emitFile(task, false);
    this.emitAggregate(false);
  }

  private aggregateBytes = 0;

  /** Holds every download while free space is below `lowSpaceBytes`; rechecks until it recovers. */
  private async checkSpace(force: boolean): Promise<void> {
    if (this.spaceCheck.running && !force) return;
    this.spaceCheck.running = true;
    this.spaceCheck.bytes = 0;
    this.spaceCheck.at = this.deps.clock.now();
    try {
      const free = await this.deps.fs.freeBytes(this.settings.root).catch(() => null);
      if (free === null) return;
      const threshold = this.settings.lowSpaceBytes;
      if (!this.lowSpace && free < threshold) {
        this.lowSpace = true;
        this.emit({ type: 'space', state: 'low', freeBytes: free });
        for (const t of this.tasks) if (t.snap.state === 'active') this.stopTask(t, 'hold');
        this.emitAggregate(true);
      } else if (this.lowSpace && free >= threshold * 1.5) {
        this.lowSpace = false;
        this.emit({ type: 'space', state: 'ok', freeBytes: free });
        this.emitAggregate(true);
        this.pump();
      }
      if (this.lowSpace && this.spaceCheck.timer === null) {
        this.spaceCheck.timer = this.deps.clock.setTimeout(() => {
          this.spaceCheck.timer = null;
          void this.checkSpace(true);
        }, SPACE_RECHECK_MS);
      }
    } finally {
      this.spaceCheck.running = false;
    }
  }

  /** Chooses the final path: template → sanitised → inside the root → first free name (or the one whose .part is ours). */
  private async plan(task: Task): Promise<LedgerEntry | null> {
    const rendered = renderName(this.settings.template, task.item.job, task.item.asset, task.ext);
    if (!rendered.ok) throw new TransferError(failure('name-refused', rendered.error.message));
    task.planned = rendered.value;
    const key = ledgerKeyFor(task.item.job, task.item.asset);
    const claimed = await this.claim(rendered.value, key, task, task.item.job);
    if (typeof claimed !== 'string') return claimed;
    task.finalPath = claimed;
    task.snap.path = task.finalPath.slice(this.rootDir().length + 1);
    return null;
  }

  /**
   * The ledger misses this asset but its own name is taken: if the job's
   * sidecar lists that very file for this asset, with the same size and
   * sha256, it is ours — finished just before a crash that lost its ledger
   * line (lines are group-committed after the rename). Re-recorded, not
   * fetched again. Listed but empty on disk ('emptied'): a power cut took
   * its bytes; the empty file is removed so the name can be downloaded into.
   */
  private async ownFinishedFile(task: Task, path: string, size: number): Promise<LedgerEntry | 'emptied' | null> {
    if (task.force) return null;
    const job = task.item.job;
    const asset = task.item.asset;
    const listed = filesOf(await this.readSidecar(sidecarPathOf(parentOf(path), job)));
    if (!Array.isArray(listed)) return null;
    const name = baseNameOf(path);
    const f = (listed as Array<Partial<SidecarFile> | null>).find((x) => x !== null && typeof x === 'object' && x.kind === asset.kind && x.index === asset.index && x.file === name);
    if (f === undefined || f === null) return null;
    if (size === 0 && typeof f.size === 'number' && f.size > 0) {
      // Ours (the sidecar lists this name for this asset) but empty: a power cut took its bytes and
      // its ledger line. The name is ours to download it into again.
      this.logger.warn('a downloaded file is empty on disk: downloading it again', { job: job.id, path });
      await this.deps.fs.unlink(path);
      return 'emptied';
    }
    if (f.size !== size) return null;
    const relative = path.slice(this.rootDir().length + 1);
    const entry: LedgerEntry = { provider: job.provider, account: job.accountId, jobId: job.id, assetKey: assetKeyOf(asset), path: relative, size, at: new Date(this.deps.clock.now()).toISOString() };
    // With a checksum on record the bytes must match it too; without one, the sidecar's own
    // listing of this very name, asset and size is the proof (a stranger's file would need all three).
    if (typeof f.sha256 === 'string' && f.sha256 !== '') {
      const h = this.deps.hasher();
      let hashed = 0;
      try {
        for await (const chunk of this.deps.fs.readChunks(path, 0)) {
          h.update(chunk);
          hashed += chunk.length;
        }
      } catch {
        return null;
      }
      if (hashed !== size || h.digest() !== f.sha256) return null;
      entry.sha256 = f.sha256;
    }
    return entry;
  }

  private async adopt(task: Task, entry: LedgerEntry): Promise<void> {
    this.logger.info('download already on disk (ledger line restored from the sidecar)', { job: task.snap.jobId, asset: task.snap.assetKey });
    await this.ledger.record(entry).catch((e: unknown) => this.logger.warn('could not write the ledger', { error: String(e) }));
    task.snap.path = entry.path;
    task.snap.bytes = entry.size;
    task.snap.total = entry.size;
    task.snap.skipReason = 'already-downloaded';
    this.setState(task, 'skipped');
  }

  private async claim(relative: string, key: string, adoptFor: Task | null, job: Job): Promise<string | LedgerEntry> {
    const fs = this.deps.fs;
    for (let n = 1; n <= MAX_COLLISIONS; n++) {
      const joined = joinInsideRoot(this.settings.root, withSuffix(relative, n));
      if (!joined.ok) throw new TransferError(failure('name-refused', joined.error.message));
      const path = joined.value.path;
      const lower = path.toLowerCase();
      if (this.reserved.has(lower)) continue;
      const dir = parentOf(path);
      // The job's sidecar goes by this name ({jobId}.{ext} for a .json asset): the file takes the next one.
      if (sidecarPathOf(dir, job).toLowerCase() === lower) continue;
      // Reserved before the first await, so concurrent tasks never pick the same name.
      this.reserved.add(lower);
      try {
        await this.ensureFolder(dir);
        // One round trip: the three lookups run together.
        const [meta, file, part] = await Promise.all([readPartMeta(fs, `${path}.part.json`), fs.stat(path), fs.stat(`${path}.part`)]);
        // A forced re-download of the ledger's own file for this asset, which is there: it takes its place at the end.
        const replacesHere = adoptFor !== null && adoptFor.replaces?.toLowerCase() === lower && file?.isFile === true;
        if (meta !== null && meta.key === key) {
          // Our own unfinished download: resume it.
          if (replacesHere) adoptFor.replacing = path;
          return path;
        }
        if (replacesHere && meta === null) {
          adoptFor.fresh = part === null;
          adoptFor.replacing = path;
          return path;
        }
        if (file === null && meta === null && (part === null || adoptFor !== null)) {
          // Free, or a .part left without its validator (a crash before it was written, see transfer.ts):
          // nobody can resume that one, so it is ours to restart from zero (transfer() deletes it first).
          if (adoptFor !== null) adoptFor.fresh = part === null;
          return path;
        }
        if (n === 1 && adoptFor !== null && file !== null && file.isFile && part === null && meta === null) {
          const own = await this.ownFinishedFile(adoptFor, path, file.size);
          if (own === 'emptied') {
            adoptFor.fresh = true;
            return path;
          }
          if (own !== null) {
            this.reserved.delete(lower);
            return own;
          }
        }
      } catch (e) {
        this.reserved.delete(lower);
        if (e instanceof TransferError) throw e;
        throw new TransferError(diskFailure(e));
      }
      this.reserved.delete(lower);
    }
    throw new TransferError(failure('name-refused', 'Too many files already have this name.'));
  }

  /**
   * Makes `dir` (inside the root) if missing. A symlinked folder inside the
   * root could point anywhere: where it really is gets checked, first the
   * part that exists already (making the rest through a link would create
   * folders outside), then the whole. A folder made or checked earlier in
   * the run costs one lookup: where it really is now (it may have been
   * swapped for a link, or deleted, since); `again` checks it in full.
   */
  private async ensureFolder(dir: string, again = false): Promise<void> {
    const fs = this.deps.fs;
    if (!again && this.checkedDirs.has(dir)) {
      const real = await fs.realpath(dir).catch(() => null);
      if (real !== null && isInsideRoot(this.rootReal, real)) return;
    }
    this.checkedDirs.delete(dir);
    const rootLength = this.settings.root.length;
    let existing = dir;
    while (existing.length > rootLength && (await fs.stat(existing)) === null) existing = parentOf(existing);
    // Down to the root: checked too while it exists (it may have become a link); deleted, it is simply made again.
    const check = existing.length > rootLength || (await fs.stat(existing)) !== null;
    if (check && !isInsideRoot(this.rootReal, await fs.realpath(existing))) throw new TransferError(failure('name-refused', OUTSIDE_FOLDER));
    await fs.mkdirp(dir);
    if (!isInsideRoot(this.rootReal, await fs.realpath(dir))) throw new TransferError(failure('name-refused', OUTSIDE_FOLDER));
    this.checkedDirs.add(dir);
  }

  private async claimPath(relative: string, key: string, job: Job): Promise<string> {
    const claimed = await this.claim(relative, key, null, job);
    if (typeof claimed !== 'string') throw new TransferError(failure('filesystem', 'Unexpected claim result.'));
    return claimed;
  }

  /**
   * Prompt and ids into the finished .part, by what its bytes are (not its
   * name): PNG text chunks before IEND (in place: only the trailer is
   * touched); XMP for JPEG and WebP (a header edit, streamed into
   * `<part>.xmp` and renamed over the .part). Returns the new size and
   * sha256, or null when the file was left alone.
   */
  private async embedMetadata(partPath: string, size: number, job: Job, sourceUrl: string, known: Uint8Array | undefined): Promise<{ size: number; sha256: string } | null> {
    const fs = this.deps.fs;
    // The transfer kept the first bytes when it received them: no need to read them back.
    const head = known !== undefined && known.length >= Math.min(16, size) ? known : await fs.readAt(partPath, 0, 16);
    const privacy = this.settings.privacy;
    if (isPng(head)) {
      if (size < 20 || !endsWithIend(await fs.readAt(partPath, size - 12, 12))) return null;
      const text = pngTextChunks(pngTextFor(job, sourceUrl, privacy));
      try {
        const file = await fs.open(partPath, 'append');
        try {
          await file.truncate(size - 12);
          await file.write([text, IEND_CHUNK]);
          if (this.settings.fsync) await file.sync();
        } finally {
          await file.close();
        }
      } catch (e) {
        // Cut short (a full disk), the .part no longer holds the server's bytes: a resume would splice
        // a broken file. Without it and its validator, the retry starts from zero.
        await fs.unlink(partPath).catch(() => undefined);
        await fs.unlink(`${partPath}.json`).catch(() => undefined);
        throw e;
      }
      return this.settings.checksums ? this.hashFile(partPath) : { size: size + text.length, sha256: '' };
    }
    const planner = xmpPlannerFor(head, size, xmpFieldsFor(job, sourceUrl, privacy));
    if (planner === null) return null;
    const plan = await runPlanner(planner, (position, length) => fs.readAt(partPath, position, length));
    if (plan === null) {
      this.logger.info('metadata not embedded (unexpected file structure)', { job: job.id });
      return null;
    }
    const tmpPath = `${partPath}.xmp`;
    const h = this.hasher()();
    let written = 0;
    const file = await fs.open(tmpPath, 'truncate');
    try {
      const put = async (chunks: Uint8Array[]): Promise<void> => {
        for (const c of chunks) {
          h.update(c);
          written += c.length;
        }
        await file.write(chunks);
      };
      for (const piece of plan) {
        if (piece instanceof Uint8Array) {
          await put([piece]);
          continue;
        }
        let at = piece.start;
        for await (const chunk of fs.readChunks(partPath, piece.start)) {
          const take = chunk.subarray(0, Math.min(chunk.length, piece.end - at));
          if (take.length > 0) await put([take]);
          at += take.length;
          if (at >= piece.end) break;
        }
        if (at !== piece.end) throw new Error('the file changed while its metadata was being written');
      }
      if (this.settings.fsync) await file.sync();
    } catch (e) {
      await file.close().catch(() => undefined);
      await fs.unlink(tmpPath).catch(() => undefined);
      throw e;
    }
    await file.close();
    await fs.rename(tmpPath, partPath);
    return { size: written, sha256: h.digest() };
  }

  /** The SHA-256 hasher when checksums are on; otherwise one that does nothing (digest ''). */
  private hasher(): HasherFactory {
    return this.settings.checksums ? this.deps.hasher : NO_HASH;
  }

  private async hashFile(path: string): Promise<{ size: number; sha256: string }> {
    const h = this.deps.hasher();
    let size = 0;
    for await (const chunk of this.deps.fs.readChunks(path, 0)) {
      h.update(chunk);
      size += chunk.length;
    }
    return { size, sha256: h.digest() };
  }

  /** Metadata (PNG text / XMP), atomic no-replace rename, sidecar cleanup, file times, ledger, job sidecar. */
  private async finish(task: Task, result: TransferResult): Promise<void> {
    const fs = this.deps.fs;
    const job = task.item.job;
    const asset = task.item.asset;
    const partPath = `${task.finalPath ?? ''}.part`;
    let sha256 = result.sha256;
    let sourceSha256: string | undefined;
    let size = result.size;
    let ext = task.ext;
    if (!task.extConfident) {
      const fromType = extensionFromContentType(result.contentType);
      if (fromType !== null) ext = fromType;
    }
    if (this.settings.embedPngText && size >= 4) {
      const embedded = await this.embedMetadata(partPath, size, job, result.url, result.resumedFrom === 0 ? result.head : undefined);
      if (embedded !== null) {
        sourceSha256 = sha256;
        size = embedded.size;
        sha256 = embedded.sha256;
      }
    }
    const metaPath = `${task.finalPath ?? ''}.part.json`;
    // While the extension stands, the name plan() rendered (and claimed); a new extension renders a new one.
    let relative = ext === task.ext && task.planned !== null ? task.planned : this.renderedOr(job, asset, ext, task.snap.path ?? '_');
    let finalPath = task.finalPath ?? '';
    if (ext !== task.ext) {
      this.release(task);
      // A forced re-download of the ledger's own file, which has this name: it takes its place (the .part
      // was named by the URL, so claim() could not see that then).
      const renamed = joinInsideRoot(this.settings.root, relative);
      const lower = renamed.ok ? renamed.value.path.toLowerCase() : '';
      if (renamed.ok && task.replaces?.toLowerCase() === lower && !this.reserved.has(lower) && (await fs.stat(renamed.value.path))?.isFile === true) {
        finalPath = renamed.value.path;
        this.reserved.add(lower);
        task.replacing = finalPath;
      } else finalPath = await this.claimPath(relative, `${ledgerKeyFor(job, asset)}:final`, job);
    }
    // The folder may have been swapped for a link to elsewhere while the bytes came: no file is finished there.
    if (!isInsideRoot(this.rootReal, await fs.realpath(parentOf(finalPath)))) throw new TransferError(failure('name-refused', OUTSIDE_FOLDER));
    // Never overwrite: if something appeared under our name meanwhile, take the next free one. The one
    // exception is a forced re-download of the ledger's own file for this asset, which takes its place.
    for (let n = 2; ; n++) {
      try {
        if (task.replacing === finalPath) await fs.rename(partPath, finalPath);
        else await fs.renameNoReplace(partPath, finalPath);
        break;
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'EEXIST' || n > MAX_COLLISIONS) throw e;
        this.reserved.delete(finalPath.toLowerCase());
        finalPath = await this.claimPath(withSuffix(relative, n), `${ledgerKeyFor(job, asset)}:final`, job);
      }
    }
    this.release(task); // the name the .part had
    task.finalPath = finalPath;
    // The file is on disk under its name now (claims look there): a later forced re-download must be able to take it.
    this.release(task);
    relative = finalPath.slice(this.rootDir().length + 1);
    task.snap.path = relative;
    task.snap.bytes = size;
    task.snap.total = size;
    const when = completionMs(job);
    const entry: LedgerEntry = { provider: job.provider, account: job.accountId, jobId: job.id, assetKey: assetKeyOf(asset), path: relative, size, at: new Date(this.deps.clock.now()).toISOString() };
    const sidecarFile: SidecarFile = { file: baseNameOf(finalPath), kind: asset.kind, index: asset.index, size, contentType: result.contentType, width: asset.width, height: asset.height, sourceUrl: result.url };
    // '' = this attempt ran without a hasher (checksums were off when it started): nothing to record.
    if (sha256 !== '') {
      entry.sha256 = sha256;
      sidecarFile.sha256 = sha256;
      if (sourceSha256) entry.sourceSha256 = sourceSha256;
    }
    // Independent steps, run together: each is a few system calls through the thread pool.
    await Promise.all([
      result.partMeta === false ? undefined : fs.unlink(metaPath).catch(() => undefined),
      this.settings.setFileTimes && when !== null ? fs.utimes(finalPath, when, when).catch((e: unknown) => this.logger.warn('could not set file time', { error: String(e) })) : undefined,
      this.ledger.record(entry),
      this.settings.writeSidecar ? this.recordSidecar(task, parentOf(finalPath), sidecarFile, when) : undefined,
    ]);
  }

  /** The template's name for this asset with `ext`, or `fallback` when it cannot be rendered. */
  private renderedOr(job: Job, asset: Asset, ext: string, fallback: string): string {
    const rendered = renderName(this.settings.template, job, asset, ext);
    return rendered.ok ? rendered.value : fallback;
  }

  /** Adds a finished file to its job's sidecar: now, or held while the job's other files are still on their way. */
  private recordSidecar(task: Task, dir: string, file: SidecarFile, when: number | null): Promise<void> {
    const job = task.item.job;
    const path = sidecarPathOf(dir, job);
    const held = this.sidecarHeld.get(path);
    if (this.siblingsInFlight(task)) {
      if (held !== undefined) held.files.push(file);
      else this.sidecarHeld.set(path, { job, dir, files: [file], when, timer: this.deps.clock.setTimeout(() => void this.releaseSidecar(path), SIDECAR_HOLD_MS) });
      return Promise.resolve();
    }
    if (held !== undefined) {
      this.deps.clock.clearTimeout(held.timer);
      this.sidecarHeld.delete(path);
    }
    return this.writeSidecarLogged(job, dir, held === undefined ? [file] : [...held.files, file], when);
  }

  /**
   * Whether another file of this task's job is queued or still receiving
   * (its sidecar entry will follow soon). One that is already finishing does
   * not count: it writes what is held when its own entry comes.
   */
  private siblingsInFlight(task: Task): boolean {
    return (this.tasksByJob.get(task.snap.jobKey) ?? []).some((t) => t !== task && !t.finishing && (t.snap.state === 'queued' || t.snap.state === 'active'));
  }

  /** A file stopped (done, failed, paused…): write its job's held entries if nothing else of that job is on its way. */
  private releaseSidecarsOf(task: Task): void {
    if (this.siblingsInFlight(task)) return;
    for (const [path, held] of this.sidecarHeld) if (held.job.key === task.item.job.key) void this.releaseSidecar(path);
  }

  private releaseSidecar(path: string): Promise<void> {
    const held = this.sidecarHeld.get(path);
    if (held === undefined) return Promise.resolve();
    this.deps.clock.clearTimeout(held.timer);
    this.sidecarHeld.delete(path);
    return this.writeSidecarLogged(held.job, held.dir, held.files, held.when);
  }

  /** Writes every held sidecar entry and waits for all sidecar writes under way. */
  private async flushSidecars(): Promise<void> {
    await Promise.all([...[...this.sidecarHeld.keys()].map((p) => this.releaseSidecar(p)), ...this.sidecarLocks.values()]);
  }

  private writeSidecarLogged(job: Job, dir: string, files: readonly SidecarFile[], when: number | null): Promise<void> {
    return this.writeSidecar(job, dir, files, when).catch((e: unknown) => this.logger.warn('could not write sidecar', { error: String(e) }));
  }

  /**
   * Files the ledger has but their job's sidecar does not list (a crash
   * between a file's rename and its sidecar write, a sidecar deleted by hand):
   * written back when such files come up again as "already downloaded".
   * Runs in the background; entries already listed are left as they are.
   */
  private async repairSidecars(found: ReadonlyArray<{ job: Job; asset: Asset; entry: LedgerEntry }>): Promise<void> {
    const groups = new Map<string, { job: Job; dir: string; files: SidecarFile[] }>();
    for (const { job, asset, entry } of found) {
      const inside = await this.ledgerPathInside(entry.path);
      if (inside === null) continue;
      const dir = parentOf(inside);
      const path = sidecarPathOf(dir, job);
      const group = groups.get(path) ?? { job, dir, files: [] };
      const file: SidecarFile = { file: baseNameOf(inside), kind: asset.kind, index: asset.index, size: entry.size, ...(entry.sha256 ? { sha256: entry.sha256 } : {}), contentType: null, width: asset.width, height: asset.height, sourceUrl: asset.url };
      this.repairEntries.add(file);
      group.files.push(file);
      groups.set(path, group);
    }
    for (const [path, group] of groups) {
      // Read from disk, not the cache: a sidecar deleted by hand is still in the cache.
      const onDisk = await this.readSidecar(path);
      const missing = group.files.filter((f) => !listsAsset(onDisk, f));
      if (missing.length > 0) await this.writeSidecar(group.job, group.dir, missing, completionMs(group.job));
    }
  }

  /** The root without trailing separators (paths are built as `${rootDir()}/${relative}`). */
  private rootDir(): string {
    return this.settings.root.replace(/[/\\]+$/, '');
  }

  /**
   * The absolute path of a ledger line's file when it is inside the folder
   * (symlinks resolved), else null. The ledger is a file in the folder, so
   * anyone can edit it: its paths get the same checks as a new download's
   * before anything is written or deleted by them.
   */
  private async ledgerPathInside(relative: string): Promise<string | null> {
    const joined = joinInsideRoot(this.settings.root, relative);
    if (!joined.ok || joined.value.relative !== relative) return null;
    const dirReal = await this.deps.fs.realpath(parentOf(joined.value.path)).catch(() => null);
    return dirReal !== null && isInsideRoot(this.rootReal, dirReal) ? joined.value.path : null;
  }

  /** A sidecar as parsed JSON, or null when it is missing, unreadable or not one of ours. */
  private async readSidecar(path: string): Promise<unknown> {
    return (await this.readSidecarFile(path)).value;
  }

  /**
   * The sidecar at `path`; `foreign` when a file by that name was plainly not
   * written by genwatch (JSON without our `genwatch` version field, or not
   * JSON text at all): it is never merged into or replaced. A sidecar torn by
   * a power cut (it starts like JSON) counts as ours and is rewritten.
   */
  private async readSidecarFile(path: string): Promise<{ value: unknown; foreign: boolean }> {
    const bytes = await this.deps.fs.readFile(path).catch(() => null);
    if (bytes === null || bytes.length === 0) return { value: null, foreign: false };
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    } catch {
      // Torn (starts like our JSON, or zeros where a power cut lost the data): ours, rewritten.
      return { value: null, foreign: bytes[0] !== 0x7b && !bytes.every((b) => b === 0) };
    }
    const ours = typeof value === 'object' && value !== null && typeof (value as { genwatch?: unknown }).genwatch === 'number';
    return ours ? { value, foreign: false } : { value: null, foreign: true };
  }

  /**
   * `<dir>/<jobId>.json`, read-merge-written atomically (temp + rename), one
   * writer per file at a time; entries queued meanwhile are merged into one
   * write, and the list this engine last wrote is kept so the next merge does
   * not read it back. Never fsynced: everything in it can be rebuilt (a torn
   * or lost sidecar after a power cut is ignored by the next merge, never
   * trusted, and repaired from the ledger).
   */
  private writeSidecar(job: Job, dir: string, files: readonly SidecarFile[], when: number | null): Promise<void> {
    const path = sidecarPathOf(dir, job);
    const queued = this.sidecarPending.get(path);
    if (queued !== undefined) {
      queued.push(...files);
      return this.sidecarLocks.get(path) ?? Promise.resolve();
    }
    const batch = [...files];
    this.sidecarPending.set(path, batch);
    const previous = this.sidecarLocks.get(path) ?? Promise.resolve();
    const next = previous.then(async () => {
      this.sidecarPending.delete(path);
      const cached = this.sidecarCache.get(path);
      let merged: unknown = { files: cached };
      if (cached === undefined) {
        const onDisk = await this.readSidecarFile(path);
        if (onDisk.foreign) {
          this.logger.warn('a file that genwatch did not write has the sidecar name: left alone, no sidecar for this job', { job: job.id });
          return;
        }
        merged = onDisk.value;
      }
      for (const f of batch) {
        if (this.repairEntries.has(f) && listsAsset(merged, f)) continue; // never replace what a real download wrote
        merged = { files: mergeSidecarFiles(merged, f) };
      }
      if (merged === null) return;
      const files = (merged as { files: SidecarFile[] }).files;
      const sidecar = buildSidecar(job, files, this.settings.privacy);
      this.sidecarCache.delete(path);
      await writeFileAtomic(this.deps.fs, path, new TextEncoder().encode(`${JSON.stringify(sidecar, null, 2)}\n`), false);
      this.sidecarCache.set(path, sidecar.files);
      while (this.sidecarCache.size > SIDECAR_CACHE_MAX) {
        const oldest = this.sidecarCache.keys().next();
        if (oldest.done === true) break;
        this.sidecarCache.delete(oldest.value);
      }
      if (this.settings.setFileTimes && when !== null) await this.deps.fs.utimes(path, when, when).catch(() => undefined);
    });
    const settled = next.catch(() => undefined);
    this.sidecarLocks.set(path, settled);
    void settled.then(() => {
      if (this.sidecarLocks.get(path) === settled) this.sidecarLocks.delete(path);
    });
    return next;
  }
}

const sidecarPathOf = (dir: string, job: Job): string => `${dir}/${sanitiseSegment(`${job.id}.json`)}`;

/** A parsed sidecar's `files` (unknown shape: it comes from disk). */
function filesOf(sidecar: unknown): unknown {
  return typeof sidecar === 'object' && sidecar !== null ? (sidecar as { files?: unknown }).files : undefined;
}

/** Whether a sidecar's file list (as merged so far) has an entry for this asset. */
function listsAsset(sidecar: unknown, file: Pick<SidecarFile, 'kind' | 'index'>): boolean {
  const files = filesOf(sidecar);
  return Array.isArray(files) && files.some((f) => typeof f === 'object' && f !== null && (f as SidecarFile).kind === file.kind && (f as SidecarFile).index === file.index);
}
