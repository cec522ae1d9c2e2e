import { describe, expect, it } from 'vitest';
import type { AccountHealth } from '../../src-shared/ipc-contract';
import { jobKey } from '../../src-shared/job';
import type { Job, ProviderId } from '../../src-shared/job';
import { placeholderJob } from './job-merge';
import { JobStore } from './job-store';
import { nextDelay, Poller } from './poller';
import type { AccountCredentials } from './poller';
import type { HttpRequest, HttpResponse } from './ports';
import { apiframe } from './providers/apiframe';
import type { ProviderAdapter } from './providers/provider';
import { apiframeBody, uuidFor } from './testing/apiframe-fixtures';
import { FakeClock } from './testing/fake-clock';
import { deferred, fixedRandom, jsonResponse, RecordingLogger, ScriptedHttp } from './testing/fakes';
import type { Deferred, ReplyFunction } from './testing/fakes';

const BASE = 'https://api.apiframe.test';
const GOOD_KEY = 'afk_good_key_0001';
const A = uuidFor(0xa);
const B = uuidFor(0xb);
const C = uuidFor(0xc);

function idOf(request: HttpRequest): string {
  return decodeURIComponent(request.url.slice(request.url.lastIndexOf('/') + 1));
}

function processing(request: HttpRequest, over: Record<string, unknown> = {}): HttpResponse {
  return jsonResponse(200, apiframeBody(idOf(request), { status: 'PROCESSING', progress: 40, ...over }));
}

interface Harness {
  clock: FakeClock;
  store: JobStore;
  http: ScriptedHttp;
  poller: Poller;
  health: AccountHealth[];
  logger: RecordingLogger;
  /** Fake-clock time of every request, per job id. */
  times: Map<string, number[]>;
  credentials: Map<string, AccountCredentials | null>;
  add(id: string, accountId?: string): string;
  job(key: string): Job;
}

function harness(handler: ReplyFunction, options: { random?: number; intervalScale?: number; latencyMs?: number } = {}): Harness {
  const clock = new FakeClock();
  const store = new JobStore(clock);
  const times = new Map<string, number[]>();
  const http = new ScriptedHttp((request) => {
    const id = idOf(request);
    times.set(id, [...(times.get(id) ?? []), clock.now()]);
    const latency = options.latencyMs ?? 0;
    if (latency === 0) return handler(request);
    return new Promise<HttpResponse>((done, fail) =>
      clock.setTimeout(() => {
        const reply = handler(request);
        if (reply instanceof Error) fail(reply);
        else done(reply);
      }, latency),
    );
  });
  const health: AccountHealth[] = [];
  const logger = new RecordingLogger();
  const credentials = new Map<string, AccountCredentials | null>();
  const providers = new Map<ProviderId, ProviderAdapter>([['apiframe', apiframe]]);
  const poller = new Poller({
    clock,
    random: fixedRandom(options.random ?? 0.5),
    http,
    store,
    logger,
    providers,
    credentials: (_provider, accountId) => {
      const entry = credentials.get(accountId);
      return entry === undefined ? { baseUrl: BASE, apiKey: GOOD_KEY } : entry;
    },
    onAccountHealth: (h) => health.push(h),
    ...(options.intervalScale === undefined ? {} : { intervalScale: options.intervalScale }),
  });
  return {
    clock,
    store,
    http,
    poller,
    health,
    logger,
    times,
    credentials,
    add(id, accountId = 'default') {
      const key = jobKey('apiframe', accountId, id);
      store.upsert(placeholderJob({ key, provider: 'apiframe', accountId, id }));
      poller.watch(key);
      return key;
    },
    job(key) {
      const job = store.get(key);
      if (!job) throw new Error(`no job ${key}`);
      return job;
    },
  };
}

function requestsFor(h: Harness, id: string): number {
  return h.times.get(id)?.length ?? 0;
}

function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] ?? 0));
}

