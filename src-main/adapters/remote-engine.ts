/**
 * A DownloadEngine in a worker thread (engine-host.ts), behind the calls the
 * app's download service makes (DownloadEngineApi). The app's thread keeps
 * what those calls read synchronously — the files, the aggregate, the
 * per-request counts and the ledger's keys — as a mirror the worker's
 * events keep current; everything else is a message.
 *
 * If the worker dies, its unfinished files are marked failed (retryable)
 * and their batches end, so nothing waits forever; the next call starts a
 * new worker with the same settings, and "retry failed" on such a batch
 * queues its files again (the new engine resumes their .part files).
 */
import { Worker } from 'node:worker_threads';
import { tallyBatch } from '../../src-shared/batch-counts';
import type { BatchCounts } from '../../src-shared/downloads';
import type { Asset, Job } from '../../src-shared/job';
import type { Result } from '../../src-shared/result';
import { err, ok } from '../../src-shared/result';
import type { Logger } from '../core/ports';
import { silentLogger } from '../core/ports';
import type { DownloadDeps, DownloadEngineApi, DownloadSettings } from '../core/downloads/engine';
import { DEFAULT_SETTINGS, DownloadEngine } from '../core/downloads/engine';
import { failure } from '../core/downloads/errors';
import { assetKeyOf, ledgerKeyFor } from '../core/downloads/ledger';
import { validateTemplate } from '../core/downloads/naming';
import { specsOf } from '../core/downloads/sources';
import type { AggregateProgress, BatchHandle, BatchSummary, DownloadEvent, DownloadItem, EnqueueOptions, FileSnapshot } from '../core/downloads/types';
import { countFile, EMPTY_AGGREGATE, isFinished, notifyAll, summariseBatch } from '../core/downloads/types';
import type { CallName, Calls, FromHost, SettingsData, ToHost } from './engine-protocol';

let instances = 0;

/** `files` plus `sign` × `extra`, field by field (the dead workers' totals in or out of the live one's). */
function withCounts(files: AggregateProgress['files'], extra: AggregateProgress['files'], sign: 1 | -1): AggregateProgress['files'] {
  const out = { ...files };
  for (const key of Object.keys(out) as Array<keyof typeof out>) out[key] += sign * extra[key];
  return out;
}
/** How long close() and stop() wait for the worker beyond the stop's own budget. */
const GRACE_MS = 2_000;
/** haltNow() blocks the app's thread: beyond the stop's own budget it waits only this long. */
const HALT_GRACE_MS = 500;

type Settings = Partial<DownloadSettings> & { root: string };

/** Settings as data for the worker, or an error when a source cannot be described (a custom matcher). */
function toData(settings: Partial<DownloadSettings>): Result<Partial<SettingsData>> {
  const { sources, refreshUrl, ...rest } = settings;
  const data: Partial<SettingsData> = rest;
  if (sources !== undefined) {
    const specs = specsOf(sources);
    if (specs === null) return err('internal', 'A download source cannot be handed to the download thread.');
    data.sources = specs;
  }
  if (refreshUrl !== undefined) data.refresh = refreshUrl !== null;
  return ok(data);
}

interface Batch {
  resolve(summary: BatchSummary): void;
}

export class RemoteEngine implements DownloadEngineApi {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly answers = new Map<number, { resolve(value: unknown): void; fallback: unknown }>();
  /** The newest call's answer (see settled()). */
  private lastAnswer: Promise<unknown> = Promise.resolve();
  private readonly files = new Map<string, FileSnapshot>();
  private progress: AggregateProgress = EMPTY_AGGREGATE;
  private counts: BatchCounts[] = [];
  private downloaded = new Set<string>();
  private readonly listeners = new Set<(event: DownloadEvent) => void>();
  private readonly batches = new Map<string, Batch>();
  /** batch-done events that came before their enqueue's answer (a batch of skips ends at once). */
  private readonly endedEarly = new Map<string, BatchSummary>();
  /** What each batch was asked to download, for "retry failed". */
  private readonly itemsOf = new Map<string, readonly DownloadItem[]>();
  private closed = false;
  /** Mirrored files not yet done, skipped, failed or cancelled. */
  private unfinished = 0;
  private generation = 0;
  /** A worker being started for calls (see call()). */
  private starting: Promise<Result<null> | 'no-worker'> | null = null;
  /** Distinguishes this engine's ids from an earlier one's (a folder change makes a new engine: the app keys records by batch id). */
  private readonly instance = ++instances;
  /** Why the last (re)start of the worker's engine failed, for the calls that needed it. */
  private startError: Result<never> | null = null;
  /**
   * What dead workers left in the mirror (every file of theirs is finished:
   * their unfinished ones were failed): the new worker does not know them,
   * so their totals and per-request counts are added to its own. Clearing
   * drops their files and totals; their counts stay, as the engine keeps a
   * request's counts after its files are cleared.
   */
  private readonly orphans = new Set<string>();
  private orphanTotals = { ...EMPTY_AGGREGATE.files };
  private orphanCounts: BatchCounts[] = [];

