import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningEmulator, UseapiJobScript } from './index';
import { bulkScenario, demoScenario, makeUseapiJobId, ManualClock, startEmulator, TEST_USEAPI_TOKEN } from './index';

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const TOKEN = TEST_USEAPI_TOKEN;
const OTHER = 'useapi_other_token_0002';
const C1 = '1111111111111111111';
const C2 = '2222222222222222222';
const CHROME = { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', Accept: '*/*' };

const IMG = makeUseapiJobId('t-img', 'image', { channel: C1 });
const VID = makeUseapiJobId('t-vid', 'video', { channel: C2 });
const FAIL = makeUseapiJobId('t-fail', 'image', { channel: C1 });
const MOD = makeUseapiJobId('t-mod', 'image', { channel: C2 });
const OLD = makeUseapiJobId('t-old', 'image', { channel: C1 });
const UPS = makeUseapiJobId('t-ups', 'image', { channel: C1 });
const THEIRS = makeUseapiJobId('t-theirs', 'image', { channel: C1 });

function script(jobid: string, over: Partial<UseapiJobScript> = {}): UseapiJobScript {
  return { jobid, token: TOKEN, channel: C1, verb: 'imagine', jobType: 'image', prompt: 'a cat in a hat --ar 16:9', startAt: T0, createdMs: 2000, progressMs: 10_000, outcome: 'completed', ...over };
}

let emu: RunningEmulator;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock(T0);
  emu = await startEmulator({
    clock,
    scenario: {
      apiframe: { apiKeys: [], jobs: [] },
      useapi: {
        tokens: [TOKEN, OTHER],
        channels: { [C1]: { maxJobs: 5, maxImageJobs: 4, maxVideoJobs: 1 } },
        jobs: [
          script(IMG),
          script(VID, { channel: C2, jobType: 'video', prompt: 'waves --video', startAt: T0 + 1000, progressMs: 20_000 }),
          script(FAIL, { outcome: 'failed', error: 'Midjourney error', errorDetails: 'Invalid parameter', code: 400 }),
          script(MOD, { channel: C2, outcome: 'moderated', progressMs: 5000 }),
          script(OLD, { startAt: T0 - 70 * 86_400_000, expired: true }),
          script(UPS, { verb: 'button', button: 'U1', prompt: undefined, parentJobId: IMG, startAt: T0 + 15_000 }),
          script(THEIRS, { token: OTHER }),
        ],
      },
    },
  });
});

afterEach(async () => {
  await emu.close();
});

type Json = Record<string, unknown>;
interface JobBody {
  jobid: string;
  verb: string;
  jobType: string;
  status: string;
  created: string;
  updated: string;
  error?: string;
  errorDetails?: string;
  code?: number;
  request: Json;
  response?: {
    content: string;
    progress_percent: number;
    attachments?: Array<{ id: string; url: string; proxy_url: string; filename: string; size: number; width: number; height: number; content_type: string }>;
    buttons?: string[];
    imageUx?: Array<{ id: number; url: string }>;
    videoUx?: Array<{ id: number; url: string }>;
    children?: Json;
    executeOnce?: Json;
    embeds?: Json[];
  };
}

/** node:http GET with exactly these headers (fetch always adds Accept: *\/*). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: Buffer.concat(parts).toString('latin1') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const auth = (token: string | null = TOKEN): Record<string, string> => (token === null ? {} : { Authorization: `Bearer ${token}` });

async function getJob(id: string, token: string | null = TOKEN, encode = false): Promise<Response> {
  const path = encode ? encodeURIComponent(id) : id;
  return fetch(`${emu.providers.useapi.baseUrl}/v3/midjourney/jobs/${path}`, { headers: auth(token) });
}

async function job(id: string): Promise<JobBody> {
  const res = await getJob(id);
  expect(res.status).toBe(200);
  return (await res.json()) as JobBody;
}

describe('useapi get job', () => {
  it('created → started → progress (rising) → completed, seed model', async () => {
    const c = await job(IMG);
    expect(c).toEqual({ jobid: IMG, verb: 'imagine', jobType: 'image', status: 'created', created: '2026-03-15T10:00:00.000Z', updated: '2026-03-15T10:00:00.000Z', request: { prompt: 'a cat in a hat --ar 16:9', channel: C1 } });
    clock.advance(2000);
    const s = await job(IMG);
    expect(s.status).toBe('started');
    expect(s.response?.progress_percent).toBe(0);
    clock.advance(2200);
    const p1 = await job(IMG);
    expect(p1.status).toBe('progress');
    expect(p1.response?.progress_percent).toBe(22);
    expect(p1.response?.content).toBe('**a cat in a hat --ar 16:9** - <@42424> (22%) (fast)');
    clock.advance(5000);
    const p2 = await job(IMG);
    expect(p2.response?.progress_percent).toBe(72);
    expect(Date.parse(p2.updated)).toBeGreaterThan(Date.parse(p1.updated));
    clock.advance(2800);
    const done = await job(IMG);
    expect(Object.keys(done)).toEqual(['jobid', 'verb', 'jobType', 'status', 'created', 'updated', 'request', 'response']);
    expect(done.status).toBe('completed');
    expect(done.updated).toBe('2026-03-15T10:00:12.000Z');
    const r = done.response;
    expect(r?.progress_percent).toBe(100);
    expect(r?.content).toBe('**a cat in a hat --ar 16:9** - <@42424> (fast)');
    expect(r?.buttons).toEqual(['U1', 'U2', 'U3', 'U4', 'V1', 'V2', 'V3', 'V4', '🔄']);
    expect(r?.imageUx?.map((u) => u.id)).toEqual([1, 2, 3, 4]);
    expect(r?.imageUx?.[0]?.url).toMatch(new RegExp(`^${emu.url}/cdn-midjourney/[0-9a-f-]{36}/0_0\\.png$`));
    expect(r?.children).toEqual({});
    expect(r?.executeOnce).toEqual({});
    const att = r?.attachments?.[0];
    expect(Object.keys(att ?? {})).toEqual(['id', 'filename', 'url', 'proxy_url', 'size', 'width', 'height', 'content_type']);
    expect(att?.url).toMatch(new RegExp(`^${emu.url}/discord/attachments/${C1}/\\d+/[^?]+\\.png\\?ex=[0-9a-f]+&is=[0-9a-f]+&hm=[0-9a-f]{64}&$`));
    expect(att?.content_type).toBe('image/png');
    const bytes = Buffer.from(await (await fetch(att?.url ?? '')).arrayBuffer());
    expect(bytes.length).toBe(att?.size);
  });

  it('video job: videoUx of mp4s on the CDN', async () => {
    clock.advance(1000 + 2000 + 20_000);
    const v = await job(VID);
    expect(v.jobType).toBe('video');
    expect(v.status).toBe('completed');
    expect(v.response?.videoUx).toHaveLength(4);
    expect(v.response?.imageUx).toBeUndefined();
    const res = await fetch(v.response?.videoUx?.[0]?.url ?? '', { headers: CHROME });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await res.arrayBuffer()).subarray(4, 8).toString('latin1')).toBe('ftyp');
  });

  it('failed and moderated: error, errorDetails, code; moderation embeds', async () => {
    clock.advance(12_000);
    const f = await job(FAIL);
    expect(f).toMatchObject({ status: 'failed', error: 'Midjourney error', errorDetails: 'Invalid parameter', code: 400 });
    expect(Object.keys(f).slice(0, 9)).toEqual(['jobid', 'verb', 'jobType', 'status', 'created', 'updated', 'error', 'errorDetails', 'code']);
    const m = await job(MOD);
    expect(m.status).toBe('moderated');
    expect(typeof m.error).toBe('string');
    expect(typeof m.code).toBe('number');
    expect(m.response?.embeds?.[0]).toMatchObject({ title: expect.any(String) as unknown, description: expect.any(String) as unknown, color: expect.any(Number) as unknown });
  });

  it('button U1: request.jobId, single image, parent gets children/executeOnce', async () => {
    clock.advance(15_000 + 12_000);
    const u = await job(UPS);
    expect(u.verb).toBe('button');
    expect(u.request).toEqual({ button: 'U1', jobId: IMG, channel: C1 });
    expect(u.response?.content).toBe('**a cat in a hat --ar 16:9** - Image #1 <@42424>');
    expect(u.response?.imageUx).toHaveLength(1);
    expect(u.response?.buttons).toContain('Upscale (Subtle)');
    const parent = await job(IMG);
    expect(parent.response?.executeOnce).toEqual({ U1: UPS });
    expect(parent.response?.children).toEqual({ [UPS]: { button: 'U1', messageId: expect.stringMatching(/^\d+$/) as unknown } });
  });

  it('id with ":" works raw and percent-encoded', async () => {
    expect(IMG).toMatch(/^j\d{13,}i-u\d+-c\d+-bot:midjourney$/);
    expect(VID).toMatch(/^j\d{13,}v-/);
    expect((await getJob(IMG)).status).toBe(200);
    expect((await getJob(IMG, TOKEN, true)).status).toBe(200);
    expect(encodeURIComponent(IMG)).toContain('%3A');
  });

  it('401, 402, 596, 404, 410', async () => {
    for (const t of [null, 'nope']) {
      const res = await getJob(IMG, t);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'Unauthorized' });
    }
    const other = await getJob(IMG, OTHER);
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ error: 'Job not found' });
    expect((await getJob(makeUseapiJobId('missing', 'image'))).status).toBe(404);
    expect((await getJob(VID)).status).toBe(404); // not created yet
    const gone = await getJob(OLD);
    expect(gone.status).toBe(410);
    expect(await gone.json()).toEqual({ error: `Job ${OLD} has expired` });

    emu.useapi.setAccountState(TOKEN, 'no-subscription');
    const pay = await getJob(IMG);
    expect(pay.status).toBe(402);
    expect(await pay.json()).toEqual({ error: 'Account has no subscription or subscription expired' });
    expect((await fetch(`${emu.providers.useapi.baseUrl}/v3/midjourney/jobs`, { headers: auth() })).status).toBe(402);
    emu.useapi.setAccountState(TOKEN, 'pending-moderation', 'Please acknowledge');
    const mod = await getJob(IMG);
    expect(mod.status).toBe(596);
    expect(await mod.json()).toEqual({ error: 'Pending moderation message', pendingModMessage: 'Please acknowledge' });
    emu.useapi.setAccountState(TOKEN, 'ok');
    expect((await getJob(IMG)).status).toBe(200);

    emu.useapi.revokeToken(TOKEN);
    expect((await getJob(IMG)).status).toBe(401);
    expect(emu.providers.useapi.apiKeys).not.toContain(TOKEN);
    emu.useapi.addToken(TOKEN);
    expect((await getJob(IMG)).status).toBe(200);
  });
});

describe('useapi running list and cancel', () => {
  it('lists only this token’s running jobs, grouped by channel', async () => {
    clock.advance(5000);
    const res = await fetch(`${emu.providers.useapi.baseUrl}/v3/midjourney/jobs`, { headers: auth() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body).toEqual({
      total: 4,
      images: 3,
      videos: 1,
      channels: {
        [C1]: {
          total: 2,
          images: 2,
          videos: 0,
          maxJobs: 5,
          maxImageJobs: 4,
          maxVideoJobs: 1,
          jobs: [
            { jobId: [FAIL, IMG].sort()[0], channel: C1, jobType: 'image', created: '2026-03-15T10:00:00.000Z', elapsed: '00:05' },
            { jobId: [FAIL, IMG].sort()[1], channel: C1, jobType: 'image', created: '2026-03-15T10:00:00.000Z', elapsed: '00:05' },
          ],
        },
        [C2]: {
          total: 2,
          images: 1,
          videos: 1,
          maxJobs: 3,
          maxImageJobs: 3,
          maxVideoJobs: 3,
          jobs: [
            { jobId: MOD, channel: C2, jobType: 'image', created: '2026-03-15T10:00:00.000Z', elapsed: '00:05' },
            { jobId: VID, channel: C2, jobType: 'video', created: '2026-03-15T10:00:01.000Z', elapsed: '00:04' },
          ],
        },
      },
    });
    clock.advance(20_000);
    const later = (await (await fetch(`${emu.providers.useapi.baseUrl}/v3/midjourney/jobs`, { headers: auth() })).json()) as { total: number; channels: Json };
    // IMG/FAIL/MOD done, VID done at 23 s, UPS (created at 15 s) running.
    expect(later.total).toBe(1);
    expect(Object.keys(later.channels)).toEqual([C1]);
    const other = (await (await fetch(`${emu.providers.useapi.baseUrl}/v3/midjourney/jobs`, { headers: auth(OTHER) })).json()) as { total: number };
    expect(other.total).toBe(0);
    expect((await fetch(`${emu.providers.useapi.baseUrl}/v3/midjourney/jobs`)).status).toBe(401);
  });

  it('DELETE cancels a running job (204, then failed), 400 for finished, 404 for others', async () => {
    clock.advance(4000);
    const del = (id: string, token = TOKEN): Promise<Response> => fetch(`${emu.providers.useapi.baseUrl}/v3/midjourney/jobs/${encodeURIComponent(id)}`, { method: 'DELETE', headers: auth(token) });
    const res = await del(IMG);
    expect(res.status).toBe(204);
    const j = await job(IMG);
    expect(j.status).toBe('failed');
    expect(j.error).toBe('Job cancelled by user');
    expect(j.updated).toBe(new Date(T0 + 4000).toISOString());
    expect(emu.useapi.finishAt(IMG)).toBe(T0 + 4000);
    const again = await del(IMG);
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: 'Job is not running' });
    expect((await del(THEIRS)).status).toBe(404);
    expect((await del(OLD)).status).toBe(410);
    clock.advance(10_000);
    expect((await job(IMG)).status).toBe('failed');
    const list = (await (await fetch(`${emu.providers.useapi.baseUrl}/v3/midjourney/jobs`, { headers: auth() })).json()) as { channels: Record<string, { jobs: Array<{ jobId: string }> }> };
    expect(Object.values(list.channels).flatMap((c) => c.jobs.map((x) => x.jobId))).not.toContain(IMG);
  });
});

describe('useapi media: CDN, proxy, Discord attachments', () => {
  async function completed(): Promise<JobBody> {
    clock.advance(12_000);
    return job(IMG);
  }

  it('CDN refuses non-browser requests with an HTML 403 and serves browsers a PNG', async () => {
    const url = (await completed()).response?.imageUx?.[1]?.url ?? '';
    const variants: Array<Record<string, string>> = [{}, { 'User-Agent': 'node' }, { 'User-Agent': CHROME['User-Agent'] }, { 'User-Agent': 'Mozilla/5.0 (X11; rv:128.0) Gecko Firefox/128.0', Accept: '*/*' }];
    for (const headers of variants) {
      const res = await rawGet(url, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.contentType).toContain('text/html');
      expect(res.body).toContain('Access denied');
    }
    expect((await fetch(url)).status).toBe(403); // plain fetch: User-Agent "node"
    expect((await rawGet(url, CHROME)).status).toBe(200);
    const ok = await fetch(url, { headers: CHROME });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await ok.arrayBuffer());
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect((await fetch(url.replace('0_1.png', '0_9.png'), { headers: CHROME })).status).toBe(404);
  });

  it('CDN files do not exist before the job completes', async () => {
    clock.advance(12_000);
    const url = (await job(IMG)).response?.imageUx?.[0]?.url ?? '';
    clock.set(T0 + 5000);
    expect((await fetch(url, { headers: CHROME })).status).toBe(404);
  });

  it('proxy serves CDN bytes without browser headers (Bearer auth)', async () => {
    const url = (await completed()).response?.imageUx?.[2]?.url ?? '';
    const direct = Buffer.from(await (await fetch(url, { headers: CHROME })).arrayBuffer());
    const proxyUrl = `${emu.providers.useapi.baseUrl}/v3/proxy/cdn-midjourney/?cdnUrl=${encodeURIComponent(url)}`;
    expect((await fetch(proxyUrl)).status).toBe(401);
    const res = await fetch(proxyUrl, { headers: auth() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(direct)).toBe(true);
    // The real host's shape is accepted too.
    const real = url.replace(`${emu.url}/cdn-midjourney/`, 'https://cdn.midjourney.com/');
    expect((await fetch(`${emu.providers.useapi.baseUrl}/v3/proxy/cdn-midjourney/?cdnUrl=${encodeURIComponent(real)}`, { headers: auth() })).status).toBe(200);
    expect((await fetch(`${emu.providers.useapi.baseUrl}/v3/proxy/cdn-midjourney/?cdnUrl=nope`, { headers: auth() })).status).toBe(400);
  });

  it('Discord URLs work until they expire; a new Get Job mints fresh ones; forged → 403', async () => {
    emu.useapi.setAttachmentTtl(60_000);
    const att = (await completed()).response?.attachments?.[0];
    const url = att?.url ?? '';
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/png');
    await first.arrayBuffer();
    const proxied = await fetch(att?.proxy_url ?? '');
    expect(proxied.status).toBe(200);
    await proxied.arrayBuffer();
    clock.advance(59_000);
    expect((await fetch(url)).status).toBe(200);
    clock.advance(1000);
    const expired = await fetch(url);
    expect(expired.status).toBe(404);
    expect(expired.headers.get('content-type')).toContain('text/plain');
    expect(await expired.text()).toBe('This content is no longer available.');
    const fresh = (await job(IMG)).response?.attachments?.[0]?.url ?? '';
    expect(fresh).not.toBe(url);
    expect((await fetch(fresh)).status).toBe(200);
    const forged = fresh.replace(/hm=([0-9a-f])/, (_m, c: string) => `hm=${c === '0' ? '1' : '0'}`);
    expect((await fetch(forged)).status).toBe(403);
    const extended = fresh.replace(/ex=[0-9a-f]+/, 'ex=ffffffff');
    expect((await fetch(extended)).status).toBe(403);
  });

  it('request log uses the useapi route names', async () => {
    await completed();
    await fetch(`${emu.providers.useapi.baseUrl}/v3/midjourney/jobs`, { headers: auth() });
    const names = new Set(emu.requests.map((r) => r.route));
    expect(names).toContain('useapi.getJob');
    expect(names).toContain('useapi.listRunning');
  });
});

