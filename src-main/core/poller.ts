/**
 * Watches jobs until they reach a terminal status, account by account.
 *
 * One chained timer per account (a new timeout is armed only after the
 * previous cycle settled, so requests never overlap). A cycle asks for each
 * running job by id while only a few run; once more run (or the account
 * discovers jobs started elsewhere) it asks the provider's running-jobs list
 * instead, and fetches a job by id only when it has left that list (finished),
 * so requests per cycle stay flat however many jobs run. Backoff with jitter on
 * transient trouble, Retry-After honoured, and the account paused when its key
 * is rejected or it cannot pay. A Get Job that fails for one job while the
 * account answers backs off that job alone. No timers exist while nothing needs watching.
 */
import { isTerminalStatus } from '../../src-shared/job';
import type { Job, ProviderId } from '../../src-shared/job';
import type { AccountHealth } from '../../src-shared/ipc-contract';
import type { AppError } from '../../src-shared/result';
import { isRetryable } from '../../src-shared/result';
import { backoffDelay } from './backoff';
import { mergeJob } from './job-merge';
import type { JobStore } from './job-store';
import type { Clock, HttpPort, Logger, Random, TimerHandle } from './ports';
import type { ProviderAdapter, ProviderContext, ProviderJob, RunningSnapshot } from './providers/provider';
import { trackProgress } from './stalled';

export interface AccountCredentials {
  baseUrl: string;
  apiKey: string;
}

export interface AccountOptions {
  scope: 'user' | 'team';
  /** Look for jobs started elsewhere every cycle (and slowly while idle). */
  discover: boolean;
}

export interface PollerDeps {
  clock: Clock;
  random: Random;
  http: HttpPort;
  store: JobStore;
  logger: Logger;
  providers: ReadonlyMap<ProviderId, ProviderAdapter>;
  credentials(provider: ProviderId, accountId: string): AccountCredentials | null;
  /** Why credentials() gave none although a key is set (e.g. a base URL that would send it in clear text); null: no key. */
  credentialsProblem?(provider: ProviderId, accountId: string): string | null;
  onAccountHealth(health: AccountHealth): void;
  accountOptions?(provider: ProviderId, accountId: string): AccountOptions;
  onChannels?(provider: ProviderId, accountId: string, channels: NonNullable<RunningSnapshot['channels']>): void;
  /** Called after every cycle with the number of HTTP requests it made (benchmarks). */
  onCycle?(provider: ProviderId, accountId: string, requests: number): void;
  stalledAfterMs?(): number;
  /** Whether live progress is on screen; listed jobs get progress refreshes only then (default: no). */
  progressWatched?(): boolean;
  /** Jobs the user removed: discovery does not bring them back. */
  isDismissed?(key: string): boolean;
  /** Multiplies every provider interval (benchmarks and tests on the emulator). */
  intervalScale?: number;
}

/** Jobs of one account fetched by id at the same time (each job still one request at a time). */
export const BY_ID_CONCURRENCY = 4;
/** How often an idle account that discovers new jobs looks for them. */
export const DISCOVER_IDLE_MS = 30_000;
/** While an account is held (no credits, moderation notice) it is probed this often. */
export const PAUSED_RECHECK_MS = 5 * 60_000;
/** A stalled job alone on its account is polled this many times less often. */
export const STALLED_SLOWDOWN = 6;
/** The least rest between two cycles, as a fraction of the interval. */
const MIN_GAP_FRACTION = 0.5;
/** Consecutive failed cycles after which the account shows as unreachable. */
const UNREACHABLE_AFTER = 3;
const DEFAULT_STALLED_MS = 10 * 60_000;

interface AccountLoop {
  provider: ProviderId;
  accountId: string;
  tracked: Set<string>;
  timer: TimerHandle | null;
  dueAt: number;
  inFlight: boolean;
  failures: number;
  /** The current cycle is a probe of a held account. */
  probing: boolean;
  /** When the current (or last) cycle started: the cadence counts start to start. */
  cycleStartedAt: number;
  /** The server asked for this wait (429 / Retry-After): a network change does not cut it short. */
  serverAskedToWait: boolean;
}

type CycleOutcome = { kind: 'ok' } | { kind: 'error'; error: AppError };

