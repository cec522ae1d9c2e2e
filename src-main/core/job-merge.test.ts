import { describe, expect, it } from 'vitest';
import type { Job } from '../../src-shared/job';
import { mergeJob, placeholderJob } from './job-merge';
import { normalizeApiframeJob, ApiframeJobWire } from './providers/apiframe';
import type { ProviderJob } from './providers/provider';
import { SEED_COMPLETED, SEED_FAILED, SEED_JOB_ID, SEED_PROCESSING, SEED_QUEUED } from './testing/apiframe-fixtures';

const WATCHING: Job['watch'] = { state: 'watching', message: null, lastCheckedAt: '2026-03-15T10:00:05.000Z', progressAt: null };
const DONE: Job['watch'] = { state: 'done', message: null, lastCheckedAt: '2026-03-15T10:00:40.000Z', progressAt: null };

function providerJob(body: Record<string, unknown>): ProviderJob {
  return normalizeApiframeJob(ApiframeJobWire.parse(body), 'default');
}

describe('mergeJob', () => {
  it('with nothing known before, takes the provider answer and the given watch state', () => {
    const next = providerJob(SEED_PROCESSING);
    expect(mergeJob(undefined, next, WATCHING)).toEqual({ ...next, watch: WATCHING });
  });

  it('a list item with a bare-string result does not erase the richer asset list seen before', () => {
    const previous = { ...providerJob(SEED_COMPLETED), watch: DONE };
    const fromList = providerJob({ ...SEED_COMPLETED, result: 'https://cdn2.apiframe.ai/images/a1b2c3d4-e5f6-7890-abcd-ef1234567890-1.png' });
    expect(fromList.assets).toHaveLength(1);
    const merged = mergeJob(previous, fromList, DONE);
    expect(merged.assets).toEqual(previous.assets);
    expect(merged.assets).toHaveLength(5);
  });

  it('a richer answer replaces assets that only came from a list item', () => {
    const previous = { ...providerJob({ ...SEED_COMPLETED, result: 'https://cdn/x-1.png' }), watch: DONE };
    const full = providerJob(SEED_COMPLETED);
    expect(mergeJob(previous, full, DONE).assets).toEqual(full.assets);
  });

  it('an answer without assets keeps the assets known before', () => {
    const previous = { ...providerJob(SEED_COMPLETED), watch: DONE };
    const bare = providerJob({ ...SEED_COMPLETED, result: null });
    expect(mergeJob(previous, bare, DONE).assets).toHaveLength(5);
  });

  it('a refund (FAILED, creditCost 0) keeps the credits originally charged and marks them refunded', () => {
    const previous = { ...providerJob(SEED_PROCESSING), watch: WATCHING };
    expect(previous.cost).toEqual({ credits: 10, refunded: false });
    const merged = mergeJob(previous, providerJob(SEED_FAILED), DONE);
    expect(merged.cost).toEqual({ credits: 10, refunded: true });
    expect(merged.status).toBe('failed');
  });

  it('a refund with no earlier cost known reports 0 credits refunded', () => {
    const merged = mergeJob(placeholderJob({ key: 'k', provider: 'apiframe', accountId: 'default', id: SEED_JOB_ID }), providerJob(SEED_FAILED), DONE);
    expect(merged.cost).toEqual({ credits: 0, refunded: true });
  });

  it('keeps the prompt, model, modality and creation time when the new answer lacks them', () => {
    const previous: Job = { ...providerJob(SEED_PROCESSING), prompt: 'a lighthouse at dusk', watch: WATCHING };
    const sparse = providerJob({ id: SEED_JOB_ID, status: 'PROCESSING', progress: 80, result: null });
    expect(sparse.model).toBeNull();
    expect(sparse.modality).toBe('unknown');
    const merged = mergeJob(previous, sparse, WATCHING);
    expect(merged.prompt).toBe('a lighthouse at dusk');
    expect(merged.model).toBe('midjourney');
    expect(merged.modality).toBe('image');
    expect(merged.createdAt).toBe(SEED_QUEUED.createdAt);
    expect(merged.progress).toBe(80);
  });

  it('takes status, progress and the new watch state from the latest answer', () => {
    const previous = { ...providerJob(SEED_QUEUED), watch: WATCHING };
    const merged = mergeJob(previous, providerJob(SEED_COMPLETED), DONE);
    expect(merged.status).toBe('completed');
    expect(merged.progress).toBe(100);
    expect(merged.watch).toEqual(DONE);
  });

  it('a full answer in the same state never moves the progress back (a missing field reads as 0); a new state takes its own', () => {
    const previous: Job = { ...providerJob(SEED_PROCESSING), watch: WATCHING };
    expect(previous.progress).toBe(65);
    expect(mergeJob(previous, providerJob({ ...SEED_PROCESSING, progress: undefined }), WATCHING).progress).toBe(65);
    expect(mergeJob(previous, providerJob({ ...SEED_PROCESSING, progress: 40 }), WATCHING).progress).toBe(65);
    expect(mergeJob(previous, providerJob({ ...SEED_PROCESSING, progress: 90 }), WATCHING).progress).toBe(90);
    expect(mergeJob(previous, providerJob(SEED_COMPLETED), DONE).progress).toBe(100);
  });
});

