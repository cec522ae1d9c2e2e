import { describe, expect, it } from 'vitest';
import { JobSchema } from '../../../src-shared/job';
import type { Asset } from '../../../src-shared/job';
import type { Result } from '../../../src-shared/result';
import { FakeClock } from '../testing/fake-clock';
import { jsonResponse, ScriptedHttp } from '../testing/fakes';
import { SEED_COMPLETED, SEED_FAILED, SEED_JOB_ID, SEED_PROCESSING, SEED_QUEUED, apiframeBody } from '../testing/apiframe-fixtures';
import { APIFRAME_INTERVALS_MS, apiframe, apiframeAssets, ApiframeJobWire, modalityFor, normalizeApiframeJob } from './apiframe';
import type { ProviderContext, ProviderJob } from './provider';

const BASE = 'https://api.apiframe.test';
const KEY = 'afk_unit_test_key_1234';

function wire(body: Record<string, unknown>): ApiframeJobWire {
  return ApiframeJobWire.parse(body);
}

function normalize(body: Record<string, unknown>): ProviderJob {
  return normalizeApiframeJob(wire(body), 'default');
}

/** The normalised job must satisfy the shared Job schema once a watch state is added. */
function expectValidJob(job: ProviderJob): void {
  const parsed = JobSchema.safeParse({ ...job, watch: { state: 'watching', message: null, lastCheckedAt: null } });
  expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
}

function context(http: ScriptedHttp, clock = new FakeClock(), baseUrl = BASE): ProviderContext {
  return { http, clock, baseUrl, apiKey: KEY, accountId: 'default' };
}

function urlsOf(assets: Asset[], kind: Asset['kind']): string[] {
  return assets.filter((a) => a.kind === kind).map((a) => a.url);
}

function expectError<T>(result: Result<T>): NonNullable<Extract<Result<T>, { ok: false }>['error']> {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('apiframe normalisation of the seed examples', () => {
  it('QUEUED → queued, progress 0, image modality from the model, credits not refunded', () => {
    const job = normalize(SEED_QUEUED);
    expectValidJob(job);
    expect(job).toMatchObject({
      key: `apiframe:default:${SEED_JOB_ID}`,
      provider: 'apiframe',
      accountId: 'default',
      id: SEED_JOB_ID,
      status: 'queued',
      rawStatus: 'QUEUED',
      modality: 'image',
      model: 'midjourney',
      progress: 0,
      assets: [],
      error: null,
      cost: { credits: 10, refunded: false },
      webhookStatus: null,
      createdAt: '2026-03-15T10:00:00.000Z',
      completedAt: null,
    });
  });

  it('PROCESSING → running with the reported progress', () => {
    const job = normalize(SEED_PROCESSING);
    expectValidJob(job);
    expect(job.status).toBe('running');
    expect(job.rawStatus).toBe('PROCESSING');
    expect(job.progress).toBe(65);
  });

  it('COMPLETED → completed, 100 %, four images plus the grid as assets, raw payload kept', () => {
    const job = normalize(SEED_COMPLETED);
    expectValidJob(job);
    expect(job.status).toBe('completed');
    expect(job.progress).toBe(100);
    expect(job.completedAt).toBe('2026-03-15T10:00:32.000Z');
    expect(job.webhookStatus).toBe('sent');
    expect(urlsOf(job.assets, 'image')).toEqual(SEED_COMPLETED.result.images);
    expect(job.assets.filter((a) => a.kind === 'image').map((a) => a.index)).toEqual([0, 1, 2, 3]);
    expect(urlsOf(job.assets, 'grid')).toEqual([SEED_COMPLETED.result.gridUrl]);
    expect(job.raw).toMatchObject({ id: SEED_JOB_ID, result: SEED_COMPLETED.result });
  });

  it('FAILED → failed with the reason as the error and the cost marked refunded', () => {
    const job = normalize(SEED_FAILED);
    expectValidJob(job);
    expect(job.status).toBe('failed');
    expect(job.error).toEqual({ message: 'Provider returned an error: content policy violation', code: null, details: null });
    expect(job.cost).toEqual({ credits: 0, refunded: true });
    expect(job.completedAt).toBe('2026-03-15T10:00:05.000Z');
    expect(job.assets).toEqual([]);
  });

  it('keeps unknown fields of the payload in raw (tolerant parsing)', () => {
    const job = normalize({ ...SEED_PROCESSING, queuePosition: 3, eta: 'soon' });
    expect(job.raw).toMatchObject({ queuePosition: 3, eta: 'soon' });
  });

  it('accepts a payload whose optional fields are all null', () => {
    const job = normalize({ id: SEED_JOB_ID, status: 'QUEUED', model: null, progress: null, result: null, error: null, creditCost: null, webhookStatus: null, createdAt: null, completedAt: null });
    expectValidJob(job);
    expect(job).toMatchObject({ status: 'queued', model: null, progress: 0, cost: null, createdAt: null, modality: 'unknown' });
  });

  it('accepts a payload with only id and status (every other field missing)', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, { id: SEED_JOB_ID, status: 'PROCESSING', progress: 10 }));
    const result = await apiframe.getJob(context(http), SEED_JOB_ID);
    expect(result.ok).toBe(true);
  });
});