/** What the poller itself remembers of one watched job's requests (the store drops answers that change nothing). */
interface JobCheck {
  /** When the job was last asked for by id: the order of progress refreshes. */
  checkedAt: number;
  /** Failed Get Jobs in a row of this job alone (its own backoff, the account stays healthy). */
  failures: number;
  /** Not asked for by id again before this time. */
  retryAt: number;
}

const loopKey = (provider: ProviderId, accountId: string): string => `${provider}:${accountId}`;

export class Poller {
  private readonly loops = new Map<string, AccountLoop>();
  private readonly pausedAccounts = new Map<string, AccountHealth>();
  /** Per watched job, keyed by job key; forgotten when the job is no longer watched. */
  private readonly jobChecks = new Map<string, JobCheck>();
  private suspended = false;

  constructor(private readonly deps: PollerDeps) {}

  /** Starts (or keeps) watching a job already in the store; it is checked promptly. */
  watch(key: string): void {
    const job = this.deps.store.get(key);
    if (!job || isTerminalStatus(job.status)) return;
    const loop = this.loopFor(job.provider, job.accountId);
    loop.tracked.add(key);
    const paused = this.pausedAccounts.get(loopKey(job.provider, job.accountId));
    if (paused) {
      this.setWatch(job, 'paused', paused.message);
      return;
    }
    if (loop.inFlight) return; // the cycle in flight re-arms and will include it
    // The server asked for a pause (429, Retry-After), or the account is backing off after failures (5xx, the
    // network): the new job waits with the others. Re-arming now would let a history import, adding jobs page
    // after page, ask a failing server again every few hundred milliseconds.
    if ((loop.serverAskedToWait || loop.failures > 0) && loop.timer !== null) return;
    if (loop.timer === null || loop.dueAt > this.deps.clock.now()) this.arm(loop, 0);
  }

  unwatch(key: string): void {
    this.jobChecks.delete(key);
    for (const loop of this.loops.values()) {
      if (!loop.tracked.delete(key)) continue;
      if (loop.tracked.size === 0 && !this.options(loop).discover) this.dropLoop(loop);
    }
  }

  /** Makes an account that discovers jobs start (or stop) its idle look-ups. */
  refreshAccount(provider: ProviderId, accountId: string): void {
    const loop = this.loopFor(provider, accountId);
    if (this.pausedAccounts.has(loopKey(provider, accountId))) return;
    if (loop.tracked.size === 0 && !this.options(loop).discover) {
      this.dropLoop(loop);
      return;
    }
    if (!loop.inFlight && loop.timer === null) this.arm(loop, 0);
  }

  /** Timers currently armed: zero when nothing is running and no account discovers. */
  get armedTimers(): number {
    let count = 0;
    for (const loop of this.loops.values()) if (loop.timer !== null) count++;
    return count;
  }

  get watchedCount(): number {
    let count = 0;
    for (const loop of this.loops.values()) count += loop.tracked.size;
    return count;
  }

  /** Stops all polling (system sleep, going offline, user pause). */
  suspend(): void {
    this.suspended = true;
    for (const loop of this.loops.values()) this.disarm(loop);
  }

  /** Resumes after sleep/offline: every account is checked promptly, spread over a second. */
  resume(): void {
    this.suspended = false;
    for (const loop of this.loops.values()) {
      loop.failures = 0;
      const held = this.pausedAccounts.get(loopKey(loop.provider, loop.accountId));
      if (!held) this.arm(loop, Math.floor(this.deps.random() * 1000));
      else if (held.state === 'payment' || held.state === 'account-hold') this.scheduleProbe(loop);
    }
  }

  /**
   * The network came back: accounts waiting out a backoff after failed cycles
   * are checked within a second instead of up to five minutes later. Healthy
   * and held accounts keep their schedule; a suspension (sleep, user pause) holds.
   */
  retryFailing(): void {
    if (this.suspended) return;
    for (const loop of this.loops.values()) {
      if (loop.inFlight || loop.serverAskedToWait || this.pausedAccounts.has(loopKey(loop.provider, loop.accountId))) continue;
      // Jobs waiting out their own backoff after a network error are asked again with the rest.
      let jobsWaiting = false;
      for (const key of loop.tracked) {
        if (!this.backingOff(key)) continue;
        this.endJobBackoff(key);
        jobsWaiting = true;
      }
      if (loop.failures === 0 && !jobsWaiting) continue;
      this.arm(loop, Math.floor(this.deps.random() * 1000));
    }
  }

