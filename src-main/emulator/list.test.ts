import { afterEach, describe, expect, it } from 'vitest';
import type { ApiframeJobScript, RunningEmulator, Scenario } from './index';
import { bulkScenario, ManualClock, startEmulator, TEST_APIFRAME_KEY } from './index';

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const KEY = TEST_APIFRAME_KEY;
const MATE = 'afk_mate_key_0002';
const STRANGER = 'afk_stranger_0003';

let emu: RunningEmulator | undefined;
let clock: ManualClock;

afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

interface Page {
  jobs: Array<Record<string, unknown> & { id: string; status: string; model: string; result: unknown }>;
  nextCursor: string | null;
  hasMore: boolean;
}

function uuidFor(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

function job(n: number, over: Partial<ApiframeJobScript> = {}): ApiframeJobScript {
  return { id: uuidFor(n), apiKey: KEY, model: 'midjourney', modality: 'image', startAt: T0 - 100_000 + n * 1000, queuedMs: 1000, processingMs: 10_000, outcome: 'completed', creditCost: 10, ...over };
}

async function start(scenario: Scenario): Promise<RunningEmulator> {
  clock = new ManualClock(T0);
  emu = await startEmulator({ clock, scenario });
  return emu;
}

async function list(e: RunningEmulator, params: Record<string, string> = {}, key = KEY): Promise<Response> {
  return fetch(`${e.providers.apiframe.baseUrl}/v2/jobs?${new URLSearchParams(params).toString()}`, { headers: { 'X-API-Key': key } });
}

async function page(e: RunningEmulator, params: Record<string, string> = {}, key = KEY): Promise<Page> {
  const res = await list(e, params, key);
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
}

/** Follows nextCursor to the end; `between` runs after each page. */
async function walk(e: RunningEmulator, params: Record<string, string>, between?: (pageNo: number) => void): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  for (;;) {
    const p = await page(e, cursor === null ? params : { ...params, cursor });
    pages++;
    ids.push(...p.jobs.map((j) => j.id));
    between?.(pages);
    if (!p.hasMore) {
      expect(p.nextCursor).toBeNull();
      return { ids, pages };
    }
    expect(typeof p.nextCursor).toBe('string');
    cursor = p.nextCursor;
  }
}

