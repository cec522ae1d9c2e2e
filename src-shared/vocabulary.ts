/**
 * The shared word lists: providers, statuses, modalities. Zod-free so the
 * renderer and the preload can import the values without the validator;
 * the schemas in job.ts are built from these.
 */
export const PROVIDER_IDS = ['apiframe', 'useapi'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export const PROVIDER_LABELS: Record<ProviderId, string> = {
  apiframe: 'Apiframe',
  useapi: 'useapi.net Midjourney',
};

/** The common status set; the provider's own word is kept in `rawStatus`. */
export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export function isTerminalStatus(status: JobStatus): boolean {
  return status === 'completed' || status === 'failed';
}

export const MODALITIES = ['image', 'video', 'music', 'unknown'] as const;
export type Modality = (typeof MODALITIES)[number];

export const ASSET_KINDS = ['image', 'grid', 'video', 'audio', 'cover', 'other'] as const;
