/**
 * The real undici HttpPort and the real core against the loopback emulator.
 * One timeline: the core runs on a FakeClock and the emulator reads the same
 * clock (it only needs `now()`), so job progress, Retry-After and backoff are
 * exact and nothing waits in real time except the HTTP exchanges themselves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Account } from '../../src-shared/accounts';
import { jobKey } from '../../src-shared/job';
import type { Job } from '../../src-shared/job';
import { createUndiciHttp } from '../adapters/undici-http';
import { bulkScenario, singleJobScenario, SINGLE_JOB_ID, startEmulator, TEST_APIFRAME_KEY } from '../emulator';
import type { RunningEmulator, Scenario } from '../emulator';
import type { GenwatchCore } from '../core/genwatch-core';
import { apiframe } from '../core/providers/apiframe';
import { FakeClock } from '../core/testing/fake-clock';
import { TrackingHttp } from '../core/testing/fakes';
import { createLiveCore, runUntil as runClockUntil, settleIo } from '../core/testing/live-core';
import type { CycleRecord } from '../core/testing/live-core';

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const KEY = jobKey('apiframe', 'default', SINGLE_JOB_ID);

interface World {
  clock: FakeClock;
  emu: RunningEmulator;
  http: TrackingHttp;
  core: GenwatchCore;
  /** Every version of the watched job the core published, in order. */
  snapshots: Job[];
}

let cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** The emulator serving `scenario` on a fresh FakeClock, undici to reach it, and the environment that points the core at it (with the test key unless `envKey: false`). */
async function loopback(scenario: Scenario, options: { envKey?: boolean }): Promise<Pick<World, 'clock' | 'emu' | 'http'> & { environment: Record<string, string> }> {
  const clock = new FakeClock(T0);
  const emu = await startEmulator({ clock, scenario });
  cleanup.push(() => emu.close());
  const undici = createUndiciHttp();
  cleanup.push(() => undici.close());
  const http = new TrackingHttp(undici);
  const environment: Record<string, string> = { GENWATCH_APIFRAME_URL: emu.providers.apiframe.baseUrl };
  if (options.envKey !== false) environment['APIFRAME_API_KEY'] = TEST_APIFRAME_KEY;
  return { clock, emu, http, environment };
}

async function world(scenario: Scenario, options: { envKey?: boolean } = {}): Promise<World> {
  const { clock, emu, http, environment } = await loopback(scenario, options);
  const core = await createLiveCore({ http, clock, providers: [apiframe], environment });
  cleanup.push(() => Promise.resolve(core.dispose()));
  const snapshots: Job[] = [];
  core.onJobsDelta((delta) => snapshots.push(...delta.upserted.filter((j) => j.key === KEY)));
  return { clock, emu, http, core, snapshots };
}

const runUntil = (w: World, done: () => boolean, limitMs = 15 * 60_000): Promise<void> => runClockUntil(w, done, limitMs);

function job(w: World): Job {
  const found = w.core.listJobs().find((j) => j.key === KEY);
  if (!found) throw new Error('job not in the core');
  return found;
}

function apiRequests(w: World): { status: number; at: number }[] {
  return w.emu.requests.filter((r) => r.route === 'apiframe.getJob');
}

function gapsAfter(requests: { status: number; at: number }[], status: number): number[] {
  const out: number[] = [];
  requests.forEach((r, i) => {
    const next = requests[i + 1];
    if (r.status === status && next) out.push(next.at - r.at);
  });
  return out;
}