  private constructor(
    private readonly script: string | URL,
    private settings: Settings,
    private readonly logger: Logger,
  ) {}

  /**
   * Starts the worker and its engine. Resolves with the engine's own error
   * (a folder it cannot use), or with null when the worker itself cannot
   * run (a broken build): the caller then runs the engine on its own thread.
   */
  static async open(script: string | URL, settings: Settings, logger: Logger = silentLogger): Promise<Result<RemoteEngine> | null> {
    const engine = new RemoteEngine(script, settings, logger);
    const created = await engine.start();
    if (created === 'no-worker') return null;
    if (created.ok) return ok(engine);
    await engine.close(); // its thread has no engine to run
    return created;
  }

  // ── the engine's calls ────────────────────────────────────────────────────

  configure(patch: Partial<Omit<DownloadSettings, 'root'>>): Result<void> {
    if (patch.template !== undefined) {
      const v = validateTemplate(patch.template);
      if (!v.ok) return v;
    }
    const data = toData(patch);
    if (!data.ok) return data;
    this.settings = { ...this.settings, ...patch };
    void this.call('configure', [data.value], ok(undefined), true);
    return ok(undefined);
  }

  onEvent(listener: (event: DownloadEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  isDownloaded(job: Job, asset: Asset): boolean {
    return this.downloaded.has(ledgerKeyFor(job, asset));
  }

  async enqueue(items: readonly DownloadItem[], options: EnqueueOptions = {}): Promise<Result<BatchHandle>> {
    const answer = await this.call('enqueue', [items, options], err('internal', 'The download thread stopped; try again.'), true);
    return this.batchFrom(answer.ok ? answer : (this.startError ?? answer), items);
  }

  /** As DownloadEngine.retryFailed (its failed items queued again), from the mirror: it also works for a batch whose worker died. */
  async retryFailed(batchId: string, options: EnqueueOptions = {}): Promise<Result<BatchHandle>> {
    const failed = new Set<string>();
    const failedIds: string[] = [];
    for (const f of this.files.values()) {
      if (f.batchId !== batchId || f.state !== 'failed') continue;
      failed.add(`${f.jobKey}|${f.assetKey}`);
      failedIds.push(f.id);
    }
    const items = (this.itemsOf.get(batchId) ?? []).filter((item) => failed.has(`${item.job.key}|${assetKeyOf(item.asset)}`));
    const batch = await this.enqueue(items, { ...options, retryOf: batchId });
    // The worker drops the failed rows it has ('removed'); a dead worker's are only here.
    if (batch.ok) this.dropFiles(failedIds);
    return batch;
  }

  /** As the worker's engine last counted them (with its default limit: the newest, plus running and just-settled requests). */
  batchCounts(): BatchCounts[] {
    return [...this.counts];
  }

  snapshot(): FileSnapshot[] {
    return [...this.files.values()].map((f) => ({ ...f }));
  }

  aggregate(): AggregateProgress {
    return this.progress;
  }

  clearFinished(): void {
    const applied = this.call('clearFinished', [], null).then((gone) => {
      // No answer (the worker died meanwhile): nothing was cleared, and what just failed must stay to be retried.
      if (gone === null) return;
      for (const id of gone) this.files.delete(id);
      // A dead worker's files are cleared like the others (out of the totals too), except the failed ones:
      // they stay for their retry, as in the engine.
      this.dropFiles([...this.orphans].filter((id) => this.files.get(id)?.state !== 'failed'));
      const live = new Set([...this.files.values()].map((f) => f.batchId));
      for (const batchId of this.itemsOf.keys()) if (!live.has(batchId)) this.itemsOf.delete(batchId);
      // Tell listeners the list changed (the download service pushes its state on any event).
      this.emit({ type: 'aggregate', progress: this.progress });
    });
    // settled() waits for the mirror to drop the files too, not only for the worker's answer.
    this.lastAnswer = applied;
  }

  pause(id: string): boolean {
    void this.call('pause', [id], false);
    return this.files.has(id);
  }

  resume(id: string): boolean {
    void this.call('resume', [id], false);
    return this.files.has(id);
  }

  cancel(id: string): boolean {
    void this.call('cancel', [id], false);
    return this.files.has(id);
  }

  pauseAll(): void {
    void this.call('pauseAll', [], undefined);
  }

  resumeAll(): void {
    void this.call('resumeAll', [], undefined);
  }

  cancelAll(): void {
    void this.call('cancelAll', [], undefined);
  }

  /**
   * Calls are answered in order, each after the events it caused: the last
   * answer means all took effect. Bounded: a worker stuck in a blocking call
   * (a hung network drive) must not hold up the window's buttons.
   */
  async settled(timeoutMs = 1_000): Promise<void> {
    await within(timeoutMs, this.lastAnswer);
  }

  async stop(timeoutMs = 3_000): Promise<void> {
    if (this.worker === null) return;
    await within(timeoutMs + GRACE_MS, this.call('stop', [timeoutMs], undefined));
  }

  /**
   * For an end of session (Windows log-off) where no event-loop turn may
   * follow: blocks this thread until the worker paused every transfer and
   * wrote what is pending (.part validators, ledger lines, sidecars), at most
   * `timeoutMs` plus a moment. False when it did not confirm in time (or this
   * thread may not block): the next start then restarts what lost its validator.
   */
  haltNow(timeoutMs = 1_500): boolean {
    const w = this.worker;
    if (w === null) return true;
    const signal = new SharedArrayBuffer(4);
    try {
      w.postMessage({ type: 'halt', signal, timeoutMs } satisfies ToHost);
      return Atomics.wait(new Int32Array(signal), 0, 0, timeoutMs + HALT_GRACE_MS) !== 'timed-out';
    } catch (e) {
      this.logger.warn('the downloads could not be stopped in time', { error: String(e) });
      return false;
    }
  }

  /** Finishes what it was told (a stop: transfers paused, records flushed), then ends the worker. */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w === null) return;
    w.ref();
    const exited = new Promise<void>((done) => w.once('exit', () => done()));
    w.postMessage({ type: 'close' } satisfies ToHost);
    await within(3_000 + GRACE_MS, exited);
    // A thread stuck in a blocking call on a hung drive may not even end when told: do not wait for it forever.
    await within(GRACE_MS, w.terminate());
    // Calls still unanswered get their fallbacks. Unfinished batches stay unresolved on purpose: the app
    // remembers them to request again at its next start.
    this.settleAnswers();
  }

