/**
 * Display names for the shared word lists (src-shared/vocabulary.ts, zod-free).
 * The `Record<…>` types make the compiler fail if a provider or status is
 * added there and not here.
 */
import type { JobStatus, Modality, ProviderId } from '../../../src-shared/vocabulary';
import type { AccountHealth } from '../../../src-shared/ipc-contract';

export { PROVIDER_IDS, PROVIDER_LABELS, JOB_STATUSES } from '../../../src-shared/vocabulary';

export const PROVIDER_SHORT: Record<ProviderId, string> = {
  apiframe: 'Apiframe',
  useapi: 'useapi',
};

export const STATUS_LABELS: Record<JobStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
};

export const MODALITY_LABELS: Record<Modality, string> = {
  image: 'Image',
  video: 'Video',
  music: 'Music',
  unknown: 'Other',
};

type HealthState = AccountHealth['state'];

/** Plain-words headline for an account problem; the provider name is prefixed. */
export const HEALTH_HEADLINES: Record<Exclude<HealthState, 'ok'>, (provider: string) => string> = {
  'key-missing': (p) => `No ${p} key yet. Add it in Settings to watch your own jobs.`,
  'key-rejected': (p) => `${p} rejected your API key. Check or replace it in Settings.`,
  payment: (p) => `Your ${p} account is out of credits or has no active plan. Jobs stay paused until it is topped up.`,
  unreachable: (p) => `genwatch can't reach ${p} right now. It keeps retrying on its own.`,
};
