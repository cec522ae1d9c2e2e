/** Job builders for the presenter tests (not shipped: only *.test.ts import it). */
import type { Job } from '../../../src-shared/job';
import type { JobsDelta } from '../../../src-shared/ipc-contract';
import { placeholderJob } from '../job-merge';

export function job(id: string, patch: Partial<Job> = {}): Job {
  const provider = patch.provider ?? 'apiframe';
  const accountId = patch.accountId ?? 'default';
  return { ...placeholderJob({ key: `${provider}:${accountId}:${id}`, provider, accountId, id }), ...patch };
}

export function done(id: string, at: string, patch: Partial<Job> = {}): Job {
  return job(id, { status: 'completed', progress: 100, completedAt: at, watch: { state: 'done', message: null, lastCheckedAt: at, progressAt: at }, ...patch });
}

export function failed(id: string, at: string, patch: Partial<Job> = {}): Job {
  return job(id, { status: 'failed', completedAt: at, error: { message: 'The prompt was blocked.', code: null, details: null }, watch: { state: 'done', message: null, lastCheckedAt: at, progressAt: at }, ...patch });
}

export function delta(...upserted: Job[]): JobsDelta {
  return { upserted, removed: [] };
}