describe('apiframe list: shape, order, pagination', () => {
  it('newest first, seed item shape with string result, 401 without key', async () => {
    const e = await start({ apiframe: { apiKeys: [KEY], jobs: [job(1), job(2, { modality: 'video', model: 'kling-2.6' }), job(3, { modality: 'music', model: 'suno' }), job(4, { startAt: T0 - 2000 })] } });
    expect((await list(e, {}, 'afk_nope')).status).toBe(401);
    const p = await page(e);
    expect(p.hasMore).toBe(false);
    expect(p.nextCursor).toBeNull();
    expect(p.jobs.map((j) => j.id)).toEqual([uuidFor(4), uuidFor(3), uuidFor(2), uuidFor(1)]);
    const [running, music, video, image] = p.jobs;
    expect(Object.keys(image ?? {})).toEqual(['id', 'status', 'model', 'progress', 'result', 'error', 'creditCost', 'webhookStatus', 'createdAt', 'completedAt']);
    expect(image?.result).toBe(`${e.url}/assets/apiframe/images/${uuidFor(1)}-1.png`);
    expect(video?.result).toBe(`${e.url}/assets/apiframe/videos/${uuidFor(2)}.mp4`);
    expect(music?.result).toBe(`${e.url}/assets/apiframe/music/${uuidFor(3)}-1.mp3`);
    expect(running).toMatchObject({ status: 'PROCESSING', result: null, completedAt: null });
    // Get Job still returns the rich object for the same job.
    const g = await fetch(`${e.providers.apiframe.baseUrl}/v2/jobs/${uuidFor(1)}`, { headers: { 'X-API-Key': KEY } });
    expect(((await g.json()) as { result: unknown }).result).toMatchObject({ images: expect.any(Array) as unknown });
  });

  it('only jobs with startAt <= now are listed', async () => {
    const e = await start({ apiframe: { apiKeys: [KEY], jobs: [job(1), job(2, { startAt: T0 + 5000 })] } });
    expect((await page(e)).jobs.map((j) => j.id)).toEqual([uuidFor(1)]);
    clock.advance(5000);
    expect((await page(e)).jobs.map((j) => j.id)).toEqual([uuidFor(2), uuidFor(1)]);
  });

  it('ties on createdAt are ordered by id', async () => {
    const e = await start({ apiframe: { apiKeys: [KEY], jobs: [job(3, { startAt: T0 - 1 }), job(1, { startAt: T0 - 1 }), job(2, { startAt: T0 - 1 })] } });
    expect((await walk(e, { limit: '1' })).ids).toEqual([uuidFor(1), uuidFor(2), uuidFor(3)]);
  });

  it('walks every job exactly once while new jobs appear and statuses change between pages', async () => {
    const jobs = Array.from({ length: 95 }, (_, i) => job(i + 1, { processingMs: 50_000 + i * 1000 }));
    const e = await start({ apiframe: { apiKeys: [KEY], jobs } });
    let added = 0;
    const { ids, pages } = await walk(e, { limit: '10' }, () => {
      // A new job created now (sorts first, must not shift later pages), and time moves on.
      added++;
      clock.advance(7000);
      e.apiframe.addJob(job(1000 + added, { startAt: clock.now() }));
    });
    expect(pages).toBe(10);
    expect(ids).toHaveLength(95);
    expect(new Set(ids).size).toBe(95);
    expect(ids).toEqual(jobs.map((j) => j.id).reverse());
    // A fresh walk sees the additions too.
    expect((await walk(e, { limit: '100' })).ids).toHaveLength(95 + added);
  });

  it('status filter is evaluated at request time', async () => {
    const e = await start({ apiframe: { apiKeys: [KEY], jobs: [job(1), job(2, { startAt: T0 - 5000 }), job(3, { startAt: T0 - 500 }), job(4, { startAt: T0 - 50_000, outcome: 'failed', error: 'x' })] } });
    const ids = async (status: string): Promise<string[]> => (await page(e, { status })).jobs.map((j) => j.id);
    expect(await ids('QUEUED')).toEqual([uuidFor(3)]);
    expect(await ids('PROCESSING')).toEqual([uuidFor(2)]);
    expect(await ids('COMPLETED')).toEqual([uuidFor(1)]);
    expect(await ids('FAILED')).toEqual([uuidFor(4)]);
    clock.advance(20_000);
    expect(await ids('COMPLETED')).toEqual([uuidFor(3), uuidFor(2), uuidFor(1)]);
    expect(await ids('PROCESSING')).toEqual([]);
  });

  it('model and search filters', async () => {
    const e = await start({ apiframe: { apiKeys: [KEY], jobs: [job(1), job(2, { model: 'flux-pro' }), job(3, { model: 'flux-pro' })] } });
    expect((await page(e, { model: 'flux-pro' })).jobs.map((j) => j.id)).toEqual([uuidFor(3), uuidFor(2)]);
    expect((await page(e, { model: 'flux' })).jobs).toEqual([]);
    expect((await page(e, { search: uuidFor(2).toUpperCase() })).jobs.map((j) => j.id)).toEqual([uuidFor(2)]);
    expect((await page(e, { search: uuidFor(2), model: 'midjourney' })).jobs).toEqual([]);
    expect((await page(e, { search: uuidFor(99) })).jobs).toEqual([]);
  });

  it('400s for bad parameters', async () => {
    const e = await start({ apiframe: { apiKeys: [KEY], jobs: [job(1), job(2)] } });
    const cases: Array<[Record<string, string>, string]> = [
      [{ status: 'DONE' }, 'Invalid status'],
      [{ status: 'completed' }, 'Invalid status'],
      [{ limit: '0' }, 'Invalid limit'],
      [{ limit: '101' }, 'Invalid limit'],
      [{ limit: 'ten' }, 'Invalid limit'],
      [{ limit: '2.5' }, 'Invalid limit'],
      [{ scope: 'org' }, 'Invalid scope'],
      [{ search: 'abc' }, 'Invalid search'],
      [{ cursor: 'garbage!' }, 'Invalid cursor'],
      [{ cursor: Buffer.from(JSON.stringify({ c: T0, i: uuidFor(1) })).toString('base64url') }, 'Invalid cursor'],
    ];
    for (const [params, error] of cases) {
      const res = await list(e, params);
      expect(res.status, JSON.stringify(params)).toBe(400);
      expect(await res.json()).toEqual({ error });
    }
    // A real cursor with one character changed is rejected too.
    const p = await page(e, { limit: '1' });
    const cursor = p.nextCursor ?? '';
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { c: number; i: string; s: string };
    const forged = Buffer.from(JSON.stringify({ ...decoded, c: decoded.c + 1 })).toString('base64url');
    expect((await list(e, { limit: '1', cursor: forged })).status).toBe(400);
    expect((await list(e, { limit: '1', cursor })).status).toBe(200);
    // A cursor from another emulator instance is unknown here.
    const other = await startEmulator({ clock, scenario: { apiframe: { apiKeys: [KEY], jobs: [job(1), job(2)] } } });
    try {
      expect((await list(e, { cursor: (await page(other, { limit: '1' })).nextCursor ?? '' })).status).toBe(400);
    } finally {
      await other.close();
    }
  });

  it('limit defaults to 20', async () => {
    const e = await start({ apiframe: { apiKeys: [KEY], jobs: Array.from({ length: 25 }, (_, i) => job(i + 1)) } });
    const p = await page(e);
    expect(p.jobs).toHaveLength(20);
    expect(p.hasMore).toBe(true);
  });
});