describe('apiframe result shapes (every modality)', () => {
  it('video: videoUrl becomes one video asset and the modality is video', () => {
    const url = 'https://cdn2.apiframe.ai/videos/v.mp4';
    const job = normalize(apiframeBody(SEED_JOB_ID, { status: 'COMPLETED', model: 'kling-2.6', progress: 100, result: { videoUrl: url } }));
    expectValidJob(job);
    expect(job.modality).toBe('video');
    expect(job.assets).toEqual([expect.objectContaining({ kind: 'video', url, index: 0 })]);
  });

  it('Midjourney video: videos[] become indexed video assets (strings or objects holding a URL)', () => {
    const urls = ['https://cdn/v1.mp4', 'https://cdn/v2.mp4', 'https://cdn/v3.mp4'];
    const job = normalize(
      apiframeBody(SEED_JOB_ID, {
        status: 'COMPLETED',
        model: 'midjourney-video',
        result: { videos: [urls[0], { url: urls[1], duration: 5 }, urls[2]] },
      }),
    );
    expectValidJob(job);
    expect(job.modality).toBe('video');
    expect(job.assets.map((a) => [a.kind, a.url, a.index])).toEqual([
      ['video', urls[0], 0],
      ['video', urls[1], 1],
      ['video', urls[2], 2],
    ]);
  });

  it('music: every URL field of a track is an asset and the other fields stay as metadata', () => {
    const tracks = [
      { title: 'Neon Tides (v1)', audioUrl: 'https://cdn/m-1.mp3', imageUrl: 'https://cdn/m-1.png', duration: 123.45, tags: 'synthwave' },
      { title: 'Neon Tides (v2)', audioUrl: 'https://cdn/m-2.mp3', imageUrl: 'https://cdn/m-2.png', videoUrl: 'https://cdn/m-2.mp4', duration: 99, tags: 'synthwave' },
    ];
    const job = normalize(apiframeBody(SEED_JOB_ID, { status: 'COMPLETED', model: 'suno', result: { tracks } }));
    expectValidJob(job);
    expect(job.modality).toBe('music');
    expect(urlsOf(job.assets, 'audio')).toEqual(['https://cdn/m-1.mp3', 'https://cdn/m-2.mp3']);
    expect(urlsOf(job.assets, 'cover')).toEqual(['https://cdn/m-1.png', 'https://cdn/m-2.png']);
    expect(urlsOf(job.assets, 'video')).toEqual(['https://cdn/m-2.mp4']);
    // Indices count per kind across tracks.
    expect(job.assets.filter((a) => a.kind === 'audio').map((a) => a.index)).toEqual([0, 1]);
    const secondAudio = job.assets.find((a) => a.url === 'https://cdn/m-2.mp3');
    expect(secondAudio?.meta).toEqual({ track: 1, title: 'Neon Tides (v2)', duration: 99, tags: 'synthwave', field: 'audioUrl' });
    // No URL ever ends up in metadata: the URLs are the assets.
    for (const asset of job.assets) {
      for (const value of Object.values(asset.meta)) expect(String(value)).not.toMatch(/^https?:/);
    }
  });

  it('music: a track given as a bare URL is an audio asset', () => {
    const assets = apiframeAssets({ tracks: ['https://cdn/a.mp3'] }, 'music');
    expect(assets).toEqual([expect.objectContaining({ kind: 'audio', url: 'https://cdn/a.mp3', index: 0 })]);
  });

  it('image without a grid (non-Midjourney model) gives image assets only', () => {
    const job = normalize(apiframeBody(SEED_JOB_ID, { status: 'COMPLETED', model: 'flux-pro', result: { images: ['https://cdn/f.png'] } }));
    expect(job.modality).toBe('image');
    expect(job.assets.map((a) => a.kind)).toEqual(['image']);
  });

  it('a bare-string result (list item) is one asset of the modality, flagged fromList', () => {
    expect(apiframeAssets('https://cdn/x.png', 'image')).toEqual([expect.objectContaining({ kind: 'image', url: 'https://cdn/x.png', meta: { fromList: true } })]);
    expect(apiframeAssets('https://cdn/x.mp4', 'video')[0]?.kind).toBe('video');
    expect(apiframeAssets('https://cdn/x.mp3', 'music')[0]?.kind).toBe('audio');
    const job = normalize(apiframeBody(SEED_JOB_ID, { status: 'COMPLETED', model: 'kling-2.6', result: 'https://cdn/x.mp4' }));
    expect(job.assets).toEqual([expect.objectContaining({ kind: 'video', url: 'https://cdn/x.mp4', meta: { fromList: true } })]);
  });

  it('ignores non-URL values where URLs are expected', () => {
    expect(apiframeAssets({ images: ['not a url', 42, null, 'javascript:alert(1)'], gridUrl: 'ftp://x' }, 'image')).toEqual([]);
    expect(apiframeAssets(null, 'image')).toEqual([]);
    expect(apiframeAssets('relative/path.png', 'image')).toEqual([]);
  });

  it('infers modality from the result first, then the model name', () => {
    expect(modalityFor('kling-2.6', { images: [] })).toBe('image');
    expect(modalityFor(null, { tracks: [] })).toBe('music');
    expect(modalityFor('suno', null)).toBe('music');
    expect(modalityFor('runway-gen4', null)).toBe('video');
    expect(modalityFor('midjourney', null)).toBe('image');
    expect(modalityFor(null, null)).toBe('unknown');
  });
});

