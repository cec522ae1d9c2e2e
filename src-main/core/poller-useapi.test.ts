/**
 * The poller on a useapi.net account: its running list (one request) carries
 * no progress, so while progress is on screen a few listed jobs are fetched by
 * id each cycle, the longest unchecked first. Driven by a small scripted
 * useapi.net on a fake clock.
 */
import { describe, expect, it } from 'vitest';
import type { AccountHealth } from '../../src-shared/ipc-contract';
import type { Job, ProviderId } from '../../src-shared/job';
import { JobStore } from './job-store';
import { Poller } from './poller';
import type { HttpRequest, HttpResponse } from './ports';
import type { ProviderAdapter } from './providers/provider';
import { useapi, USEAPI_INTERVAL_MS } from './providers/useapi';
import { FakeClock, runNextCycle } from './testing/fake-clock';
import { pollerJobHandles } from './testing/poller-handles';
import { fixedRandom, jsonResponse, RecordingLogger, ScriptedHttp } from './testing/fakes';

const BASE = 'https://api.useapi.test';
const TOKEN = 'user:1234-useapiTestToken';
const CHANNEL = '1234567890123456789';
const LIST_PATH = '/v3/midjourney/jobs';
const idFor = (n: number): string => `j10231415201234567${n}0i-u42424-c${CHANNEL}-bot:midjourney`;
const A = idFor(1);
const B = idFor(2);
const C = idFor(3);

interface ScriptedJob {
  status: 'created' | 'started' | 'progress' | 'completed';
  progress: number;
  /** Each Get Job answer moves progress on by this much (a job that is really running). */
  step: number;
  /** Every Get Job for this job answers this instead. */
  fail?: HttpResponse;
}

interface Harness {
  clock: FakeClock;
  store: JobStore;
  poller: Poller;
  health: AccountHealth[];
  /** Requests per finished cycle, as reported by onCycle. */
  cycles: number[];
  /** Ids asked for by Get Job, in order. */
  gets: string[];
  jobs: Map<string, ScriptedJob>;
  /** The next running-list request answers this. */
  failNextList(reply: HttpResponse): void;
  add(id: string): string;
  job(id: string): Job;
  getsOf(id: string): number;
  /** Runs the cycle that is due next (and lets it settle). */
  nextCycle(): Promise<void>;
}

function harness(options: { progressWatched?: boolean } = {}): Harness {
  const clock = new FakeClock();
  const store = new JobStore(clock);
  const jobs = new Map<string, ScriptedJob>();
  const gets: string[] = [];
  let listReply: HttpResponse | null = null;
  const running = (): string[] => [...jobs].filter(([, job]) => job.status !== 'completed').map(([id]) => id);
  const http = new ScriptedHttp((request: HttpRequest) => {
    const path = new URL(request.url).pathname;
    if (path === LIST_PATH) {
      const reply = listReply;
      listReply = null;
      const listed = running().map((jobId) => ({ jobId, channel: CHANNEL, jobType: 'image', created: '2026-03-15T09:59:00.000Z', elapsed: '00:01' }));
      return reply ?? jsonResponse(200, { total: listed.length, channels: { [CHANNEL]: { total: listed.length, maxJobs: 3, jobs: listed } } });
    }
    const id = decodeURIComponent(path.slice(LIST_PATH.length + 1));
    gets.push(id);
    const job = jobs.get(id);
    if (!job) return jsonResponse(404, { error: 'Job not found' });
    if (job.fail) return job.fail;
    if (job.status !== 'completed' && job.status !== 'created') job.progress = Math.min(99, job.progress + job.step);
    return jsonResponse(200, { jobid: id, verb: 'imagine', status: job.status, created: '2026-03-15T09:59:00.000Z', request: { prompt: 'a cat' }, response: { progress_percent: job.progress } });
  });
  const health: AccountHealth[] = [];
  const cycles: number[] = [];
  const providers = new Map<ProviderId, ProviderAdapter>([['useapi', useapi]]);
  const poller = new Poller({
    clock,
    random: fixedRandom(0.5),
    http,
    store,
    logger: new RecordingLogger(),
    providers,
    credentials: () => ({ baseUrl: BASE, apiKey: TOKEN }),
    onAccountHealth: (h) => health.push(h),
    onCycle: (_p, _a, requests) => cycles.push(requests),
    progressWatched: () => options.progressWatched === true,
  });
  return {
    clock,
    store,
    poller,
    health,
    cycles,
    gets,
    jobs,
    failNextList(reply) {
      listReply = reply;
    },
    ...pollerJobHandles(store, poller, 'useapi'),
    getsOf(id) {
      return gets.filter((g) => g === id).length;
    },
    nextCycle: () => runNextCycle(clock, () => cycles.length),
  };
}

function startRunning(h: Harness, scripted: [string, Omit<ScriptedJob, 'step'> & { step?: number }][]): void {
  for (const [id, job] of scripted) h.jobs.set(id, { step: 0, ...job });
  for (const [id] of scripted) h.add(id);
}

describe('Poller on useapi.net: progress refreshes', () => {
  it('rotate over every running job, even one whose answer never changes (waiting in "created" for a channel slot)', async () => {
    const h = harness({ progressWatched: true });
    startRunning(h, [
      [A, { status: 'created', progress: 0 }],
      [B, { status: 'progress', progress: 10, step: 5 }],
      [C, { status: 'progress', progress: 10, step: 5 }],
    ]);
    for (let i = 0; i < 12; i++) await h.nextCycle();
    // The list plus one refresh per cycle; twelve refreshes shared out, one turn each in order.
    expect(h.cycles).toEqual(Array(12).fill(2));
    expect([h.getsOf(A), h.getsOf(B), h.getsOf(C)]).toEqual([4, 4, 4]);
    expect(h.job(B).progress).toBe(h.jobs.get(B)?.progress);
    expect(h.job(C).progress).toBe(30);
  });
});

