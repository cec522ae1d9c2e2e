/**
 * The transfer worker: a worker thread that runs the engine's transfer
 * attempts (core/downloads/transfer.ts) with its own undici Agent and
 * blocking file I/O (node-fs-blocking.ts). Built as out/main/transfer-worker.js
 * and started by worker-transfers.ts.
 *
 * Why a thread: the bytes of every download (HTTP parsing, buffers, their
 * garbage, the writes) stay off the thread that runs the app (Electron's
 * main process, which also answers the window and the tray), and blocking
 * writes, which cost no thread-pool round trips, are harmless here.
 */
import { parentPort } from 'node:worker_threads';
import { TransferError } from '../core/downloads/errors';
import type { SyncGate } from '../core/downloads/transfer';
import { NO_HASH, transfer } from '../core/downloads/transfer';
import { RateLimiter } from '../core/downloads/rate-limit';
import { sourceFromSpec } from '../core/downloads/sources';
import { createBlockingFileSystem } from './node-fs-blocking';
import { nodeSha256 } from './node-fs';
import { systemClock } from './system-clock';
import type { FromWorker, ToWorker } from './transfer-protocol';
import { BYTES_MESSAGE_MS } from './transfer-protocol';
import { createUndiciDownload } from './undici-download';

const port = parentPort;
if (port === null) throw new Error('transfer-worker.js runs as a worker thread only.');

const http = createUndiciDownload();
const fs = createBlockingFileSystem();
const limiter = new RateLimiter(systemClock, null);
const syncGate: SyncGate = { active: 0, max: 2 };
const running = new Map<number, AbortController>();
const post = (message: FromWorker): void => port.postMessage(message);

async function run(id: number, order: Extract<ToWorker, { type: 'run' }>['order']): Promise<void> {
  const controller = new AbortController();
  running.set(id, controller);
  let last = 0;
  let unsent: { bytes: number; total: number | null } | null = null;
  const flushBytes = (): void => {
    if (unsent === null) return;
    post({ type: 'bytes', id, ...unsent });
    unsent = null;
  };
  try {
    const result = await transfer(
      {
        http,
        fs,
        hasher: order.checksums ? nodeSha256 : NO_HASH,
        sources: order.sources.map(sourceFromSpec),
        fsync: order.fsync,
        syncGate,
        signal: controller.signal,
        now: () => Date.now(),
        throttle: (bytes) => limiter.take(bytes),
        onBytes: (bytes, total) => {
          unsent = { bytes, total };
          const now = Date.now();
          if (now - last < BYTES_MESSAGE_MS) return;
          last = now;
          flushBytes();
        },
        onRestart: (why) => post({ type: 'restart', id, why }),
      },
      order.target,
    );
    flushBytes();
    post({ type: 'done', id, result });
  } catch (e) {
    flushBytes();
    post({ type: 'failed', id, failure: e instanceof TransferError ? e.failure : null, message: e instanceof Error ? e.message : String(e) });
  } finally {
    running.delete(id);
    // Whatever the attempt left open (a response it never read to its end) is torn down.
    if (!controller.signal.aborted) controller.abort(new Error('The attempt is over.'));
  }
}

post({ type: 'ready' });

port.on('message', (message: ToWorker) => {
  if (message.type === 'run') void run(message.id, message.order);
  else if (message.type === 'abort') running.get(message.id)?.abort(new Error('download stopped'));
  else limiter.setRate(message.bytesPerSecond);
});