  /** Called when the account's key was replaced or credits were added. */
  resumeAccount(provider: ProviderId, accountId: string): void {
    const wasPaused = this.pausedAccounts.delete(loopKey(provider, accountId));
    if (wasPaused) this.deps.onAccountHealth({ provider, accountId, state: 'ok', message: null });
    const loop = this.loops.get(loopKey(provider, accountId));
    if (!loop) return;
    loop.failures = 0;
    for (const key of loop.tracked) {
      // A new key or address is a fresh start for every job, also one waiting out its own backoff.
      this.endJobBackoff(key);
      const job = this.deps.store.get(key);
      if (job) this.setWatch(job, 'watching', null);
    }
    this.arm(loop, 0);
  }

  private endJobBackoff(key: string): void {
    const check = this.jobChecks.get(key);
    if (check && check.retryAt > 0) this.jobChecks.set(key, { ...check, failures: 0, retryAt: 0 });
  }

  isPaused(provider: ProviderId, accountId: string): boolean {
    return this.pausedAccounts.has(loopKey(provider, accountId));
  }

  stop(): void {
    for (const loop of this.loops.values()) this.disarm(loop);
    this.loops.clear();
    this.jobChecks.clear();
  }

  // ---- the cycle -------------------------------------------------------------

  private loopFor(provider: ProviderId, accountId: string): AccountLoop {
    const key = loopKey(provider, accountId);
    let loop = this.loops.get(key);
    if (!loop) {
      loop = { provider, accountId, tracked: new Set(), timer: null, dueAt: 0, inFlight: false, failures: 0, probing: false, cycleStartedAt: 0, serverAskedToWait: false };
      this.loops.set(key, loop);
    }
    return loop;
  }

  private dropLoop(loop: AccountLoop): void {
    this.disarm(loop);
    if (!loop.inFlight) this.loops.delete(loopKey(loop.provider, loop.accountId));
  }

  private options(loop: AccountLoop): AccountOptions {
    return this.deps.accountOptions?.(loop.provider, loop.accountId) ?? { scope: 'user', discover: false };
  }

  private arm(loop: AccountLoop, delayMs: number): void {
    this.disarm(loop);
    if (this.suspended || loop.inFlight) return;
    loop.dueAt = this.deps.clock.now() + delayMs;
    loop.timer = this.deps.clock.setTimeout(() => {
      loop.timer = null;
      void this.cycle(loop);
    }, delayMs);
  }

  private disarm(loop: AccountLoop): void {
    if (loop.timer !== null) {
      this.deps.clock.clearTimeout(loop.timer);
      loop.timer = null;
    }
  }

  private async cycle(loop: AccountLoop): Promise<void> {
    const provider = this.deps.providers.get(loop.provider);
    if (!provider) return;
    const credentials = this.deps.credentials(loop.provider, loop.accountId);
    if (!credentials) {
      this.pauseAccount(loop, {
        provider: loop.provider,
        accountId: loop.accountId,
        state: 'key-missing',
        message: this.deps.credentialsProblem?.(loop.provider, loop.accountId) ?? `No ${provider.label} API key is set for this account: add one in Settings (or ${provider.env.apiKey}).`,
      });
      return;
    }
    const counter = { requests: 0 };
    // Counted at the port, so a cycle that failed halfway still reports what it sent.
    const http: HttpPort = {
      request: (request) => {
        counter.requests++;
        return this.deps.http.request(request);
      },
    };
    const context: ProviderContext = { http, clock: this.deps.clock, accountId: loop.accountId, ...credentials };
    const options = this.options(loop);
    loop.inFlight = true;
    loop.cycleStartedAt = this.deps.clock.now();
    let outcome: CycleOutcome;
    try {
      outcome = await this.runCycle(loop, provider, context, options);
    } catch (error) {
      this.deps.logger.error('poll cycle failed', { provider: loop.provider, error: String(error) });
      outcome = { kind: 'error', error: { kind: 'transient', message: 'genwatch hit an unexpected error while checking jobs; it will retry.' } };
    } finally {
      loop.inFlight = false;
    }
    this.deps.onCycle?.(loop.provider, loop.accountId, counter.requests);
    if (this.loops.get(loopKey(loop.provider, loop.accountId)) !== loop) return; // stopped meanwhile
    if (loop.probing) {
      loop.probing = false;
      if (outcome.kind === 'ok') this.resumeAccount(loop.provider, loop.accountId);
      else if (isAccountLevel(outcome.error)) this.handleAccountError(loop, provider, outcome.error);
      else this.scheduleProbe(loop);
      return;
    }
    const paused = this.pausedAccounts.get(loopKey(loop.provider, loop.accountId));
    if (paused) {
      for (const key of loop.tracked) {
        const job = this.deps.store.get(key);
        if (job && job.watch.state !== 'paused') this.setWatch(job, 'paused', paused.message);
      }
      return;
    }
    if (outcome.kind === 'error') {
      this.handleAccountError(loop, provider, outcome.error);
      return;
    }
    if (loop.failures >= UNREACHABLE_AFTER) this.deps.onAccountHealth({ provider: loop.provider, accountId: loop.accountId, state: 'ok', message: null });
    loop.failures = 0;
    loop.serverAskedToWait = false;
    this.scheduleNext(loop, provider, options);
  }

