/**
 * Downloads as the renderer sees them: per-file progress, the aggregate, the
 * last batch's failures, and jobs whose results may soon vanish at the provider.
 */
import { z } from 'zod';
import { boundedRecord } from './bounded';
import { AssetKindSchema } from './job';

export const DOWNLOAD_FILE_STATES = ['queued', 'active', 'retrying', 'paused', 'done', 'skipped', 'failed', 'cancelled'] as const;
import { DEFAULT_DOWNLOAD_TEMPLATE } from './template-variables';
export { DEFAULT_DOWNLOAD_TEMPLATE };

export const DownloadFileSchema = z.object({
  id: z.string(),
  batchId: z.string(),
  jobKey: z.string(),
  jobId: z.string(),
  provider: z.string(),
  kind: AssetKindSchema,
  url: z.string(),
  state: z.enum(DOWNLOAD_FILE_STATES),
  bytes: z.number(),
  total: z.number().nullable(),
  speed: z.number(),
  etaMs: z.number().nullable(),
  /** Relative to the download folder, forward slashes. */
  path: z.string().nullable(),
  attempts: z.number().int(),
  /** One sentence when failed. */
  error: z.string().nullable(),
  retryable: z.boolean(),
  skipReason: z.enum(['already-downloaded', 'deleted-by-user']).nullable(),
});
export type DownloadFile = z.infer<typeof DownloadFileSchema>;

export const DownloadAggregateSchema = z.object({
  files: z.object({
    total: z.number(),
    queued: z.number(),
    active: z.number(),
    paused: z.number(),
    done: z.number(),
    skipped: z.number(),
    failed: z.number(),
    cancelled: z.number(),
  }),
  bytes: z.number(),
  totalBytes: z.number(),
  speed: z.number(),
  etaMs: z.number().nullable(),
  hold: z.enum(['low-space']).nullable(),
});
export type DownloadAggregate = z.infer<typeof DownloadAggregateSchema>;

/** One download request's files by outcome; `pending` = queued, downloading, retrying or paused. */
export const BatchCountsSchema = z.object({
  batchId: z.string(),
  total: z.number().int(),
  done: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
  pending: z.number().int(),
});

export const DownloadsStateSchema = z.object({
  /** The chosen folder (absolute), or null until the user picks one. */
  root: z.string().nullable(),
  /** Why downloads cannot run (no folder, folder not writable), in one sentence. */
  problem: z.string().nullable(),
  /** Newest first, capped: the list the downloads panel shows. */
  files: z.array(DownloadFileSchema),
  aggregate: DownloadAggregateSchema,
  /** Batches that ended with failures, for "retry failed". */
  failedBatches: z.array(z.object({ batchId: z.string(), failed: z.number().int() })),
  /** The most recent requests, counted from all their files (the file list above is capped). */
  batches: z.array(BatchCountsSchema),
  /** Completed jobs not yet on disk and close to the provider's retention limit. */
  atRisk: z.object({ count: z.number().int(), keys: z.array(z.string()) }),
});
export type DownloadsState = z.infer<typeof DownloadsStateSchema>;

export type BatchCounts = z.infer<typeof BatchCountsSchema>;

export const DownloadSettingsSchema = z.object({
  root: z.string().max(4096).nullable(),
  template: z.string().min(1).max(300),
  /** Download every result as soon as its job completes. */
  auto: z.boolean(),
  autoModalities: z.object({ image: z.boolean(), video: z.boolean(), music: z.boolean() }),
  /** Per-account override of `auto` (`${provider}:${accountId}` → on/off). */
  autoPerAccount: boundedRecord(z.string().max(100), z.boolean()),
  /** Midjourney-style results: the grid, the individual images, or both. */
  images: z.enum(['all', 'grid', 'individual']),
  /** Leave source URLs out of sidecars and embedded metadata. */
  privacy: z.boolean(),
  embedMetadata: z.boolean(),
  sidecar: z.boolean(),
  /** Record each file's SHA-256 in the ledger and sidecar (costs about 0.6 s of CPU per GB). */
  checksums: z.boolean(),
  /**
   * fsync each file before it counts as done, so a power cut at any moment
   * cannot leave an empty file under a final name. Off by default, like
   * curl, aria2 and rsync: it makes every file wait for the disk, and the
   * usual damage (an empty file) is found and downloaded again anyway.
   */
  fsync: z.boolean(),
  /** All downloads together at most this many MB/s (MiB); 0 = no limit. */
  speedLimitMBps: z.number().min(0).max(10_000),
  concurrency: z.number().int().min(1).max(16),
});
export type DownloadSettings = z.infer<typeof DownloadSettingsSchema>;

export const DEFAULT_DOWNLOAD_SETTINGS: DownloadSettings = {
  root: null,
  template: DEFAULT_DOWNLOAD_TEMPLATE,
  auto: true,
  autoModalities: { image: true, video: true, music: true },
  autoPerAccount: {},
  images: 'all',
  privacy: false,
  embedMetadata: true,
  sidecar: true,
  checksums: false,
  fsync: false,
  speedLimitMBps: 0,
  concurrency: 6,
};

/** Provider retention: useapi.net deletes jobs after 62 days, Apiframe its CDN files after about 3 months. */
export const RETENTION_DAYS: Record<'apiframe' | 'useapi', number> = { apiframe: 90, useapi: 62 };
/** Jobs within this many days of the limit are flagged. */
export const RETENTION_WARNING_DAYS = 7;
