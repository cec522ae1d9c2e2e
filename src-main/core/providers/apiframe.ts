/**
 * Apiframe v2: GET /v2/jobs/:id (seed 000). Tolerant parsing: unknown fields
 * are kept in `raw`, unknown statuses keep the job watched.
 */
import { z } from 'zod';
import { jobKey } from '../../../src-shared/job';
import type { Asset, JobStatus, Modality } from '../../../src-shared/job';
import { err, ok } from '../../../src-shared/result';
import type { Result } from '../../../src-shared/result';
import { httpError, malformedError, networkError, providerErrorText } from '../http-errors';
import { walkPages } from '../paging';
import type { ListPage, ListQuery, ParsedId, ProviderAdapter, ProviderContext, ProviderJob, RunningSnapshot } from './provider';
import { unsendableKeyProblem, USER_AGENT } from './provider';
import { lenientNumber, lenientText, lenientTime } from './lenient-wire';

const LABEL = 'Apiframe';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Hex boundaries: an id with a digit too many is rejected, never cut down to another UUID.
const UUID_INSIDE = /(?<![0-9a-f])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-f])/gi;

/** Seed guidance: images every 2–3 s, video and music every 5–10 s. */
export const APIFRAME_INTERVALS_MS = { image: 2_500, video: 7_500, music: 7_500, unknown: 2_500 } as const;

const STATUS_MAP: Record<string, JobStatus> = {
  QUEUED: 'queued',
  PROCESSING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
};

export const ApiframeJobWire = z.looseObject({
  id: z.string(),
  status: z.string(),
  model: lenientText,
  progress: lenientNumber,
  result: z.unknown().optional(),
  error: lenientText,
  creditCost: lenientNumber,
  webhookStatus: lenientText,
  createdAt: lenientTime,
  completedAt: lenientTime,
});
export type ApiframeJobWire = z.infer<typeof ApiframeJobWire>;

function isUrl(value: unknown): value is string {
  return typeof value === 'string' && /^https?:\/\//i.test(value);
}

function asset(kind: Asset['kind'], url: string, index: number, meta: Record<string, unknown> = {}): Asset {
  return { kind, url, index, filename: null, contentType: null, size: null, width: null, height: null, meta };
}

const VIDEO_MODEL = /video|kling|runway|luma|hailuo|veo|sora|wan|seedance|pika/i;
const MUSIC_MODEL = /suno|udio|music|audio|song/i;

export function modalityFor(model: string | null | undefined, result: unknown): Modality {
  if (result && typeof result === 'object') {
    if ('images' in result || 'gridUrl' in result) return 'image';
    if ('videoUrl' in result || 'videos' in result) return 'video';
    if ('tracks' in result) return 'music';
  }
  if (!model) return 'unknown';
  if (VIDEO_MODEL.test(model)) return 'video';
  if (MUSIC_MODEL.test(model)) return 'music';
  return 'image';
}

function trackAssets(tracks: unknown[]): Asset[] {
  const out: Asset[] = [];
  const counters = { audio: 0, cover: 0, video: 0, other: 0 };
  tracks.forEach((track, trackIndex) => {
    if (isUrl(track)) {
      out.push(asset('audio', track, counters.audio++, { track: trackIndex }));
      return;
    }
    if (!track || typeof track !== 'object') return;
    const fields = Object.entries(track as Record<string, unknown>);
    const meta: Record<string, unknown> = { track: trackIndex };
    for (const [name, value] of fields) if (!isUrl(value)) meta[name] = value;
    for (const [name, value] of fields) {
      if (!isUrl(value)) continue;
      const kind = /image|cover|art|thumb/i.test(name) ? 'cover' : /video/i.test(name) ? 'video' : /audio|song|track|mp3|wav|^url$/i.test(name) ? 'audio' : 'other';
      out.push(asset(kind, value, counters[kind]++, { ...meta, field: name }));
    }
  });
  return out;
}