  private async runCycle(
    loop: AccountLoop,
    provider: ProviderAdapter,
    context: ProviderContext,
    options: AccountOptions,
  ): Promise<CycleOutcome> {
    const running = [...loop.tracked];
    const batched = provider.listRunning !== undefined && (options.discover || running.length > byIdLimit(provider, this.progressOnScreen()));
    let byId = running;
    // A running list that fails for another reason than the account (or a request to slow down): the cycle still checks a few jobs by id
    // (the longest unchecked first, as many as a cycle without the list would), then backs off as failed.
    let listError: AppError | null = null;
    if (batched && provider.listRunning) {
      const snapshot = await provider.listRunning(context, { scope: options.scope });
      // The key, the credits, or the server asking the account to slow down: asking by id now would only add to it.
      if (!snapshot.ok && (isAccountLevel(snapshot.error) || asksToWait(snapshot.error))) return { kind: 'error', error: snapshot.error };
      if (!snapshot.ok) {
        listError = snapshot.error;
        byId = this.longestUnchecked(running, byIdLimit(provider, this.progressOnScreen()));
      } else {
        // Reported even when empty: a channel with nothing running drops out of the list.
        if (snapshot.value.channels) this.deps.onChannels?.(loop.provider, loop.accountId, snapshot.value.channels);
        const listed = new Set<string>();
        for (const job of snapshot.value.jobs) {
          listed.add(job.key);
          if (loop.tracked.has(job.key) || (options.discover && this.isNew(job.key))) this.apply(loop, job);
        }
        // Tracked jobs no longer in the running list have finished (or are not listable): ask once by id.
        byId = running.filter((key) => !listed.has(key) && loop.tracked.has(key));
        byId.push(...this.progressRefreshes(provider, [...listed].filter((key) => loop.tracked.has(key))));
      }
    }
    // Different jobs are fetched side by side (a few at a time, never two for one job), so a
    // cycle in which many jobs finished does not delay the next look at the others.
    let accountError: AppError | null = null;
    // The list answered, or any Get Job did: proof the account itself works this cycle.
    let answered = batched && listError === null;
    const jobFailures: { job: Job; error: AppError }[] = [];
    const queue = byId.filter((key) => !this.backingOff(key));
    const worker = async (): Promise<void> => {
      for (let key = queue.shift(); key !== undefined && accountError === null; key = queue.shift()) {
        const job = this.deps.store.get(key);
        if (!job || !loop.tracked.has(key)) continue;
        const result = await provider.getJob(context, job.id);
        if (!loop.tracked.has(key)) continue; // unwatched while the request was in flight
        if (result.ok || this.isJobLevel(result.error)) answered = true;
        if (result.ok) this.apply(loop, result.value);
        else if (this.isJobLevel(result.error)) this.failJob(loop, job, result.error);
        // Trouble that names the account (key, credits, "slow down") stops the cycle at once.
        else if (isAccountLevel(result.error) || asksToWait(result.error)) accountError ??= result.error;
        else jobFailures.push({ job, error: result.error });
      }
    };
    await Promise.all(Array.from({ length: Math.min(BY_ID_CONCURRENCY, queue.length) }, worker));
    if (accountError) return { kind: 'error', error: accountError };
    if (listError) return { kind: 'error', error: listError };
    // A 5xx, a network error or an unreadable body for some jobs while others got answers (or a body that
    // came but could not be read: the server is there) is those jobs' own trouble: each waits out its own
    // backoff, and one bad job does not slow or mark down the whole account. Only when nothing answered
    // is it the account's (server down, network gone) — and so is a cycle in which several jobs all came back
    // unreadable and none readable (a captive portal's page, a proxy's error page): the account then shows
    // "unreachable" with the reason instead of each job quietly backing off on its own.
    const allUnreadable = jobFailures.length > 1 && jobFailures.every(({ error }) => error.kind === 'malformed-response');
    const accountWide = answered ? undefined : allUnreadable ? jobFailures[0] : jobFailures.find(({ error }) => error.kind !== 'malformed-response');
    if (accountWide) return { kind: 'error', error: accountWide.error };
    for (const { job, error } of jobFailures) this.troubleJob(provider, job, error);
    if (options.discover && provider.listRecent) {
      const recent = await provider.listRecent(context, { scope: options.scope });
      if (!recent.ok) return { kind: 'error', error: recent.error };
      for (const job of recent.value) if (this.isNew(job.key)) this.apply(loop, job);
    }
    return { kind: 'ok' };
  }