  /** Every call still waiting gets its fallback: the worker it went to will not answer. */
  private settleAnswers(): void {
    const waiting = [...this.answers.values()];
    this.answers.clear();
    for (const w of waiting) w.resolve(w.fallback);
  }

  /** Ends the worker at once, as a crash would: what it was doing fails (retryably), the next call starts a new one. */
  async killWorker(): Promise<void> {
    await this.worker?.terminate();
  }

  // ── the worker ────────────────────────────────────────────────────────────

  /** Starts a worker and creates its engine; 'no-worker' when the thread could not even load. */
  private start(): Promise<Result<null> | 'no-worker'> {
    const data = toData(this.settings);
    if (!data.ok) return Promise.resolve(data);
    let w: Worker;
    try {
      // A small young generation (as the CLI's --max-semi-space-size=1, cli/relaunch.ts): the worker's
      // garbage is almost all short-lived 64 KiB socket buffers (bench:download).
      w = new Worker(this.script, { resourceLimits: { maxYoungGenerationSizeMb: 3 } });
    } catch (e) {
      this.logger.error('the download thread could not start', { error: String(e) });
      return Promise.resolve('no-worker');
    }
    this.worker = w;
    return new Promise((resolve) => {
      let created = false;
      w.on('message', (bundle: FromHost[]) => {
        // A dead or replaced worker's last words (Node may deliver them after its 'error') change nothing.
        if (this.worker !== w) return;
        for (const message of bundle) {
          if (message.type === 'created') {
            created = true;
            if (message.result.ok) {
              this.downloaded = new Set(message.result.value.downloaded);
              this.startError = null;
            } else {
              // No engine in it: this worker is of no use. The next call tries a new one.
              this.startError = message.result;
              this.worker = null;
              void within(GRACE_MS, w.terminate());
              this.settleAnswers(); // calls already sent to it (its later answers are ignored)
            }
            resolve(message.result.ok ? ok(null) : message.result);
          } else this.receive(message, w);
        }
        this.updateRef();
      });
      const gone = (why: string): void => {
        if (this.worker !== w) return;
        this.worker = null;
        if (!created) {
          this.logger.error('the download thread could not start', { error: why });
          this.settleAnswers();
          return resolve('no-worker');
        }
        if (!this.closed) this.orphanAll(why);
      };
      w.on('error', (e) => gone(e instanceof Error ? e.message : String(e)));
      w.on('exit', (code) => gone(`exit code ${code}`));
      w.postMessage({ type: 'create', idPrefix: `e${this.instance}.${++this.generation}-`, settings: { ...DEFAULT_SETTINGS, ...data.value, sources: data.value.sources ?? [], refresh: data.value.refresh ?? false, root: this.settings.root } } satisfies ToHost);
    });
  }

