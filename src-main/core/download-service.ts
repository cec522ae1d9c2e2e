/**
 * Downloads inside the app: one DownloadEngine for the chosen folder, fed by
 * explicit requests (bulk, detail panel, "at risk" banner) and automatically
 * by jobs that complete while genwatch watches them. Pushes a throttled
 * DownloadsState to the UI.
 */
import type { DownloadFile, DownloadsState } from '../../src-shared/downloads';
import { RETENTION_DAYS, RETENTION_WARNING_DAYS } from '../../src-shared/downloads';
import type { DownloadSettings } from '../../src-shared/downloads';
import type { Asset, Job } from '../../src-shared/job';
import { err, ok } from '../../src-shared/result';
import type { Result } from '../../src-shared/result';
import { baseNameOf, DownloadEngine, EMPTY_AGGREGATE, isInsideRoot, joinInsideRoot, midjourneyCdnSource, normalisePath, previewName } from './downloads';
import type { AssetSource, BatchHandle, DownloadDeps, DownloadEngineApi, DownloadItem, EngineSettings, FileSnapshot } from './downloads';
import { needsFullResult } from './job-merge';
import { singleFlight } from './single-flight';
import type { Clock, KeyValueStore, TimerHandle } from './ports';

const PENDING_KEY = 'pendingDownloads';
interface PendingBatch {
  keys: string[];
  images: DownloadSettings['images'];
}

/** Rows sent to the UI: the newest first; the aggregate still counts every file. */
export const MAX_FILES_IN_STATE = 500;
const PUSH_INTERVAL_MS = 250;
/** A job fetched again for fresh links serves every file of it that expires within this long. */
const REFRESH_KEEP_MS = 30_000;
const DAY_MS = 86_400_000;

export interface DownloadServiceDeps {
  engine: DownloadDeps;
  /**
   * Opens the engine for a folder somewhere else (the app: a worker thread,
   * adapters/remote-engine.ts). Without it, a DownloadEngine over `engine`
   * runs on this thread.
   */
  openEngine?(settings: Partial<EngineSettings> & { root: string }): Promise<Result<DownloadEngineApi>>;
  clock: Clock;
  /** Re-fetches a job from its provider (expired/signed URLs get fresh ones). */
  refetchJob(job: Job): Promise<Job | null>;
  /** The useapi.net account whose token may use the CDN proxy fallback. */
  useapiProxy(): { apiBase: string; token: string } | null;
  /** Where requested-but-unfinished downloads are remembered across restarts. */
  kv?: KeyValueStore;
  /** Desktop only: reveal / open a file (absolute path). */
  reveal?(path: string): void;
  /** Resolves with why the system could not open it (no app for the type…), or null. */
  open?(path: string): Promise<string | null>;
}

export interface DownloadRequestResult {
  batchId: string;
  files: number;
  skipped: number;
  failed: number;
}

/** Which of a job's assets a download covers, per the images setting. */
export function assetsToDownload(job: Job, images: DownloadSettings['images']): Asset[] {
  if (job.modality !== 'image' || images === 'all') return job.assets;
  const wanted = images === 'grid' ? 'grid' : 'image';
  const chosen = job.assets.filter((a) => a.kind === wanted);
  // A job without a grid (or without cells) still gets its images.
  return chosen.length > 0 ? chosen : job.assets;
}

/** Completed jobs within the warning window of the provider's retention limit. */
export function jobsAtRisk(jobs: readonly Job[], isOnDisk: (job: Job) => boolean, nowMs: number): Job[] {
  const finishedAt = (job: Job): number => Date.parse(job.completedAt ?? job.createdAt ?? '');
  const deletedAt = (job: Job): number => finishedAt(job) + RETENTION_DAYS[job.provider] * DAY_MS;
  return jobs
    .filter((job) => {
      if (job.status !== 'completed' || job.assets.length === 0 || job.accountId === 'demo') return false;
      const finished = finishedAt(job);
      if (Number.isNaN(finished)) return false;
      const limit = RETENTION_DAYS[job.provider] * DAY_MS;
      const age = nowMs - finished;
      return age < limit && age >= limit - RETENTION_WARNING_DAYS * DAY_MS && !isOnDisk(job);
    })
    .sort((a, b) => deletedAt(a) - deletedAt(b)); // the most urgent first: the window sends at most 1,000 at a time
}

