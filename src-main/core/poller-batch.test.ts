/**
 * The account-batched poller: one chained timer per account, Get Job per job
 * while ≤ byIdLimit (2 for Apiframe) run, the running list (QUEUED + PROCESSING pages)
 * above that or when the account discovers jobs, Get Job only for jobs that
 * left the list. Driven by an in-memory Apiframe on a fake clock.
 */
import { describe, expect, it } from 'vitest';
import type { AccountHealth } from '../../src-shared/ipc-contract';
import { jobKey } from '../../src-shared/job';
import type { Job, ProviderId } from '../../src-shared/job';
import { JobStore } from './job-store';
import { byIdLimit, DISCOVER_IDLE_MS, Poller, STALLED_SLOWDOWN } from './poller';
import type { AccountOptions } from './poller';
import { apiframe } from './providers/apiframe';
import { useapi } from './providers/useapi';
import type { ProviderAdapter } from './providers/provider';
import { uuidFor } from './testing/apiframe-fixtures';
import { FakeApiframe } from './testing/fake-apiframe';
import { FakeClock, runNextCycle } from './testing/fake-clock';
import { pollerJobHandles } from './testing/poller-handles';
import { fixedRandom, jsonResponse, RecordingLogger } from './testing/fakes';

const BASE = 'https://api.apiframe.test';
const KEY = 'afk_batch_key_0001';
const IMAGE_INTERVAL = 2_500;
const STALL_MS = 10 * 60_000;

interface Harness {
  clock: FakeClock;
  store: JobStore;
  api: FakeApiframe;
  poller: Poller;
  health: AccountHealth[];
  /** Requests per finished cycle, as reported by onCycle. */
  cycles: number[];
  options: AccountOptions;
  add(id: string): string;
  job(id: string): Job;
  /** Runs the cycle that is due next (and lets it settle). */
  nextCycle(): Promise<void>;
}

function harness(options: Partial<AccountOptions> = {}): Harness {
  const clock = new FakeClock();
  const store = new JobStore(clock);
  const api = new FakeApiframe([KEY]);
  const health: AccountHealth[] = [];
  const cycles: number[] = [];
  const opts: AccountOptions = { scope: 'user', discover: false, ...options };
  const providers = new Map<ProviderId, ProviderAdapter>([['apiframe', apiframe]]);
  const poller = new Poller({
    clock,
    random: fixedRandom(0.5),
    http: api.http(),
    store,
    logger: new RecordingLogger(),
    providers,
    credentials: () => ({ baseUrl: BASE, apiKey: KEY }),
    onAccountHealth: (h) => health.push(h),
    accountOptions: () => opts,
    onCycle: (_p, _a, requests) => cycles.push(requests),
    stalledAfterMs: () => STALL_MS,
  });
  return {
    clock,
    store,
    api,
    poller,
    health,
    cycles,
    options: opts,
    ...pollerJobHandles(store, poller, 'apiframe'),
    nextCycle: () => runNextCycle(clock, () => cycles.length),
  };
}

const ids = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => uuidFor(from + i));

function startRunning(h: Harness, list: string[]): void {
  for (const id of list) h.api.put(id, { status: 'PROCESSING', progress: 10, model: 'midjourney' });
  for (const id of list) h.add(id);
}

const BATCH_THRESHOLD = byIdLimit(apiframe, false);

describe('byIdLimit: job by job while that is no dearer than the running list', () => {
  it('Apiframe lists two pages a cycle, so two jobs are still asked for one by one', () => {
    expect(byIdLimit(apiframe, false)).toBe(2);
    expect(byIdLimit(apiframe, true)).toBe(2);
  });
  it('useapi.net lists in one request: by id only for a single job unless progress refreshes are on screen', () => {
    expect(byIdLimit(useapi, false)).toBe(1);
    expect(byIdLimit(useapi, true)).toBe(2);
  });
});

