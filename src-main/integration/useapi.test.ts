/**
 * The useapi.net adapter inside the real core, over real HTTP (undici) against
 * the loopback emulator. As in integration.test.ts, core and emulator share one
 * FakeClock, so the scripted job timelines and the poller's intervals are exact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Account } from '../../src-shared/accounts';
import { isTerminalStatus, jobKey } from '../../src-shared/job';
import type { Job } from '../../src-shared/job';
import { createUndiciHttp } from '../adapters/undici-http';
import { bulkScenario, makeUseapiJobId, startEmulator, TEST_USEAPI_TOKEN } from '../emulator';
import type { RunningEmulator, Scenario, UseapiJobScript } from '../emulator';
import type { GenwatchCore } from '../core/genwatch-core';
import { byIdLimit, PAUSED_RECHECK_MS } from '../core/poller';
import { useapi } from '../core/providers/useapi';
import { FakeClock } from '../core/testing/fake-clock';
import { TrackingHttp } from '../core/testing/fakes';
import { createLiveCore, runUntil as runClockUntil, settleIo } from '../core/testing/live-core';
import type { CycleRecord } from '../core/testing/live-core';

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const S = 1000;
const CHANNEL = '1234567890123456789';

interface World {
  clock: FakeClock;
  emu: RunningEmulator;
  http: TrackingHttp;
  core: GenwatchCore;
  /** Every published version of every job, in order. */
  snapshots: Job[];
  /** Per finished poll cycle: requests made and jobs that became terminal during it. */
  cycles: CycleRecord[];
  /** Every channel list the account view was given. */
  channelViews: Account['channels'][];
}

let cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function script(seed: string, patch: Partial<UseapiJobScript> = {}): UseapiJobScript {
  const jobType = patch.jobType ?? 'image';
  return {
    jobid: makeUseapiJobId(seed, jobType, { channel: CHANNEL }),
    token: TEST_USEAPI_TOKEN,
    channel: CHANNEL,
    verb: 'imagine',
    jobType,
    prompt: `prompt ${seed}`,
    startAt: T0,
    createdMs: 3 * S,
    progressMs: 60 * S,
    outcome: 'completed',
    ...patch,
  };
}

function scenarioOf(...jobs: UseapiJobScript[]): Scenario {
  return { apiframe: { apiKeys: [], jobs: [] }, useapi: { tokens: [TEST_USEAPI_TOKEN], jobs } };
}

async function world(scenario: Scenario): Promise<World> {
  const clock = new FakeClock(T0);
  const emu = await startEmulator({ clock, scenario });
  cleanup.push(() => emu.close());
  const undici = createUndiciHttp();
  cleanup.push(() => undici.close());
  const http = new TrackingHttp(undici);
  const cycles: CycleRecord[] = [];
  const core = await createLiveCore({ http, clock, providers: [useapi], environment: { USEAPI_TOKEN: TEST_USEAPI_TOKEN, GENWATCH_USEAPI_URL: emu.providers.useapi.baseUrl } }, cycles);
  cleanup.push(() => Promise.resolve(core.dispose()));
  const snapshots: Job[] = [];
  core.onJobsDelta((delta) => snapshots.push(...delta.upserted));
  const channelViews: Account['channels'][] = [];
  core.onAccounts((state) => {
    const account = state.accounts.find((a) => a.provider === 'useapi' && a.id === 'default');
    if (account) channelViews.push(account.channels);
  });
  return { clock, emu, http, core, snapshots, cycles, channelViews };
}

const runUntil = (w: World, done: () => boolean, limitMs = 20 * 60_000): Promise<void> => runClockUntil(w, done, limitMs);

const keyOf = (id: string): string => jobKey('useapi', 'default', id);

function job(w: World, id: string): Job {
  const found = w.core.listJobs().find((j) => j.key === keyOf(id));
  if (!found) throw new Error(`job ${id} not in the core`);
  return found;
}

const routeRequests = (w: World, route: string): { status: number; at: number; path: string }[] => w.emu.requests.filter((r) => r.route === route);
const allSettled = (w: World) => (): boolean => w.core.listJobs().every((j) => isTerminalStatus(j.status) || j.watch.state === 'error');

function addAll(w: World, ids: readonly string[]): void {
  const added = w.core.addJobs('useapi', ids.join('\n'));
  if (!added.ok) throw new Error(added.error.message);
  expect(added.value.rejected).toEqual([]);
  expect(added.value.added).toHaveLength(ids.length);
}

