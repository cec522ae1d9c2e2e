import { describe, expect, it } from 'vitest';
import { JobSchema } from '../../../src-shared/job';
import type { AppError, Result } from '../../../src-shared/result';
import { isRetryable } from '../../../src-shared/result';
import { mergeJob } from '../job-merge';
import { FakeClock } from '../testing/fake-clock';
import { jsonResponse, ScriptedHttp } from '../testing/fakes';
import type { ProviderContext, ProviderJob } from './provider';
import { PROVIDERS } from './registry';
import { parseUseapiId, useapi, USEAPI_INTERVAL_MS } from './useapi';
import { LISTED_RAW_STATUS, normalizeUseapiJob, UseapiJobWire } from './useapi-wire';

const BASE = 'https://api.useapi.test';
const TOKEN = 'user:1234-unit-test-token';
const SEED_ID = 'j1023141520123456789i-u12345-c1234567890123456789-bot:midjourney';
const ENCODED_SEED_ID = 'j1023141520123456789i-u12345-c1234567890123456789-bot%3Amidjourney';

/** The seed's 200 example, verbatim. */
const SEED_COMPLETED = {
  jobid: 'j1023141520123456789i-u12345-c1234567890123456789-bot:midjourney',
  verb: 'imagine',
  status: 'completed',
  created: '2025-10-23T14:15:20.123Z',
  updated: '2025-10-23T14:16:45.789Z',
  request: {
    prompt: 'a cat in a hat --ar 16:9',
  },
  response: {
    content: '**a cat in a hat** - <@user> (100%) (fast)',
    progress_percent: 100,
    attachments: [
      {
        url: 'https://cdn.discordapp.com/attachments/.../image.png',
        proxy_url: 'https://media.discordapp.net/...',
        filename: 'image.png',
        width: 1920,
        height: 1080,
      },
    ],
    buttons: ['U1', 'U2', 'U3', 'U4', 'V1', 'V2', 'V3', 'V4', '🔄'],
    imageUx: [
      { id: 1, url: 'https://cdn.midjourney.com/.../0_0.jpeg' },
      { id: 2, url: 'https://cdn.midjourney.com/.../0_1.jpeg' },
      { id: 3, url: 'https://cdn.midjourney.com/.../0_2.jpeg' },
      { id: 4, url: 'https://cdn.midjourney.com/.../0_3.jpeg' },
    ],
    children: {},
    executeOnce: {},
  },
};

function seedWith(patch: Record<string, unknown>): Record<string, unknown> {
  return { ...SEED_COMPLETED, ...patch };
}

function normalize(body: Record<string, unknown>, id = SEED_ID): ProviderJob {
  return normalizeUseapiJob(UseapiJobWire.parse(body), id, 'default');
}

function expectValidJob(job: ProviderJob): void {
  const { partial: _partial, ...rest } = job;
  const parsed = JobSchema.safeParse({ ...rest, watch: { state: 'watching', message: null, lastCheckedAt: null, progressAt: null } });
  expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
}

function context(http: ScriptedHttp, clock = new FakeClock()): ProviderContext {
  return { http, clock, baseUrl: `${BASE}/`, apiKey: TOKEN, accountId: 'default' };
}