describe('Poller batching: requests per cycle stay flat', () => {
  it(`N = 1 (≤ ${BATCH_THRESHOLD}): one Get Job per cycle, no list`, async () => {
    const h = harness();
    startRunning(h, ids(1));
    await h.nextCycle();
    await h.nextCycle();
    expect(h.cycles).toEqual([1, 1]);
    expect(h.api.requests('list')).toEqual([]);
  });

  for (const n of [10, 250]) {
    it(`N = ${n}: a cycle is the QUEUED page plus ceil(N/100) PROCESSING pages, plus one Get Job per job that finished`, async () => {
      const h = harness();
      const all = ids(n);
      startRunning(h, all);
      const listPages = 1 + Math.ceil(n / 100);
      await h.nextCycle();
      expect(h.cycles).toEqual([listPages]);
      expect(listPages).toBeLessThanOrEqual(Math.ceil(n / 100) + 2);
      expect(h.api.requests('get')).toEqual([]);

      await h.nextCycle();
      expect(h.cycles.at(-1)).toBe(listPages);

      const finishing = all.slice(0, 3);
      for (const id of finishing) h.api.complete(id);
      await h.nextCycle();
      expect(h.cycles.at(-1)).toBe(listPages + 3);
      expect(h.api.requests('get').map((r) => r.query['id']).sort()).toEqual([...finishing].sort());

      await h.nextCycle();
      expect(h.cycles.at(-1)).toBe(1 + Math.ceil((n - 3) / 100));
      expect(h.api.requests('get')).toHaveLength(3);
    });
  }

  it('a job that leaves the running list is fetched once by id and ends completed with its full result', async () => {
    const h = harness();
    const all = ids(5);
    startRunning(h, all);
    await h.nextCycle();
    const [done] = all;
    if (!done) throw new Error('no id');
    h.api.complete(done);
    await h.nextCycle();
    await h.nextCycle();
    await h.nextCycle();
    expect(h.api.requests('get').map((r) => r.query['id'])).toEqual([done]);
    expect(h.job(done)).toMatchObject({ status: 'completed', progress: 100, watch: { state: 'done' } });
    expect(h.job(done).assets.map((a) => a.kind)).toEqual(['image', 'image', 'image', 'image', 'grid']);
    expect(h.job(done).assets.every((a) => a.meta['fromList'] !== true)).toBe(true);
    expect(h.poller.watchedCount).toBe(4);
  });

  it(`drops back to Get Job per job once ${BATCH_THRESHOLD} or fewer run, and stops when all are done`, async () => {
    const h = harness();
    const all = ids(4);
    startRunning(h, all);
    await h.nextCycle();
    expect(h.cycles).toEqual([2]);
    h.api.complete(all[0] ?? '');
    h.api.complete(all[1] ?? '');
    await h.nextCycle();
    expect(h.cycles.at(-1)).toBe(2 + 2);
    await h.nextCycle();
    expect(h.cycles.at(-1)).toBe(2); // two Get Jobs, no list
    h.api.complete(all[2] ?? '');
    h.api.complete(all[3] ?? '');
    await h.nextCycle();
    expect(h.poller.watchedCount).toBe(0);
    expect(h.poller.armedTimers).toBe(0);
    expect(h.store.all().every((j) => j.status === 'completed')).toBe(true);
  });

  it('a running job the list reports moves its progress without any Get Job', async () => {
    const h = harness();
    const all = ids(3);
    startRunning(h, all);
    await h.nextCycle();
    h.api.set(all[1] ?? '', { progress: 70 });
    await h.nextCycle();
    expect(h.job(all[1] ?? '').progress).toBe(70);
    expect(h.api.requests('get')).toEqual([]);
  });

  it('unchanged jobs are not re-upserted: a quiet cycle produces no delta', async () => {
    const h = harness();
    startRunning(h, ids(5));
    await h.nextCycle();
    h.store.flush();
    const upserted: string[] = [];
    h.store.onDelta((d) => upserted.push(...d.upserted.map((j) => j.key)));
    await h.nextCycle();
    await h.nextCycle();
    h.store.flush();
    expect(upserted).toEqual([]);
    h.api.set(uuidFor(2), { progress: 55 });
    await h.nextCycle();
    h.store.flush();
    expect(upserted).toEqual([jobKey('apiframe', 'default', uuidFor(2))]);
  });

  it('there is one timer for the whole account, however many jobs run', async () => {
    const h = harness();
    startRunning(h, ids(50));
    await h.nextCycle();
    expect(h.poller.armedTimers).toBe(1);
  });
});