describe('Poller on useapi.net: errors', () => {
  it('a 429 on the running list ends the cycle at once: no job is asked for by id in it', async () => {
    const h = harness({ progressWatched: true });
    startRunning(h, [
      [A, { status: 'progress', progress: 10 }],
      [B, { status: 'progress', progress: 10 }],
      [C, { status: 'progress', progress: 10 }],
    ]);
    await h.nextCycle();
    const gets = h.gets.length;
    h.failNextList(jsonResponse(429, { error: 'Too many requests' }));
    await h.nextCycle();
    expect(h.cycles.at(-1)).toBe(1);
    expect(h.gets).toHaveLength(gets);
    expect(h.job(A).watch.message).toMatch(/rate-limit/i);
  });

  it("one job whose Get Job keeps failing (HTTP 500) waits on its own: the others keep their refreshes, the account stays healthy", async () => {
    const h = harness({ progressWatched: true });
    startRunning(h, [
      [A, { status: 'progress', progress: 10, fail: jsonResponse(500, { error: 'Internal server error' }) }],
      [B, { status: 'progress', progress: 10, step: 5 }],
      [C, { status: 'progress', progress: 10, step: 5 }],
    ]);
    const start = h.clock.now();
    for (let i = 0; i < 12; i++) await h.nextCycle();
    // The account kept its normal pace: twelve cycles, 5 s apart.
    expect(h.clock.now() - start).toBe(11 * USEAPI_INTERVAL_MS);
    expect(h.health).toEqual([]);
    expect(h.getsOf(B)).toBeGreaterThanOrEqual(4);
    expect(h.getsOf(C)).toBeGreaterThanOrEqual(4);
    expect(h.job(B).progress).toBe(h.jobs.get(B)?.progress);
    expect(h.job(B).watch.message).toBeNull();
    // Asked again now and then (its own backoff), never dropped, and says why in one sentence.
    expect(h.getsOf(A)).toBeGreaterThanOrEqual(2);
    expect(h.getsOf(A)).toBeLessThan(6);
    expect(h.job(A).watch).toMatchObject({ state: 'watching', message: 'useapi.net is having trouble (HTTP 500); genwatch will retry.' });
    expect(h.poller.watchedCount).toBe(3);

    // Answering again clears its message.
    delete h.jobs.get(A)?.fail;
    for (let i = 0; i < 30 && h.job(A).watch.message !== null; i++) await h.nextCycle();
    expect(h.job(A).watch).toMatchObject({ state: 'watching', message: null });
    expect(h.job(A).rawStatus).toBe('progress');
  });

  it('a job waiting out its own backoff is asked again at once when the network comes back (retryFailing) or the account resumes', async () => {
    const h = harness({ progressWatched: true });
    startRunning(h, [
      [A, { status: 'progress', progress: 10, fail: jsonResponse(500, { error: 'Internal server error' }) }],
      [B, { status: 'progress', progress: 10, step: 5 }],
    ]);
    for (let i = 0; i < 4; i++) await h.nextCycle();
    delete h.jobs.get(A)?.fail;
    const before = h.getsOf(A);
    h.poller.retryFailing();
    await h.nextCycle();
    expect(h.getsOf(A)).toBe(before + 1);
    expect(h.job(A).watch.message).toBeNull();

    const scripted = h.jobs.get(A);
    if (!scripted) throw new Error('no scripted job');
    scripted.fail = jsonResponse(500, { error: 'Internal server error' });
    for (let i = 0; i < 3; i++) await h.nextCycle();
    delete h.jobs.get(A)?.fail;
    const again = h.getsOf(A);
    h.poller.resumeAccount('useapi', 'default');
    await h.nextCycle();
    expect(h.getsOf(A)).toBe(again + 1);
  });

  it('a job finished in the store (a history import saw it done) is not watched again by a running list that still shows it', async () => {
    const h = harness();
    startRunning(h, [
      [A, { status: 'progress', progress: 10 }],
      [B, { status: 'progress', progress: 10 }],
    ]);
    await h.nextCycle();
    expect(h.poller.watchedCount).toBe(2);
    h.store.upsert({ ...h.job(A), status: 'completed', rawStatus: 'completed', progress: 100 });
    await h.nextCycle(); // the list (stale) still names A as running
    expect(h.job(A).status).toBe('completed');
    expect(h.poller.watchedCount).toBe(1);
  });

  it('a job that finished but whose Get Job fails does not hold up the account and is fetched once it answers', async () => {
    const h = harness();
    startRunning(h, [
      [A, { status: 'progress', progress: 10 }],
      [B, { status: 'progress', progress: 10 }],
      [C, { status: 'progress', progress: 10 }],
    ]);
    await h.nextCycle();
    const finished = h.jobs.get(A);
    if (!finished) throw new Error('no job A');
    finished.status = 'completed';
    finished.fail = jsonResponse(200, '{"jobid":');
    const start = h.clock.now();
    for (let i = 0; i < 6; i++) await h.nextCycle();
    expect(h.clock.now() - start).toBe(6 * USEAPI_INTERVAL_MS);
    expect(h.health).toEqual([]);
    expect(h.job(A).watch.message).toMatch(/could not read/);
    expect(h.job(B).watch.message).toBeNull();
    delete finished.fail;
    for (let i = 0; i < 30 && h.job(A).status !== 'completed'; i++) await h.nextCycle();
    expect(h.job(A)).toMatchObject({ status: 'completed', progress: 100, watch: { state: 'done', message: null } });
    expect(h.poller.watchedCount).toBe(2);
  });
});