function expectOk<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.kind}: ${result.error.message}`);
  return result.value;
}

function expectError<T>(result: Result<T>): AppError {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

function requireMethod<T>(method: T | undefined): T {
  if (method === undefined) throw new Error('useapi is missing an optional adapter method');
  return method;
}

describe('useapi adapter identity', () => {
  it('is registered after Apiframe with its env names, default base URL and a 5 s interval', () => {
    expect(PROVIDERS.map((p) => p.id)).toEqual(['apiframe', 'useapi']);
    expect(useapi).toMatchObject({
      id: 'useapi',
      label: 'useapi.net Midjourney',
      defaultBaseUrl: 'https://api.useapi.net',
      env: { apiKey: 'USEAPI_TOKEN', baseUrl: 'GENWATCH_USEAPI_URL' },
    });
    for (const modality of ['image', 'video', 'unknown'] as const) {
      for (const status of ['queued', 'running'] as const) expect(useapi.pollIntervalMs({ modality, status })).toBe(USEAPI_INTERVAL_MS);
    }
    expect(USEAPI_INTERVAL_MS).toBe(5_000);
  });
});

describe('useapi normalisation of the seed example', () => {
  it('completed → completed at 100 %, midjourney image, prompt from the request, timestamps', () => {
    const job = normalize(SEED_COMPLETED);
    expectValidJob(job);
    expect(job).toMatchObject({
      key: `useapi:default:${SEED_ID}`,
      provider: 'useapi',
      id: SEED_ID,
      status: 'completed',
      rawStatus: 'completed',
      modality: 'image',
      model: 'midjourney',
      prompt: 'a cat in a hat --ar 16:9',
      progress: 100,
      error: null,
      cost: null,
      createdAt: '2025-10-23T14:15:20.123Z',
      updatedAt: '2025-10-23T14:16:45.789Z',
      completedAt: '2025-10-23T14:16:45.789Z',
    });
    expect(job.partial).toBeUndefined();
  });

  it('maps imageUx to four image assets (index id-1, meta.cell) and attachments[0] to the grid', () => {
    const job = normalize(SEED_COMPLETED);
    const images = job.assets.filter((a) => a.kind === 'image');
    expect(images.map((a) => [a.index, a.meta['cell'], a.url])).toEqual([
      [0, 1, 'https://cdn.midjourney.com/.../0_0.jpeg'],
      [1, 2, 'https://cdn.midjourney.com/.../0_1.jpeg'],
      [2, 3, 'https://cdn.midjourney.com/.../0_2.jpeg'],
      [3, 4, 'https://cdn.midjourney.com/.../0_3.jpeg'],
    ]);
    expect(images.every((a) => a.meta['midjourneyCdn'] === true)).toBe(true);
    const grid = job.assets.filter((a) => a.kind === 'grid');
    expect(grid).toEqual([
      {
        kind: 'grid',
        url: 'https://cdn.discordapp.com/attachments/.../image.png',
        index: 0,
        filename: 'image.png',
        contentType: null,
        size: null,
        width: 1920,
        height: 1080,
        meta: { discord: true, proxyUrl: 'https://media.discordapp.net/...' },
      },
    ]);
  });

  it('keeps buttons, children, executeOnce and content in raw', () => {
    const job = normalize(SEED_COMPLETED);
    expect(job.raw).toMatchObject({ verb: 'imagine', response: { buttons: SEED_COMPLETED.response.buttons, children: {}, executeOnce: {}, content: SEED_COMPLETED.response.content } });
  });
});

describe('useapi statuses', () => {
  const running = (status: string, percent?: number): Record<string, unknown> => ({
    jobid: SEED_ID,
    verb: 'imagine',
    status,
    created: '2025-10-23T14:15:20.123Z',
    updated: '2025-10-23T14:15:30.000Z',
    request: { prompt: 'a cat' },
    ...(percent === undefined ? {} : { response: { content: `**a cat** (${percent}%)`, progress_percent: percent } }),
  });

  it('created → queued, progress 0, no response yet, not completed', () => {
    const job = normalize(running('created'));
    expectValidJob(job);
    expect(job).toMatchObject({ status: 'queued', rawStatus: 'created', progress: 0, assets: [], error: null, completedAt: null });
  });

  it('started → running at 0 %', () => {
    expect(normalize(running('started', 0))).toMatchObject({ status: 'running', rawStatus: 'started', progress: 0 });
  });

  it('progress → running with response.progress_percent (rounded and clamped)', () => {
    expect(normalize(running('progress', 45))).toMatchObject({ status: 'running', rawStatus: 'progress', progress: 45, completedAt: null });
    expect(normalize(running('progress', 45.6)).progress).toBe(46);
    expect(normalize(running('progress', 140)).progress).toBe(100);
    expect(normalize(running('progress', -3)).progress).toBe(0);
  });

  it('completed → 100 % even when progress_percent says otherwise', () => {
    expect(normalize(seedWith({ response: { progress_percent: 80 } })).progress).toBe(100);
  });

  it('failed → failed with error, code and errorDetails; completedAt is updated', () => {
    const job = normalize(running('failed', 30), SEED_ID);
    const failed = normalize({ ...running('failed'), error: 'Job cancelled by user', errorDetails: 'Cancelled via DELETE /jobs/jobid', code: 499 });
    expectValidJob(failed);
    expect(job.error).toEqual({ message: 'The job failed.', code: null, details: null });
    expect(failed).toMatchObject({
      status: 'failed',
      rawStatus: 'failed',
      error: { message: 'Job cancelled by user', code: 499, details: 'Cancelled via DELETE /jobs/jobid' },
      completedAt: '2025-10-23T14:15:30.000Z',
    });
  });

  it('moderated → failed (raw kept) with the embeds in the details, without repeating error or errorDetails', () => {
    const job = normalize({
      ...running('moderated'),
      error: 'Banned prompt detected',
      errorDetails: 'Sorry! Our AI moderator thinks this prompt is probably against our community standards.',
      code: 422,
      response: {
        content: '',
        progress_percent: 0,
        embeds: [
          { title: 'Banned prompt detected', description: 'Sorry! Our AI moderator thinks this prompt is probably against our community standards.', color: 16711680 },
          { title: 'Appeal', description: 'You can appeal this decision in Discord.' },
        ],
      },
    });
    expectValidJob(job);
    expect(job).toMatchObject({ status: 'failed', rawStatus: 'moderated', progress: 0 });
    expect(job.error).toEqual({
      message: 'Banned prompt detected',
      code: 422,
      details: 'Sorry! Our AI moderator thinks this prompt is probably against our community standards.\nAppeal\nYou can appeal this decision in Discord.',
    });
  });

  it('moderated without error fields: a plain message and the embed text as details', () => {
    const job = normalize({ ...running('moderated'), response: { embeds: [{ title: 'Action needed', description: 'Acknowledge the notice.' }] } });
    expect(job.error).toEqual({ message: 'Midjourney moderated this prompt.', code: null, details: 'Action needed\nAcknowledge the notice.' });
  });

  it('an unknown status stays running (still watched) with the provider word kept', () => {
    expect(normalize(running('paused-by-discord'))).toMatchObject({ status: 'running', rawStatus: 'paused-by-discord' });
  });

  it('statuses are matched case-insensitively', () => {
    expect(normalize(seedWith({ status: 'COMPLETED' })).status).toBe('completed');
  });
});

describe('useapi odd field types (tolerant parsing)', () => {
  it('a finished job keeps its files whatever the metadata looks like (ids, sizes, widths as strings)', () => {
    const job = normalize(seedWith({ response: { imageUx: [{ id: '1', url: 'https://cdn.midjourney.com/a/0_0.jpeg' }], attachments: [{ id: 7, url: 'https://cdn.discordapp.com/a/grid.png', size: '123', width: '1024', height: null }] } }));
    expectValidJob(job);
    expect(job.status).toBe('completed');
    expect(job.assets.map((a) => a.url)).toEqual(['https://cdn.midjourney.com/a/0_0.jpeg', 'https://cdn.discordapp.com/a/grid.png']);
    expect(job.assets[0]?.index).toBe(0);
    expect(job.assets[1]).toMatchObject({ size: 123, width: 1024 });
  });

  it('a failed job with an error object, a prompt list or a percentage as text is still read, and reported failed', () => {
    const job = normalize({ jobid: SEED_ID, status: 'failed', error: 'Job failed', errorDetails: { reason: 'banned prompt' }, request: { prompt: ['a', 'cat'] }, response: { progress_percent: '65' } });
    expectValidJob(job);
    expect(job).toMatchObject({ status: 'failed', error: { message: 'Job failed', details: '{"reason":"banned prompt"}' } });
    expect(normalize({ jobid: SEED_ID, status: 'progress', response: { progress_percent: '65%', imageUx: { not: 'a list' } } })).toMatchObject({ status: 'running', progress: 65, assets: [] });
  });
});

describe('useapi job shapes', () => {
  it('video: jobType video and videoUx cells become video assets', () => {
    const id = 'j1023141520123456789v-u12345-c1234567890123456789-bot:midjourney';
    const job = normalize(
      seedWith({
        jobid: id,
        jobType: 'video',
        response: {
          progress_percent: 100,
          videoUx: [
            { id: 1, url: 'https://cdn.midjourney.com/x/0_0.mp4' },
            { id: 2, url: 'https://cdn.midjourney.com/x/0_1.mp4' },
          ],
          attachments: [{ id: '77', url: 'https://cdn.discordapp.com/a.mp4', proxy_url: 'https://media.discordapp.net/a.mp4', filename: 'a.mp4', size: 1234, width: 640, height: 480, content_type: 'video/mp4' }],
        },
      }),
      id,
    );
    expectValidJob(job);
    expect(job.modality).toBe('video');
    expect(job.assets.map((a) => [a.kind, a.index])).toEqual([
      ['video', 0],
      ['video', 1],
      ['grid', 0],
    ]);
    expect(job.assets[2]).toMatchObject({ filename: 'a.mp4', size: 1234, width: 640, height: 480, contentType: 'video/mp4', meta: { discord: true, attachmentId: '77' } });
  });

  it('modality: jobType first, then the id letter (i/v), default image', () => {
    const videoId = 'j1v-u1-c1-bot:midjourney';
    expect(normalize({ jobid: videoId, status: 'created' }, videoId).modality).toBe('video');
    expect(normalize({ jobid: SEED_ID, status: 'created', jobType: 'video' }).modality).toBe('video');
    expect(normalize({ jobid: SEED_ID, status: 'created' }).modality).toBe('image');
  });

  it('further attachments are "other" assets; odd items are skipped, bad numbers become null', () => {
    const job = normalize(
      seedWith({
        response: {
          attachments: [
            { url: 'https://d/grid.png', filename: 'grid.png', size: -1, width: 0, height: 10.5 },
            'not an attachment',
            { url: 'https://d/extra-1.png' },
            { url: 'https://d/extra-2.png' },
          ],
          imageUx: [{ id: 1, url: 'https://c/0_0.png' }, { id: 2 }, null, { url: 'https://c/no-id.png' }],
        },
      }),
    );
    expectValidJob(job);
    expect(job.assets.map((a) => [a.kind, a.index, a.url])).toEqual([
      ['image', 0, 'https://c/0_0.png'],
      ['image', 3, 'https://c/no-id.png'],
      ['grid', 0, 'https://d/grid.png'],
      ['other', 0, 'https://d/extra-1.png'],
      ['other', 1, 'https://d/extra-2.png'],
    ]);
    expect(job.assets[2]).toMatchObject({ size: null, width: null, height: null });
  });

  it('a button job without a prompt reads "U1 of <parent id>"', () => {
    const child = 'j2000000000000000000i-u12345-c1234567890123456789-bot:midjourney';
    const job = normalize({ jobid: child, verb: 'button', status: 'created', request: { button: 'U1', jobId: SEED_ID } }, child);
    expect(job.prompt).toBe(`U1 of ${SEED_ID}`);
    expect(normalize({ jobid: child, verb: 'button', status: 'created', request: { button: 'V2', prompt: 'own prompt' } }, child).prompt).toBe('own prompt');
    expect(normalize({ jobid: child, verb: 'button', status: 'created', request: { button: '🔄' } }, child).prompt).toBe('🔄 of an earlier job');
  });

  it('a payload with only jobid and status is accepted (every other field missing)', () => {
    const job = normalize({ jobid: SEED_ID, status: 'progress' });
    expectValidJob(job);
    expect(job).toMatchObject({ status: 'running', prompt: null, createdAt: null, updatedAt: null, assets: [] });
  });
});

describe('useapi parseId', () => {
  it('accepts the documented format as is', () => {
    expect(parseUseapiId(SEED_ID)).toEqual({ ok: true, id: SEED_ID });
  });

  it('is tolerant of digit counts and lower-cases', () => {
    expect(parseUseapiId('j1i-u1-c1-bot:midjourney')).toEqual({ ok: true, id: 'j1i-u1-c1-bot:midjourney' });
    // A wall of digits is no id: it would make a request URL no server takes (HTTP 431, forever).
    expect(parseUseapiId(`j${'1'.repeat(20_000)}i-u1-c1-bot:midjourney`).ok).toBe(false);
    expect(parseUseapiId(`j${'1'.repeat(40)}i-u1-c1-bot:midjourney`).ok).toBe(true);
    expect(parseUseapiId('J10231415201234567890123V-U1-C12-BOT:MIDJOURNEY')).toEqual({ ok: true, id: 'j10231415201234567890123v-u1-c12-bot:midjourney' });
  });

  it('trims spaces and quotes', () => {
    expect(parseUseapiId(`  "${SEED_ID}"  `)).toEqual({ ok: true, id: SEED_ID });
    expect(parseUseapiId(`'${SEED_ID}'`)).toEqual({ ok: true, id: SEED_ID });
    expect(parseUseapiId(`<${SEED_ID}>`)).toEqual({ ok: true, id: SEED_ID });
  });

  it('extracts the id from a URL, with ":" raw or percent-encoded as %3A / %3a', () => {
    expect(parseUseapiId(`https://api.useapi.net/v3/midjourney/jobs/${SEED_ID}`)).toEqual({ ok: true, id: SEED_ID });
    expect(parseUseapiId(`https://api.useapi.net/v3/midjourney/jobs/${ENCODED_SEED_ID}`)).toEqual({ ok: true, id: SEED_ID });
    expect(parseUseapiId(`https://api.useapi.net/v3/midjourney/jobs/${ENCODED_SEED_ID.replace('%3A', '%3a')}?x=1`)).toEqual({ ok: true, id: SEED_ID });
    expect(parseUseapiId(ENCODED_SEED_ID)).toEqual({ ok: true, id: SEED_ID });
  });

  it('survives a stray % that is not an escape', () => {
    expect(parseUseapiId(`https://x/%zz/${ENCODED_SEED_ID}`)).toEqual({ ok: true, id: SEED_ID });
  });

  it('rejects garbage with a reason showing what an id looks like', () => {
    for (const bad of ['hello', 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', 'j123x-u1-c1-bot:midjourney', 'j123i-u1-c1-bot:niji', '']) {
      const parsed = parseUseapiId(bad);
      expect(parsed.ok, bad).toBe(false);
      if (!parsed.ok) expect(parsed.reason).toContain('-bot:midjourney');
    }
  });

  it('explains a missing "-bot:midjourney" ending', () => {
    const parsed = parseUseapiId('j1023141520123456789i-u12345-c1234567890123456789');
    expect(parsed.ok ? '' : parsed.reason).toMatch(/missing the "-bot:midjourney" ending/);
  });

  it('rejects a token holding two different ids, accepts the same id twice', () => {
    const other = 'j2i-u1-c1-bot:midjourney';
    expect(parseUseapiId(`${SEED_ID}/${other}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/more than one/) as unknown });
    expect(parseUseapiId(`${SEED_ID}?again=${SEED_ID}`)).toEqual({ ok: true, id: SEED_ID });
  });

  it('does not cut an id out of a longer word', () => {
    expect(parseUseapiId(`x${SEED_ID}`).ok).toBe(false);
    expect(parseUseapiId(`${SEED_ID}x`).ok).toBe(false);
  });
});

describe('useapi getJob over the HttpPort', () => {
  it('sends GET <base>/v3/midjourney/jobs/<id with %3A> with the Bearer token', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, SEED_COMPLETED));
    const job = expectOk(await useapi.getJob(context(http), SEED_ID));
    expect(job.status).toBe('completed');
    expect(http.requests).toHaveLength(1);
    expect(http.requests[0]).toMatchObject({
      method: 'GET',
      url: `${BASE}/v3/midjourney/jobs/${ENCODED_SEED_ID}`,
      headers: { authorization: `Bearer ${TOKEN}`, accept: 'application/json' },
    });
  });

  it('keys the job by the id asked for', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, seedWith({ jobid: SEED_ID.toUpperCase() })));
    expect(expectOk(await useapi.getJob(context(http), SEED_ID)).key).toBe(`useapi:default:${SEED_ID}`);
  });

  const cases: { status: number; body: unknown; kind: AppError['kind']; message: RegExp }[] = [
    { status: 401, body: { error: 'Unauthorized' }, kind: 'auth', message: /^useapi\.net rejected the API token/ },
    { status: 402, body: { error: 'Account has no subscription or subscription expired' }, kind: 'payment', message: /^useapi\.net: the account has no active subscription \(or it expired\)/ },
    { status: 404, body: { error: 'Job not found' }, kind: 'not-found', message: /no job with this id/ },
    { status: 410, body: { error: `Job ${SEED_ID} has expired` }, kind: 'expired', message: /older than 62 days and was deleted by useapi\.net/ },
    { status: 400, body: { error: 'Invalid jobid' }, kind: 'invalid-input', message: /Invalid jobid/ },
    { status: 500, body: { error: 'boom' }, kind: 'transient', message: /HTTP 500/ },
    { status: 503, body: 'Service Unavailable', kind: 'transient', message: /HTTP 503/ },
  ];
  for (const { status, body, kind, message } of cases) {
    it(`maps HTTP ${status} to ${kind}`, async () => {
      const http = new ScriptedHttp().enqueue(jsonResponse(status, body));
      const error = expectError(await useapi.getJob(context(http), SEED_ID));
      expect(error).toMatchObject({ kind, status });
      expect(error.message).toMatch(message);
    });
  }

  it('410 is not retryable; 429 and 5xx are', async () => {
    expect(isRetryable('expired')).toBe(false);
    const http = new ScriptedHttp().enqueue(jsonResponse(502, {}));
    expect(isRetryable(expectError(await useapi.getJob(context(http), SEED_ID)).kind)).toBe(true);
  });

  it('maps 596 to account-hold with the pendingModMessage text (never transient)', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(596, { error: 'Pending moderation message', pendingModMessage: 'Please acknowledge the community guidelines.' }));
    const error = expectError(await useapi.getJob(context(http), SEED_ID));
    expect(error).toMatchObject({ kind: 'account-hold', status: 596 });
    expect(error.message).toMatch(/^useapi\.net holds this account until you acknowledge a moderation\/CAPTCHA message in Midjourney/);
    expect(error.message).toContain('("Please acknowledge the community guidelines.")');
  });

  it('596 without a readable body still says what to do', async () => {
    const http = new ScriptedHttp().enqueue({ status: 596, headers: {}, body: '<html>' });
    const error = expectError(await useapi.getJob(context(http), SEED_ID));
    expect(error.kind).toBe('account-hold');
    expect(error.message).toMatch(/Midjourney; acknowledge it there, then resume the account\.$/);
  });

  it('maps 429 to rate-limited with Retry-After', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(429, { error: 'Too many requests' }, { 'retry-after': '12' }));
    expect(expectError(await useapi.getJob(context(http), SEED_ID))).toMatchObject({ kind: 'rate-limited', retryAfterMs: 12_000, status: 429 });
  });

  it('malformed JSON and a wrong shape are malformed-response errors', async () => {
    const http = new ScriptedHttp().enqueue({ status: 200, headers: {}, body: '{"jobid": ' }, jsonResponse(200, { status: 'completed' }));
    expect(expectError(await useapi.getJob(context(http), SEED_ID))).toMatchObject({ kind: 'malformed-response', message: expect.stringMatching(/invalid JSON/) as unknown });
    expect(expectError(await useapi.getJob(context(http), SEED_ID))).toMatchObject({ kind: 'malformed-response', message: expect.stringMatching(/unexpected job shape/) as unknown });
  });

  it('a rejected request is a network error', async () => {
    const http = new ScriptedHttp().enqueue(new Error('ECONNRESET'));
    expect(expectError(await useapi.getJob(context(http), SEED_ID))).toMatchObject({ kind: 'network', message: 'Could not reach useapi.net: the connection was cut; genwatch will retry.' });
  });
});

const C1 = '1187654321098765432';
const C2 = '1198765432109876543';
const LIST_BODY = {
  total: 3,
  images: 2,
  videos: 1,
  channels: {
    [C1]: {
      total: 2,
      images: 2,
      videos: 0,
      maxJobs: 3,
      maxImageJobs: 3,
      maxVideoJobs: 3,
      jobs: [
        { jobId: `j1i-u1-c${C1}-bot:midjourney`, channel: C1, jobType: 'image', created: '2025-10-23T14:15:20.000Z', elapsed: '00:12' },
        { jobId: `J2I-U1-C${C1}-BOT:MIDJOURNEY`, channel: C1, jobType: 'image', created: '2025-10-23T14:15:21.000Z', elapsed: '00:11' },
      ],
    },
    [C2]: {
      total: 1,
      images: 0,
      videos: 1,
      maxJobs: 3,
      maxImageJobs: 3,
      maxVideoJobs: 1,
      jobs: [{ jobId: `j3v-u1-c${C2}-bot:midjourney`, jobType: 'video', created: '2025-10-23T14:15:22.000Z', elapsed: '00:10' }, { nonsense: true }],
    },
  },
};

describe('useapi listRunning (GET /v3/midjourney/jobs)', () => {
  it('one request: every listed job as a partial running job, with each channel’s load', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, LIST_BODY));
    const snapshot = expectOk(await requireMethod(useapi.listRunning)(context(http), { scope: 'user' }));
    expect(http.requests.map((r) => [r.method, r.url, r.headers['authorization']])).toEqual([['GET', `${BASE}/v3/midjourney/jobs`, `Bearer ${TOKEN}`]]);
    expect(snapshot.requests).toBe(1);
    expect(snapshot.channels).toEqual([
      { id: C1, running: 2, maxJobs: 3 },
      { id: C2, running: 1, maxJobs: 3 },
    ]);
    expect(snapshot.jobs.map((j) => [j.id, j.modality, j.createdAt])).toEqual([
      [`j1i-u1-c${C1}-bot:midjourney`, 'image', '2025-10-23T14:15:20.000Z'],
      [`j2i-u1-c${C1}-bot:midjourney`, 'image', '2025-10-23T14:15:21.000Z'],
      [`j3v-u1-c${C2}-bot:midjourney`, 'video', '2025-10-23T14:15:22.000Z'],
    ]);
    for (const job of snapshot.jobs) {
      expectValidJob(job);
      expect(job).toMatchObject({ partial: true, status: 'running', rawStatus: LISTED_RAW_STATUS, progress: 0, model: 'midjourney', key: `useapi:default:${job.id}` });
    }
    // The channel rides along in raw, filled in from the group when the item leaves it out.
    expect(snapshot.jobs[2]?.raw).toMatchObject({ channel: C2, elapsed: '00:10' });
  });

  it('nothing running: no jobs and no channels', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, { total: 0, images: 0, videos: 0, channels: {} }));
    expect(expectOk(await requireMethod(useapi.listRunning)(context(http), { scope: 'user' }))).toEqual({ jobs: [], channels: [], requests: 1 });
  });

  it('a channel without total or maxJobs counts its jobs and has no limit', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, { channels: { [C1]: { jobs: [{ jobId: SEED_ID }] } } }));
    const snapshot = expectOk(await requireMethod(useapi.listRunning)(context(http), { scope: 'team' }));
    expect(snapshot.channels).toEqual([{ id: C1, running: 1, maxJobs: null }]);
  });

  it('merging a listed job keeps what Get Job told before (prompt, assets, raw, a higher progress)', () => {
    const known = normalize({ jobid: SEED_ID, status: 'progress', request: { prompt: 'a cat' }, response: { progress_percent: 40 } });
    const watch = { state: 'watching' as const, message: null, lastCheckedAt: null, progressAt: null };
    const previous = mergeJob(undefined, known, watch);
    const listed: ProviderJob = { ...known, status: 'running', rawStatus: LISTED_RAW_STATUS, progress: 0, prompt: null, raw: { jobId: SEED_ID }, partial: true };
    const merged = mergeJob(previous, listed, watch);
    expect(merged).toMatchObject({ status: 'running', progress: 40, prompt: 'a cat', raw: previous.raw });
  });

  const errors: [number, AppError['kind']][] = [
    [401, 'auth'],
    [402, 'payment'],
    [596, 'account-hold'],
    [429, 'rate-limited'],
    [500, 'transient'],
  ];
  for (const [status, kind] of errors) {
    it(`maps HTTP ${status} on the list to ${kind}`, async () => {
      const http = new ScriptedHttp().enqueue(jsonResponse(status, { error: 'x' }));
      expect(expectError(await requireMethod(useapi.listRunning)(context(http), { scope: 'user' }))).toMatchObject({ kind, status });
    });
  }

  it('a body of the wrong shape or broken JSON is malformed-response', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(200, { channels: [1, 2] }), { status: 200, headers: {}, body: 'nope' });
    expect(expectError(await requireMethod(useapi.listRunning)(context(http), { scope: 'user' })).kind).toBe('malformed-response');
    expect(expectError(await requireMethod(useapi.listRunning)(context(http), { scope: 'user' })).kind).toBe('malformed-response');
  });
});

describe('useapi cancelJob (DELETE /v3/midjourney/jobs/<id>)', () => {
  it('204 (and 200) is ok; the id is percent-encoded and the token sent', async () => {
    const http = new ScriptedHttp().enqueue({ status: 204, headers: {}, body: '' }, jsonResponse(200, {}));
    expect(await requireMethod(useapi.cancelJob)(context(http), SEED_ID)).toEqual({ ok: true, value: null });
    expect(await requireMethod(useapi.cancelJob)(context(http), SEED_ID)).toEqual({ ok: true, value: null });
    expect(http.requests[0]).toMatchObject({ method: 'DELETE', url: `${BASE}/v3/midjourney/jobs/${ENCODED_SEED_ID}`, headers: { authorization: `Bearer ${TOKEN}` } });
  });

  it('400 "not running" is invalid-input with a plain sentence', async () => {
    const http = new ScriptedHttp().enqueue(jsonResponse(400, { error: 'Job is not running' }));
    const error = expectError(await requireMethod(useapi.cancelJob)(context(http), SEED_ID));
    expect(error).toMatchObject({ kind: 'invalid-input', status: 400 });
    expect(error.message).toBe('useapi.net did not cancel the job: it is not running any more (Job is not running).');
  });

  const errors: [number, AppError['kind']][] = [
    [401, 'auth'],
    [402, 'payment'],
    [404, 'not-found'],
    [410, 'expired'],
    [596, 'account-hold'],
    [503, 'transient'],
  ];
  for (const [status, kind] of errors) {
    it(`maps HTTP ${status} on cancel to ${kind}`, async () => {
      const http = new ScriptedHttp().enqueue(jsonResponse(status, { error: 'x' }));
      expect(expectError(await requireMethod(useapi.cancelJob)(context(http), SEED_ID))).toMatchObject({ kind, status });
    });
  }

  it('a rejected request is a network error', async () => {
    const http = new ScriptedHttp().enqueue(new Error('socket hang up'));
    expect(expectError(await requireMethod(useapi.cancelJob)(context(http), SEED_ID)).kind).toBe('network');
  });
});