describe('mergeJob with a partial (status-only) answer', () => {
  it('takes the new status and raw status but keeps the richer fields known before', () => {
    const previous: Job = { ...providerJob(SEED_PROCESSING), prompt: 'a lighthouse at dusk', watch: WATCHING };
    const partial: ProviderJob = { ...providerJob({ id: SEED_JOB_ID, status: 'COMPLETED', progress: 100, result: 'https://cdn/x-1.png' }), partial: true };
    const merged = mergeJob(previous, partial, DONE);
    expect(merged).toMatchObject({ status: 'completed', rawStatus: 'COMPLETED', prompt: 'a lighthouse at dusk', model: 'midjourney', cost: { credits: 10, refunded: false } });
    expect(merged.assets).toEqual(previous.assets);
    expect(merged.watch).toEqual(DONE);
    expect('partial' in merged).toBe(false);
  });

  it('never lowers the progress known before', () => {
    const previous: Job = { ...providerJob(SEED_PROCESSING), watch: WATCHING };
    expect(previous.progress).toBe(65);
    const partial: ProviderJob = { ...providerJob({ ...SEED_PROCESSING, progress: 0 }), partial: true };
    expect(mergeJob(previous, partial, WATCHING).progress).toBe(65);
    const ahead: ProviderJob = { ...providerJob({ ...SEED_PROCESSING, progress: 80 }), partial: true };
    expect(mergeJob(previous, ahead, WATCHING).progress).toBe(80);
  });

  it('with nothing known before, a partial answer is taken as is (without the partial flag)', () => {
    const partial: ProviderJob = { ...providerJob(SEED_QUEUED), partial: true };
    const merged = mergeJob(undefined, partial, WATCHING);
    expect('partial' in merged).toBe(false);
    expect(merged.status).toBe('queued');
  });
});

describe('mergeJob never makes a finished job unfinished', () => {
  // A history page fetched before the job finished, merged after: the job must stay finished
  // (else it is watched again and its automatic download may fire twice).
  it('a stale full answer (PROCESSING) keeps the completed status, progress, assets and completedAt', () => {
    const previous: Job = { ...providerJob(SEED_COMPLETED), watch: DONE };
    const stale = providerJob({ ...SEED_PROCESSING, result: null });
    const merged = mergeJob(previous, stale, WATCHING);
    expect(merged).toMatchObject({ status: 'completed', rawStatus: 'COMPLETED', progress: 100, completedAt: SEED_COMPLETED.completedAt });
    expect(merged.assets).toEqual(previous.assets);
    expect(merged.watch).toEqual(DONE);
  });

  it('a stale partial answer (a running-list entry) keeps the failed status, its error and its refund', () => {
    const previous: Job = { ...mergeJob({ ...providerJob(SEED_PROCESSING), watch: WATCHING }, providerJob(SEED_FAILED), DONE) };
    const partial: ProviderJob = { ...providerJob(SEED_QUEUED), partial: true };
    const merged = mergeJob(previous, partial, WATCHING);
    expect(merged).toMatchObject({ status: 'failed', rawStatus: 'FAILED', error: previous.error, cost: { credits: 10, refunded: true }, completedAt: SEED_FAILED.completedAt });
    expect(merged.watch).toEqual(DONE);
  });

  it('a stale answer still fills in what was not known (prompt, model, creation time)', () => {
    const previous: Job = { ...providerJob({ id: SEED_JOB_ID, status: 'COMPLETED', result: { images: ['https://cdn/x-1.png'] } }), watch: DONE };
    expect(previous.model).toBeNull();
    const merged = mergeJob(previous, providerJob(SEED_PROCESSING), WATCHING);
    expect(merged).toMatchObject({ status: 'completed', model: 'midjourney', createdAt: SEED_PROCESSING.createdAt });
  });

  it('a list item (bare-URL result) keeps the modality known before: a Midjourney video does not become an image', () => {
    const previous: Job = { ...providerJob({ ...SEED_COMPLETED, result: { videos: ['https://cdn/v-1.mp4', 'https://cdn/v-2.mp4'] } }), watch: DONE };
    expect(previous.modality).toBe('video');
    const listItem = providerJob({ ...SEED_COMPLETED, result: 'https://cdn/v-1.mp4' });
    expect(listItem.modality).toBe('image');
    const merged = mergeJob(previous, listItem, DONE);
    expect(merged.modality).toBe('video');
    expect(merged.assets).toEqual(previous.assets);
  });

  it('a full answer still corrects the modality', () => {
    const previous: Job = { ...providerJob({ ...SEED_COMPLETED, result: 'https://cdn/v-1.mp4' }), watch: DONE };
    expect(previous.modality).toBe('image');
    const full = providerJob({ ...SEED_COMPLETED, result: { videos: ['https://cdn/v-1.mp4'] } });
    expect(mergeJob(previous, full, DONE).modality).toBe('video');
  });
});

describe('placeholderJob', () => {
  it('is a queued, watched row with no provider data yet', () => {
    const job = placeholderJob({ key: `apiframe:default:${SEED_JOB_ID}`, provider: 'apiframe', accountId: 'default', id: SEED_JOB_ID });
    expect(job).toMatchObject({ status: 'queued', rawStatus: 'UNKNOWN', progress: 0, assets: [], cost: null, raw: null });
    expect(job.watch.state).toBe('watching');
  });
});
