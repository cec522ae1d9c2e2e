/**
 * One download request's files by outcome. Zod-free so the renderer's bridge
 * double can use it without bundling the validator (the schema lives in
 * downloads.ts).
 */
import type { BatchCounts, DownloadFile } from './downloads';

/** Counts `states` into done / skipped / failed / cancelled; anything else (queued, downloading, retrying, paused) is pending. */
export function tallyBatch(batchId: string, states: Iterable<DownloadFile['state']>): BatchCounts {
  const counts: BatchCounts = { batchId, total: 0, done: 0, skipped: 0, failed: 0, cancelled: 0, pending: 0 };
  for (const s of states) {
    counts.total++;
    if (s === 'done' || s === 'skipped' || s === 'failed' || s === 'cancelled') counts[s]++;
    else counts.pending++;
  }
  return counts;
}