  /**
   * The listed jobs to refresh by id this cycle, while progress is on screen:
   * never-fetched first, then the longest unchecked. Nobody looking means one
   * request per cycle (the list) plus one per finished job, nothing more.
   */
  private progressRefreshes(provider: ProviderAdapter, listed: string[]): string[] {
    return this.longestUnchecked(listed, refreshesPerCycle(provider, this.progressOnScreen()));
  }

  /** Up to `count` of these jobs: never fetched first, then the longest unchecked (jobs in their own backoff wait). */
  private longestUnchecked(keys: string[], count: number): string[] {
    if (count <= 0 || keys.length === 0) return [];
    // The poller's own record first: an answer that changed nothing is not stored, so the store's
    // lastCheckedAt would keep an unchanging job "oldest" and refresh it every cycle, starving the rest.
    const age = (key: string): number => {
      const checkedAt = this.jobChecks.get(key)?.checkedAt;
      if (checkedAt !== undefined) return checkedAt;
      const job = this.deps.store.get(key);
      if (!job || job.rawStatus === 'UNKNOWN' || !job.watch.lastCheckedAt) return Number.NEGATIVE_INFINITY;
      return Date.parse(job.watch.lastCheckedAt);
    };
    return keys
      .filter((key) => !this.backingOff(key))
      .map((key) => ({ key, at: age(key) }))
      .sort((a, b) => a.at - b.at)
      .slice(0, count)
      .map((entry) => entry.key);
  }

  /** A discovered job genwatch has never shown, or the user has not removed. */
  private isNew(key: string): boolean {
    return !this.deps.store.get(key) && this.deps.isDismissed?.(key) !== true;
  }

  private progressOnScreen(): boolean {
    return this.deps.progressWatched?.() === true;
  }

  /** Errors about one job (it is gone or never existed): asking again will not help. */
  private isJobLevel(error: AppError): boolean {
    if (error.about === 'address') return false; // the API address is wrong: no job is to blame
    return error.kind === 'not-found' || error.kind === 'expired' || error.kind === 'invalid-input';
  }

  private apply(loop: AccountLoop, job: ProviderJob): void {
    const previous = this.deps.store.get(job.key);
    const done = isTerminalStatus(job.status);
    const now = this.deps.clock.now();
    // A list entry says nothing about the job's own trouble; a full answer ends it.
    const troubled = job.partial === true && (this.jobChecks.get(job.key)?.failures ?? 0) > 0;
    if (done) this.jobChecks.delete(job.key);
    else if (!job.partial) this.jobChecks.set(job.key, { checkedAt: now, failures: 0, retryAt: 0 });
    const merged = mergeJob(previous, job, {
      state: done ? 'done' : 'watching',
      message: null,
      // A list entry is not a full check: it does not refresh the job's age for progress refreshes.
      lastCheckedAt: job.partial && previous ? previous.watch.lastCheckedAt : new Date(now).toISOString(),
      progressAt: previous?.watch.progressAt ?? null,
    });
    // Only a full answer says whether progress moved; a list entry keeps the previous verdict.
    merged.watch =
      job.partial && previous
        ? {
            ...merged.watch,
            state: previous.watch.state === 'stalled' ? 'stalled' : merged.watch.state,
            message: previous.watch.state === 'stalled' || troubled ? previous.watch.message : null,
          }
        : trackProgress(previous, merged, now, this.deps.stalledAfterMs?.() ?? DEFAULT_STALLED_MS);
    // A stale answer for a job already finished in the store (mergeJob keeps it finished) does not watch it again.
    if (done || isTerminalStatus(merged.status)) loop.tracked.delete(job.key);
    else loop.tracked.add(job.key);
    // Unchanged jobs are not re-sent: 1,000 running jobs must not mean 1,000-job deltas every cycle.
    if (previous && !changed(previous, merged)) return;
    this.deps.store.upsert(merged);
  }

