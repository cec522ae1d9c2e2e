/**
 * Watches jobs until they reach a terminal status. One chained timer per job
 * (a new timeout is armed only after the previous request settled, so requests
 * never overlap), backoff with jitter on transient trouble, Retry-After
 * honoured, and a per-account pause when the key is rejected or the account
 * cannot pay. No timers exist while nothing is being watched.
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
import type { ProviderAdapter } from './providers/provider';

export interface AccountCredentials {
  baseUrl: string;
  apiKey: string;
}

export interface PollerDeps {
  clock: Clock;
  random: Random;
  http: HttpPort;
  store: JobStore;
  logger: Logger;
  providers: ReadonlyMap<ProviderId, ProviderAdapter>;
  credentials(provider: ProviderId, accountId: string): AccountCredentials | null;
  onAccountHealth(health: AccountHealth): void;
  /** Multiplies every provider interval (benchmarks and tests on the emulator). */
  intervalScale?: number;
}

interface Target {
  key: string;
  timer: TimerHandle | null;
  inFlight: boolean;
  failures: number;
}

const accountKey = (provider: ProviderId, accountId: string): string => `${provider}:${accountId}`;

export class Poller {
  private readonly targets = new Map<string, Target>();
  private readonly pausedAccounts = new Map<string, AccountHealth>();
  private suspended = false;

  constructor(private readonly deps: PollerDeps) {}

  /** Starts (or restarts) watching a job already in the store. */
  watch(key: string, delayMs = 0): void {
    const job = this.deps.store.get(key);
    if (!job || isTerminalStatus(job.status)) return;
    let target = this.targets.get(key);
    if (!target) {
      target = { key, timer: null, inFlight: false, failures: 0 };
      this.targets.set(key, target);
    }
    if (this.pausedAccounts.has(accountKey(job.provider, job.accountId))) {
      this.setWatch(job, 'paused', this.pausedAccounts.get(accountKey(job.provider, job.accountId))?.message ?? null);
      return;
    }
    this.arm(target, delayMs);
  }

  unwatch(key: string): void {
    const target = this.targets.get(key);
    if (!target) return;
    this.disarm(target);
    this.targets.delete(key);
  }

  /** Timers currently armed: zero when nothing is running. */
  get armedTimers(): number {
    let count = 0;
    for (const target of this.targets.values()) if (target.timer !== null) count++;
    return count;
  }

  get watchedCount(): number {
    return this.targets.size;
  }

  /** Stops all polling (system sleep, going offline, user pause). */
  suspend(): void {
    this.suspended = true;
    for (const target of this.targets.values()) this.disarm(target);
  }

  /** Resumes after sleep/offline: everything is checked promptly, spread over a second. */
  resume(): void {
    this.suspended = false;
    for (const target of this.targets.values()) {
      target.failures = 0;
      const job = this.deps.store.get(target.key);
      if (job && !this.pausedAccounts.has(accountKey(job.provider, job.accountId))) {
        this.arm(target, Math.floor(this.deps.random() * 1000));
      }
    }
  }

  /** Called when the account's key was replaced or credits were added. */
  resumeAccount(provider: ProviderId, accountId: string): void {
    const paused = this.pausedAccounts.delete(accountKey(provider, accountId));
    if (paused) this.deps.onAccountHealth({ provider, accountId, state: 'ok', message: null });
    for (const target of this.targets.values()) {
      const job = this.deps.store.get(target.key);
      if (job && job.provider === provider && job.accountId === accountId) {
        target.failures = 0;
        this.setWatch(job, 'watching', null);
        this.arm(target, 0);
      }
    }
  }

  stop(): void {
    for (const target of this.targets.values()) this.disarm(target);
    this.targets.clear();
  }

  private arm(target: Target, delayMs: number): void {
    this.disarm(target);
    if (this.suspended || target.inFlight) return;
    target.timer = this.deps.clock.setTimeout(() => {
      target.timer = null;
      void this.tick(target);
    }, delayMs);
  }