describe('Poller discover', () => {
  it('adds unknown jobs from the running list and from listRecent (including already-finished ones)', async () => {
    const h = harness({ discover: true });
    h.api.put(uuidFor(100), { status: 'COMPLETED', progress: 100, result: { images: ['https://cdn.test/old.png'] } });
    h.api.put(uuidFor(101), { status: 'PROCESSING', progress: 30 });
    h.api.put(uuidFor(102), { status: 'QUEUED' });
    h.poller.refreshAccount('apiframe', 'default');
    await h.nextCycle();
    expect(h.store.all().map((j) => [j.id, j.status]).sort()).toEqual(
      [
        [uuidFor(100), 'completed'],
        [uuidFor(101), 'running'],
        [uuidFor(102), 'queued'],
      ].sort(),
    );
    expect(h.job(uuidFor(100)).watch.state).toBe('done');
    expect(h.job(uuidFor(101)).watch.state).toBe('watching');
    expect(h.poller.watchedCount).toBe(2);
    // QUEUED page, PROCESSING page, one recent page.
    expect(h.cycles).toEqual([3]);
  });

  it('a job discovered running is then watched to its end', async () => {
    const h = harness({ discover: true });
    h.api.put(uuidFor(1), { status: 'PROCESSING', progress: 30 });
    h.poller.refreshAccount('apiframe', 'default');
    await h.nextCycle();
    h.api.complete(uuidFor(1));
    await h.nextCycle();
    expect(h.job(uuidFor(1))).toMatchObject({ status: 'completed', watch: { state: 'done' } });
    expect(h.job(uuidFor(1)).assets).toHaveLength(5);
  });

  it(`with nothing running it keeps exactly one idle timer, ${DISCOVER_IDLE_MS} ms apart`, async () => {
    const h = harness({ discover: true });
    h.poller.refreshAccount('apiframe', 'default');
    await h.nextCycle();
    h.store.flush();
    expect(h.poller.armedTimers).toBe(1);
    expect(h.clock.pendingTimers).toBe(1);
    const at = h.clock.now();
    await h.nextCycle();
    expect(h.clock.now() - at).toBe(DISCOVER_IDLE_MS);
    expect(h.cycles).toEqual([3, 3]);
    expect(h.poller.armedTimers).toBe(1);
  });

  it('without discover and nothing running there is no timer at all and no request', async () => {
    const h = harness({ discover: false });
    h.poller.refreshAccount('apiframe', 'default');
    expect(h.poller.armedTimers).toBe(0);
    expect(h.clock.pendingTimers).toBe(0);
    await h.clock.advanceAndSettle(10 * DISCOVER_IDLE_MS);
    expect(h.api.log).toEqual([]);
  });

  it('turning discover off stops the idle look-ups', async () => {
    const h = harness({ discover: true });
    h.poller.refreshAccount('apiframe', 'default');
    await h.nextCycle();
    h.options.discover = false;
    h.poller.refreshAccount('apiframe', 'default');
    h.store.flush();
    expect(h.poller.armedTimers).toBe(0);
    const count = h.api.log.length;
    await h.clock.advanceAndSettle(10 * DISCOVER_IDLE_MS);
    expect(h.api.log).toHaveLength(count);
  });
});