function toFile(snapshot: FileSnapshot): DownloadFile {
  return {
    id: snapshot.id,
    batchId: snapshot.batchId,
    jobKey: snapshot.jobKey,
    jobId: snapshot.jobId,
    provider: snapshot.provider,
    kind: snapshot.kind,
    url: snapshot.url,
    state: snapshot.state,
    bytes: snapshot.bytes,
    total: snapshot.total,
    speed: snapshot.speed,
    etaMs: snapshot.etaMs,
    path: snapshot.path,
    attempts: snapshot.attempts,
    error: snapshot.failure?.error.message ?? null,
    retryable: snapshot.failure?.retryable ?? false,
    skipReason: snapshot.skipReason,
  };
}

export class DownloadService {
  private engine: DownloadEngineApi | null = null;
  private root: string | null = null;
  private problem: string | null = null;
  private readonly failedBatches = new Map<string, number>();
  private readonly listeners = new Set<(state: DownloadsState) => void>();
  private pushTimer: TimerHandle | null = null;
  private unsubscribe: (() => void) | null = null;
  private jobs: () => readonly Job[] = () => [];
  private images: DownloadSettings['images'] = 'all';
  private readonly jobFileListeners = new Set<(jobKey: string | null) => void>();
  /** Batches requested and not yet finished, by batch id: re-requested after a restart. */
  private readonly pending = new Map<string, PendingBatch>();

  /** The engine's refreshUrl: the job fetched again, once however many of its files expired together. */
  private readonly freshUrl: (job: Job, asset: Asset) => Promise<string | null>;

  constructor(private readonly deps: DownloadServiceDeps) {
    this.freshUrl = linkRefresher(deps.clock, (job) => job.key, (job) => deps.refetchJob(job));
  }

  /** Where jobs come from (for the at-risk list). */
  setJobSource(jobs: () => readonly Job[]): void {
    this.jobs = jobs;
  }

  /** Applies settings; a new folder means a new engine (the old one finishes nothing more). */
  async configure(settings: DownloadSettings): Promise<Result<null>> {
    const imagesChanged = settings.images !== this.images;
    this.images = settings.images;
    if (settings.root !== this.root) {
      this.engine?.cancelAll();
      void this.engine?.close?.();
      this.unsubscribe?.();
      this.engine = null;
      this.unsubscribe = null;
      this.root = settings.root;
      this.problem = settings.root ? null : 'Choose a download folder first.';
      if (settings.root) {
        const wanted = { root: settings.root, ...this.engineSettings(settings) };
        const created: Result<DownloadEngineApi> = this.deps.openEngine ? await this.deps.openEngine(wanted) : await DownloadEngine.create(this.deps.engine, wanted);
        if (this.root !== settings.root) {
          // Another folder was chosen while this one opened: that call owns the engine now.
          if (created.ok) void created.value.close?.();
          return ok(null);
        }
        if (!created.ok) {
          this.problem = created.error.message;
          this.emitJobFiles(null); // no usable folder: no job is known to be on disk
          this.schedulePush();
          return created;
        }
        this.engine = created.value;
        this.unsubscribe = this.engine.onEvent((event) => {
          if (event.type === 'batch-done' && event.summary.failed.length > 0) this.failedBatches.set(event.summary.batchId, event.summary.failed.length);
          if (event.type === 'file' && (event.file.state === 'done' || event.file.skipReason === 'already-downloaded')) this.emitJobFiles(event.file.jobKey);
          this.schedulePush();
        });
      }
      // Another folder, another ledger: every job's downloaded mark is re-read.
      this.emitJobFiles(null);
      if (this.engine) await this.resumePending();
    } else if (this.engine) {
      const configured = this.engine.configure(this.engineSettings(settings));
      if (!configured.ok) return configured;
      if (imagesChanged) this.emitJobFiles(null);
    }
    this.schedulePush();
    return ok(null);
  }

  /** Re-applies the proxy credentials (a useapi.net account was added or changed). */
  refreshSources(): void {
    this.engine?.configure({ sources: this.sources() });
  }