describe('apiframe status and progress', () => {
  it('an unknown status stays running (still watched) and the provider word is kept', () => {
    const job = normalize({ ...SEED_PROCESSING, status: 'UPSCALING' });
    expect(job.status).toBe('running');
    expect(job.rawStatus).toBe('UPSCALING');
  });

  it('statuses are matched case-insensitively', () => {
    expect(normalize({ ...SEED_COMPLETED, status: 'completed' }).status).toBe('completed');
    expect(normalize({ ...SEED_FAILED, status: 'Failed' }).status).toBe('failed');
  });

  it('progress is clamped to 0–100 and rounded', () => {
    expect(normalize({ ...SEED_PROCESSING, progress: 250 }).progress).toBe(100);
    expect(normalize({ ...SEED_PROCESSING, progress: -7 }).progress).toBe(0);
    expect(normalize({ ...SEED_PROCESSING, progress: 33.6 }).progress).toBe(34);
    expect(normalize({ ...SEED_PROCESSING, progress: null }).progress).toBe(0);
  });

  it('a completed job reports 100 % even if the payload says otherwise', () => {
    expect(normalize({ ...SEED_COMPLETED, progress: 0 }).progress).toBe(100);
  });

  it('polls images every 2.5 s and video or music every 7.5 s', () => {
    expect(apiframe.pollIntervalMs({ modality: 'image', status: 'running' })).toBe(2_500);
    expect(apiframe.pollIntervalMs({ modality: 'video', status: 'running' })).toBe(7_500);
    expect(apiframe.pollIntervalMs({ modality: 'music', status: 'queued' })).toBe(7_500);
    expect(apiframe.pollIntervalMs({ modality: 'unknown', status: 'queued' })).toBe(APIFRAME_INTERVALS_MS.unknown);
  });
});