/** Every asset URL in a result, whatever the modality; a bare string is one asset. */
export function apiframeAssets(result: unknown, modality: Modality): Asset[] {
  if (isUrl(result)) {
    const kind = modality === 'video' ? 'video' : modality === 'music' ? 'audio' : 'image';
    return [asset(kind, result, 0, { fromList: true })];
  }
  if (!result || typeof result !== 'object') return [];
  const r = result as Record<string, unknown>;
  const out: Asset[] = [];
  if (Array.isArray(r['images'])) r['images'].filter(isUrl).forEach((url, i) => out.push(asset('image', url, i)));
  if (isUrl(r['gridUrl'])) out.push(asset('grid', r['gridUrl'], 0));
  if (isUrl(r['videoUrl'])) out.push(asset('video', r['videoUrl'], 0));
  if (Array.isArray(r['videos'])) {
    r['videos'].forEach((video, i) => {
      const url = isUrl(video) ? video : video && typeof video === 'object' ? Object.values(video).find(isUrl) : undefined;
      if (url) out.push(asset('video', url, i));
    });
  }
  if (Array.isArray(r['tracks'])) out.push(...trackAssets(r['tracks']));
  return out;
}

/** `askedId`: the id a Get Job asked for, which the job is keyed by whatever id the answer carries. */
export function normalizeApiframeJob(wire: ApiframeJobWire, accountId: string, askedId?: string): ProviderJob {
  const status = STATUS_MAP[wire.status.toUpperCase()] ?? 'running';
  const modality = modalityFor(wire.model, wire.result);
  const credits = wire.creditCost ?? null;
  const rawId = askedId ?? wire.id;
  // UUIDs are case-insensitive and ids are kept in lower case (parseId): an answer in upper case is the same job.
  const id = UUID.test(rawId) ? rawId.toLowerCase() : rawId;
  return {
    key: jobKey('apiframe', accountId, id),
    provider: 'apiframe',
    accountId,
    id,
    status,
    rawStatus: wire.status,
    modality,
    model: wire.model ?? null,
    prompt: null,
    progress: status === 'completed' ? 100 : Math.min(100, Math.max(0, Math.round(wire.progress ?? 0))),
    assets: apiframeAssets(wire.result, modality),
    error: wire.error ? { message: wire.error, code: null, details: null } : null,
    cost: credits === null ? null : { credits, refunded: status === 'failed' },
    webhookStatus: wire.webhookStatus ?? null,
    createdAt: wire.createdAt ?? null,
    updatedAt: null,
    completedAt: wire.completedAt ?? null,
    raw: wire,
  };
}

