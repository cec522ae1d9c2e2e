/** The engine's public value types: what callers enqueue, and what its events and summaries carry. */
import type { Asset, Job } from '../../../src-shared/job';
import type { Logger } from '../ports';
import type { DownloadFailure } from './errors';

export interface DownloadItem {
  job: Job;
  asset: Asset;
}

export interface EnqueueOptions {
  /** Fetch even when the ledger says this asset was already downloaded (deleted files come back). */
  force?: boolean;
  /** A retry of this request's failed files: their failed rows make way for the new ones (one row per file). */
  retryOf?: string;
}

export type FileState = 'queued' | 'active' | 'retrying' | 'paused' | 'done' | 'skipped' | 'failed' | 'cancelled';

export function isFinished(state: FileState): boolean {
  return state === 'done' || state === 'skipped' || state === 'failed' || state === 'cancelled';
}

export interface FileSnapshot {
  id: string;
  batchId: string;
  jobKey: string;
  provider: string;
  accountId: string;
  jobId: string;
  /** `<kind>:<index>` */
  assetKey: string;
  kind: Asset['kind'];
  /** The URL currently used (a refreshed one after an expiry). */
  url: string;
  state: FileState;
  bytes: number;
  total: number | null;
  /** Bytes per second over the last few seconds. */
  speed: number;
  etaMs: number | null;
  /** Relative to the root (forward slashes) once a name was chosen. */
  path: string | null;
  attempts: number;
  failure: DownloadFailure | null;
  /** Why a file was skipped: it is in the ledger (and still on disk, or deleted by the user). */
  skipReason: 'already-downloaded' | 'deleted-by-user' | null;
}

export interface AggregateProgress {
  files: { total: number; queued: number; active: number; paused: number; done: number; skipped: number; failed: number; cancelled: number };
  bytes: number;
  /** Sum of the known totals (files with unknown size count their bytes so far). */
  totalBytes: number;
  speed: number;
  etaMs: number | null;
  /** 'low-space' while the engine holds downloads because the disk is nearly full. */
  hold: 'low-space' | null;
}

export interface BatchSummary {
  batchId: string;
  done: number;
  skipped: number;
  cancelled: number;
  failed: FileSnapshot[];
  bytes: number;
}

export type DownloadEvent =
  | { type: 'file'; file: FileSnapshot }
  | { type: 'aggregate'; progress: AggregateProgress }
  | { type: 'batch-done'; summary: BatchSummary }
  | { type: 'space'; state: 'low' | 'ok'; freeBytes: number | null }
  /** The ledger recorded an asset (`downloaded`) or took one out: what isDownloaded() answers for its key changed. */
  | { type: 'ledger'; key: string; downloaded: boolean }
  /** Files taken off the list: failed ones a retry replaced. */
  | { type: 'removed'; ids: string[] };

export interface BatchHandle {
  batchId: string;
  files: FileSnapshot[];
  /** Resolves when every file of the batch is done, skipped, failed or cancelled. */
  done: Promise<BatchSummary>;
}

/** An engine with no files. */
export const EMPTY_AGGREGATE: AggregateProgress = { files: { total: 0, queued: 0, active: 0, paused: 0, done: 0, skipped: 0, failed: 0, cancelled: 0 }, bytes: 0, totalBytes: 0, speed: 0, etaMs: null, hold: null };

/** Counts a file in the aggregate's `files` (a file waiting to retry counts as queued). */
export function countFile(files: AggregateProgress['files'], state: FileState): void {
  files.total++;
  if (state === 'retrying') files.queued++;
  else files[state]++;
}

/** A finished batch's summary from its files (failed ones copied). */
export function summariseBatch(batchId: string, files: readonly FileSnapshot[]): BatchSummary {
  const count = (s: FileState): number => files.filter((f) => f.state === s).length;
  return {
    batchId,
    done: count('done'),
    skipped: count('skipped'),
    cancelled: count('cancelled'),
    failed: files.filter((f) => f.state === 'failed').map((f) => ({ ...f })),
    bytes: files.filter((f) => f.state === 'done').reduce((n, f) => n + f.bytes, 0),
  };
}

/** Hands `event` to every listener; one that throws is logged, the others still hear it. */
export function notifyAll(listeners: Iterable<(event: DownloadEvent) => void>, event: DownloadEvent, logger: Logger): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch (e) {
      logger.warn('download listener threw', { error: String(e) });
    }
  }
}
