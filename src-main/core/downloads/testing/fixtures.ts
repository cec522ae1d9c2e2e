/** Jobs and assets for download tests. */
import type { Asset, Job } from '../../../../src-shared/job';

export function makeAsset(url: string, over: Partial<Asset> = {}): Asset {
  return { kind: 'image', url, index: 0, filename: null, contentType: null, size: null, width: null, height: null, meta: {}, ...over };
}

export function makeJob(assets: Asset[], over: Partial<Job> = {}): Job {
  const id = over.id ?? '3f2c9a1e-5b7d-4c2e-9f10-2a6b8c4d0e11';
  const provider = over.provider ?? 'apiframe';
  const accountId = over.accountId ?? 'default';
  return {
    key: `${provider}:${accountId}:${id}`,
    provider,
    accountId,
    id,
    status: 'completed',
    rawStatus: 'COMPLETED',
    modality: 'image',
    model: 'midjourney',
    prompt: 'a lighthouse at dusk',
    progress: 100,
    assets,
    error: null,
    cost: { credits: 10, refunded: false },
    webhookStatus: null,
    createdAt: '2026-03-14T09:00:00.000Z',
    updatedAt: '2026-03-14T09:01:00.000Z',
    completedAt: '2026-03-14T09:01:00.000Z',
    watch: { state: 'done', message: null, lastCheckedAt: null, progressAt: null },
    raw: null,
    ...over,
  };
}