function parseId(token: string): ParsedId {
  const trimmed = token.trim().replace(/^["'<(]+|[>"')]+$/g, '');
  if (UUID.test(trimmed)) return { ok: true, id: trimmed.toLowerCase() };
  const inside = trimmed.match(UUID_INSIDE);
  if (inside && inside.length === 1 && inside[0]) return { ok: true, id: inside[0].toLowerCase() };
  return { ok: false, reason: 'not an Apiframe job id (Apiframe ids are UUIDs like a1b2c3d4-e5f6-7890-abcd-ef1234567890)' };
}

/** GET a path of the Apiframe API; HTTP and JSON failures become typed errors. */
async function apiframeGet(context: ProviderContext, path: string, notFound: string): Promise<Result<unknown>> {
  const base = context.baseUrl.replace(/\/+$/, '');
  const keyProblem = unsendableKeyProblem(context.apiKey, LABEL);
  if (keyProblem !== null) return err('auth', keyProblem);
  let response;
  try {
    response = await context.http.request({
      method: 'GET',
      url: `${base}${path}`,
      headers: { 'x-api-key': context.apiKey, accept: 'application/json', 'user-agent': USER_AGENT },
      timeoutMs: 30_000,
    });
  } catch (error) {
    return { ok: false, error: networkError(error, LABEL) };
  }
  if (response.status !== 200) {
    if (response.status === 400) {
      return err('invalid-input', `Apiframe rejected the request: ${providerErrorText(response.body) ?? 'Bad request'}.`, { status: 400 });
    }
    if (response.status === 404) return err('not-found', notFound, { status: 404 });
    if (response.status === 402) {
      return err('payment', 'Apiframe: the account is out of credits; add credits to keep generating.', { status: 402 });
    }
    return { ok: false, error: httpError(response, context.clock.now(), LABEL) };
  }
  try {
    return ok(JSON.parse(response.body) as unknown);
  } catch {
    return { ok: false, error: malformedError(LABEL, 'invalid JSON') };
  }
}

async function getJob(context: ProviderContext, id: string): Promise<Result<ProviderJob>> {
  const json = await apiframeGet(
    context,
    `/v2/jobs/${encodeURIComponent(id)}`,
    'Apiframe has no job with this id for this API key (wrong account, or a typo).',
  );
  if (!json.ok) return json;
  const parsed = ApiframeJobWire.safeParse(json.value);
  if (!parsed.success) return { ok: false, error: malformedError(LABEL, 'unexpected job shape') };
  // Keyed by the id we asked for (as useapi.ts does): an answer carrying another id must not add a
  // phantom job while the tracked one, never answered, is polled forever.
  return ok(normalizeApiframeJob(parsed.data, context.accountId, id));
}

const ListWire = z.looseObject({
  jobs: z.array(z.unknown()),
  nextCursor: z.string().nullish(),
  hasMore: z.boolean().nullish(),
});

/** Apiframe's documented maximum page size. */
export const APIFRAME_MAX_LIMIT = 100;

async function listJobs(context: ProviderContext, query: ListQuery): Promise<Result<ListPage>> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
  const json = await apiframeGet(context, `/v2/jobs?${params.toString()}`, 'Apiframe could not find the job list for this key.');
  if (!json.ok) return json;
  const parsed = ListWire.safeParse(json.value);
  if (!parsed.success) return { ok: false, error: malformedError(LABEL, 'unexpected list shape') };
  const jobs: ProviderJob[] = [];
  for (const item of parsed.data.jobs) {
    // One odd item must not hide the rest of the page.
    const job = ApiframeJobWire.safeParse(item);
    if (job.success) jobs.push(normalizeApiframeJob(job.data, context.accountId));
  }
  const nextCursor = parsed.data.nextCursor ?? null;
  // "When hasMore is false, there are no more results": an answer without it but with a cursor has more.
  return ok({ jobs, nextCursor, hasMore: parsed.data.hasMore ?? nextCursor !== null });
}

/** QUEUED first, then PROCESSING: a job moving between them mid-cycle is seen at least once. */
const RUNNING_STATUSES = ['QUEUED', 'PROCESSING'] as const;

async function listRunning(context: ProviderContext, options: { scope: 'user' | 'team' }): Promise<Result<RunningSnapshot>> {
  const byId = new Map<string, ProviderJob>();
  let requests = 0;
  for (const status of RUNNING_STATUSES) {
    const walk = await walkPages(
      (cursor) => {
        requests++;
        return listJobs(context, { status, limit: APIFRAME_MAX_LIMIT, scope: options.scope, ...(cursor ? { cursor } : {}) });
      },
      { onPage: (page) => void page.jobs.forEach((job) => byId.set(job.id, job)) },
    );
    if (!walk.ok) return walk;
  }
  return ok({ jobs: [...byId.values()], requests, channels: null });
}

export const APIFRAME_RECENT_LIMIT = 20;

async function listRecent(context: ProviderContext, options: { scope: 'user' | 'team' }): Promise<Result<ProviderJob[]>> {
  const page = await listJobs(context, { limit: APIFRAME_RECENT_LIMIT, scope: options.scope });
  return page.ok ? ok(page.value.jobs) : page;
}

export const apiframe: ProviderAdapter = {
  id: 'apiframe',
  label: LABEL,
  defaultBaseUrl: 'https://api.apiframe.ai',
  env: { apiKey: 'APIFRAME_API_KEY', baseUrl: 'GENWATCH_APIFRAME_URL' },
  parseId,
  getJob,
  listJobs,
  listRunning,
  runningListRequests: 2,
  listRecent,
  pollIntervalMs: (job) => APIFRAME_INTERVALS_MS[job.modality],
};