describe('apiframe teams', () => {
  const teamScenario = (): Scenario => ({
    apiframe: {
      apiKeys: [KEY, MATE, STRANGER],
      teams: { team1: [KEY, MATE] },
      jobs: [job(1), job(2, { apiKey: MATE }), job(3, { apiKey: STRANGER }), job(4, { apiKey: MATE, model: 'flux-pro' })],
    },
  });

  it('scope=user (default) is own jobs; scope=team adds teammates; no team → same as user', async () => {
    const e = await start(teamScenario());
    expect((await page(e)).jobs.map((j) => j.id)).toEqual([uuidFor(1)]);
    expect((await page(e, { scope: 'user' })).jobs.map((j) => j.id)).toEqual([uuidFor(1)]);
    expect((await page(e, { scope: 'team' })).jobs.map((j) => j.id)).toEqual([uuidFor(4), uuidFor(2), uuidFor(1)]);
    expect((await page(e, { scope: 'team', model: 'flux-pro' })).jobs.map((j) => j.id)).toEqual([uuidFor(4)]);
    expect((await walk(e, { scope: 'team', limit: '1' })).ids).toEqual([uuidFor(4), uuidFor(2), uuidFor(1)]);
    expect((await page(e, { scope: 'team' }, STRANGER)).jobs.map((j) => j.id)).toEqual([uuidFor(3)]);
    expect((await page(e, { scope: 'team', search: uuidFor(3) })).jobs).toEqual([]);
    expect((await page(e, { scope: 'team', search: uuidFor(2) })).jobs.map((j) => j.id)).toEqual([uuidFor(2)]);
  });

  it('Get Job: teammates read each other’s jobs, strangers get 404', async () => {
    const e = await start(teamScenario());
    const get = (id: string, key: string): Promise<Response> => fetch(`${e.providers.apiframe.baseUrl}/v2/jobs/${id}`, { headers: { 'X-API-Key': key } });
    expect((await get(uuidFor(2), KEY)).status).toBe(200);
    expect((await get(uuidFor(1), MATE)).status).toBe(200);
    expect((await get(uuidFor(3), KEY)).status).toBe(404);
    expect((await get(uuidFor(1), STRANGER)).status).toBe(404);
  });
});