describe('Poller cadence', () => {
  it('polls at once, then every 2.5 s for an image job', async () => {
    const h = harness((r) => processing(r, { model: 'midjourney' }));
    h.add(A);
    await h.clock.advanceAndSettle(0);
    expect(requestsFor(h, A)).toBe(1);
    await h.clock.advanceAndSettle(2_499);
    expect(requestsFor(h, A)).toBe(1);
    await h.clock.advanceAndSettle(1);
    expect(requestsFor(h, A)).toBe(2);
    await h.clock.advanceAndSettle(2_500 * 4);
    expect(gaps(h.times.get(A) ?? [])).toEqual([2_500, 2_500, 2_500, 2_500, 2_500]);
  });

  it('polls every 7.5 s for a video job', async () => {
    const h = harness((r) => processing(r, { model: 'kling-2.6' }));
    h.add(A);
    await h.clock.advanceAndSettle(30_000);
    expect(gaps(h.times.get(A) ?? [])).toEqual([7_500, 7_500, 7_500, 7_500]);
  });

  it('keeps the cadence start to start: a slow cycle shortens the wait after it, down to half an interval', () => {
    expect(nextDelay(5_000, 0)).toBe(5_000);
    expect(nextDelay(5_000, 400)).toBe(4_600);
    expect(nextDelay(5_000, 2_500)).toBe(2_500);
    expect(nextDelay(5_000, 4_000)).toBe(2_500);
    expect(nextDelay(5_000, 60_000)).toBe(2_500);
    expect(nextDelay(5_000, -10)).toBe(5_000); // a clock step backwards never shortens it
  });

  it('a cycle that takes 1 s of a 2.5 s interval still starts 2.5 s after the previous one', async () => {
    const h = harness((r) => processing(r, { model: 'midjourney' }), { latencyMs: 1_000 });
    h.add(A);
    await h.clock.advanceAndSettle(12_000);
    expect(gaps(h.times.get(A) ?? []).slice(0, 4)).toEqual([2_500, 2_500, 2_500, 2_500]);
  });

  it('intervalScale multiplies the provider interval', async () => {
    const h = harness((r) => processing(r, { model: 'midjourney' }), { intervalScale: 0.1 });
    h.add(A);
    await h.clock.advanceAndSettle(1_000);
    expect(gaps(h.times.get(A) ?? [])).toEqual([250, 250, 250, 250]);
  });

  it('is chained: a slow response never lets a second request for the job start', async () => {
    const pending: Deferred<HttpResponse>[] = [];
    const h = harness(() => {
      const d = deferred<HttpResponse>();
      pending.push(d);
      return d.promise;
    });
    const key = h.add(A);
    await h.clock.advanceAndSettle(0);
    expect(pending).toHaveLength(1);
    expect(h.poller.armedTimers).toBe(0);
    h.poller.watch(key); // asking again while in flight must not start another
    await h.clock.advanceAndSettle(120_000);
    expect(pending).toHaveLength(1);
    expect(h.http.maxInFlight).toBe(1);

    const resolvedAt = h.clock.now();
    pending[0]?.resolve(processing({ method: 'GET', url: `${BASE}/v2/jobs/${A}`, headers: {}, timeoutMs: 1 }, { model: 'midjourney' }));
    await h.clock.advanceAndSettle(0);
    expect(h.poller.armedTimers).toBe(1);
    await h.clock.advanceAndSettle(1_250);
    expect(pending).toHaveLength(2);
    // A cycle slower than the interval leaves the server half an interval of rest, not zero.
    expect(h.times.get(A)?.[1]).toBe(resolvedAt + 1_250);
    expect(h.http.maxInFlight).toBe(1);
  });

  it('does nothing for a job that is already terminal or not in the store', async () => {
    const h = harness((r) => processing(r));
    const key = jobKey('apiframe', 'default', A);
    h.store.upsert({ ...placeholderJob({ key, provider: 'apiframe', accountId: 'default', id: A }), status: 'completed' });
    h.poller.watch(key);
    h.poller.watch('apiframe:default:not-there');
    await h.clock.advanceAndSettle(10_000);
    expect(h.http.requests).toHaveLength(0);
    expect(h.poller.watchedCount).toBe(0);
  });
});

