/**
 * The Apiframe Get Job examples exactly as the seed documents them
 * (shared/seeds/000), plus a builder for variations.
 */
export const SEED_JOB_ID = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';

export const SEED_QUEUED = {
  id: SEED_JOB_ID,
  status: 'QUEUED',
  model: 'midjourney',
  progress: 0,
  result: null,
  error: null,
  creditCost: 10,
  webhookStatus: null,
  createdAt: '2026-03-15T10:00:00.000Z',
  completedAt: null,
};

export const SEED_PROCESSING = { ...SEED_QUEUED, status: 'PROCESSING', progress: 65 };

export const SEED_COMPLETED = {
  id: SEED_JOB_ID,
  status: 'COMPLETED',
  model: 'midjourney',
  progress: 100,
  result: {
    images: [
      'https://cdn2.apiframe.ai/images/a1b2c3d4-e5f6-7890-abcd-ef1234567890-1.png',
      'https://cdn2.apiframe.ai/images/a1b2c3d4-e5f6-7890-abcd-ef1234567890-2.png',
      'https://cdn2.apiframe.ai/images/a1b2c3d4-e5f6-7890-abcd-ef1234567890-3.png',
      'https://cdn2.apiframe.ai/images/a1b2c3d4-e5f6-7890-abcd-ef1234567890-4.png',
    ],
    gridUrl: 'https://cdn2.apiframe.ai/images/a1b2c3d4-e5f6-7890-abcd-ef1234567890-grid.png',
  },
  error: null,
  creditCost: 10,
  webhookStatus: 'sent',
  createdAt: '2026-03-15T10:00:00.000Z',
  completedAt: '2026-03-15T10:00:32.000Z',
};

export const SEED_FAILED = {
  id: SEED_JOB_ID,
  status: 'FAILED',
  model: 'midjourney',
  progress: 0,
  result: null,
  error: 'Provider returned an error: content policy violation',
  creditCost: 0,
  webhookStatus: 'sent',
  createdAt: '2026-03-15T10:00:00.000Z',
  completedAt: '2026-03-15T10:00:05.000Z',
};

/** A Get Job body for `id`, the seed's queued example with `over` applied. */
export function apiframeBody(id: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...SEED_QUEUED, id, ...over };
}

/** A deterministic, valid, lower-case UUID for index `n`. */
export function uuidFor(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `0000${hex.slice(0, 4)}-1111-4222-8333-${hex}`;
}

/** True for a request to Apiframe's List Jobs endpoint (`GET /v2/jobs?…`), false for Get Job. */
export function isListRequest(request: { url: string }): boolean {
  return new URL(request.url).pathname.endsWith('/v2/jobs');
}

/** The query of a List Jobs request as a plain object. */
export function listQueryOf(request: { url: string }): Record<string, string> {
  return Object.fromEntries(new URL(request.url).searchParams.entries());
}

/** A List Jobs body: the items as given, and the cursor (hasMore follows the cursor unless said otherwise). */
export function listBody(jobs: unknown[], nextCursor: string | null = null, hasMore: boolean = nextCursor !== null): Record<string, unknown> {
  return { jobs, nextCursor, hasMore };
}