  private receive(message: FromHost, w: Worker): void {
    switch (message.type) {
      case 'answer': {
        const waiting = this.answers.get(message.id);
        this.answers.delete(message.id);
        waiting?.resolve(message.value === undefined ? waiting.fallback : message.value);
        break;
      }
      case 'event':
        this.mirror(message.event);
        this.emit(message.event);
        break;
      case 'counts':
        this.counts = [...this.orphanCounts, ...message.counts];
        break;
      case 'refresh': {
        const refresh = this.settings.refreshUrl ?? null;
        const answer = refresh === null ? Promise.resolve(null) : refresh(message.job, message.asset).catch(() => null);
        // To the worker that asked (refresh ids are per worker): a new one must never get another's URL.
        void answer.then((url) => {
          if (this.worker === w) w.postMessage({ type: 'refreshed', id: message.id, url } satisfies ToHost);
        });
        break;
      }
      case 'log':
        this.logger[message.level](message.message, message.fields);
        break;
      default:
        break;
    }
  }

  private mirror(event: DownloadEvent): void {
    if (event.type === 'file') this.setFile(event.file);
    else if (event.type === 'removed') this.dropFiles(event.ids);
    else if (event.type === 'aggregate') this.progress = { ...event.progress, files: withCounts(event.progress.files, this.orphanTotals, 1) };
    else if (event.type === 'ledger') {
      if (event.downloaded) this.downloaded.add(event.key);
      else this.downloaded.delete(event.key);
    } else if (event.type === 'batch-done') {
      const batch = this.batches.get(event.summary.batchId);
      if (batch === undefined) this.endedEarly.set(event.summary.batchId, event.summary);
      else {
        this.batches.delete(event.summary.batchId);
        batch.resolve(event.summary);
      }
    }
  }

  /** Takes files off the mirror; a dead worker's ones also leave the totals they were kept in. */
  private dropFiles(ids: readonly string[]): void {
    let orphansGone = false;
    for (const id of ids) {
      const file = this.files.get(id);
      if (file === undefined) continue;
      if (!isFinished(file.state)) this.unfinished--;
      this.files.delete(id);
      if (!this.orphans.delete(id)) continue;
      const one = { ...EMPTY_AGGREGATE.files };
      countFile(one, file.state);
      this.orphanTotals = withCounts(this.orphanTotals, one, -1);
      this.progress = { ...this.progress, files: withCounts(this.progress.files, one, -1) };
      orphansGone = true;
    }
    if (orphansGone) this.emit({ type: 'aggregate', progress: this.progress });
  }

  /** Mirrors a file, counting the unfinished ones (the worker is kept while there are any). */
  private setFile(file: FileSnapshot): void {
    const before = this.files.get(file.id);
    if (before !== undefined && !isFinished(before.state)) this.unfinished--;
    if (!isFinished(file.state)) this.unfinished++;
    this.files.set(file.id, file);
  }

  private emit(event: DownloadEvent): void {
    notifyAll(this.listeners, event, this.logger);
  }

  private batchFrom(answer: Calls['enqueue']['answer'], items: readonly DownloadItem[]): Result<BatchHandle> {
    if (!answer.ok) return answer;
    const { batchId, files } = answer.value;
    this.itemsOf.set(batchId, items);
    // Events may have come first with newer states: the mirror keeps those.
    for (const f of files) if (!this.files.has(f.id)) this.setFile(f);
    const done = new Promise<BatchSummary>((resolve) => {
      const early = this.endedEarly.get(batchId);
      this.endedEarly.delete(batchId);
      if (early !== undefined) resolve(early);
      else this.batches.set(batchId, { resolve });
    });
    this.updateRef();
    return ok({ batchId, files, done });
  }