describe('apiframe list quirks', () => {
  it('repeat-page: the next page repeats the previous one with the same nextCursor, once', async () => {
    const e = await start({ apiframe: { apiKeys: [KEY], jobs: Array.from({ length: 30 }, (_, i) => job(i + 1)) } });
    e.apiframe.setListQuirk('repeat-page');
    const p1 = await page(e, { limit: '10' });
    const p2 = await page(e, { limit: '10', cursor: p1.nextCursor ?? '' });
    expect(p2).toEqual(p1);
    expect(p2.nextCursor).toBe(p1.nextCursor);
    const p3 = await page(e, { limit: '10', cursor: p1.nextCursor ?? '' });
    expect(p3.jobs[0]?.id).not.toBe(p1.jobs[0]?.id);
    expect(p3.nextCursor).not.toBe(p1.nextCursor);
  });

  it('lose-cursor: hasMore true with a null cursor, once', async () => {
    const e = await start({ apiframe: { apiKeys: [KEY], jobs: Array.from({ length: 30 }, (_, i) => job(i + 1)) } });
    e.apiframe.setListQuirk('lose-cursor');
    const p1 = await page(e, { limit: '10' });
    expect(p1.hasMore).toBe(true);
    expect(p1.nextCursor).toBeNull();
    expect(p1.jobs).toHaveLength(10);
    const again = await page(e, { limit: '10' });
    expect(typeof again.nextCursor).toBe('string');
  });

  it('quirks can be armed over the control API', async () => {
    const e = await start({ apiframe: { apiKeys: [KEY], jobs: Array.from({ length: 3 }, (_, i) => job(i + 1)) } });
    const res = await fetch(`${e.url}/__emulator/apiframe/list-quirk`, { method: 'POST', body: JSON.stringify({ quirk: 'lose-cursor' }) });
    expect(res.status).toBe(204);
    expect((await page(e, { limit: '1' })).nextCursor).toBeNull();
  });
});

describe('bulk scenarios', () => {
  it('bulkScenario(10,000): pages through all with limit 100, no duplicates, fast pages', async () => {
    const scenario = bulkScenario({ startMs: T0, running: 2000, completedHistory: 8000, seed: 7 });
    const e = await start(scenario);
    expect(e.apiframe.jobCount()).toBe(10_000);
    const ids: string[] = [];
    let cursor: string | null = null;
    for (;;) {
      const p: Page = await page(e, cursor === null ? { limit: '100' } : { limit: '100', cursor });
      ids.push(...p.jobs.map((j) => j.id));
      if (!p.hasMore) break;
      cursor = p.nextCursor;
    }
    expect(ids).toHaveLength(10_000);
    expect(new Set(ids).size).toBe(10_000);
    // The running jobs are all PROCESSING now and finish 60–600 s from now.
    const processing = await walk(e, { status: 'PROCESSING', limit: '100' });
    expect(processing.ids).toHaveLength(2000);
    for (const id of processing.ids.slice(0, 50)) {
      const end = e.apiframe.finishAt(id) - T0;
      expect(end).toBeGreaterThanOrEqual(60_000);
      expect(end).toBeLessThanOrEqual(600_000);
    }
    const failed = (await walk(e, { status: 'FAILED', limit: '100' })).ids.length;
    expect(failed).toBeGreaterThan(200);
    expect(failed).toBeLessThan(800);
    // Typical page latency (server side dominated by the in-process scan) stays small.
    const t = performance.now();
    for (let i = 0; i < 20; i++) await page(e, { limit: '100', status: 'PROCESSING' });
    expect((performance.now() - t) / 20).toBeLessThan(25);
  });

  it('bulkScenario is deterministic per seed and respects modality', () => {
    const a = bulkScenario({ startMs: T0, running: 10, completedHistory: 10, seed: 3, modality: 'image' });
    const b = bulkScenario({ startMs: T0, running: 10, completedHistory: 10, seed: 3, modality: 'image' });
    expect(a).toEqual(b);
    expect(a.apiframe.jobs.every((j) => j.modality === 'image')).toBe(true);
    const c = bulkScenario({ startMs: T0, running: 10, completedHistory: 10, seed: 4 });
    expect(c.apiframe.jobs[0]?.id).not.toBe(a.apiframe.jobs[0]?.id);
  });
});