describe('apiframe parseId', () => {
  it('accepts a UUID as is', () => {
    expect(apiframe.parseId(SEED_JOB_ID)).toEqual({ ok: true, id: SEED_JOB_ID });
  });

  it('lower-cases an upper-case UUID', () => {
    expect(apiframe.parseId(SEED_JOB_ID.toUpperCase())).toEqual({ ok: true, id: SEED_JOB_ID });
  });

  it('extracts the UUID from a pasted URL or quoted token', () => {
    expect(apiframe.parseId(`https://app.apiframe.ai/jobs/${SEED_JOB_ID.toUpperCase()}?tab=result`)).toEqual({ ok: true, id: SEED_JOB_ID });
    expect(apiframe.parseId(`"${SEED_JOB_ID}"`)).toEqual({ ok: true, id: SEED_JOB_ID });
    expect(apiframe.parseId(`<${SEED_JOB_ID}>`)).toEqual({ ok: true, id: SEED_JOB_ID });
  });

  it('rejects garbage with a reason that says what an id looks like', () => {
    for (const token of ['hello', '12345', 'a1b2c3d4-e5f6-7890-abcd', 'g1b2c3d4-e5f6-7890-abcd-ef1234567890', '']) {
      const parsed = apiframe.parseId(token);
      expect(parsed.ok, token).toBe(false);
      if (!parsed.ok) expect(parsed.reason).toMatch(/UUID/);
    }
  });

  it('rejects a token holding two different UUIDs (ambiguous)', () => {
    const other = 'b1b2c3d4-e5f6-7890-abcd-ef1234567890';
    expect(apiframe.parseId(`${SEED_JOB_ID}/${other}`).ok).toBe(false);
  });

  it('rejects an id with an extra hex digit instead of truncating it to another UUID', () => {
    expect(apiframe.parseId(`${SEED_JOB_ID}0`).ok).toBe(false);
    expect(apiframe.parseId(`0${SEED_JOB_ID}`).ok).toBe(false);
  });
});