  private failJob(loop: AccountLoop, job: Job, error: AppError): void {
    this.deps.logger.warn('job watch stopped', { provider: job.provider, id: job.id, kind: error.kind });
    loop.tracked.delete(job.key);
    this.jobChecks.delete(job.key);
    this.deps.store.upsert({
      ...job,
      watch: { ...job.watch, state: 'error', message: error.message, lastCheckedAt: new Date(this.deps.clock.now()).toISOString() },
    });
  }

  /**
   * One job's Get Job failed while the account answered: the job keeps being watched (nothing is lost),
   * shows why, and is asked again after its own backoff instead of every cycle.
   */
  private troubleJob(provider: ProviderAdapter, job: Job, error: AppError): void {
    const now = this.deps.clock.now();
    const failures = (this.jobChecks.get(job.key)?.failures ?? 0) + 1;
    const interval = provider.pollIntervalMs(job) * (this.deps.intervalScale ?? 1);
    this.jobChecks.set(job.key, { checkedAt: now, failures, retryAt: now + backoffDelay(interval, failures, this.deps.random) });
    if (failures === 1) this.deps.logger.warn('job check failed; retrying it on its own', { provider: job.provider, id: job.id, kind: error.kind });
    const current = this.deps.store.get(job.key) ?? job;
    this.setWatch(current, current.watch.state, error.message);
  }

  /** The job waits out its own backoff (see troubleJob): not asked for by id yet. */
  private backingOff(key: string): boolean {
    return (this.jobChecks.get(key)?.retryAt ?? 0) > this.deps.clock.now();
  }

  private handleAccountError(loop: AccountLoop, provider: ProviderAdapter, error: AppError): void {
    if (isAccountLevel(error)) {
      // A wrong API address waits for a new one (setting it resumes the account), like a rejected key.
      this.pauseAccount(loop, {
        provider: loop.provider,
        accountId: loop.accountId,
        state: error.kind === 'auth' ? 'key-rejected' : error.kind === 'payment' ? 'payment' : error.kind === 'account-hold' ? 'account-hold' : 'unreachable',
        message: error.message,
      });
      return;
    }
    if (!isRetryable(error.kind)) this.deps.logger.warn('unexpected poll error; retrying', { kind: error.kind });
    loop.failures++;
    loop.serverAskedToWait = asksToWait(error);
    for (const key of loop.tracked) {
      const job = this.deps.store.get(key);
      if (job && job.watch.message !== error.message) this.deps.store.upsert({ ...job, watch: { ...job.watch, message: error.message } });
    }
    if (loop.failures === UNREACHABLE_AFTER) {
      this.deps.onAccountHealth({ provider: loop.provider, accountId: loop.accountId, state: 'unreachable', message: error.message });
    }
    this.arm(loop, backoffDelay(this.baseInterval(loop, provider), loop.failures, this.deps.random, error.retryAfterMs));
  }

  private scheduleNext(loop: AccountLoop, provider: ProviderAdapter, options: AccountOptions): void {
    if (loop.tracked.size > 0) this.arm(loop, nextDelay(this.baseInterval(loop, provider), this.deps.clock.now() - loop.cycleStartedAt));
    else if (options.discover) this.arm(loop, DISCOVER_IDLE_MS * (this.deps.intervalScale ?? 1));
    else this.loops.delete(loopKey(loop.provider, loop.accountId));
  }

