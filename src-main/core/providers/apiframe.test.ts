import { describe, expect, it } from 'vitest';
import { JobSchema } from '../../../src-shared/job';
import type { Asset } from '../../../src-shared/job';
import type { Result } from '../../../src-shared/result';
import { FakeClock } from '../testing/fake-clock';
import { jsonResponse, ScriptedHttp } from '../testing/fakes';
import { SEED_COMPLETED, SEED_FAILED, SEED_JOB_ID, SEED_PROCESSING, SEED_QUEUED, apiframeBody, listBody, listQueryOf, uuidFor } from '../testing/apiframe-fixtures';
import { APIFRAME_INTERVALS_MS, APIFRAME_RECENT_LIMIT, apiframe, apiframeAssets, ApiframeJobWire, modalityFor, normalizeApiframeJob } from './apiframe';
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
  const parsed = JobSchema.safeParse({ ...job, watch: { state: 'watching', message: null, lastCheckedAt: null, progressAt: null } });
  expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
}

function context(http: ScriptedHttp, clock = new FakeClock(), baseUrl = BASE): ProviderContext {
  return { http, clock, baseUrl, apiKey: KEY, accountId: 'default' };
}

function urlsOf(assets: Asset[], kind: Asset['kind']): string[] {
  return assets.filter((a) => a.kind === kind).map((a) => a.url);
}

/** The adapter's optional list methods exist for Apiframe: fail loudly if one is missing. */
function requireList<T>(result: Result<T> | undefined): Result<T> {
  if (result === undefined) throw new Error('apiframe is missing a list method');
  return result;
}