describe('apiframe getJob over the HttpPort', () => {
  it('sends GET <base>/v2/jobs/<id> with the X-API-Key header and accepts JSON', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, SEED_PROCESSING));
    const result = await apiframe.getJob(context(http, new FakeClock(), `${BASE}/`), SEED_JOB_ID);
    expect(result.ok).toBe(true);
    expect(http.requests).toHaveLength(1);
    const [request] = http.requests;
    expect(request?.method).toBe('GET');
    expect(request?.url).toBe(`${BASE}/v2/jobs/${SEED_JOB_ID}`);
    const headers = Object.fromEntries(Object.entries(request?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    expect(headers['x-api-key']).toBe(KEY);
    expect(headers['accept']).toMatch(/application\/json/);
    expect(request?.timeoutMs).toBeGreaterThan(0);
  });

  it('URL-encodes the id so it cannot change the path', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(404, { error: 'Job not found' }));
    await apiframe.getJob(context(http), '../../admin?x=1#y');
    expect(http.requests[0]?.url).toBe(`${BASE}/v2/jobs/..%2F..%2Fadmin%3Fx%3D1%23y`);
  });

  it('returns the normalised job for a 200', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, SEED_COMPLETED));
    const result = await apiframe.getJob(context(http), SEED_JOB_ID);
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.status).toBe('completed');
    expect(result.value.assets).toHaveLength(5);
  });

  const cases: [number, string, RegExp][] = [
    [400, 'invalid-input', /Invalid job ID/],
    [401, 'auth', /key/i],
    [402, 'payment', /credits/i],
    [403, 'auth', /key/i],
    [404, 'not-found', /no job/i],
    [410, 'expired', /expired/i],
    [500, 'transient', /500/],
    [502, 'transient', /502/],
    [503, 'transient', /503/],
  ];
  for (const [status, kind, message] of cases) {
    it(`maps HTTP ${status} to a ${kind} error with a plain message`, async () => {
      const body = status === 400 ? { error: 'Invalid job ID' } : { error: 'whatever' };
      const http = new ScriptedHttp().enqueue(jsonResponse(status, body));
      const error = expectError(await apiframe.getJob(context(http), SEED_JOB_ID));
      expect(error.kind).toBe(kind);
      expect(error.status).toBe(status);
      expect(error.message).toMatch(message);
    });
  }

  it('maps 429 to rate-limited with Retry-After in seconds', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(429, { error: 'Too many requests' }, { 'retry-after': '30' }));
    const error = expectError(await apiframe.getJob(context(http), SEED_JOB_ID));
    expect(error).toMatchObject({ kind: 'rate-limited', status: 429, retryAfterMs: 30_000 });
  });

  it('maps 429 with Retry-After as an HTTP date relative to the injected clock', async () => {
    const clock = new FakeClock(Date.parse('2026-03-15T10:00:00.000Z'));
    const http = new ScriptedHttp().enqueue(jsonResponse(429, '', { 'retry-after': 'Sun, 15 Mar 2026 10:01:30 GMT' }));
    const error = expectError(await apiframe.getJob(context(http, clock), SEED_JOB_ID));
    expect(error).toMatchObject({ kind: 'rate-limited', retryAfterMs: 90_000 });
  });

  it('maps 429 without Retry-After to rate-limited with no retry hint', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(429, ''));
    const error = expectError(await apiframe.getJob(context(http), SEED_JOB_ID));
    expect(error.kind).toBe('rate-limited');
    expect(error.retryAfterMs ?? null).toBeNull();
  });

  it('an unlisted 4xx is surfaced with the provider text', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(418, { error: 'I am a teapot' }));
    const error = expectError(await apiframe.getJob(context(http), SEED_JOB_ID));
    expect(error.status).toBe(418);
    expect(error.message).toContain('I am a teapot');
  });

  it('malformed JSON is a malformed-response error (retryable)', async () => {
    const http = new ScriptedHttp().enqueue({ status: 200, headers: {}, body: '{"id":"a1b2c3d4","status":"PROC' });
    expect(expectError(await apiframe.getJob(context(http), SEED_JOB_ID)).kind).toBe('malformed-response');
  });

  it('JSON of the wrong shape is a malformed-response error', async () => {
    for (const body of [{ id: SEED_JOB_ID }, { id: 42, status: 'QUEUED' }, [], 'COMPLETED', null]) {
      const http = new ScriptedHttp().enqueue(jsonResponse(200, JSON.stringify(body)));
      const error = expectError(await apiframe.getJob(context(http), SEED_JOB_ID));
      expect(error.kind, JSON.stringify(body)).toBe('malformed-response');
    }
  });

  it('a rejected request (no response) is a network error carrying the reason', async () => {
    const http = new ScriptedHttp().enqueue(new Error('connect ECONNREFUSED 127.0.0.1:9'));
    const error = expectError(await apiframe.getJob(context(http), SEED_JOB_ID));
    expect(error.kind).toBe('network');
    expect(error.message).toContain('ECONNREFUSED');
  });
});