  /** Sends a call (starting a new worker first if the last one died); `fallback` answers it if the worker dies first. */
  private async call<N extends CallName>(name: N, args: Calls[N]['args'], fallback: Calls[N]['answer'], restart = false): Promise<Calls[N]['answer']> {
    if (this.closed) return fallback;
    // Only new work starts a new worker: pausing or clearing what a dead one ran has nothing to act on.
    if (this.worker === null && restart) {
      // Calls that arrive together share one new worker.
      this.starting ??= this.start().finally(() => (this.starting = null));
      const restarted = await this.starting;
      if (restarted === 'no-worker' || !restarted.ok) return fallback;
    }
    const w = this.worker;
    if (w === null) return fallback;
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve) => this.answers.set(id, { resolve, fallback }));
    try {
      w.postMessage({ type: 'call', id, name, args: args as unknown[] } satisfies ToHost);
    } catch (e) {
      // Something in the arguments cannot be copied to the thread (a bug upstream): said, not hung.
      this.answers.delete(id);
      this.logger.error('a download call could not reach the download thread', { call: name, error: String(e) });
      return fallback;
    }
    this.updateRef();
    this.lastAnswer = answer;
    return answer as Promise<Calls[N]['answer']>;
  }

  /** The worker died: what it was doing fails (retryable), its batches end, its unanswered calls get their fallbacks. */
  private orphanAll(why: string): void {
    this.logger.error('the download thread stopped unexpectedly', { why });
    const f = failure('network', 'The download thread stopped unexpectedly; retry to download the rest.', { retryable: true });
    for (const [id, file] of this.files) {
      this.orphans.add(id);
      if (isFinished(file.state)) continue;
      const failed: FileSnapshot = { ...file, state: 'failed', speed: 0, etaMs: null, failure: f };
      this.setFile(failed);
      this.emit({ type: 'file', file: failed });
    }
    // The mirror's files per request, gathered once.
    const byBatch = new Map<string, FileSnapshot[]>();
    for (const file of this.files.values()) {
      const ofBatch = byBatch.get(file.batchId);
      if (ofBatch === undefined) byBatch.set(file.batchId, [file]);
      else ofBatch.push(file);
    }
    for (const [batchId, batch] of this.batches) {
      const summary = summariseBatch(batchId, byBatch.get(batchId) ?? []);
      batch.resolve(summary);
      this.emit({ type: 'batch-done', summary });
    }
    this.batches.clear();
    this.settleAnswers();
    // Per request, recounted from the mirror; a request whose files were cleared keeps its last counts
    // (as the engine does), and one too new for a counts message yet is added.
    const tally = (batchId: string, files: readonly FileSnapshot[]): BatchCounts => tallyBatch(batchId, files.map((x) => x.state));
    const recount = (c: BatchCounts): BatchCounts => {
      const ofBatch = byBatch.get(c.batchId);
      return ofBatch === undefined ? c : tally(c.batchId, ofBatch);
    };
    const known = new Set(this.counts.map((c) => c.batchId));
    const newer = [...byBatch].filter(([id]) => !known.has(id)).map(([id, ofBatch]) => tally(id, ofBatch));
    this.counts = [...this.counts.map(recount), ...newer];
    this.orphanCounts = this.counts;
    const files = { ...EMPTY_AGGREGATE.files };
    for (const id of this.orphans) {
      const state = this.files.get(id)?.state;
      if (state !== undefined) countFile(files, state);
    }
    this.orphanTotals = files;
    this.progress = { ...this.progress, files: { ...files }, bytes: 0, totalBytes: 0, speed: 0, etaMs: null };
    this.emit({ type: 'aggregate', progress: this.progress });
  }

  /** The worker holds the process open only while it has work or something waits on it (a CLI-like caller exits when done). */
  private updateRef(): void {
    if (this.answers.size > 0 || this.batches.size > 0 || this.unfinished > 0) this.worker?.ref();
    else this.worker?.unref();
  }
}

function within(ms: number, work: Promise<unknown>): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, ms);
    void work.finally(() => {
      clearTimeout(timer);
      done();
    });
  });
}

/**
 * Opens the engine for `settings` in a worker thread running `script`; where
 * that thread cannot start (a broken build or package), or a source cannot
 * be handed to it, on this thread over `fallback`: downloads still work,
 * only with their work on this thread.
 */
export async function openEngineInWorker(script: string | URL, fallback: DownloadDeps, settings: Settings, logger: Logger = silentLogger): Promise<Result<DownloadEngineApi>> {
  // A source with a custom matcher (code, not data) cannot be handed to another thread.
  if (settings.sources !== undefined && specsOf(settings.sources) === null) return DownloadEngine.create(fallback, settings);
  const remote = await RemoteEngine.open(script, settings, logger);
  if (remote !== null) return remote;
  logger.warn('the download thread could not start: downloads run on the main thread');
  return DownloadEngine.create(fallback, settings);
}
