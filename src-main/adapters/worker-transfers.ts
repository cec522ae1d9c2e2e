/**
 * TransferRunner over a worker thread running transfer-worker.js (see there
 * for why). Started by warm() (the engine calls it when created) or the
 * first transfer, kept, and unref'd when idle so it never holds a process open. If the worker dies,
 * the transfers it was running fail as retryable network failures (the
 * engine retries and resumes them) and the next one starts a new worker.
 * A worker that cannot even start (a broken build or package) twice in a row
 * makes the runner unavailable: the engine then transfers on its own thread.
 */
import { Worker } from 'node:worker_threads';
import { failure, TransferError } from '../core/downloads/errors';
import type { TransferOrder, TransferRunner } from '../core/downloads/ports';
import type { TransferResult } from '../core/downloads/transfer';
import type { FromWorker, ToWorker } from './transfer-protocol';

interface Pending {
  worker: Worker;
  resolve(result: TransferResult): void;
  reject(error: unknown): void;
  signal: AbortSignal;
  onBytes(bytes: number, total: number | null): void;
  onRestart(why: string): void;
  stopListening(): void;
}

export interface WorkerTransfers extends TransferRunner {
  /** Ends the current worker as if it had crashed (its transfers fail, retryably); the next transfer starts a new one. */
  recycle(): Promise<void>;
  /** Stops the worker for good: its transfers fail and later ones are refused (the engine runs them itself). */
  close(): Promise<void>;
}

/** Worker starts that may fail in a row before the runner gives up. */
const MAX_FAILED_STARTS = 2;

export function createWorkerTransfers(script: string | URL): WorkerTransfers {
  let worker: Worker | null = null;
  let nextId = 1;
  let rate: number | null = null;
  let closed = false;
  let failedStarts = 0;
  /** Settles when the current worker has loaded (or has failed to). */
  let loaded: Promise<void> = Promise.resolve();
  const pending = new Map<number, Pending>();
  /** Workers ended on purpose (recycle, close): their exit is not a failed start. */
  const ended = new WeakSet<Worker>();

  const settle = (id: number, p: Pending): void => {
    pending.delete(id);
    p.stopListening();
    if (![...pending.values()].some((other) => other.worker === p.worker)) p.worker.unref();
  };

  /** Fails what `w` was running (only that worker's: a newer one may be running others fine). */
  const failAllOf = (w: Worker, why: string): void => {
    for (const [id, p] of pending) {
      if (p.worker !== w) continue;
      settle(id, p);
      if (p.signal.aborted) p.reject(p.signal.reason);
      else p.reject(new TransferError(failure('network', `The download helper stopped (${why}).`, { retryable: true })));
    }
  };

  const onMessage = (w: Worker, message: FromWorker): void => {
    if (message.type === 'ready') {
      failedStarts = 0;
      return;
    }
    const p = pending.get(message.id);
    if (p === undefined || p.worker !== w) return;
    if (message.type === 'bytes') return p.onBytes(message.bytes, message.total);
    if (message.type === 'restart') return p.onRestart(message.why);
    settle(message.id, p);
    if (message.type === 'done') p.resolve(message.result);
    else if (p.signal.aborted) p.reject(p.signal.reason);
    else if (message.failure !== null) p.reject(new TransferError(message.failure));
    else p.reject(new Error(message.message));
  };

  /** Ends the current worker: its thread first (no write of it can overlap a retry), then its transfers fail. */
  const end = async (why: string): Promise<void> => {
    const w = worker;
    worker = null;
    if (w === null) return;
    ended.add(w);
    await w.terminate();
    failAllOf(w, why);
  };

  const started = (): Worker => {
    if (worker !== null) return worker;
    // A small young generation (3 MiB: semi-spaces of 1 MiB, as the CLI's --max-semi-space-size=1): the
    // worker's garbage is almost all short-lived 64 KiB socket buffers (see cli/relaunch.ts; bench:download).
    const w = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: 3 } });
    // Idle until run() gives it work: an idle worker never holds the process open.
    w.unref();
    let ready = false;
    let settleLoaded = (): void => undefined;
    loaded = new Promise<void>((done) => (settleLoaded = done));
    const gone = (why: string): void => {
      if (worker === w) worker = null;
      if (!ready && !ended.has(w)) failedStarts++;
      ready = true; // count a start once, whether 'error' or 'exit' comes first
      settleLoaded();
      failAllOf(w, why);
    };
    w.on('message', (message: FromWorker) => {
      if (message.type === 'ready') {
        ready = true;
        settleLoaded();
      }
      onMessage(w, message);
    });
    w.on('error', (e) => gone(e instanceof Error ? e.message : String(e)));
    w.on('exit', (code) => gone(`exit code ${code}`));
    worker = w;
    if (rate !== null) w.postMessage({ type: 'rate', bytesPerSecond: rate } satisfies ToWorker);
    return w;
  };

  return {
    get available() {
      return !closed && failedStarts < MAX_FAILED_STARTS;
    },
    run(order: TransferOrder, signal: AbortSignal, onBytes, onRestart): Promise<TransferResult> {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (closed) return Promise.reject(new TransferError(failure('network', 'The download helper was stopped.', { retryable: true })));
      const w = started();
      const id = nextId++;
      return new Promise<TransferResult>((resolve, reject) => {
        const abort = (): void => w.postMessage({ type: 'abort', id } satisfies ToWorker);
        signal.addEventListener('abort', abort, { once: true });
        const p: Pending = { worker: w, resolve, reject, signal, onBytes, onRestart, stopListening: () => signal.removeEventListener('abort', abort) };
        pending.set(id, p);
        w.ref();
        try {
          w.postMessage({ type: 'run', id, order } satisfies ToWorker);
        } catch (e) {
          settle(id, p);
          reject(e);
        }
      });
    },
    warm() {
      if (closed || failedStarts >= MAX_FAILED_STARTS) return Promise.resolve();
      started();
      return loaded;
    },
    setRateLimit(bytesPerSecond) {
      rate = bytesPerSecond !== null && bytesPerSecond > 0 ? bytesPerSecond : null;
      worker?.postMessage({ type: 'rate', bytesPerSecond: rate } satisfies ToWorker);
    },
    recycle: () => end('restarted'),
    close() {
      closed = true;
      return end('closed');
    },
  };
}