describe('core + undici + emulator', () => {
  it('a job goes QUEUED → PROCESSING (progress rising) → COMPLETED with its assets, then polling stops', async () => {
    const w = await world(singleJobScenario({ startMs: T0, queuedMs: 2_000, processingMs: 10_000 }));
    const added = w.core.addJobs('apiframe', SINGLE_JOB_ID);
    expect(added.ok && added.value.added).toEqual([SINGLE_JOB_ID]);
    await runUntil(w, () => job(w).status === 'completed');
    w.core.store.flush();

    // (The placeholder row and the first answer share one 50 ms delta window.)
    const raw = w.snapshots.map((s) => s.rawStatus).filter((s, i, all) => s !== all[i - 1]);
    expect(raw).toEqual(['QUEUED', 'PROCESSING', 'COMPLETED']);
    const progress = w.snapshots.filter((s) => s.rawStatus === 'PROCESSING').map((s) => s.progress);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThan(progress[i - 1] ?? 0);

    const done = job(w);
    expect(done).toMatchObject({ status: 'completed', progress: 100, modality: 'image', model: 'midjourney', cost: { credits: 10, refunded: false } });
    expect(done.watch.state).toBe('done');
    expect(done.assets.filter((a) => a.kind === 'image')).toHaveLength(4);
    expect(done.assets.filter((a) => a.kind === 'grid')).toHaveLength(1);
    for (const asset of done.assets) expect(asset.url.startsWith(`${w.emu.url}/assets/apiframe/`)).toBe(true);

    // Image cadence: 2.5 s between polls; nothing after the terminal answer.
    const requests = apiRequests(w);
    expect(requests.every((r) => r.status === 200)).toBe(true);
    expect(gapsAfter(requests, 200)).toEqual(requests.slice(1).map(() => 2_500));
    expect(w.core.poller.armedTimers).toBe(0);
    const count = requests.length;
    await w.clock.advanceAndSettle(120_000, () => settleIo(w.http));
    expect(apiRequests(w)).toHaveLength(count);
  });

  it('a FAILED job ends failed with the reason, and the refunded cost keeps the credits charged', async () => {
    const w = await world(singleJobScenario({ startMs: T0, outcome: 'failed', queuedMs: 1_000, processingMs: 5_000 }));
    w.core.addJobs('apiframe', SINGLE_JOB_ID);
    await runUntil(w, () => job(w).status === 'failed');
    expect(job(w)).toMatchObject({
      rawStatus: 'FAILED',
      error: { message: 'Provider returned an error: content policy violation' },
      cost: { credits: 10, refunded: true },
      watch: { state: 'done' },
    });
    expect(w.core.status().counts.failed).toBe(1);
  });

  it('a revoked key (401) pauses the job and the account; saveAccount with a new key resumes it (re-paused for a wrong key, completed for a valid one)', async () => {
    const w = await world(singleJobScenario({ startMs: T0, queuedMs: 2_000, processingMs: 10_000 }), { envKey: false });
    expect((await w.core.saveAccount({ provider: 'apiframe', key: TEST_APIFRAME_KEY })).ok).toBe(true);
    w.core.addJobs('apiframe', SINGLE_JOB_ID);
    await runUntil(w, () => job(w).rawStatus === 'PROCESSING');

    w.emu.apiframe.revokeKey(TEST_APIFRAME_KEY);
    await runUntil(w, () => job(w).watch.state === 'paused');
    expect(job(w).status).toBe('running');
    expect(w.core.status().accounts).toEqual([expect.objectContaining({ provider: 'apiframe', accountId: 'default', state: 'key-rejected' })]);
    const whilePaused = apiRequests(w).length;
    await w.clock.advanceAndSettle(10 * 60_000, () => settleIo(w.http));
    expect(apiRequests(w)).toHaveLength(whilePaused);

    expect((await w.core.saveAccount({ provider: 'apiframe', accountId: 'default', key: 'afk_still_wrong_key' })).ok).toBe(true);
    expect(job(w).watch.state).toBe('watching');
    await runUntil(w, () => job(w).watch.state === 'paused');
    expect(apiRequests(w)).toHaveLength(whilePaused + 1);

    w.emu.apiframe.addKey(TEST_APIFRAME_KEY);
    expect((await w.core.saveAccount({ provider: 'apiframe', accountId: 'default', key: TEST_APIFRAME_KEY })).ok).toBe(true);
    await runUntil(w, () => job(w).status === 'completed');
    expect(w.core.status().accounts).toEqual([]);
    expect(job(w).assets).toHaveLength(5);
  });

  it('a 429 storm with Retry-After: every retry waits at least Retry-After, then the job completes', async () => {
    const w = await world(singleJobScenario({ startMs: T0, queuedMs: 2_000, processingMs: 10_000 }));
    w.emu.faults.add({ route: 'apiframe.getJob', times: 3, fault: { kind: 'status', status: 429, retryAfterSeconds: 20 } });
    w.core.addJobs('apiframe', SINGLE_JOB_ID);
    await runUntil(w, () => job(w).status === 'completed');
    w.core.store.flush();
    const requests = apiRequests(w);
    expect(requests.filter((r) => r.status === 429)).toHaveLength(3);
    const waits = gapsAfter(requests, 429);
    expect(waits).toHaveLength(3);
    for (const wait of waits) expect(wait).toBeGreaterThanOrEqual(20_000);
    expect(w.snapshots.some((s) => /rate-limit/i.test(s.watch.message ?? ''))).toBe(true);
    expect(job(w).watch.message).toBeNull();
  });

  it('a 429 storm without Retry-After backs off with growing waits, then recovers', async () => {
    const w = await world(singleJobScenario({ startMs: T0, queuedMs: 2_000, processingMs: 10_000 }));
    w.emu.faults.add({ route: 'apiframe.getJob', times: 4, fault: { kind: 'status', status: 429 } });
    w.core.addJobs('apiframe', SINGLE_JOB_ID);
    await runUntil(w, () => job(w).status === 'completed');
    const waits = gapsAfter(apiRequests(w), 429);
    expect(waits).toHaveLength(4);
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThan(waits[i - 1] ?? 0);
    expect(waits[0]).toBeGreaterThanOrEqual(2_500);
  });

  const transportFaults = [
    { name: 'connection reset', fault: { kind: 'reset' as const }, message: /Could not reach Apiframe/ },
    { name: 'malformed JSON', fault: { kind: 'malformed-json' as const }, message: /could not read/ },
    { name: 'truncated body', fault: { kind: 'truncate' as const }, message: /Could not reach Apiframe/ },
    { name: '503', fault: { kind: 'status' as const, status: 503 }, message: /HTTP 503/ },
  ];
  for (const { name, fault, message } of transportFaults) {
    it(`${name}: retried with backoff and recovered`, async () => {
      const w = await world(singleJobScenario({ startMs: T0, queuedMs: 2_000, processingMs: 10_000 }));
      w.emu.faults.add({ route: 'apiframe.getJob', times: 2, fault });
      w.core.addJobs('apiframe', SINGLE_JOB_ID);
      await runUntil(w, () => job(w).status === 'completed');
      expect(w.snapshots.some((s) => message.test(s.watch.message ?? ''))).toBe(true);
      expect(job(w)).toMatchObject({ status: 'completed', watch: { state: 'done', message: null } });
      expect(job(w).assets).toHaveLength(5);
      expect(apiRequests(w).length).toBeGreaterThanOrEqual(3);
    });
  }

  it('a non-UUID id is rejected before any request reaches the server', async () => {
    const w = await world(singleJobScenario({ startMs: T0 }));
    const result = w.core.addJobs('apiframe', 'not-a-uuid');
    expect(result.ok && result.value.rejected.map((r) => r.input)).toEqual(['not-a-uuid']);
    expect(w.core.listJobs()).toEqual([]);
    await w.clock.advanceAndSettle(30_000, () => settleIo(w.http));
    expect(w.emu.requests).toEqual([]);
    expect(w.http.requestCount).toBe(0);
  });

  it('the real server’s 400 (invalid id) maps to invalid-input through the adapter', async () => {
    const w = await world(singleJobScenario({ startMs: T0 }));
    const result = await apiframe.getJob(
      { http: w.http, clock: w.clock, baseUrl: w.emu.providers.apiframe.baseUrl, apiKey: TEST_APIFRAME_KEY, accountId: 'default' },
      'not-a-uuid',
    );
    expect(result.ok ? null : result.error).toMatchObject({ kind: 'invalid-input', status: 400 });
  });

  it('a UUID the server does not know ends in watch error "not found" after one request', async () => {
    const w = await world(singleJobScenario({ startMs: T0 }));
    const unknown = '99999999-9999-4999-8999-999999999999';
    w.core.addJobs('apiframe', unknown);
    const key = jobKey('apiframe', 'default', unknown);
    const find = (): Job | undefined => w.core.listJobs().find((j) => j.key === key);
    await runUntil(w, () => find()?.watch.state === 'error');
    expect(find()?.watch.message).toMatch(/no job/i);
    expect(apiRequests(w).map((r) => r.status)).toEqual([404]);
    await w.clock.advanceAndSettle(60_000, () => settleIo(w.http));
    expect(apiRequests(w)).toHaveLength(1);
  });
});

