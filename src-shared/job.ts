/**
 * The normalised job model every provider maps into, as runtime schemas. The
 * word lists themselves live in vocabulary.ts (zod-free, for the renderer).
 */
import { z } from 'zod';
import { ASSET_KINDS, JOB_STATUSES, MODALITIES, PROVIDER_IDS } from './vocabulary';

export { PROVIDER_IDS, PROVIDER_LABELS, JOB_STATUSES, MODALITIES, ASSET_KINDS, isTerminalStatus } from './vocabulary';
export type { ProviderId, JobStatus, Modality } from './vocabulary';
import type { ProviderId } from './vocabulary';

export const ProviderIdSchema = z.enum(PROVIDER_IDS);
export const JobStatusSchema = z.enum(JOB_STATUSES);
export const ModalitySchema = z.enum(MODALITIES);
export const AssetKindSchema = z.enum(ASSET_KINDS);

export const AssetSchema = z.object({
  kind: AssetKindSchema,
  url: z.string(),
  /** 0-based position among the job's assets of the same kind. */
  index: z.number().int().nonnegative(),
  filename: z.string().nullable(),
  contentType: z.string().nullable(),
  size: z.number().int().nonnegative().nullable(),
  width: z.number().int().positive().nullable(),
  height: z.number().int().positive().nullable(),
  /** Provider metadata that belongs to this asset (e.g. a music track's title). */
  meta: z.record(z.string(), z.unknown()),
});
export type Asset = z.infer<typeof AssetSchema>;

export const JobErrorSchema = z.object({
  message: z.string(),
  code: z.union([z.string(), z.number()]).nullable(),
  details: z.string().nullable(),
});
export type JobError = z.infer<typeof JobErrorSchema>;

export const JobCostSchema = z.object({
  credits: z.number(),
  /** True when the provider refunded the credits (Apiframe: FAILED → creditCost 0). */
  refunded: z.boolean(),
});

/** How the watcher currently treats this job; independent of the job's own status. */
export const WATCH_STATES = ['watching', 'stalled', 'done', 'paused', 'error'] as const;
export const WatchSchema = z.object({
  state: z.enum(WATCH_STATES),
  /** One sentence for the user when paused or in error. */
  message: z.string().nullable(),
  lastCheckedAt: z.string().nullable(),
  /** When progress or status last changed: the basis of the "stalled" flag. */
  progressAt: z.string().nullable(),
});

export const JobSchema = z.object({
  /** Unique across providers and accounts: see `jobKey`. */
  key: z.string(),
  provider: ProviderIdSchema,
  accountId: z.string(),
  id: z.string(),
  status: JobStatusSchema,
  rawStatus: z.string(),
  modality: ModalitySchema,
  model: z.string().nullable(),
  prompt: z.string().nullable(),
  progress: z.number().min(0).max(100),
  assets: z.array(AssetSchema),
  error: JobErrorSchema.nullable(),
  cost: JobCostSchema.nullable(),
  webhookStatus: z.string().nullable(),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  watch: WatchSchema,
  /**
   * Per the download ledger of the current folder: every result genwatch
   * downloads for this job is there ('all'), only part of it ('some'), or
   * absent when nothing is. Kept by the core, never by a provider.
   */
  downloaded: z.enum(['some', 'all']).optional(),
  /** The provider's last payload, kept for metadata sidecars and the detail view. */
  raw: z.unknown(),
});
export type Job = z.infer<typeof JobSchema>;

export function jobKey(provider: ProviderId, accountId: string, id: string): string {
  return `${provider}:${accountId}:${id}`;
}