describe('Poller batched errors and health', () => {
  it('429 on the list honours Retry-After before the next cycle', async () => {
    const h = harness();
    startRunning(h, ids(5));
    h.api.failNext('list', jsonResponse(429, { error: 'Too many requests' }, { 'retry-after': '45' }));
    await h.nextCycle();
    const failedAt = h.clock.now();
    expect(h.job(uuidFor(0)).watch.message).toMatch(/rate-limit/i);
    await h.nextCycle();
    expect(h.clock.now() - failedAt).toBeGreaterThanOrEqual(45_000);
    expect(h.job(uuidFor(0)).watch.message).toBeNull();
    expect(h.job(uuidFor(0)).status).toBe('running');
  });

  it('a 429 on the list ends the cycle at once: no job is fetched by id in it', async () => {
    const h = harness();
    startRunning(h, ids(5));
    await h.nextCycle();
    h.api.failNext('list', jsonResponse(429, { error: 'Too many requests' }, { 'retry-after': '45' }));
    await h.nextCycle();
    expect(h.cycles.at(-1)).toBe(1);
    expect(h.api.requests('get')).toEqual([]);
  });

  it('401 on the list pauses the account (every job paused, key-rejected) and makes no more requests', async () => {
    const h = harness();
    startRunning(h, ids(5));
    h.api.keys.delete(KEY);
    await h.nextCycle();
    expect(h.store.all().every((j) => j.watch.state === 'paused')).toBe(true);
    expect(h.health.at(-1)).toMatchObject({ provider: 'apiframe', accountId: 'default', state: 'key-rejected' });
    expect(h.poller.isPaused('apiframe', 'default')).toBe(true);
    const count = h.api.log.length;
    await h.clock.advanceAndSettle(30 * 60_000);
    expect(h.api.log).toHaveLength(count);
    h.api.keys.add(KEY);
    h.poller.resumeAccount('apiframe', 'default');
    await h.nextCycle();
    expect(h.store.all().every((j) => j.watch.state === 'watching')).toBe(true);
  });

  it('402 on the list pauses the account with the payment state', async () => {
    const h = harness();
    startRunning(h, ids(5));
    h.api.failNext('list', jsonResponse(402, { error: 'Payment required' }));
    await h.nextCycle();
    expect(h.health.at(-1)?.state).toBe('payment');
    expect(h.store.all().every((j) => j.watch.state === 'paused')).toBe(true);
  });

  it('3 failed cycles in a row → unreachable (not before); a successful cycle → ok again', async () => {
    const h = harness();
    startRunning(h, ids(5));
    h.api.failNext('list', jsonResponse(503, { error: 'down' }), 3);
    await h.nextCycle();
    await h.nextCycle();
    expect(h.health).toEqual([]);
    await h.nextCycle();
    expect(h.health).toEqual([expect.objectContaining({ state: 'unreachable', accountId: 'default', message: expect.stringMatching(/503/) })]);
    await h.nextCycle();
    expect(h.health.at(-1)).toEqual({ provider: 'apiframe', accountId: 'default', state: 'ok', message: null });
    expect(h.health).toHaveLength(2);
    expect(h.job(uuidFor(0)).watch.message).toBeNull();
  });

  it('a connection reset on the list is retried and no job is lost', async () => {
    const h = harness();
    const all = ids(5);
    startRunning(h, all);
    h.api.failNext('list', new Error('ECONNRESET'), 2);
    await h.nextCycle();
    await h.nextCycle();
    for (const id of all) h.api.complete(id);
    await h.nextCycle();
    expect(h.store.all().map((j) => j.status)).toEqual(all.map(() => 'completed'));
    expect(h.poller.watchedCount).toBe(0);
  });

  it('onCycle counts every request of a cycle whose running list failed halfway', async () => {
    const h = harness();
    startRunning(h, ids(5));
    await h.nextCycle();
    const before = h.api.log.length;
    // The QUEUED page goes through, the PROCESSING one fails.
    h.api.failNext('list', jsonResponse(503, { error: 'down' }), 1, (q) => q['status'] === 'PROCESSING');
    await h.nextCycle();
    // Two list pages, then as many jobs by id as a cycle without the list would ask.
    expect(h.api.log.length - before).toBe(2 + BATCH_THRESHOLD);
    expect(h.cycles.at(-1)).toBe(h.api.log.length - before);
  });

  it('a running list that keeps failing does not stop the jobs from being checked: a few by id each (backed-off) cycle, the longest unchecked first', async () => {
    const h = harness();
    startRunning(h, ids(5));
    await h.nextCycle();
    for (const id of ids(5)) h.api.put(id, { status: 'COMPLETED', progress: 100, model: 'midjourney', result: { images: ['https://cdn.example/x.png'] } });
    h.api.failNext('list', jsonResponse(200, { unexpected: 'shape' }), 1_000);
    for (let i = 0; i < 10 && ids(5).some((id) => h.job(id).status !== 'completed'); i++) await h.nextCycle();
    expect(ids(5).map((id) => h.job(id).status)).toEqual(Array(5).fill('completed'));
  });

  it('a job added while the server asked for a pause (429 + Retry-After) waits for it with the others', async () => {
    const h = harness();
    startRunning(h, ids(1));
    await h.nextCycle();
    h.api.failNext('get', jsonResponse(429, { error: 'slow down' }, { 'retry-after': '120' }));
    await h.nextCycle();
    const before = h.api.log.length;
    h.api.put(uuidFor(9), { status: 'PROCESSING', progress: 10, model: 'midjourney' });
    h.add(uuidFor(9));
    await h.clock.advanceAndSettle(10_000);
    expect(h.api.log.length).toBe(before);
  });
});