// ---- Apiframe list endpoint: history import and batched watching over real HTTP ----

interface ListWorld {
  clock: FakeClock;
  emu: RunningEmulator;
  http: TrackingHttp;
  core: GenwatchCore;
  /** Per finished poll cycle: requests made and jobs that became terminal during it. */
  cycles: CycleRecord[];
}

async function listWorld(scenario: Scenario, options: { envKey?: boolean } = {}): Promise<ListWorld> {
  const { clock, emu, http, environment } = await loopback(scenario, options);
  const cycles: CycleRecord[] = [];
  const core = await createLiveCore({ http, clock, providers: [apiframe], environment }, cycles);
  cleanup.push(() => Promise.resolve(core.dispose()));
  return { clock, emu, http, core, cycles };
}

/** Lets requests finish and the core react; moves fake time only when nothing is in flight. */
async function drive(w: ListWorld, done: () => boolean, limitMs = 20 * 60_000): Promise<void> {
  const deadline = w.clock.now() + limitMs;
  const settle = (): Promise<void> => settleIo(w.http);
  await settle();
  while (!done()) {
    if (w.clock.now() > deadline) throw new Error(`drive: condition not met within ${limitMs} ms of fake time`);
    const next = w.clock.nextDueAt();
    const step = next === null ? 1_000 : Math.max(0, Math.min(next - w.clock.now(), 1_000));
    await w.clock.advanceAndSettle(step, settle);
  }
}