  async download(jobs: readonly Job[], images: DownloadSettings['images'], force: boolean): Promise<Result<DownloadRequestResult>> {
    if (!this.engine) return err('invalid-input', this.problem ?? 'Choose a download folder first.');
    const items: DownloadItem[] = [];
    for (const job of jobs) for (const asset of assetsToDownload(job, images)) items.push({ job, asset });
    if (items.length === 0) return err('invalid-input', 'None of these jobs has results to download yet.');
    const batch = await this.engine.enqueue(items, { force });
    if (!batch.ok) return batch;
    this.remember(batch.value, { keys: jobs.map((job) => job.key), images });
    this.schedulePush();
    return ok(this.summarise(batch.value));
  }

  /**
   * After a quit or crash, what was requested and unfinished is requested
   * again: finished files are skipped by the ledger, `.part` files resume.
   */
  private async resumePending(): Promise<void> {
    const stored = this.deps.kv?.get(PENDING_KEY);
    if (!Array.isArray(stored) || stored.length === 0) return;
    this.deps.kv?.set(PENDING_KEY, []);
    const byKey = new Map(this.jobs().map((job) => [job.key, job]));
    for (const entry of stored as Partial<PendingBatch>[]) {
      if (!Array.isArray(entry.keys)) continue;
      const jobs = entry.keys.flatMap((key) => {
        const job = typeof key === 'string' ? byKey.get(key) : undefined;
        return job && job.status === 'completed' ? [job] : [];
      });
      const images = entry.images === 'grid' || entry.images === 'individual' ? entry.images : 'all';
      if (jobs.length > 0) await this.download(jobs, images, false);
    }
  }

  private remember(batch: BatchHandle, request: PendingBatch): void {
    if (!this.deps.kv) return;
    this.pending.set(batch.batchId, request);
    this.savePending();
    void batch.done.then(() => {
      this.pending.delete(batch.batchId);
      this.savePending();
    });
  }

  private savePending(): void {
    this.deps.kv?.set(PENDING_KEY, [...this.pending.values()]);
  }

  async retryFailed(batchId: string): Promise<Result<DownloadRequestResult>> {
    if (!this.engine) return err('invalid-input', this.problem ?? 'Choose a download folder first.');
    const batch = await this.engine.retryFailed(batchId);
    if (!batch.ok) return batch;
    // Like any request: a quit before it ends asks again at the next start (the ledger skips what landed).
    this.remember(batch.value, { keys: [...new Set(batch.value.files.map((f) => f.jobKey))], images: this.images });
    this.failedBatches.delete(batchId);
    this.schedulePush();
    return ok(this.summarise(batch.value));
  }

  /**
   * The state once the engine applied the action (also when it runs in a worker thread): queued files
   * change at once; a running transfer winds down a moment later and the next push shows it.
   */
  async control(action: 'pause' | 'resume' | 'cancel' | 'clear', id?: string): Promise<DownloadsState> {
    const engine = this.engine;
    if (engine) {
      // Failed files stay on a clear (with their request's retry) until a retry replaces them.
      if (action === 'clear') engine.clearFinished();
      else if (id) engine[action](id);
      else if (action === 'pause') engine.pauseAll();
      else if (action === 'resume') engine.resumeAll();
      else engine.cancelAll();
      await engine.settled?.();
    }
    return this.state();
  }

  isOnDisk(job: Job): boolean {
    return this.downloadedState(job) === 'all';
  }

  /** Whether the files genwatch downloads for this job (per the images setting) are in the ledger: all, some or none. */
  downloadedState(job: Job): 'all' | 'some' | undefined {
    const engine = this.engine;
    if (engine === null || job.status !== 'completed') return undefined;
    const wanted = assetsToDownload(job, this.images);
    let have = 0;
    for (const asset of wanted) if (engine.isDownloaded(job, asset)) have++;
    // A job known only from a history list has more files than the one we know of.
    return have === 0 ? undefined : have === wanted.length && !needsFullResult(job) ? 'all' : 'some';
  }

  /** Called with a job key when one of its files lands (or is found in the ledger), or null when any job's may have changed. */
  onJobFiles(listener: (jobKey: string | null) => void): () => void {
    this.jobFileListeners.add(listener);
    return () => this.jobFileListeners.delete(listener);
  }

  private emitJobFiles(jobKey: string | null): void {
    for (const listener of this.jobFileListeners) listener(jobKey);
  }

  previewName(template: string): Result<{ path: string }> {
    const name = previewName(template);
    return name.ok ? ok({ path: name.value }) : name;
  }