  private disarm(target: Target): void {
    if (target.timer !== null) {
      this.deps.clock.clearTimeout(target.timer);
      target.timer = null;
    }
  }

  private async tick(target: Target): Promise<void> {
    const job = this.deps.store.get(target.key);
    const provider = job ? this.deps.providers.get(job.provider) : undefined;
    if (!job || !provider) {
      this.targets.delete(target.key);
      return;
    }
    const credentials = this.deps.credentials(job.provider, job.accountId);
    if (!credentials) {
      this.pauseAccount(job.provider, job.accountId, {
        provider: job.provider,
        accountId: job.accountId,
        state: 'key-missing',
        message: `No ${provider.label} API key is set: add one in Settings (or ${provider.env.apiKey}).`,
      });
      return;
    }
    target.inFlight = true;
    const result = await provider.getJob(
      { http: this.deps.http, clock: this.deps.clock, accountId: job.accountId, ...credentials },
      job.id,
    );
    target.inFlight = false;
    // Unwatched (or unwatched and watched again: a new Target) while the request was in flight.
    if (this.targets.get(target.key) !== target) return;
    const current = this.deps.store.get(target.key);
    if (!current) return;
    const paused = this.pausedAccounts.get(accountKey(current.provider, current.accountId));
    if (paused) {
      // The account was paused meanwhile: keep the answer's data, but stay paused.
      if (result.ok) this.deps.store.upsert(mergeJob(current, result.value, { ...current.watch, state: 'paused', message: paused.message }));
      return;
    }
    const checkedAt = new Date(this.deps.clock.now()).toISOString();

    if (result.ok) {
      target.failures = 0;
      const done = isTerminalStatus(result.value.status);
      const merged = mergeJob(current, result.value, {
        state: done ? 'done' : 'watching',
        message: null,
        lastCheckedAt: checkedAt,
      });
      this.deps.store.upsert(merged);
      if (done) this.targets.delete(target.key);
      else this.arm(target, this.interval(provider, merged));
      return;
    }
    this.handleError(target, current, provider, result.error, checkedAt);
  }

  private handleError(target: Target, job: Job, provider: ProviderAdapter, error: AppError, checkedAt: string): void {
    if (error.kind === 'auth' || error.kind === 'payment') {
      this.pauseAccount(job.provider, job.accountId, {
        provider: job.provider,
        accountId: job.accountId,
        state: error.kind === 'auth' ? 'key-rejected' : 'payment',
        message: error.message,
      });
      return;
    }
    if (isRetryable(error.kind)) {
      target.failures++;
      this.deps.store.upsert({ ...job, watch: { state: 'watching', message: error.message, lastCheckedAt: checkedAt } });
      this.arm(target, backoffDelay(this.interval(provider, job), target.failures, this.deps.random, error.retryAfterMs));
      return;
    }
    // not-found, expired, invalid-input: asking again will not help.
    this.deps.logger.warn('job watch stopped', { provider: job.provider, id: job.id, kind: error.kind });
    this.deps.store.upsert({ ...job, watch: { state: 'error', message: error.message, lastCheckedAt: checkedAt } });
    this.targets.delete(target.key);
  }

  private pauseAccount(provider: ProviderId, accountId: string, health: AccountHealth): void {
    this.pausedAccounts.set(accountKey(provider, accountId), health);
    this.deps.onAccountHealth(health);
    for (const target of this.targets.values()) {
      const job = this.deps.store.get(target.key);
      if (job && job.provider === provider && job.accountId === accountId) {
        this.disarm(target);
        this.setWatch(job, 'paused', health.message);
      }
    }
  }

  private setWatch(job: Job, state: Job['watch']['state'], message: string | null): void {
    this.deps.store.upsert({ ...job, watch: { ...job.watch, state, message } });
  }

  private interval(provider: ProviderAdapter, job: Job): number {
    return provider.pollIntervalMs(job) * (this.deps.intervalScale ?? 1);
  }
}