describe('Poller terminal states', () => {
  for (const terminal of ['COMPLETED', 'FAILED'] as const) {
    it(`stops at ${terminal} and leaves no armed timer`, async () => {
      const script = ['QUEUED', 'PROCESSING', terminal];
      const h = harness((r) => jsonResponse(200, apiframeBody(idOf(r), { status: script.shift() ?? 'UNEXPECTED' })));
      const key = h.add(A);
      await h.clock.advanceAndSettle(60_000);
      expect(requestsFor(h, A)).toBe(3);
      expect(h.job(key).status).toBe(terminal === 'COMPLETED' ? 'completed' : 'failed');
      expect(h.job(key).watch.state).toBe('done');
      expect(h.poller.armedTimers).toBe(0);
      expect(h.poller.watchedCount).toBe(0);
      h.store.flush();
      expect(h.clock.pendingTimers).toBe(0);
      await h.clock.advanceAndSettle(3_600_000);
      expect(requestsFor(h, A)).toBe(3);
    });
  }

  it('records when the job was last checked, from the injected clock', async () => {
    const h = harness((r) => processing(r));
    const key = h.add(A);
    await h.clock.advanceAndSettle(0);
    expect(h.job(key).watch.lastCheckedAt).toBe(new Date(h.clock.now()).toISOString());
  });
});