  /** Absolute path of a downloaded file, refusing anything outside the folder. */
  resolveInside(relative: string): Result<string> {
    if (!this.root) return err('invalid-input', 'Choose a download folder first.');
    const joined = joinInsideRoot(this.root, relative);
    if (!joined.ok) return joined;
    if (!isInsideRoot(this.root, joined.value.path)) return err('forbidden', 'That file is outside the download folder.');
    return ok(joined.value.path);
  }

  async reveal(relative: string): Promise<Result<null>> {
    const path = await this.existingFileInside(relative);
    if (!path.ok) return path;
    if (!this.deps.reveal) return err('internal', 'Showing files is not available here.');
    this.deps.reveal(path.value);
    return ok(null);
  }

  /**
   * Opens a downloaded file with its app, when it is a result's kind of file (image, video, audio,
   * text, 3D model); anything else (an archive, an unknown type, a program someone put in the
   * folder) is shown in its folder instead: "Open" never runs a program.
   */
  async open(relative: string): Promise<Result<null>> {
    const path = await this.existingFileInside(relative);
    if (!path.ok) return path;
    if (!isOpenableFile(path.value)) {
      if (!this.deps.reveal) return err('forbidden', 'genwatch opens only images, videos, audio and text files.');
      this.deps.reveal(path.value);
      return ok(null);
    }
    if (!this.deps.open) return err('internal', 'Opening files is not available here.');
    const problem = await this.deps.open(path.value);
    return problem === null ? ok(null) : err('internal', `The system could not open that file: ${problem}`);
  }

  /**
   * The file a preview in the window may show (genwatch-file://, see
   * src-shared/preview-url.ts): an image, video or audio file really inside
   * the folder (links resolved), nothing else.
   */
  async previewFile(relative: string): Promise<Result<string>> {
    const path = await this.existingFileInside(relative);
    if (!path.ok) return path;
    if (!isPreviewableFile(path.value)) return err('forbidden', 'Only images, videos and audio files are shown in the window.');
    return path;
  }

  /** reveal() and open() for a path given whole (a notification's file): the same checks. */
  async revealOrOpenPath(path: string, action: 'reveal' | 'open'): Promise<Result<null>> {
    if (this.root === null || !isInsideRoot(this.root, path)) return err('forbidden', 'That file is outside the download folder.');
    const relative = normalisePath(path).slice(normalisePath(this.root).replace(/\/+$/, '').length + 1);
    return action === 'open' ? this.open(relative) : this.reveal(relative);
  }

  /**
   * resolveInside, then where the file really is: a link inside the folder
   * pointing elsewhere is refused (the shell would open whatever it points
   * at), and a file that is gone is said to be gone.
   */
  private async existingFileInside(relative: string): Promise<Result<string>> {
    const path = this.resolveInside(relative);
    if (!path.ok || this.root === null) return path;
    const fs = this.deps.engine.fs;
    const real = await fs.realpath(path.value).catch(() => null);
    if (real === null) return err('not-found', 'That file is no longer in the download folder.');
    const rootReal = await fs.realpath(this.root).catch(() => this.root ?? '');
    if (!isInsideRoot(rootReal, real)) return err('forbidden', 'That file leads outside the download folder, so it was not opened.');
    return path;
  }

  state(): DownloadsState {
    const engine = this.engine;
    const files = engine ? engine.snapshot() : [];
    const atRisk = jobsAtRisk(this.jobs(), (job) => this.isOnDisk(job), this.deps.clock.now());
    return {
      root: this.root,
      problem: this.problem,
      files: files.slice(-MAX_FILES_IN_STATE).reverse().map(toFile),
      aggregate: engine ? engine.aggregate() : EMPTY_AGGREGATE,
      failedBatches: [...this.failedBatches].map(([batchId, failed]) => ({ batchId, failed })),
      batches: engine ? engine.batchCounts() : [],
      atRisk: { count: atRisk.length, keys: atRisk.slice(0, 1_000).map((job) => job.key) },
    };
  }

