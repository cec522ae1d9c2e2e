/**
 * Messages between the engine's thread (worker-transfers.ts) and the
 * transfer worker (transfer-worker.ts). Both ends are this codebase, built
 * together, so the shapes are trusted: structured clone carries them.
 */
import type { DownloadFailure } from '../core/downloads/errors';
import type { TransferOrder } from '../core/downloads/ports';
import type { TransferResult } from '../core/downloads/transfer';

export type ToWorker = { type: 'run'; id: number; order: TransferOrder } | { type: 'abort'; id: number } | { type: 'rate'; bytesPerSecond: number | null };

export type FromWorker =
  /** Sent once the worker has loaded: it can run transfers (see MAX_FAILED_STARTS in worker-transfers.ts). */
  | { type: 'ready' }
  | { type: 'bytes'; id: number; bytes: number; total: number | null }
  | { type: 'restart'; id: number; why: string }
  | { type: 'done'; id: number; result: TransferResult }
  /** `failure` null: not a classified failure (aborted, or a bug: `message` says what). */
  | { type: 'failed'; id: number; failure: DownloadFailure | null; message: string };

/** Progress messages per transfer are at most this frequent (the last count always goes before the end). */
export const BYTES_MESSAGE_MS = 100;