describe('Poller error handling', () => {
  it('429 with Retry-After waits at least that long before asking again', async () => {
    let calls = 0;
    const h = harness((r) => (calls++ === 0 ? jsonResponse(429, { error: 'Too many requests' }, { 'retry-after': '60' }) : processing(r)));
    const key = h.add(A);
    await h.clock.advanceAndSettle(0);
    expect(h.job(key).watch.state).toBe('watching');
    expect(h.job(key).watch.message).toMatch(/rate-limit/i);
    await h.clock.advanceAndSettle(59_999);
    expect(requestsFor(h, A)).toBe(1);
    await h.clock.advanceAndSettle(1);
    expect(requestsFor(h, A)).toBe(2);
    expect(h.job(key).watch.message).toBeNull();
  });

  it('5xx backs off exponentially (random 0: exactly base × 2^n / 2), then recovers to the normal interval', async () => {
    let failuresLeft = 5;
    const h = harness((r) => (failuresLeft-- > 0 ? jsonResponse(503, { error: 'Service unavailable' }) : processing(r, { model: 'midjourney' })), { random: 0 });
    const key = h.add(A);
    await h.clock.advanceAndSettle(0);
    expect(h.job(key).watch.message).toMatch(/503/);
    await h.clock.advanceAndSettle(2_500 + 5_000 + 10_000 + 20_000 + 40_000 + 2_500 * 2);
    expect(gaps(h.times.get(A) ?? [])).toEqual([2_500, 5_000, 10_000, 20_000, 40_000, 2_500, 2_500]);
    expect(h.job(key).status).toBe('running');
    expect(h.job(key).watch).toMatchObject({ state: 'watching', message: null });
  });

  it('jobs added while the account backs off after 5xx wait for the backoff: no request each time one is added', async () => {
    const h = harness(() => jsonResponse(503, { error: 'Service unavailable' }), { random: 0 });
    h.add(A);
    await h.clock.advanceAndSettle(0);
    await h.clock.advanceAndSettle(2_500); // second failure: the next try is 5 s away
    const before = h.http.requests.length;
    for (const id of [B, C]) {
      h.add(id);
      await h.clock.advanceAndSettle(100);
    }
    expect(h.http.requests.length).toBe(before);
    await h.clock.advanceAndSettle(5_000);
    expect(h.http.requests.length).toBeGreaterThan(before); // the backoff's own try, with the new jobs in it
  });

  it("several jobs that all come back unreadable (a captive portal's page) mark the account unreachable, with the reason", async () => {
    const h = harness(() => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Sign in to the hotel Wi-Fi</body></html>' }), { random: 0 });
    h.add(A);
    h.add(B);
    await h.clock.advanceAndSettle(0);
    await h.clock.advanceAndSettle(10 * 60_000);
    expect(h.health).toContainEqual(expect.objectContaining({ provider: 'apiframe', accountId: 'default', state: 'unreachable' }));
  });

  it('network errors (no response) are retried with backoff until the provider answers', async () => {
    const h = harness((r) => processing(r));
    h.http.enqueue(new Error('socket hang up'), new Error('ECONNRESET'));
    const key = h.add(A);
    await h.clock.advanceAndSettle(0);
    expect(h.job(key).watch.message).toMatch(/Could not reach Apiframe/);
    await h.clock.advanceAndSettle(60_000);
    expect(requestsFor(h, A)).toBeGreaterThanOrEqual(3);
    expect(h.job(key).status).toBe('running');
    expect(h.job(key).progress).toBe(40);
  });

  it('when the network comes back, an account in a long backoff is checked within a second; healthy ones keep their pace', async () => {
    let down = true;
    const h = harness((r) => (idOf(r) === A && down ? new Error('ENETUNREACH') : processing(r)), { random: 0 });
    const failing = h.add(A);
    const healthy = h.add(B, 'other');
    // Six failed cycles: the next attempt is minutes away.
    await h.clock.advanceAndSettle(2_500 + 5_000 + 10_000 + 20_000 + 40_000);
    const attempts = requestsFor(h, A);
    await h.clock.advanceAndSettle(30_000);
    expect(requestsFor(h, A)).toBe(attempts);
    const healthyBefore = requestsFor(h, B);
    down = false;
    h.poller.retryFailing();
    await h.clock.advanceAndSettle(1_000);
    expect(requestsFor(h, A)).toBe(attempts + 1);
    expect(h.job(failing).watch.message).toBeNull();
    expect(requestsFor(h, B)).toBe(healthyBefore); // not hurried
    expect(h.job(healthy).status).toBe('running');
  });

  it('retryFailing retries an account that failed with a 5xx (no Retry-After): only the server asking to wait holds it back', async () => {
    let failing = true;
    const h = harness((r) => (failing ? jsonResponse(502, { error: 'Bad gateway' }) : processing(r)), { random: 0 });
    const key = h.add(A);
    await h.clock.advanceAndSettle(2_500 + 5_000 + 10_000 + 20_000);
    const attempts = requestsFor(h, A);
    failing = false;
    h.poller.retryFailing();
    await h.clock.advanceAndSettle(1_000);
    expect(requestsFor(h, A)).toBe(attempts + 1);
    expect(h.job(key).watch.message).toBeNull();
  });

  it('retryFailing leaves an account alone that the server asked to wait (429 with Retry-After)', async () => {
    const h = harness(() => jsonResponse(429, { error: 'Too many requests' }, { 'retry-after': '120' }), { random: 0 });
    h.add(A);
    await h.clock.advanceAndSettle(0);
    const before = h.http.requests.length;
    h.poller.retryFailing();
    await h.clock.advanceAndSettle(60_000);
    expect(h.http.requests).toHaveLength(before);
  });

  it('retryFailing does nothing while polling is suspended (sleep or the user paused it)', async () => {
    const h = harness(() => new Error('ENETUNREACH'), { random: 0 });
    h.add(A);
    await h.clock.advanceAndSettle(2_500);
    h.poller.suspend();
    const before = h.http.requests.length;
    h.poller.retryFailing();
    await h.clock.advanceAndSettle(600_000);
    expect(h.http.requests).toHaveLength(before);
  });

  it('one job whose Get Job keeps failing (HTTP 500) waits on its own: the other is still asked every cycle and the account stays healthy', async () => {
    const h = harness((r) => (idOf(r) === A ? jsonResponse(500, { error: 'Internal server error' }) : processing(r, { model: 'midjourney' })));
    const bad = h.add(A);
    const good = h.add(B);
    await h.clock.advanceAndSettle(2_500 * 20);
    expect(gaps(h.times.get(B) ?? [])).toEqual(Array(20).fill(2_500));
    expect(h.health).toEqual([]);
    expect(h.job(good).watch).toMatchObject({ state: 'watching', message: null });
    // Backed off on its own (asked less and less often), never dropped, and says why in one sentence.
    expect(requestsFor(h, A)).toBeGreaterThanOrEqual(2);
    expect(requestsFor(h, A)).toBeLessThan(10);
    expect(h.job(bad).watch).toMatchObject({ state: 'watching', message: 'Apiframe is having trouble (HTTP 500); genwatch will retry.' });
    expect(h.poller.watchedCount).toBe(2);
  });

  it('when every job of the account fails (HTTP 500) the trouble is the account\'s: it backs off and shows unreachable after 3 cycles', async () => {
    const h = harness(() => jsonResponse(500, { error: 'Internal server error' }), { random: 0 });
    h.add(A);
    h.add(B);
    await h.clock.advanceAndSettle(2_500 + 4_999);
    expect(h.health).toEqual([]);
    await h.clock.advanceAndSettle(1);
    expect(gaps(h.times.get(A) ?? [])).toEqual([2_500, 5_000]);
    expect(h.health).toEqual([expect.objectContaining({ state: 'unreachable', accountId: 'default', message: expect.stringMatching(/HTTP 500/) })]);
  });

  it('a malformed body is retried, not treated as the end of the job', async () => {
    const h = harness((r) => processing(r));
    h.http.enqueue({ status: 200, headers: {}, body: '{"id":' });
    const key = h.add(A);
    await h.clock.advanceAndSettle(0);
    expect(h.job(key).watch.state).toBe('watching');
    await h.clock.advanceAndSettle(10_000);
    expect(h.job(key).status).toBe('running');
  });

  it('404 marks the job watch error and stops polling it', async () => {
    const h = harness(() => jsonResponse(404, { error: 'Job not found' }));
    const key = h.add(A);
    await h.clock.advanceAndSettle(0);
    expect(h.job(key).watch.state).toBe('error');
    expect(h.job(key).watch.message).toMatch(/no job/i);
    expect(h.poller.watchedCount).toBe(0);
    expect(h.poller.armedTimers).toBe(0);
    await h.clock.advanceAndSettle(600_000);
    expect(requestsFor(h, A)).toBe(1);
    expect(h.logger.entries.some((e) => e.level === 'warn')).toBe(true);
  });

  it('an API address that redirects elsewhere pauses the account (unreachable, one sentence), no job is failed, and a new address resumes it', async () => {
    let redirecting = true;
    const h = harness((r) => (redirecting ? { status: 301, headers: { location: 'https://www.apiframe.example/' }, body: '' } : processing(r)));
    const a = h.add(A);
    const b = h.add(B);
    await h.clock.advanceAndSettle(0);
    for (const key of [a, b]) {
      expect(h.job(key).watch.state).toBe('paused');
      expect(h.job(key).watch.message).toBe('Apiframe: the API address redirects elsewhere (to www.apiframe.example); check the API address in Settings.');
    }
    expect(h.health.at(-1)).toMatchObject({ provider: 'apiframe', accountId: 'default', state: 'unreachable' });
    const before = requestsFor(h, A) + requestsFor(h, B);
    await h.clock.advanceAndSettle(10 * 60_000);
    expect(requestsFor(h, A) + requestsFor(h, B)).toBe(before); // not retried against the wrong address
    redirecting = false;
    h.poller.resumeAccount('apiframe', 'default');
    await h.clock.advanceAndSettle(0);
    expect(h.job(a).watch.state).toBe('watching');
    expect(h.job(a).status).toBe('running');
  });

  it('401 pauses every job of that account (not other accounts), reports key-rejected, and resumeAccount resumes', async () => {
    const BAD = 'afk_revoked_key';
    const h = harness((r) => (r.headers['x-api-key'] === BAD ? jsonResponse(401, { error: 'Unauthorized' }) : processing(r)));
    h.credentials.set('default', { baseUrl: BASE, apiKey: BAD });
    const a = h.add(A);
    const b = h.add(B);
    const c = h.add(C, 'second');
    await h.clock.advanceAndSettle(0);
    for (const key of [a, b]) {
      expect(h.job(key).watch.state).toBe('paused');
      expect(h.job(key).watch.message).toMatch(/key/i);
    }
    expect(h.job(c).watch.state).toBe('watching');
    expect(h.health).toContainEqual(expect.objectContaining({ provider: 'apiframe', accountId: 'default', state: 'key-rejected' }));
    expect(h.health.some((x) => x.accountId === 'second')).toBe(false);

    const before = { a: requestsFor(h, A), b: requestsFor(h, B), c: requestsFor(h, C) };
    await h.clock.advanceAndSettle(60_000);
    expect(requestsFor(h, A)).toBe(before.a);
    expect(requestsFor(h, B)).toBe(before.b);
    expect(requestsFor(h, C)).toBeGreaterThan(before.c);
    expect(h.poller.armedTimers).toBe(1); // only the other account's job

    h.credentials.set('default', { baseUrl: BASE, apiKey: GOOD_KEY });
    h.poller.resumeAccount('apiframe', 'default');
    expect(h.health.at(-1)).toEqual({ provider: 'apiframe', accountId: 'default', state: 'ok', message: null });
    expect(h.job(a).watch.state).toBe('watching');
    await h.clock.advanceAndSettle(0);
    expect(requestsFor(h, A)).toBe(before.a + 1);
    expect(requestsFor(h, B)).toBe(before.b + 1);
    expect(h.job(a).status).toBe('running');
  });

  it('a job added to a paused account starts paused, without a request', async () => {
    const h = harness(() => jsonResponse(401, { error: 'Unauthorized' }));
    h.add(A);
    await h.clock.advanceAndSettle(0);
    const b = h.add(B);
    await h.clock.advanceAndSettle(10_000);
    expect(h.job(b).watch.state).toBe('paused');
    expect(requestsFor(h, B)).toBe(0);
  });

  it('402 pauses the account with the payment state', async () => {
    const h = harness(() => jsonResponse(402, { error: 'Payment required' }));
    const key = h.add(A);
    await h.clock.advanceAndSettle(0);
    expect(h.job(key).watch.state).toBe('paused');
    expect(h.health.at(-1)?.state).toBe('payment');
  });

  it('no credentials for the account pauses it as key-missing without any request', async () => {
    const h = harness((r) => processing(r));
    h.credentials.set('default', null);
    const key = h.add(A);
    await h.clock.advanceAndSettle(10_000);
    expect(h.http.requests).toHaveLength(0);
    expect(h.job(key).watch.state).toBe('paused');
    expect(h.health.at(-1)).toMatchObject({ state: 'key-missing', accountId: 'default' });
    expect(h.health.at(-1)?.message).toContain('APIFRAME_API_KEY');
  });

  it('a job whose request was in flight when the account was paused stays paused', async () => {
    const pending = new Map<string, Deferred<HttpResponse>>();
    const h = harness((r) => {
      const d = deferred<HttpResponse>();
      pending.set(idOf(r), d);
      return d.promise;
    });
    h.add(A);
    const b = h.add(B);
    await h.clock.advanceAndSettle(0);
    pending.get(A)?.resolve(jsonResponse(401, { error: 'Unauthorized' }));
    await h.clock.advanceAndSettle(0);
    pending.get(B)?.resolve(jsonResponse(200, apiframeBody(B, { status: 'PROCESSING', progress: 5 })));
    await h.clock.advanceAndSettle(0);
    expect(h.job(b).watch.state).toBe('paused');
    expect(h.poller.armedTimers).toBe(0);
  });
});

describe('Poller suspend, resume and unwatch', () => {
  it('suspend() disarms every timer; resume() checks everything again within a second', async () => {
    const h = harness((r) => processing(r));
    h.add(A);
    h.add(B);
    await h.clock.advanceAndSettle(0);
    h.poller.suspend();
    expect(h.poller.armedTimers).toBe(0);
    const before = h.http.requests.length;
    await h.clock.advanceAndSettle(3_600_000);
    expect(h.http.requests).toHaveLength(before);
    h.poller.resume(); // random 0.5 → 500 ms spread
    await h.clock.advanceAndSettle(499);
    expect(h.http.requests).toHaveLength(before);
    await h.clock.advanceAndSettle(1);
    expect(h.http.requests).toHaveLength(before + 2);
  });

  it('a request in flight during suspend() does not re-arm when it completes', async () => {
    const d = deferred<HttpResponse>();
    const h = harness(() => d.promise);
    h.add(A);
    await h.clock.advanceAndSettle(0);
    h.poller.suspend();
    d.resolve(jsonResponse(200, apiframeBody(A, { status: 'PROCESSING' })));
    await h.clock.advanceAndSettle(0);
    expect(h.poller.armedTimers).toBe(0);
  });

  it('resume() does not wake a paused account', async () => {
    const h = harness(() => jsonResponse(401, { error: 'Unauthorized' }));
    h.add(A);
    await h.clock.advanceAndSettle(0);
    h.poller.suspend();
    h.poller.resume();
    await h.clock.advanceAndSettle(10_000);
    expect(requestsFor(h, A)).toBe(1);
  });

  it('unwatch while a request is in flight: the late answer is dropped and nothing is re-armed', async () => {
    const d = deferred<HttpResponse>();
    const h = harness(() => d.promise);
    const key = h.add(A);
    await h.clock.advanceAndSettle(0);
    h.poller.unwatch(key);
    d.resolve(jsonResponse(200, apiframeBody(A, { status: 'PROCESSING', progress: 50 })));
    await h.clock.advanceAndSettle(60_000);
    expect(h.job(key).rawStatus).toBe('UNKNOWN');
    expect(h.poller.armedTimers).toBe(0);
    expect(h.poller.watchedCount).toBe(0);
    expect(requestsFor(h, A)).toBe(1);
  });

  it('stop() cancels every timer', async () => {
    const h = harness((r) => processing(r));
    h.add(A);
    h.add(B);
    await h.clock.advanceAndSettle(0);
    h.poller.stop();
    h.store.flush();
    expect(h.clock.pendingTimers).toBe(0);
    expect(h.poller.watchedCount).toBe(0);
  });

  it('unwatch + watch while a request is in flight leaves exactly one polling chain', async () => {
    const pending: Deferred<HttpResponse>[] = [];
    const h = harness(() => {
      const d = deferred<HttpResponse>();
      pending.push(d);
      return d.promise;
    });
    const key = h.add(A);
    await h.clock.advanceAndSettle(0);
    h.poller.unwatch(key);
    h.poller.watch(key);
    await h.clock.advanceAndSettle(0);
    for (const d of pending) d.resolve(jsonResponse(200, apiframeBody(A, { status: 'PROCESSING', model: 'midjourney' })));
    await h.clock.advanceAndSettle(0);
    expect(h.poller.armedTimers).toBe(1);
    h.poller.stop();
    h.store.flush();
    expect(h.clock.pendingTimers).toBe(0);
  });
});
