import { createHash } from 'node:crypto';
import { crc32, inflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiframeJobScript, RunningEmulator } from './index';
import { demoScenario, ManualClock, ScaledClock, singleJobScenario, SINGLE_JOB_ID, startEmulator, TEST_APIFRAME_KEY } from './index';

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const KEY = TEST_APIFRAME_KEY;
const OTHER_KEY = 'afk_other_key_0002';

let emu: RunningEmulator;
let clock: ManualClock;

function job(over: Partial<ApiframeJobScript> & Pick<ApiframeJobScript, 'id'>): ApiframeJobScript {
  return {
    apiKey: KEY,
    model: 'midjourney',
    modality: 'image',
    startAt: T0,
    queuedMs: 0,
    processingMs: 1000,
    outcome: 'completed',
    creditCost: 10,
    ...over,
  };
}

/** `null` sends no X-API-Key header at all. */
async function getJob(id: string, key: string | null = KEY): Promise<Response> {
  const headers: Record<string, string> = key === null ? {} : { 'X-API-Key': key };
  return fetch(`${emu.providers.apiframe.baseUrl}/v2/jobs/${id}`, { headers });
}

async function getJobJson(id: string): Promise<Record<string, unknown>> {
  const res = await getJob(id);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

beforeEach(async () => {
  clock = new ManualClock(T0);
  const scenario = singleJobScenario({ startMs: T0, queuedMs: 2000, processingMs: 10_000 });
  scenario.apiframe.apiKeys.push(OTHER_KEY);
  emu = await startEmulator({ clock, scenario });
});

afterEach(async () => {
  await emu.close();
});

describe('apiframe auth and errors', () => {
  it('401 without or with a wrong key', async () => {
    for (const key of [null, 'afk_nope']) {
      const res = await getJob(SINGLE_JOB_ID, key);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'Unauthorized' });
    }
  });

  it('400 for a non-UUID id', async () => {
    const res = await getJob('not-a-uuid');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'Invalid job ID' });
  });

  it('404 for unknown id, another account, or a job not started yet', async () => {
    const unknown = await getJob('00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'Job not found' });
    const other = await getJob(SINGLE_JOB_ID, OTHER_KEY);
    expect(other.status).toBe(404);
    emu.apiframe.addJob(job({ id: '11111111-1111-4111-8111-111111111111', startAt: T0 + 5000 }));
    expect((await getJob('11111111-1111-4111-8111-111111111111')).status).toBe(404);
    clock.advance(5000);
    expect((await getJob('11111111-1111-4111-8111-111111111111')).status).toBe(200);
  });

  it('404 for unknown paths, 405 for wrong methods', async () => {
    const res = await fetch(`${emu.url}/apiframe/v9/nothing`, { headers: { 'X-API-Key': KEY } });
    expect(res.status).toBe(404);
    const post = await fetch(`${emu.providers.apiframe.baseUrl}/v2/jobs/${SINGLE_JOB_ID}`, { method: 'POST', headers: { 'X-API-Key': KEY } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toContain('GET');
  });

  it('revokeKey and addKey', async () => {
    emu.apiframe.revokeKey(KEY);
    expect((await getJob(SINGLE_JOB_ID)).status).toBe(401);
    expect(emu.providers.apiframe.apiKeys).not.toContain(KEY);
    emu.apiframe.addKey(KEY);
    expect((await getJob(SINGLE_JOB_ID)).status).toBe(200);
  });
});

describe('apiframe job lifecycle', () => {
  it('QUEUED → PROCESSING with rising progress → COMPLETED, exact seed shape', async () => {
    const q = await getJobJson(SINGLE_JOB_ID);
    expect(Object.keys(q)).toEqual(['id', 'status', 'model', 'progress', 'result', 'error', 'creditCost', 'webhookStatus', 'createdAt', 'completedAt']);
    expect(q).toEqual({
      id: SINGLE_JOB_ID,
      status: 'QUEUED',
      model: 'midjourney',
      progress: 0,
      result: null,
      error: null,
      creditCost: 10,
      webhookStatus: null,
      createdAt: '2026-03-15T10:00:00.000Z',
      completedAt: null,
    });
    clock.advance(2000);
    const p0 = await getJobJson(SINGLE_JOB_ID);
    expect(p0['status']).toBe('PROCESSING');
    expect(p0['progress']).toBe(0);
    clock.advance(6500);
    const p1 = await getJobJson(SINGLE_JOB_ID);
    expect(p1['status']).toBe('PROCESSING');
    expect(p1['progress']).toBe(65);
    clock.advance(3499);
    const p2 = await getJobJson(SINGLE_JOB_ID);
    expect(p2['progress']).toBe(99);
    clock.advance(1);
    const done = await getJobJson(SINGLE_JOB_ID);
    expect(done['status']).toBe('COMPLETED');
    expect(done['progress']).toBe(100);
    expect(done['webhookStatus']).toBe('sent');
    expect(done['completedAt']).toBe('2026-03-15T10:00:12.000Z');
    expect(done['creditCost']).toBe(10);
    const result = done['result'] as { images: string[]; gridUrl: string };
    expect(result.images).toHaveLength(4);
    expect(result.gridUrl).toBe(`${emu.url}/assets/apiframe/images/${SINGLE_JOB_ID}-grid.png`);
    for (const u of [...result.images, result.gridUrl]) {
      expect(u.startsWith(`${emu.url}/assets/`)).toBe(true);
      const img = await fetch(u);
      expect(img.status).toBe(200);
      expect(img.headers.get('content-type')).toBe('image/png');
      await img.arrayBuffer();
    }
  });

  it('FAILED: progress 0, error, creditCost 0 (refunded)', async () => {
    const id = '22222222-2222-4222-8222-222222222222';
    emu.apiframe.addJob(job({ id, outcome: 'failed', error: 'Provider returned an error: content policy violation', queuedMs: 1000, processingMs: 4000 }));
    clock.advance(3000);
    expect((await getJobJson(id))['creditCost']).toBe(10);
    clock.advance(2000);
    const f = await getJobJson(id);
    expect(f).toMatchObject({
      status: 'FAILED',
      progress: 0,
      result: null,
      error: 'Provider returned an error: content policy violation',
      creditCost: 0,
      webhookStatus: 'sent',
      completedAt: '2026-03-15T10:00:05.000Z',
    });
  });

  it('result shapes per modality', async () => {
    const ids = {
      flux: '33333333-3333-4333-8333-333333333301',
      kling: '33333333-3333-4333-8333-333333333302',
      mjv: '33333333-3333-4333-8333-333333333303',
      suno: '33333333-3333-4333-8333-333333333304',
    };
    emu.apiframe.addJob(job({ id: ids.flux, model: 'flux-pro', imageCount: 1 }));
    emu.apiframe.addJob(job({ id: ids.kling, model: 'kling-2.6', modality: 'video' }));
    emu.apiframe.addJob(job({ id: ids.mjv, model: 'midjourney-video', modality: 'video', imageCount: 2 }));
    emu.apiframe.addJob(job({ id: ids.suno, model: 'suno', modality: 'music', title: 'Song', tags: 'pop' }));
    clock.advance(1000);
    const flux = (await getJobJson(ids.flux))['result'] as Record<string, unknown>;
    expect(Object.keys(flux)).toEqual(['images']);
    expect(flux['images']).toHaveLength(1);
    const kling = (await getJobJson(ids.kling))['result'] as Record<string, unknown>;
    expect(kling).toEqual({ videoUrl: `${emu.url}/assets/apiframe/videos/${ids.kling}.mp4` });
    const mjv = (await getJobJson(ids.mjv))['result'] as { videos: string[] };
    expect(Object.keys(mjv)).toEqual(['videos']);
    expect(mjv.videos).toHaveLength(2);
    const suno = (await getJobJson(ids.suno))['result'] as { tracks: Array<Record<string, unknown>> };
    expect(suno.tracks).toHaveLength(2);
    for (const t of suno.tracks) {
      expect(Object.keys(t).sort()).toEqual(['audioUrl', 'duration', 'imageUrl', 'tags', 'title']);
      expect(typeof t['duration']).toBe('number');
      expect(t['tags']).toBe('pop');
      const audio = await fetch(String(t['audioUrl']));
      expect(audio.headers.get('content-type')).toBe('audio/mpeg');
      expect(Buffer.from(await audio.arrayBuffer()).subarray(0, 3).toString('latin1')).toBe('ID3');
    }
    const video = await fetch(kling['videoUrl'] as string);
    const vb = Buffer.from(await video.arrayBuffer());
    expect(video.headers.get('content-type')).toBe('video/mp4');
    expect(vb.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(vb.length).toBe(64 * 1024);
  });

  it('logs requests with route names and statuses', async () => {
    await getJob(SINGLE_JOB_ID);
    await getJob('bad');
    const recs = emu.requests.filter((r) => r.route === 'apiframe.getJob');
    expect(recs.map((r) => r.status)).toEqual([200, 400]);
    expect(recs[0]?.at).toBe(T0);
  });
});

describe('faults', () => {
  it('429 with Retry-After, then normal', async () => {
    emu.faults.add({ route: 'apiframe.getJob', times: 1, fault: { kind: 'status', status: 429, retryAfterSeconds: 7 } });
    const res = await getJob(SINGLE_JOB_ID);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toEqual({ error: 'Too many requests' });
    expect((await getJob(SINGLE_JOB_ID)).status).toBe(200);
  });

  it('route filter and remover', async () => {
    const remove = emu.faults.add({ route: 'asset', fault: { kind: 'status', status: 503 } });
    expect((await getJob(SINGLE_JOB_ID)).status).toBe(200);
    expect((await fetch(`${emu.url}/assets/x.png`)).status).toBe(503);
    expect((await fetch(`${emu.url}/assets/x.png`)).status).toBe(503);
    remove();
    expect((await fetch(`${emu.url}/assets/x.png`)).status).toBe(200);
  });

  it('oncePerPath: each distinct path gets the fault once, in any order, up to times', async () => {
    emu.faults.add({ route: 'asset', oncePerPath: true, times: 2, fault: { kind: 'status', status: 410 } });
    expect((await fetch(`${emu.url}/assets/a.png`)).status).toBe(410);
    expect((await fetch(`${emu.url}/assets/a.png`)).status).toBe(200);
    expect((await fetch(`${emu.url}/assets/b.png`)).status).toBe(410);
    expect((await fetch(`${emu.url}/assets/b.png`)).status).toBe(200);
    expect((await fetch(`${emu.url}/assets/c.png`)).status).toBe(200); // times spent
  });

  it('latency delays then serves', async () => {
    emu.faults.add({ times: 1, fault: { kind: 'latency', ms: 300 } });
    const t = performance.now();
    const res = await getJob(SINGLE_JOB_ID);
    expect(performance.now() - t).toBeGreaterThanOrEqual(280);
    expect(res.status).toBe(200);
  });

  it('reset makes fetch reject', async () => {
    emu.faults.add({ times: 1, fault: { kind: 'reset' } });
    await expect(getJob(SINGLE_JOB_ID)).rejects.toThrow();
    expect((await getJob(SINGLE_JOB_ID)).status).toBe(200);
    expect(emu.requests.some((r) => r.status === 0)).toBe(true);
  });

  it('malformed JSON makes res.json() reject', async () => {
    emu.faults.add({ times: 1, fault: { kind: 'malformed-json' } });
    const res = await getJob(SINGLE_JOB_ID);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    await expect(res.json()).rejects.toThrow();
  });

  it('truncate makes the body read reject (json and asset)', async () => {
    emu.faults.add({ times: 2, fault: { kind: 'truncate' } });
    const res = await getJob(SINGLE_JOB_ID);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    const asset = await fetch(`${emu.url}/assets/big.mp4?size=1000000`);
    expect(asset.headers.get('content-length')).toBe('1000000');
    await expect(asset.arrayBuffer()).rejects.toThrow();
  });

  it('clear removes all rules', async () => {
    emu.faults.add({ fault: { kind: 'status', status: 500 } });
    expect((await getJob(SINGLE_JOB_ID)).status).toBe(500);
    emu.faults.clear();
    expect((await getJob(SINGLE_JOB_ID)).status).toBe(200);
  });
});

function parsePng(buf: Buffer): { width: number; height: number; pixels: Buffer } {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let off = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.subarray(off + 4, off + 8).toString('latin1');
    const data = buf.subarray(off + 8, off + 8 + len);
    const crc = buf.readUInt32BE(off + 8 + len);
    expect(crc32(buf.subarray(off + 4, off + 8 + len)) >>> 0).toBe(crc);
    types.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([...data.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  expect(types[0]).toBe('IHDR');
  expect(types.at(-1)).toBe('IEND');
  return { width, height, pixels: inflateSync(Buffer.concat(idat)) };
}

describe('assets', () => {
  it('PNG is a valid decodable image, distinct per path, deterministic', async () => {
    const a = Buffer.from(await (await fetch(`${emu.url}/assets/a/one.png`)).arrayBuffer());
    const { width, height, pixels } = parsePng(a);
    expect([width, height]).toEqual([256, 256]);
    expect(pixels.length).toBe((256 * 3 + 1) * 256);
    const b = Buffer.from(await (await fetch(`${emu.url}/assets/a/two.png`)).arrayBuffer());
    expect(b.equals(a)).toBe(false);
    const a2 = Buffer.from(await (await fetch(`${emu.url}/assets/a/one.png`)).arrayBuffer());
    expect(a2.equals(a)).toBe(true);
  });

  it('headers: content-type, length, strong stable ETag, Last-Modified, Accept-Ranges; HEAD has no body', async () => {
    const url = `${emu.url}/assets/clip.webm`;
    const g1 = await fetch(url);
    const body = Buffer.from(await g1.arrayBuffer());
    expect(g1.headers.get('content-type')).toBe('video/webm');
    expect(g1.headers.get('content-length')).toBe(String(body.length));
    expect(g1.headers.get('accept-ranges')).toBe('bytes');
    expect(g1.headers.get('last-modified')).toBeTruthy();
    const etag = g1.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    expect([...body.subarray(0, 4)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(etag);
    expect(head.headers.get('content-length')).toBe(String(body.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    // Stable across server restarts: bytes are a function of the path.
    const other = await startEmulator({ clock, scenario: singleJobScenario({ startMs: T0 }) });
    try {
      const g2 = await fetch(`${other.url}/assets/clip.webm`);
      expect(g2.headers.get('etag')).toBe(etag);
      expect(createHash('sha256').update(Buffer.from(await g2.arrayBuffer())).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    } finally {
      await other.close();
    }
    const notModified = await fetch(url, { headers: { 'If-None-Match': etag ?? '' } });
    expect(notModified.status).toBe(304);
  });

  it('Range 206 (a-b, a-, -n), 416, If-Range', async () => {
    const url = `${emu.url}/assets/track.mp3`;
    const full = Buffer.from(await (await fetch(url)).arrayBuffer());
    const len = full.length;
    const r1 = await fetch(url, { headers: { Range: 'bytes=10-19' } });
    expect(r1.status).toBe(206);
    expect(r1.headers.get('content-range')).toBe(`bytes 10-19/${len}`);
    expect(Buffer.from(await r1.arrayBuffer()).equals(full.subarray(10, 20))).toBe(true);
    const r2 = await fetch(url, { headers: { Range: `bytes=${len - 5}-` } });
    expect(r2.status).toBe(206);
    expect(Buffer.from(await r2.arrayBuffer()).equals(full.subarray(len - 5))).toBe(true);
    const r3 = await fetch(url, { headers: { Range: 'bytes=-100' } });
    expect(r3.headers.get('content-range')).toBe(`bytes ${len - 100}-${len - 1}/${len}`);
    expect(Buffer.from(await r3.arrayBuffer()).equals(full.subarray(len - 100))).toBe(true);
    const r4 = await fetch(url, { headers: { Range: `bytes=${len}-` } });
    expect(r4.status).toBe(416);
    expect(r4.headers.get('content-range')).toBe(`bytes */${len}`);
    await r4.arrayBuffer();
    const etag = r1.headers.get('etag') ?? '';
    const r5 = await fetch(url, { headers: { Range: 'bytes=0-9', 'If-Range': etag } });
    expect(r5.status).toBe(206);
    await r5.arrayBuffer();
    const r6 = await fetch(url, { headers: { Range: 'bytes=0-9', 'If-Range': '"stale"' } });
    expect(r6.status).toBe(200);
    expect((await r6.arrayBuffer()).byteLength).toBe(len);
  });

  it('huge ?size= streams and range slices are consistent with the stream', async () => {
    const size = 268435456;
    const url = `${emu.url}/assets/huge.mp4?size=${size}`;
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(size));
    const a = Buffer.from(await (await fetch(url, { headers: { Range: 'bytes=100000000-100000099' } })).arrayBuffer());
    const b = Buffer.from(await (await fetch(url, { headers: { Range: 'bytes=99999990-100000049' } })).arrayBuffer());
    expect(a.subarray(0, 50).equals(b.subarray(10))).toBe(true);
    const start = Buffer.from(await (await fetch(url, { headers: { Range: 'bytes=0-70000' } })).arrayBuffer());
    expect(start.subarray(4, 8).toString('latin1')).toBe('ftyp');
    const mid = Buffer.from(await (await fetch(url, { headers: { Range: 'bytes=65530-65545' } })).arrayBuffer());
    expect(mid.equals(start.subarray(65530, 65546))).toBe(true);
    const tail = Buffer.from(await (await fetch(url, { headers: { Range: 'bytes=-10' } })).arrayBuffer());
    expect(tail.length).toBe(10);
  });

  it('synthetic bytes never repeat in a pattern: blocks differ within an asset and between assets, and a slice across a block edge matches the stream', async () => {
    const MiB = 1024 * 1024;
    const one = Buffer.from(await (await fetch(`${emu.url}/assets/p/one.bin?size=${2 * MiB}`)).arrayBuffer());
    const other = Buffer.from(await (await fetch(`${emu.url}/assets/p/other.bin?size=${2 * MiB}`)).arrayBuffer());
    const blocks = (b: Buffer): string[] => Array.from({ length: 8 }, (_, i) => b.subarray(i * 256 * 1024, (i + 1) * 256 * 1024).toString('base64'));
    expect(new Set(blocks(one)).size).toBe(8);
    expect(blocks(one).filter((x) => blocks(other).includes(x))).toEqual([]);
    // Small assets (one block) are distinct too: their first bytes carry the identity.
    const smalls = await Promise.all(Array.from({ length: 50 }, async (_, i) => Buffer.from(await (await fetch(`${emu.url}/assets/s/${i}.bin?size=65536`)).arrayBuffer()).toString('base64')));
    expect(new Set(smalls).size).toBe(50);
    // A copy shifted by a block (a resume at the wrong offset) does not match.
    expect(one.subarray(256 * 1024, 512 * 1024).equals(one.subarray(0, 256 * 1024))).toBe(false);
    const edge = Buffer.from(await (await fetch(`${emu.url}/assets/p/one.bin?size=${2 * MiB}`, { headers: { Range: `bytes=${256 * 1024 - 5}-${256 * 1024 + 4}` } })).arrayBuffer());
    expect(edge.equals(one.subarray(256 * 1024 - 5, 256 * 1024 + 5))).toBe(true);
  });

  it('path without extension → 404; bad size → 400', async () => {
    expect((await fetch(`${emu.url}/assets/noext`)).status).toBe(404);
    expect((await fetch(`${emu.url}/assets/x.bin?size=abc`)).status).toBe(400);
  });
});

describe('control API, scenarios, clocks', () => {
  it('advances a ManualClock and adds faults over HTTP', async () => {
    const adv = await fetch(`${emu.url}/__emulator/clock/advance`, { method: 'POST', body: JSON.stringify({ ms: 2000 }) });
    expect(await adv.json()).toEqual({ now: T0 + 2000 });
    expect((await getJobJson(SINGLE_JOB_ID))['status']).toBe('PROCESSING');
    const add = await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ rule: { route: 'apiframe.getJob', times: 1, fault: { kind: 'status', status: 429, retryAfterSeconds: 1 } } }) });
    expect(add.status).toBe(201);
    expect((await getJob(SINGLE_JOB_ID)).status).toBe(429);
    await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ fault: { kind: 'status', status: 500 } }) });
    // Control routes are immune to faults.
    const state = await fetch(`${emu.url}/__emulator/state`);
    expect(state.status).toBe(200);
    expect(((await state.json()) as { apiframe: { jobIds: string[] } }).apiframe.jobIds).toEqual([SINGLE_JOB_ID]);
    expect((await fetch(`${emu.url}/__emulator/faults`, { method: 'DELETE' })).status).toBe(204);
    expect((await getJob(SINGLE_JOB_ID)).status).toBe(200);
  });

  it('demoScenario: every job terminal within 40 s, mix of shapes', async () => {
    const demo = demoScenario(T0);
    const c = new ManualClock(T0);
    const d = await startEmulator({ clock: c, scenario: demo });
    try {
      const key = d.providers.apiframe.apiKeys[0] ?? '';
      expect(key).toBe('afk_demo_key_0001');
      expect(d.providers.apiframe.jobIds.length).toBeGreaterThanOrEqual(8);
      const statuses = async (): Promise<string[]> =>
        Promise.all(
          d.providers.apiframe.jobIds.map(async (id) => {
            const r = await fetch(`${d.providers.apiframe.baseUrl}/v2/jobs/${id}`, { headers: { 'X-API-Key': key } });
            return r.status === 200 ? String(((await r.json()) as { status: string }).status) : String(r.status);
          }),
        );
      const early = await statuses();
      expect(early).toContain('QUEUED');
      c.advance(8000);
      expect(await statuses()).toContain('PROCESSING');
      c.advance(32_000);
      const end = await statuses();
      expect(end.every((s) => s === 'COMPLETED' || s === 'FAILED')).toBe(true);
      expect(end.filter((s) => s === 'FAILED')).toHaveLength(1);
    } finally {
      await d.close();
    }
  });

  it('ScaledClock runs faster than real time', async () => {
    const c = new ScaledClock(100);
    const t = c.now();
    await new Promise((r) => setTimeout(r, 50));
    expect(c.now() - t).toBeGreaterThanOrEqual(4000);
  });

  it('close() is prompt even with an open keep-alive connection and a pending latency fault', async () => {
    const c = new ManualClock(T0);
    const d = await startEmulator({ clock: c, scenario: singleJobScenario({ startMs: T0 }) });
    d.faults.add({ fault: { kind: 'latency', ms: 60_000 } });
    const pending = fetch(`${d.url}/assets/slow.png`).catch(() => 'rejected');
    await new Promise((r) => setTimeout(r, 50));
    const t = performance.now();
    await d.close();
    expect(performance.now() - t).toBeLessThan(1000);
    expect(await pending).toBe('rejected');
  });
});