  /**
   * The shortest seed interval among the account's running jobs. Stalled jobs
   * are polled slowly (never dropped): they set the pace only when nothing else runs.
   */
  private baseInterval(loop: AccountLoop, provider: ProviderAdapter): number {
    let interval = Number.POSITIVE_INFINITY;
    let stalled = Number.POSITIVE_INFINITY;
    for (const key of loop.tracked) {
      const job = this.deps.store.get(key);
      if (!job) continue;
      if (job.watch.state === 'stalled') stalled = Math.min(stalled, provider.pollIntervalMs(job) * STALLED_SLOWDOWN);
      else interval = Math.min(interval, provider.pollIntervalMs(job));
    }
    if (!Number.isFinite(interval)) interval = Number.isFinite(stalled) ? stalled : provider.pollIntervalMs({ modality: 'unknown', status: 'running' });
    return interval * (this.deps.intervalScale ?? 1);
  }

  private pauseAccount(loop: AccountLoop, health: AccountHealth): void {
    this.pausedAccounts.set(loopKey(loop.provider, loop.accountId), health);
    this.disarm(loop);
    this.deps.onAccountHealth(health);
    for (const key of loop.tracked) {
      const job = this.deps.store.get(key);
      if (job) this.setWatch(job, 'paused', health.message);
    }
    // Credits get topped up and notices acknowledged outside genwatch: look again now and then.
    // A rejected or missing key needs the user, so it waits for a new key instead.
    if (health.state === 'payment' || health.state === 'account-hold') this.scheduleProbe(loop);
  }

  private scheduleProbe(loop: AccountLoop): void {
    this.disarm(loop);
    if (this.suspended) return;
    const delay = PAUSED_RECHECK_MS * (this.deps.intervalScale ?? 1);
    loop.dueAt = this.deps.clock.now() + delay;
    loop.timer = this.deps.clock.setTimeout(() => {
      loop.timer = null;
      if (!this.pausedAccounts.has(loopKey(loop.provider, loop.accountId))) return;
      loop.probing = true;
      void this.cycle(loop);
    }, delay);
  }

  private setWatch(job: Job, state: Job['watch']['state'], message: string | null): void {
    if (job.watch.state === state && job.watch.message === message) return;
    this.deps.store.upsert({ ...job, watch: { ...job.watch, state, message } });
  }
}

const refreshesPerCycle = (provider: ProviderAdapter, progressOnScreen: boolean): number => (progressOnScreen ? (provider.progressRefreshPerCycle ?? 0) : 0);

/**
 * Up to this many running jobs an account is polled job by job; above it,
 * through its running-jobs list. Whichever costs fewer requests per cycle wins
 * (a tie goes to Get Job, which answers with every detail): the list's own
 * requests plus its progress refreshes, when those are on screen.
 */
export function byIdLimit(provider: ProviderAdapter, progressOnScreen: boolean): number {
  return (provider.runningListRequests ?? 1) + refreshesPerCycle(provider, progressOnScreen);
}

/**
 * Cycles start one interval apart (start to start), so the time a cycle spends
 * on its requests does not stretch the seed's "every 5 s" into 5.5 s under
 * load. A slow answer still leaves the server at least half an interval of rest.
 */
export function nextDelay(intervalMs: number, cycleMs: number): number {
  return Math.max(intervalMs - Math.max(0, cycleMs), intervalMs * MIN_GAP_FRACTION);
}

function changed(a: Job, b: Job): boolean {
  return (
    a.rawStatus !== b.rawStatus ||
    a.progress !== b.progress ||
    a.watch.state !== b.watch.state ||
    a.watch.message !== b.watch.message ||
    a.assets.length !== b.assets.length ||
    a.assets[0]?.url !== b.assets[0]?.url ||
    a.error?.message !== b.error?.message ||
    a.cost?.credits !== b.cost?.credits ||
    a.cost?.refunded !== b.cost?.refunded ||
    a.completedAt !== b.completedAt ||
    a.model !== b.model ||
    a.prompt !== b.prompt
  );
}

/** Errors about the account itself (its key, credits, a hold, a wrong API address): nothing else can be asked until the user acts. */
function isAccountLevel(error: AppError): boolean {
  return error.kind === 'auth' || error.kind === 'payment' || error.kind === 'account-hold' || error.about === 'address';
}

/** The server asked the account to slow down (429, Retry-After). retryAfterMs is null, not undefined, without the header. */
function asksToWait(error: AppError): boolean {
  return error.kind === 'rate-limited' || typeof error.retryAfterMs === 'number';
}