  onState(listener: (state: DownloadsState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** For a quit: the engine stops (paused, pending writes flushed, bounded), then this is disposed. */
  async shutdown(): Promise<void> {
    try {
      await this.engine?.stop();
      await this.engine?.close?.();
    } finally {
      this.dispose();
    }
  }

  /**
   * Windows log-off or shutdown: the process may end as soon as this returns,
   * so it blocks (≤ ~2 s) until an engine in a worker thread paused its
   * transfers and wrote their validators; then it is disposed. Partial files
   * resume at the next start instead of restarting from zero.
   */
  endSession(): void {
    this.engine?.haltNow?.();
    this.dispose();
  }

  dispose(): void {
    this.engine?.pauseAll();
    void this.engine?.close?.();
    this.unsubscribe?.();
    if (this.pushTimer !== null) this.deps.clock.clearTimeout(this.pushTimer);
    this.pushTimer = null;
  }

  private summarise(batch: BatchHandle): DownloadRequestResult {
    let skipped = 0;
    let failed = 0;
    for (const file of batch.files) {
      if (file.state === 'skipped') skipped++;
      if (file.state === 'failed') failed++;
    }
    return { batchId: batch.batchId, files: batch.files.length, skipped, failed };
  }

  private engineSettings(settings: DownloadSettings) {
    return {
      template: settings.template,
      concurrency: settings.concurrency,
      privacy: settings.privacy,
      embedPngText: settings.embedMetadata,
      writeSidecar: settings.sidecar,
      checksums: settings.checksums,
      fsync: settings.fsync,
      maxBytesPerSecond: settings.speedLimitMBps > 0 ? settings.speedLimitMBps * 1024 * 1024 : null,
      sources: this.sources(),
      refreshUrl: (job: Job, asset: Asset) => this.freshUrl(job, asset),
    };
  }

  private sources(): AssetSource[] {
    const proxy = this.deps.useapiProxy();
    return [midjourneyCdnSource(proxy ? { proxy } : {})];
  }

  private schedulePush(): void {
    if (this.pushTimer !== null || this.listeners.size === 0) return;
    this.pushTimer = this.deps.clock.setTimeout(() => {
      this.pushTimer = null;
      const state = this.state();
      for (const listener of this.listeners) listener(state);
    }, PUSH_INTERVAL_MS);
  }
}

/**
 * A download engine's refreshUrl (the app's and the CLI's): the job is fetched
 * again for a fresh link, once however many of its files expired together
 * (single-flight.ts; the answer serves for REFRESH_KEEP_MS, a job that could
 * not be read is asked again by the next file), and the asset is found in it.
 */
export function linkRefresher(clock: Pick<Clock, 'now'>, keyOf: (job: Job) => string, fetchJob: (job: Job) => Promise<Pick<Job, 'assets'> | null>): (job: Job, asset: Asset) => Promise<string | null> {
  const once = singleFlight(clock, REFRESH_KEEP_MS, keyOf, async (job: Job) => {
    const fresh = await fetchJob(job);
    if (fresh === null) throw new Error('The job could not be read again.'); // thrown: not kept
    return fresh;
  });
  return async (job, asset) => {
    const fresh = await once(job).catch(() => null);
    return fresh?.assets.find((a) => a.kind === asset.kind && a.index === asset.index)?.url ?? null;
  };
}

/** What "Open" hands to the system: results' own kinds of file, never a program, script, link or archive. */
const OPENABLE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'webp', 'gif', 'avif', 'heic', 'bmp', 'tif', 'tiff', 'mp4', 'webm', 'mov', 'm4v', 'mkv', 'mp3', 'wav', 'm4a', 'aac', 'ogg', 'oga', 'opus', 'flac', 'json', 'txt', 'glb', 'gltf']);

/** What a preview in the window may load: results' images, videos and audio (no text, no 3D, never a program). */
const PREVIEWABLE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'webp', 'gif', 'avif', 'mp4', 'webm', 'mov', 'm4v', 'mp3', 'wav', 'm4a', 'aac', 'ogg', 'oga', 'opus', 'flac']);

function hasExtensionIn(path: string, extensions: ReadonlySet<string>): boolean {
  const name = baseNameOf(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 && extensions.has(name.slice(dot + 1).toLowerCase());
}

export function isPreviewableFile(path: string): boolean {
  return hasExtensionIn(path, PREVIEWABLE_EXTENSIONS);
}

export function isOpenableFile(path: string): boolean {
  return hasExtensionIn(path, OPENABLE_EXTENSIONS);
}
