/**
 * TransferRunner over a worker thread running transfer-worker.js (see there
 * for why). Started on the first transfer, kept while transfers run, and
 * unref'd when idle so it never holds a process open. If the worker dies,
 * its transfers fail as retryable network failures (the engine retries and
 * resumes them) and the next one starts a new worker.
 */
import { Worker } from 'node:worker_threads';
import { failure, TransferError } from '../core/downloads/errors';
import type { TransferOrder, TransferRunner } from '../core/downloads/ports';
import type { TransferResult } from '../core/downloads/transfer';
import type { FromWorker, ToWorker } from './transfer-protocol';

interface Pending {
  resolve(result: TransferResult): void;
  reject(error: unknown): void;
  signal: AbortSignal;
  onBytes(bytes: number, total: number | null): void;
  onRestart(why: string): void;
  stopListening(): void;
}

export interface WorkerTransfers extends TransferRunner {
  /** Stops the worker; transfers still running fail like after a crash. */
  close(): Promise<void>;
}

export function createWorkerTransfers(script: string | URL): WorkerTransfers {
  let worker: Worker | null = null;
  let nextId = 1;
  let rate: number | null = null;
  const pending = new Map<number, Pending>();

  const send = (message: ToWorker): void => worker?.postMessage(message);

  const failAll = (why: string): void => {
    for (const [id, p] of pending) {
      pending.delete(id);
      p.stopListening();
      if (p.signal.aborted) p.reject(p.signal.reason);
      else p.reject(new TransferError(failure('network', `The download helper stopped (${why}).`, { retryable: true })));
    }
  };

  const onMessage = (message: FromWorker): void => {
    const p = pending.get(message.id);
    if (p === undefined) return;
    if (message.type === 'bytes') return p.onBytes(message.bytes, message.total);
    if (message.type === 'restart') return p.onRestart(message.why);
    pending.delete(message.id);
    p.stopListening();
    if (pending.size === 0) worker?.unref();
    if (message.type === 'done') p.resolve(message.result);
    else if (p.signal.aborted) p.reject(p.signal.reason);
    else if (message.failure !== null) p.reject(new TransferError(message.failure));
    else p.reject(new Error(message.message));
  };

  const started = (): Worker => {
    if (worker !== null) return worker;
    // A small young generation (3 MiB: semi-spaces of 1 MiB, as the CLI's --max-semi-space-size=1): the
    // worker's garbage is almost all short-lived 64 KiB socket buffers (see cli/relaunch.ts; bench:download).
    const w = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: 3 } });
    w.on('message', onMessage);
    w.on('error', (e) => {
      if (worker === w) worker = null;
      failAll(e instanceof Error ? e.message : String(e));
    });
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failAll(`exit code ${code}`);
    });
    worker = w;
    if (rate !== null) send({ type: 'rate', bytesPerSecond: rate });
    return w;
  };

  return {
    run(order: TransferOrder, signal: AbortSignal, onBytes, onRestart): Promise<TransferResult> {
      if (signal.aborted) return Promise.reject(signal.reason);
      const w = started();
      const id = nextId++;
      return new Promise<TransferResult>((resolve, reject) => {
        const abort = (): void => send({ type: 'abort', id });
        signal.addEventListener('abort', abort, { once: true });
        pending.set(id, { resolve, reject, signal, onBytes, onRestart, stopListening: () => signal.removeEventListener('abort', abort) });
        w.ref();
        send({ type: 'run', id, order });
      });
    },
    setRateLimit(bytesPerSecond) {
      rate = bytesPerSecond !== null && bytesPerSecond > 0 ? bytesPerSecond : null;
      send({ type: 'rate', bytesPerSecond: rate });
    },
    async close() {
      const w = worker;
      worker = null;
      if (w !== null) await w.terminate();
      failAll('closed');
    },
  };
}