function history(w: ListWorld): Account['history'] {
  const account = w.core.accountsState().accounts.find((a) => a.id === 'default');
  if (!account) throw new Error('no default account');
  return account.history;
}

const listRequests = (w: ListWorld): { status: number; at: number; path: string }[] => w.emu.requests.filter((r) => r.route === 'apiframe.listJobs');
const importSettled = (w: ListWorld) => (): boolean => history(w).state !== 'running';

describe('history import over HTTP (emulator list endpoint)', () => {
  it('imports a 1,000-job history: every job stored exactly once, 10 pages, done', async () => {
    const w = await listWorld(bulkScenario({ startMs: T0, running: 0, completedHistory: 1_000 }));
    expect(w.core.importHistory('apiframe', 'default').ok).toBe(true);
    await drive(w, importSettled(w));
    const ids = w.core.listJobs().map((j) => j.id);
    expect(ids).toHaveLength(1_000);
    expect(new Set(ids)).toEqual(new Set(w.emu.providers.apiframe.jobIds.map((id) => id.toLowerCase())));
    expect(history(w)).toMatchObject({ state: 'done', pages: 10, jobs: 1_000, message: null });
    expect(listRequests(w)).toHaveLength(10);
    expect(listRequests(w).every((r) => r.status === 200)).toBe(true);
    expect(w.core.listJobs().every((j) => (j.status === 'completed' || j.status === 'failed') && j.watch.state === 'done')).toBe(true);
    expect(w.core.poller.watchedCount).toBe(0);
  });

  it("list quirk 'repeat-page': a clear error, the jobs imported so far kept; importing again completes without duplicates", async () => {
    const w = await listWorld(bulkScenario({ startMs: T0, running: 0, completedHistory: 300 }));
    w.emu.apiframe.setListQuirk('repeat-page');
    w.core.importHistory('apiframe', 'default');
    await drive(w, importSettled(w));
    expect(history(w).state).toBe('error');
    expect(history(w).message).toMatch(/same page twice/);
    expect(w.core.listJobs()).toHaveLength(100);
    w.core.importHistory('apiframe', 'default');
    await drive(w, importSettled(w));
    expect(history(w).state).toBe('done');
    expect(w.core.listJobs()).toHaveLength(300);
    expect(new Set(w.core.listJobs().map((j) => j.id)).size).toBe(300);
  });

  it("list quirk 'repeat-page': the account's imported-jobs count matches the jobs stored", async () => {
    const w = await listWorld(bulkScenario({ startMs: T0, running: 0, completedHistory: 300 }));
    w.emu.apiframe.setListQuirk('repeat-page');
    w.core.importHistory('apiframe', 'default');
    await drive(w, importSettled(w));
    expect(history(w).state).toBe('error');
    expect(history(w).jobs).toBe(w.core.listJobs().length);
  });

  it("list quirk 'lose-cursor': a clear error, consistent counts, jobs kept; importing again completes", async () => {
    const w = await listWorld(bulkScenario({ startMs: T0, running: 0, completedHistory: 250 }));
    w.emu.apiframe.setListQuirk('lose-cursor');
    w.core.importHistory('apiframe', 'default');
    await drive(w, importSettled(w));
    expect(history(w).state).toBe('error');
    expect(history(w).message).toMatch(/no cursor/);
    expect(w.core.listJobs()).toHaveLength(100);
    expect(history(w).jobs).toBe(100);
    w.core.importHistory('apiframe', 'default');
    await drive(w, importSettled(w));
    expect(history(w)).toMatchObject({ state: 'done' });
    expect(w.core.listJobs()).toHaveLength(250);
  });
});