function expectOk<T>(result: Result<T> | undefined): T {
  const r = requireList(result);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.kind}: ${r.error.message}`);
  return r.value;
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

  it('odd types in optional fields keep the job readable (a failed job is still reported failed): numbers as strings, an error object, epoch times', () => {
    const job = normalize({ ...SEED_FAILED, progress: '65', creditCost: '10', createdAt: 1_773_568_800, completedAt: 1_773_568_805_000, error: { code: 'E_POLICY', message: 'content policy violation' }, webhookStatus: 3 });
    expectValidJob(job);
    expect(job).toMatchObject({ status: 'failed', error: { message: 'content policy violation' }, createdAt: '2026-03-15T10:00:00.000Z', completedAt: '2026-03-15T10:00:05.000Z', webhookStatus: '3' });
    expect(normalize({ ...SEED_PROCESSING, progress: '65', creditCost: 'n/a' })).toMatchObject({ status: 'running', progress: 65, cost: null });
    expect(normalize({ ...SEED_FAILED, error: { detail: 'x' } }).error?.message).toBe('{"detail":"x"}');
  });

  it('an id answered in upper case is the job that was asked for (UUIDs ignore case), not a second one', () => {
    const job = normalize({ ...SEED_COMPLETED, id: SEED_JOB_ID.toUpperCase() });
    expect(job.id).toBe(SEED_JOB_ID);
    expect(job.key).toBe(normalize(SEED_COMPLETED).key);
  });

  it('a key that cannot go in a header (a CR from a CRLF .env, a zero-width space, €) is a key problem in one sentence, not a network outage retried forever', async () => {
    for (const apiKey of ['afk_secret_1234\r', 'afk_secret\u200b1234', 'afk_€_secret']) {
      const http = new ScriptedHttp();
      const result = await apiframe.getJob({ ...context(http), apiKey }, SEED_JOB_ID);
      expect(result.ok ? null : result.error).toEqual({ kind: 'auth', message: 'The Apiframe key contains a character that cannot be sent (a line break, a space or a non-ASCII character copied with it): enter it again.' });
      expect(http.requests).toEqual([]);
    }
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

  it('an answer carrying another id is keyed by the id asked for: no phantom job, the tracked one gets the news', async () => {
    const asked = uuidFor(0xa);
    const other = uuidFor(0xb);
    const http = new ScriptedHttp().enqueue(jsonResponse(200, { ...SEED_COMPLETED, id: other }));
    const job = expectOk(await apiframe.getJob(context(http), asked));
    expect(job).toMatchObject({ id: asked, key: `apiframe:default:${asked}`, status: 'completed' });
    // The answer as it came stays in raw.
    expect((job.raw as { id: string }).id).toBe(other);
  });

  it('an id asked for in upper case is keyed in lower case, like a pasted one', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, SEED_PROCESSING));
    const job = expectOk(await apiframe.getJob(context(http), SEED_JOB_ID.toUpperCase()));
    expect(job).toMatchObject({ id: SEED_JOB_ID, key: `apiframe:default:${SEED_JOB_ID}` });
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

  it('a rejected request (no response) is a network error saying why in plain words, without the raw error', async () => {
    const http = new ScriptedHttp().enqueue(new Error('connect ECONNREFUSED 127.0.0.1:9'));
    const error = expectError(await apiframe.getJob(context(http), SEED_JOB_ID));
    expect(error.kind).toBe('network');
    expect(error.message).toBe('Could not reach Apiframe: nothing is answering at that address; genwatch will retry.');
  });
});

describe('apiframe listJobs (GET /v2/jobs)', () => {
  it('sends the query as encoded parameters on GET <base>/v2/jobs with the key header', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, listBody([])));
    await apiframe.listJobs?.(context(http, new FakeClock(), `${BASE}/`), { status: 'COMPLETED', model: 'flux pro&x=1', limit: 50, cursor: 'abc/+=', scope: 'team' });
    const request = http.requests[0];
    expect(request?.method).toBe('GET');
    const url = new URL(request?.url ?? '');
    expect(`${url.origin}${url.pathname}`).toBe(`${BASE}/v2/jobs`);
    expect(listQueryOf({ url: request?.url ?? '' })).toEqual({ status: 'COMPLETED', model: 'flux pro&x=1', limit: '50', cursor: 'abc/+=', scope: 'team' });
    expect(request?.url).not.toContain('&x=1');
    expect(request?.headers['x-api-key']).toBe(KEY);
  });

  it('leaves out parameters that are not given or empty', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, listBody([])));
    await apiframe.listJobs?.(context(http), { limit: 20, cursor: '', model: undefined });
    expect(listQueryOf({ url: http.requests[0]?.url ?? '' })).toEqual({ limit: '20' });
  });

  it('normalises each item, with nextCursor and hasMore', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, listBody([SEED_PROCESSING, { ...SEED_QUEUED, id: uuidFor(2) }], 'cursor-2')));
    const page = expectOk(await apiframe.listJobs?.(context(http), {}));
    expect(page.jobs.map((j) => [j.id, j.status, j.key])).toEqual([
      [SEED_JOB_ID, 'running', `apiframe:default:${SEED_JOB_ID}`],
      [uuidFor(2), 'queued', `apiframe:default:${uuidFor(2)}`],
    ]);
    expect(page.nextCursor).toBe('cursor-2');
    expect(page.hasMore).toBe(true);
  });

  it('the list quirk: a string result becomes one asset flagged fromList', async () => {
    const url = 'https://cdn2.apiframe.ai/images/x-1.png';
    const http = new ScriptedHttp().enqueue(jsonResponse(200, listBody([{ ...SEED_COMPLETED, result: url }])));
    const page = expectOk(await apiframe.listJobs?.(context(http), {}));
    expect(page.jobs[0]?.assets).toEqual([expect.objectContaining({ kind: 'image', url, index: 0, meta: { fromList: true } })]);
    expectValidJob(page.jobs[0] as ProviderJob);
  });

  it('odd items are skipped and the rest of the page is kept', async () => {
    const items = [SEED_PROCESSING, { id: 42, status: 'QUEUED' }, null, 'x', { status: 'QUEUED' }, { ...SEED_QUEUED, id: uuidFor(3) }];
    const http = new ScriptedHttp().enqueue(jsonResponse(200, listBody(items)));
    const page = expectOk(await apiframe.listJobs?.(context(http), {}));
    expect(page.jobs.map((j) => j.id)).toEqual([SEED_JOB_ID, uuidFor(3)]);
  });

  it('a missing hasMore with a nextCursor means more pages (only hasMore: false ends the list)', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, { jobs: [], nextCursor: 'c2' }), jsonResponse(200, { jobs: [], nextCursor: 'c3', hasMore: false }));
    expect(expectOk(await apiframe.listJobs?.(context(http), {}))).toEqual({ jobs: [], nextCursor: 'c2', hasMore: true });
    expect(expectOk(await apiframe.listJobs?.(context(http), {}))).toEqual({ jobs: [], nextCursor: 'c3', hasMore: false });
  });

  it('a missing hasMore means no more pages; a missing nextCursor is null', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, { jobs: [] }));
    expect(expectOk(await apiframe.listJobs?.(context(http), {}))).toEqual({ jobs: [], nextCursor: null, hasMore: false });
  });

  it('a body without a jobs array is a malformed-response error', async () => {
    for (const body of [{}, { jobs: 'none' }, [], null]) {
      const http = new ScriptedHttp().enqueue(jsonResponse(200, JSON.stringify(body)));
      expect(expectError(requireList(await apiframe.listJobs?.(context(http), {}))).kind, JSON.stringify(body)).toBe('malformed-response');
    }
  });

  const cases: [number, string, RegExp][] = [
    [400, 'invalid-input', /Invalid cursor/],
    [401, 'auth', /key/i],
    [402, 'payment', /credits/i],
    [429, 'rate-limited', /rate-limit/i],
    [503, 'transient', /503/],
  ];
  for (const [status, kind, message] of cases) {
    it(`maps HTTP ${status} on the list to ${kind}`, async () => {
      const http = new ScriptedHttp().enqueue(jsonResponse(status, { error: status === 400 ? 'Invalid cursor' : 'whatever' }));
      const error = expectError(requireList(await apiframe.listJobs?.(context(http), { cursor: 'bad' })));
      expect(error.kind).toBe(kind);
      expect(error.status).toBe(status);
      expect(error.message).toMatch(message);
    });
  }
});

describe('apiframe listRunning', () => {
  it('lists QUEUED then PROCESSING, follows every page with limit 100, dedupes, and counts its requests', async () => {
    const moving = { ...SEED_QUEUED, id: uuidFor(2) };
    const http = new ScriptedHttp((r) => {
      const q = listQueryOf(r);
      if (q['status'] === 'QUEUED' && !q['cursor']) return jsonResponse(200, listBody([{ ...SEED_QUEUED, id: uuidFor(1) }, moving], 'q2'));
      if (q['status'] === 'QUEUED' && q['cursor'] === 'q2') return jsonResponse(200, listBody([{ ...SEED_QUEUED, id: uuidFor(3) }]));
      if (q['status'] === 'PROCESSING' && !q['cursor']) return jsonResponse(200, listBody([{ ...moving, status: 'PROCESSING', progress: 5 }, { ...SEED_PROCESSING, id: uuidFor(4) }], 'p2'));
      if (q['status'] === 'PROCESSING' && q['cursor'] === 'p2') return jsonResponse(200, listBody([{ ...SEED_PROCESSING, id: uuidFor(5) }]));
      return jsonResponse(500, { error: 'unexpected request' });
    });
    const snapshot = expectOk(await apiframe.listRunning?.(context(http), { scope: 'team' }));
    expect(http.requests.map((r) => [listQueryOf(r)['status'], listQueryOf(r)['cursor'] ?? null])).toEqual([
      ['QUEUED', null],
      ['QUEUED', 'q2'],
      ['PROCESSING', null],
      ['PROCESSING', 'p2'],
    ]);
    expect(http.requests.every((r) => listQueryOf(r)['limit'] === '100' && listQueryOf(r)['scope'] === 'team')).toBe(true);
    expect(snapshot.requests).toBe(4);
    expect(snapshot.channels).toBeNull();
    expect(snapshot.jobs.map((j) => j.id).sort()).toEqual([1, 2, 3, 4, 5].map(uuidFor).sort());
    // The later (PROCESSING) sighting of a job that moved wins.
    expect(snapshot.jobs.find((j) => j.id === uuidFor(2))?.status).toBe('running');
  });

  it('nothing running: two requests and no jobs', async () => {
    const http = new ScriptedHttp(() => jsonResponse(200, listBody([])));
    const snapshot = expectOk(await apiframe.listRunning?.(context(http), { scope: 'user' }));
    expect(snapshot).toEqual({ jobs: [], requests: 2, channels: null });
  });

  it('an error on any page is the result (no partial snapshot that would look like finished jobs)', async () => {
    const http = new ScriptedHttp();
    http.enqueue(jsonResponse(200, listBody([SEED_QUEUED])), jsonResponse(503, { error: 'down' }));
    const error = expectError(requireList(await apiframe.listRunning?.(context(http), { scope: 'user' })));
    expect(error.kind).toBe('transient');
  });

  it('a repeated cursor in the running list is a malformed-response error', async () => {
    const http = new ScriptedHttp(() => jsonResponse(200, listBody([SEED_QUEUED], 'same')));
    const error = expectError(requireList(await apiframe.listRunning?.(context(http), { scope: 'user' })));
    expect(error.kind).toBe('malformed-response');
    expect(http.requests).toHaveLength(2);
  });
});

describe('apiframe listRecent', () => {
  it('asks for one small page of the newest jobs (any status) in the account scope', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, listBody([SEED_COMPLETED, { ...SEED_QUEUED, id: uuidFor(9) }], 'more')));
    const jobs = expectOk(await apiframe.listRecent?.(context(http), { scope: 'team' }));
    expect(http.requests).toHaveLength(1);
    expect(listQueryOf(http.requests[0] ?? { url: BASE })).toEqual({ limit: String(APIFRAME_RECENT_LIMIT), scope: 'team' });
    expect(jobs.map((j) => [j.id, j.status])).toEqual([
      [SEED_JOB_ID, 'completed'],
      [uuidFor(9), 'queued'],
    ]);
  });

  it('passes errors through', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(401, { error: 'Unauthorized' }));
    expect(expectError(requireList(await apiframe.listRecent?.(context(http), { scope: 'user' }))).kind).toBe('auth');
  });
});