describe('Poller stalled flag', () => {
  it('progress unchanged for stalledAfterMs → stalled with a message (still polled, slowly); moving again → watching', async () => {
    const h = harness();
    h.api.put(uuidFor(1), { status: 'PROCESSING', progress: 40, model: 'midjourney' });
    h.add(uuidFor(1));
    await h.nextCycle();
    expect(h.job(uuidFor(1)).watch).toMatchObject({ state: 'watching', progressAt: new Date(h.clock.now()).toISOString() });
    const start = h.clock.now();
    await h.clock.advanceAndSettle(STALL_MS - IMAGE_INTERVAL);
    expect(h.job(uuidFor(1)).watch.state).toBe('watching');
    await h.clock.advanceAndSettle(IMAGE_INTERVAL);
    expect(h.clock.now() - start).toBe(STALL_MS);
    expect(h.job(uuidFor(1)).watch).toMatchObject({ state: 'stalled', message: 'No progress for 10 min; still watching.' });
    // Alone on its account, a stalled job is asked STALLED_SLOWDOWN times less often, never dropped.
    const polls = h.api.requests('get').length;
    await h.clock.advanceAndSettle(IMAGE_INTERVAL);
    expect(h.api.requests('get').length).toBe(polls);
    await h.clock.advanceAndSettle(IMAGE_INTERVAL * (STALLED_SLOWDOWN - 1));
    expect(h.api.requests('get').length).toBe(polls + 1);
    h.api.set(uuidFor(1), { progress: 41 });
    await h.clock.advanceAndSettle(IMAGE_INTERVAL * STALLED_SLOWDOWN);
    expect(h.job(uuidFor(1)).watch).toMatchObject({ state: 'watching', message: null });
    // Moving again: back to the normal pace.
    const after = h.api.requests('get').length;
    await h.clock.advanceAndSettle(IMAGE_INTERVAL);
    expect(h.api.requests('get').length).toBe(after + 1);
  });

  it('a stalled job that completes ends done', async () => {
    const h = harness();
    h.api.put(uuidFor(1), { status: 'PROCESSING', progress: 40 });
    h.add(uuidFor(1));
    await h.clock.advanceAndSettle(STALL_MS + IMAGE_INTERVAL);
    expect(h.job(uuidFor(1)).watch.state).toBe('stalled');
    h.api.complete(uuidFor(1));
    await h.clock.advanceAndSettle(IMAGE_INTERVAL * STALLED_SLOWDOWN);
    expect(h.job(uuidFor(1))).toMatchObject({ status: 'completed', watch: { state: 'done', message: null } });
  });
});