describe('useapi.net through the core, over HTTP', () => {
  it('a job goes created → started → progress (rising) → completed with its cells and grid, polled every 5 s, then stops', async () => {
    const s = script('one');
    const w = await world(scenarioOf(s));
    addAll(w, [s.jobid]);
    await runUntil(w, () => job(w, s.jobid).status === 'completed');
    w.core.store.flush();

    const mine = w.snapshots.filter((j) => j.key === keyOf(s.jobid));
    const raw = mine.map((j) => j.rawStatus).filter((r, i, all) => r !== all[i - 1] && r !== 'UNKNOWN');
    expect(raw).toEqual(['created', 'started', 'progress', 'completed']);
    expect(mine.find((j) => j.rawStatus === 'created')?.status).toBe('queued');
    const progress = mine.filter((j) => j.rawStatus === 'progress').map((j) => j.progress);
    expect(progress.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThan(progress[i - 1] ?? 0);

    const done = job(w, s.jobid);
    expect(done).toMatchObject({ status: 'completed', progress: 100, modality: 'image', model: 'midjourney', prompt: 'prompt one', watch: { state: 'done' } });
    expect(done.completedAt).toBe(new Date(T0 + 63 * S).toISOString());
    expect(done.assets.filter((a) => a.kind === 'image').map((a) => a.index)).toEqual([0, 1, 2, 3]);
    const grid = done.assets.filter((a) => a.kind === 'grid');
    expect(grid).toHaveLength(1);
    expect(grid[0]).toMatchObject({ width: 256, height: 256, contentType: 'image/png', meta: { discord: true } });
    for (const asset of done.assets) expect(asset.url.startsWith(w.emu.url)).toBe(true);

    // The ':' travelled percent-encoded and reached the job; 5 s between polls; nothing after the end.
    const requests = routeRequests(w, 'useapi.getJob');
    expect(requests.every((r) => r.status === 200 && r.path.includes('%3A'))).toBe(true);
    expect(requests.slice(1).map((r, i) => r.at - (requests[i]?.at ?? 0))).toEqual(requests.slice(1).map(() => 5_000));
    expect(w.core.poller.armedTimers).toBe(0);
    const count = requests.length;
    await w.clock.advanceAndSettle(120_000, () => settleIo(w.http));
    expect(routeRequests(w, 'useapi.getJob')).toHaveLength(count);
  });

  it('a video job is watched as video with video cells', async () => {
    const s = script('video', { jobType: 'video', progressMs: 20 * S });
    const w = await world(scenarioOf(s));
    addAll(w, [s.jobid]);
    await runUntil(w, () => job(w, s.jobid).status === 'completed');
    expect(job(w, s.jobid).modality).toBe('video');
    expect(job(w, s.jobid).assets.filter((a) => a.kind === 'video')).toHaveLength(4);
  });

  it('an id pasted as a URL with %3A is accepted and watched under the plain id', async () => {
    const s = script('pasted', { progressMs: 10 * S });
    const w = await world(scenarioOf(s));
    addAll(w, [`https://api.useapi.net/v3/midjourney/jobs/${encodeURIComponent(s.jobid)}`]);
    await runUntil(w, () => job(w, s.jobid).status === 'completed');
  });

  it('failed: ends failed with error, code and details; the job is done, not an account problem', async () => {
    const s = script('failed', { outcome: 'failed', error: 'Midjourney error', errorDetails: 'Internal error, try again', code: 500, progressMs: 10 * S });
    const w = await world(scenarioOf(s));
    addAll(w, [s.jobid]);
    await runUntil(w, () => job(w, s.jobid).status === 'failed');
    expect(job(w, s.jobid)).toMatchObject({
      rawStatus: 'failed',
      error: { message: 'Midjourney error', code: 500, details: 'Internal error, try again' },
      watch: { state: 'done' },
    });
    expect(w.core.status()).toMatchObject({ accounts: [], counts: { failed: 1 } });
  });

  it('moderated: ends failed with rawStatus moderated and the moderation text', async () => {
    const s = script('moderated', { outcome: 'moderated', progressMs: 4 * S });
    const w = await world(scenarioOf(s));
    addAll(w, [s.jobid]);
    await runUntil(w, () => job(w, s.jobid).status === 'failed');
    const done = job(w, s.jobid);
    expect(done).toMatchObject({ rawStatus: 'moderated', error: { message: 'Banned prompt detected', code: 422 }, watch: { state: 'done' } });
    expect(done.error?.details).toMatch(/AI moderator/);
  });

  it('410: the expired job ends in watch error after one request and is never asked again', async () => {
    const s = script('expired', { expired: true, startAt: T0 - 70 * 86_400 * S });
    const w = await world(scenarioOf(s));
    addAll(w, [s.jobid]);
    await runUntil(w, () => job(w, s.jobid).watch.state === 'error');
    expect(job(w, s.jobid).watch.message).toMatch(/older than 62 days and was deleted by useapi\.net/);
    expect(job(w, s.jobid).status).not.toBe('completed');
    expect(routeRequests(w, 'useapi.getJob').map((r) => r.status)).toEqual([410]);
    await w.clock.advanceAndSettle(10 * 60_000, () => settleIo(w.http));
    expect(routeRequests(w, 'useapi.getJob')).toHaveLength(1);
    expect(w.core.status().accounts).toEqual([]);
  });

  it('404: an unknown id ends in watch error "no job" after one request', async () => {
    const w = await world(scenarioOf(script('known')));
    const unknown = makeUseapiJobId('unknown', 'image', { channel: CHANNEL });
    addAll(w, [unknown]);
    await runUntil(w, () => job(w, unknown).watch.state === 'error');
    expect(job(w, unknown).watch.message).toMatch(/no job with this id/);
    expect(routeRequests(w, 'useapi.getJob').map((r) => r.status)).toEqual([404]);
  });

  it('402 mid-run pauses the account ("payment"), keeps the job running, stops requests; resuming completes it', async () => {
    const s = script('pay');
    const w = await world(scenarioOf(s));
    addAll(w, [s.jobid]);
    await runUntil(w, () => job(w, s.jobid).rawStatus === 'progress');
    w.emu.useapi.setAccountState(TEST_USEAPI_TOKEN, 'no-subscription');
    await runUntil(w, () => job(w, s.jobid).watch.state === 'paused');
    expect(job(w, s.jobid)).toMatchObject({ status: 'running', error: null });
    expect(job(w, s.jobid).watch.message).toMatch(/no active subscription/);
    expect(w.core.status().accounts).toEqual([expect.objectContaining({ provider: 'useapi', accountId: 'default', state: 'payment' })]);
    // Held, not hammered: one probe request every PAUSED_RECHECK_MS, the account stays paused.
    const whilePaused = w.emu.requests.length;
    await w.clock.advanceAndSettle(PAUSED_RECHECK_MS * 2 + 1_000, () => settleIo(w.http));
    expect(w.emu.requests).toHaveLength(whilePaused + 2);
    expect(job(w, s.jobid).watch.state).toBe('paused');

    // Once the subscription is back, the next probe resumes the account on its own.
    w.emu.useapi.setAccountState(TEST_USEAPI_TOKEN, 'ok');
    await runUntil(w, () => job(w, s.jobid).status === 'completed');
    expect(w.core.status().accounts).toEqual([]);
  });

  it('401: a wrong token pauses the account as key-rejected', async () => {
    const s = script('token');
    const w = await world(scenarioOf(s));
    w.emu.useapi.revokeToken(TEST_USEAPI_TOKEN);
    addAll(w, [s.jobid]);
    await runUntil(w, () => job(w, s.jobid).watch.state === 'paused');
    expect(w.core.status().accounts).toEqual([expect.objectContaining({ provider: 'useapi', state: 'key-rejected', message: expect.stringMatching(/rejected the API token/) as unknown })]);
  });

  it('596 on the running list pauses the account as account-hold with the pending message; no job is failed', async () => {
    const jobs = Array.from({ length: 6 }, (_, i) => script(`hold-${i}`, { progressMs: (60 + i * 10) * S }));
    const w = await world(scenarioOf(...jobs));
    addAll(w, jobs.map((j) => j.jobid));
    await runUntil(w, () => w.cycles.length >= 2);
    w.emu.useapi.setAccountState(TEST_USEAPI_TOKEN, 'pending-moderation', 'Please confirm you are human (CAPTCHA).');
    await runUntil(w, () => w.core.listJobs().every((j) => j.watch.state === 'paused'));
    const health = w.core.status().accounts;
    expect(health).toEqual([expect.objectContaining({ provider: 'useapi', accountId: 'default', state: 'account-hold' })]);
    expect(health[0]?.message).toMatch(/acknowledge a moderation\/CAPTCHA message in Midjourney \("Please confirm you are human \(CAPTCHA\)\."\)/);
    expect(w.core.listJobs().every((j) => j.status !== 'failed' && j.error === null)).toBe(true);
    expect(routeRequests(w, 'useapi.listRunning').at(-1)?.status).toBe(596);
    const whilePaused = w.emu.requests.length;
    await w.clock.advanceAndSettle(PAUSED_RECHECK_MS - 1_000, () => settleIo(w.http));
    expect(w.emu.requests).toHaveLength(whilePaused);

    // "Check again" in the UI: the user acknowledged the notice and resumes at once.
    w.emu.useapi.setAccountState(TEST_USEAPI_TOKEN, 'ok');
    w.core.resumeAccount('useapi', 'default');
    await runUntil(w, allSettled(w));
    expect(w.core.listJobs().every((j) => j.status === 'completed')).toBe(true);
  });

  it('596 on Get Job (single job polled by id) is an account hold too, never a failed job', async () => {
    const s = script('hold-one');
    const w = await world(scenarioOf(s));
    addAll(w, [s.jobid]);
    await runUntil(w, () => job(w, s.jobid).rawStatus === 'progress');
    w.emu.useapi.setAccountState(TEST_USEAPI_TOKEN, 'pending-moderation');
    await runUntil(w, () => job(w, s.jobid).watch.state === 'paused');
    expect(job(w, s.jobid).status).toBe('running');
    expect(w.core.status().accounts[0]?.state).toBe('account-hold');
  });
});

describe('useapi.net batched watching (running-jobs list)', () => {
  for (const watched of [false, true]) {
    it(`30 running jobs, progress ${watched ? 'on screen' : 'not watched'}: one list request per cycle${watched ? ', one progress refresh' : ''}, plus one Get Job per finished job; channels reported; all complete`, async () => {
      const w = await world(bulkScenario({ provider: 'useapi', startMs: T0, running: 30, completedHistory: 0, modality: 'image' }));
      w.core.setProgressWatched('test', watched);
      const ids = w.emu.providers.useapi.jobIds;
      expect(ids).toHaveLength(30);
      addAll(w, ids);
      await runUntil(w, allSettled(w));

      const jobs = w.core.listJobs();
      expect(jobs).toHaveLength(30);
      for (const j of jobs) {
        expect(j.watch.state, j.id).toBe('done');
        expect(j.status, j.id).toBe('completed');
        expect(j.assets.length, j.id).toBe(5);
        expect(j.prompt, j.id).not.toBeNull();
      }
      expect(w.cycles.length).toBeGreaterThan(10);
      // While more than byIdLimit run: exactly the list, one listed job refreshed by id for its
      // progress (useapi's list carries none), plus one Get Job per job that finished in that cycle.
      // The last few are polled by id (at most byIdLimit requests a cycle).
      expect(useapi.progressRefreshPerCycle).toBe(1);
      const refresh = watched ? 1 : 0;
      const limit = byIdLimit(useapi, watched);
      for (const cycle of w.cycles) expect(cycle.requests).toBeLessThanOrEqual(Math.max(1 + refresh + cycle.finished, limit));
      const listCycles = routeRequests(w, 'useapi.listRunning').length;
      expect(listCycles).toBeGreaterThan(10);
      const batched = w.cycles.slice(0, listCycles);
      for (const cycle of batched) {
        if (watched) expect(cycle.requests).toBeLessThanOrEqual(1 + refresh + cycle.finished);
        else expect(cycle.requests).toBe(1 + cycle.finished); // nobody looking: the list and the finished jobs, nothing else
      }
      const byIdCycles = w.cycles.length - listCycles;
      const getJobs = routeRequests(w, 'useapi.getJob').length;
      expect(getJobs).toBeGreaterThanOrEqual(30);
      expect(getJobs - batched.reduce((sum, c) => sum + c.finished, 0)).toBeLessThanOrEqual(refresh * listCycles + limit * byIdCycles);
      expect(w.cycles.reduce((sum, c) => sum + c.finished, 0)).toBe(30);
      // On screen, the refreshes really happen: Get Job beyond the finished ones, about one per list cycle.
      if (watched) expect(getJobs - batched.reduce((sum, c) => sum + c.finished, 0)).toBeGreaterThanOrEqual(listCycles - 1);

      // The account view was told each channel's load (3 channels, 10 jobs each at the start).
      const first = w.channelViews.find((view) => view.length > 0);
      expect(first?.map((c) => c.running)).toEqual([10, 10, 10]);
      expect(first?.every((c) => c.maxJobs !== null && c.maxJobs >= 10)).toBe(true);
      expect(w.core.poller.watchedCount).toBe(0);
      expect(w.core.poller.armedTimers).toBe(0);
    });
  }

  const listFaults = [
    { name: '5xx burst', fault: { kind: 'status' as const, status: 503 }, times: 3 },
    { name: '429 with Retry-After', fault: { kind: 'status' as const, status: 429, retryAfterSeconds: 20 }, times: 2 },
    { name: 'malformed JSON', fault: { kind: 'malformed-json' as const }, times: 2 },
  ];
  for (const { name, fault, times } of listFaults) {
    it(`${name} on the running list: backoff, then every job still completes`, async () => {
      const w = await world(bulkScenario({ provider: 'useapi', startMs: T0, running: 6, completedHistory: 0, modality: 'image' }));
      addAll(w, w.emu.providers.useapi.jobIds);
      await runUntil(w, () => w.cycles.length >= 1);
      w.emu.faults.add({ route: 'useapi.listRunning', times, fault });
      await runUntil(w, allSettled(w));
      expect(w.core.listJobs().every((j) => j.status === 'completed' && j.watch.state === 'done')).toBe(true);
      const list = routeRequests(w, 'useapi.listRunning');
      list.forEach((r, i) => {
        const next = list[i + 1];
        if (r.status !== 200 && next) expect(next.at - r.at).toBeGreaterThanOrEqual(fault.kind === 'status' && fault.status === 429 ? 20_000 : 5_000);
      });
    });
  }

  it('a 503 on the final Get Job of a finished job is retried; the job still completes', async () => {
    const s = script('final', { progressMs: 10 * S });
    const w = await world(scenarioOf(s));
    w.emu.faults.add({ route: 'useapi.getJob', times: 2, fault: { kind: 'status', status: 503 } });
    addAll(w, [s.jobid]);
    await runUntil(w, () => job(w, s.jobid).status === 'completed');
    expect(routeRequests(w, 'useapi.getJob').filter((r) => r.status === 503)).toHaveLength(2);
  });
});

describe('useapi.net cancel through the core', () => {
  it('core.cancelJob sends DELETE; the job then reads failed "Job cancelled by user"; a second cancel is refused', async () => {
    const s = script('cancel');
    const w = await world(scenarioOf(s));
    addAll(w, [s.jobid]);
    await runUntil(w, () => job(w, s.jobid).rawStatus === 'progress');
    const result = await w.core.cancelJob(keyOf(s.jobid));
    expect(result).toEqual({ ok: true, value: null });
    expect(routeRequests(w, 'useapi.cancel').map((r) => [r.status, r.path.includes('%3A')])).toEqual([[204, true]]);
    await runUntil(w, () => job(w, s.jobid).status === 'failed');
    expect(job(w, s.jobid)).toMatchObject({ rawStatus: 'failed', error: { message: 'Job cancelled by user', code: 499 }, watch: { state: 'done' } });

    const again = await w.core.cancelJob(keyOf(s.jobid));
    expect(again.ok ? null : again.error.kind).toBe('invalid-input');
    expect(routeRequests(w, 'useapi.cancel')).toHaveLength(1);
  });

  it('cancelling a job that already finished at the provider maps the 400 to invalid-input', async () => {
    const s = script('done-early', { progressMs: 5 * S });
    const w = await world(scenarioOf(s));
    await w.clock.advanceAndSettle(30 * S, () => settleIo(w.http));
    const cancel = useapi.cancelJob;
    if (!cancel) throw new Error('useapi cannot cancel');
    const result = await cancel({ http: w.http, clock: w.clock, baseUrl: w.emu.providers.useapi.baseUrl, apiKey: TEST_USEAPI_TOKEN, accountId: 'default' }, s.jobid);
    expect(result.ok ? null : result.error).toMatchObject({ kind: 'invalid-input', status: 400, message: expect.stringMatching(/not running/) as unknown });
  });
});