describe('batched watching over HTTP (emulator list endpoint)', () => {
  async function watchAll(w: ListWorld): Promise<string[]> {
    const ids = w.emu.providers.apiframe.jobIds;
    const added = w.core.addJobs('apiframe', ids.join('\n'));
    if (!added.ok) throw new Error(added.error.message);
    expect(added.value.added).toHaveLength(ids.length);
    return ids;
  }
  const allTerminal = (w: ListWorld) => (): boolean => w.core.listJobs().every((j) => j.status === 'completed' || j.status === 'failed');

  function expectAllFinishedWithResults(w: ListWorld, count: number): void {
    const jobs = w.core.listJobs();
    expect(jobs).toHaveLength(count);
    for (const job of jobs) {
      expect(job.watch.state, job.id).toBe('done');
      if (job.status === 'completed') {
        expect(job.assets.length, job.id).toBeGreaterThan(0);
        expect(job.assets.every((a) => a.meta['fromList'] !== true), job.id).toBe(true);
      }
    }
    expect(w.core.poller.watchedCount).toBe(0);
    expect(w.core.poller.armedTimers).toBe(0);
  }

  it('50 running jobs are watched through the list until all complete; every cycle makes ≤ 3 + finished requests', async () => {
    const w = await listWorld(bulkScenario({ startMs: T0, running: 50, completedHistory: 0, modality: 'image' }));
    await watchAll(w);
    await drive(w, allTerminal(w));
    expectAllFinishedWithResults(w, 50);
    expect(w.cycles.length).toBeGreaterThan(10);
    for (const cycle of w.cycles) expect(cycle.requests).toBeLessThanOrEqual(3 + cycle.finished);
    // Each job was fetched by id at most a couple of times (when it left the list), never polled one by one.
    const getJobs = w.emu.requests.filter((r) => r.route === 'apiframe.getJob').length;
    expect(getJobs).toBeLessThanOrEqual(50 + 2 * w.cycles.length);
    expect(getJobs).toBeLessThan(listRequests(w).length + 60);
  });

  it('a key revoked mid-run pauses the account as key-rejected; saveAccount with a valid key resumes and all complete', async () => {
    const w = await listWorld(bulkScenario({ startMs: T0, running: 5, completedHistory: 0, modality: 'image' }), { envKey: false });
    expect((await w.core.saveAccount({ provider: 'apiframe', key: TEST_APIFRAME_KEY })).ok).toBe(true);
    await watchAll(w);
    await drive(w, () => w.cycles.length >= 2);
    w.emu.apiframe.revokeKey(TEST_APIFRAME_KEY);
    await drive(w, () => w.core.listJobs().every((j) => j.watch.state === 'paused'));
    expect(w.core.status().accounts).toEqual([expect.objectContaining({ accountId: 'default', state: 'key-rejected' })]);
    const whilePaused = w.emu.requests.length;
    await w.clock.advanceAndSettle(5 * 60_000);
    expect(w.emu.requests).toHaveLength(whilePaused);

    w.emu.apiframe.addKey(TEST_APIFRAME_KEY);
    expect((await w.core.saveAccount({ provider: 'apiframe', accountId: 'default', key: TEST_APIFRAME_KEY })).ok).toBe(true);
    await drive(w, allTerminal(w));
    expect(w.core.status().accounts).toEqual([]);
    expectAllFinishedWithResults(w, 5);
  });

  const listFaults = [
    { name: '429 storm with Retry-After', fault: { kind: 'status' as const, status: 429, retryAfterSeconds: 20 }, times: 4, minGap: 20_000 },
    { name: '429 storm without Retry-After', fault: { kind: 'status' as const, status: 429 }, times: 4, minGap: 2_500 },
    { name: '5xx burst', fault: { kind: 'status' as const, status: 503 }, times: 5, minGap: 2_500 },
    { name: 'connection resets', fault: { kind: 'reset' as const }, times: 3, minGap: 2_500 },
    { name: 'malformed JSON', fault: { kind: 'malformed-json' as const }, times: 3, minGap: 2_500 },
  ];
  for (const { name, fault, times, minGap } of listFaults) {
    it(`${name} on the list: retried with backoff, and every job still completes (none lost)`, async () => {
      const w = await listWorld(bulkScenario({ startMs: T0, running: 8, completedHistory: 0, modality: 'image' }));
      await watchAll(w);
      await drive(w, () => w.cycles.length >= 1);
      w.emu.faults.add({ route: 'apiframe.listJobs', times, fault });
      await drive(w, allTerminal(w));
      expectAllFinishedWithResults(w, 8);
      const list = listRequests(w);
      const failed = list.filter((r) => r.status !== 200);
      if (fault.kind === 'status') expect(failed).toHaveLength(times);
      // After a failed list request the next one waits at least the backoff step (or Retry-After).
      list.forEach((r, i) => {
        const next = list[i + 1];
        if (r.status !== 200 && next) expect(next.at - r.at).toBeGreaterThanOrEqual(minGap);
      });
    });
  }
});