describe('useapi scenarios', () => {
  it('demoScenario adds 5 useapi jobs over 2 channels, all terminal by 40 s', async () => {
    const c = new ManualClock(T0);
    const d = await startEmulator({ clock: c, scenario: demoScenario(T0) });
    try {
      const { baseUrl, apiKeys, jobIds } = d.providers.useapi;
      expect(apiKeys).toEqual(['useapi_demo_token_0001']);
      expect(jobIds).toHaveLength(5);
      const statuses = async (): Promise<string[]> =>
        Promise.all(
          jobIds.map(async (id) => {
            const r = await fetch(`${baseUrl}/v3/midjourney/jobs/${encodeURIComponent(id)}`, { headers: auth(apiKeys[0] ?? '') });
            return r.status === 200 ? ((await r.json()) as { status: string }).status : String(r.status);
          }),
        );
      c.advance(8000);
      const mid = await statuses();
      expect(mid).toContain('progress');
      expect(mid).toContain('completed');
      c.advance(32_000);
      const end = await statuses();
      expect(end.filter((s) => s === 'completed')).toHaveLength(4);
      expect(end).toContain('moderated');
      const list = (await (await fetch(`${baseUrl}/v3/midjourney/jobs`, { headers: auth(apiKeys[0] ?? '') })).json()) as { total: number };
      expect(list.total).toBe(0);
    } finally {
      await d.close();
    }
  });

  it('bulkScenario(provider useapi): N running jobs across channels', async () => {
    const c = new ManualClock(T0);
    const d = await startEmulator({ clock: c, scenario: bulkScenario({ startMs: T0, running: 300, completedHistory: 1000, provider: 'useapi', seed: 5 }) });
    try {
      expect(d.providers.useapi.jobIds).toHaveLength(1300);
      const list = (await (await fetch(`${d.providers.useapi.baseUrl}/v3/midjourney/jobs`, { headers: auth(TOKEN) })).json()) as { total: number; channels: Record<string, { total: number; maxJobs: number }> };
      expect(list.total).toBe(300);
      expect(Object.keys(list.channels)).toHaveLength(3);
      for (const ch of Object.values(list.channels)) expect(ch.total).toBeLessThanOrEqual(ch.maxJobs);
      const first = d.providers.useapi.jobIds[0] ?? '';
      const end = d.useapi.finishAt(first) - T0;
      expect(end).toBeGreaterThanOrEqual(60_000);
      expect(end).toBeLessThanOrEqual(600_000);
      c.advance(600_001);
      const after = (await (await fetch(`${d.providers.useapi.baseUrl}/v3/midjourney/jobs`, { headers: auth(TOKEN) })).json()) as { total: number };
      expect(after.total).toBe(0);
    } finally {
      await d.close();
    }
  });
});
