/**
 * The application service: everything the window, the tray and the CLI can
 * ask for, on injected ports only. The Electron shell and the CLI are thin
 * wrappers around one instance of this.
 */
import { JobSchema, isTerminalStatus, jobKey, PROVIDER_IDS } from '../../src-shared/job';
import type { Job, ProviderId } from '../../src-shared/job';
import type { AccountHealth, AddJobsResult, AppStatus, JobsDelta } from '../../src-shared/ipc-contract';
import type { Settings, SettingsPatch, KeysStatus } from '../../src-shared/settings';
import { err, ok } from '../../src-shared/result';
import type { Result } from '../../src-shared/result';
import { parseIdInput } from './id-input';
import { placeholderJob } from './job-merge';
import { JobStore } from './job-store';
import { KeyRing } from './keys';
import { Poller } from './poller';
import type { AccountCredentials } from './poller';
import type { Clock, HttpPort, KeyValueStore, Logger, Random, SecretStore, TimerHandle } from './ports';
import type { ProviderAdapter } from './providers/provider';
import { applySettingsPatch, loadSettings, saveSettings } from './settings-store';

export const DEMO_ACCOUNT = 'demo';
export const DEFAULT_ACCOUNT = 'default';
const JOBS_KEY = 'jobs';
const PERSIST_DEBOUNCE_MS = 1_000;

export interface DemoConfig {
  /** Per provider: where the built-in emulator serves it and the key it accepts. */
  providers: Partial<Record<ProviderId, AccountCredentials>>;
}

export interface CoreDeps {
  http: HttpPort;
  clock: Clock;
  random: Random;
  secrets: SecretStore;
  kv: KeyValueStore;
  logger: Logger;
  providers: readonly ProviderAdapter[];
  environment: Readonly<Record<string, string | undefined>>;
  version: string;
  platform: string;
  intervalScale?: number;
  openExternal?: (url: string) => Promise<void>;
}

export class GenwatchCore {
  readonly store: JobStore;
  readonly poller: Poller;
  readonly keys: KeyRing;
  private readonly providers: ReadonlyMap<ProviderId, ProviderAdapter>;
  private settings: Settings;
  private demo: DemoConfig | null = null;
  private readonly health = new Map<string, AccountHealth>();
  private readonly statusListeners = new Set<(status: AppStatus) => void>();
  private persistTimer: TimerHandle | null = null;

  private constructor(private readonly deps: CoreDeps) {
    this.providers = new Map(deps.providers.map((p) => [p.id, p]));
    const envKeys: Partial<Record<ProviderId, string>> = {};
    for (const p of deps.providers) {
      const value = deps.environment[p.env.apiKey];
      if (value) envKeys[p.id] = value;
    }
    this.keys = new KeyRing(deps.secrets, envKeys);
    this.settings = loadSettings(deps.kv, deps.logger);
    this.store = new JobStore(deps.clock);
    this.poller = new Poller({
      clock: deps.clock,
      random: deps.random,
      http: deps.http,
      store: this.store,
      logger: deps.logger,
      providers: this.providers,
      credentials: (provider, accountId) => this.credentials(provider, accountId),
      onAccountHealth: (health) => this.setHealth(health),
      ...(deps.intervalScale === undefined ? {} : { intervalScale: deps.intervalScale }),
    });
    this.store.onDelta(() => {
      this.schedulePersist();
      this.emitStatus();
    });
  }

  static async create(deps: CoreDeps): Promise<GenwatchCore> {
    const core = new GenwatchCore(deps);
    await core.keys.load();
    core.restoreJobs();
    return core;
  }

  // ---- queries -------------------------------------------------------------

  listJobs(): Job[] {
    return this.store.all();
  }

  getSettings(): Settings {
    return this.settings;
  }

  getKeys(): KeysStatus {
    return this.keys.status();
  }

  get demoMode(): boolean {
    return this.demo !== null && !this.keys.hasUserKey('apiframe');
  }

  status(): AppStatus {
    const counts = { queued: 0, running: 0, completed: 0, failed: 0 };
    for (const job of this.store.all()) counts[job.status]++;
    return { demoMode: this.demoMode, accounts: [...this.health.values()], counts };
  }

  onJobsDelta(listener: (delta: JobsDelta) => void): () => void {
    return this.store.onDelta(listener);
  }

  onStatus(listener: (status: AppStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  // ---- commands ------------------------------------------------------------

  /** Points the demo account at the built-in emulator (used when no key is set). */
  enableDemo(config: DemoConfig): void {
    this.demo = config;
    for (const [provider, credentials] of Object.entries(config.providers)) {
      this.keys.setDemoKey(provider as ProviderId, credentials.apiKey);
    }
    this.emitStatus();
  }

  /** The account new jobs are added to: the user's, or the demo emulator's while no key is set. */
  activeAccount(provider: ProviderId): string {
    return !this.keys.hasUserKey(provider) && this.demo?.providers[provider] ? DEMO_ACCOUNT : DEFAULT_ACCOUNT;
  }

  addJobs(provider: ProviderId, input: string): Result<AddJobsResult> {
    const adapter = this.providers.get(provider);
    if (!adapter) return err('invalid-input', `genwatch does not know the provider "${provider}".`);
    const { ids, rejected } = parseIdInput(input, adapter);
    if (ids.length === 0 && rejected.length === 0) return err('invalid-input', 'Paste at least one job id.');
    const accountId = this.activeAccount(provider);
    const added: string[] = [];
    const alreadyWatched: string[] = [];
    for (const id of ids) {
      const key = jobKey(provider, accountId, id);
      if (this.store.get(key)) {
        alreadyWatched.push(id);
        continue;
      }
      this.store.upsert(placeholderJob({ key, provider, accountId, id }));
      this.poller.watch(key);
      added.push(id);
    }
    return ok({ added, alreadyWatched, rejected });
  }

  removeJobs(keys: readonly string[]): number {
    let removed = 0;
    for (const key of keys) {
      this.poller.unwatch(key);
      if (this.store.remove(key)) removed++;
    }
    return removed;
  }

  updateSettings(patch: SettingsPatch): Settings {
    const before = this.settings;
    this.settings = applySettingsPatch(before, patch);
    saveSettings(this.deps.kv, this.settings);
    for (const provider of PROVIDER_IDS) {
      if (before.providers[provider].baseUrl !== this.settings.providers[provider].baseUrl) {
        this.poller.resumeAccount(provider, DEFAULT_ACCOUNT);
      }
    }
    return this.settings;
  }

  async setKey(provider: ProviderId, key: string): Promise<Result<KeysStatus>> {
    const result = await this.keys.set(provider, key);
    if (result.ok) this.afterKeyChange(provider);
    return result;
  }

  async clearKey(provider: ProviderId): Promise<Result<KeysStatus>> {
    const result = await this.keys.clear(provider);
    if (result.ok) this.afterKeyChange(provider);
    return result;
  }

  async openExternal(url: string): Promise<Result<null>> {
    if (!/^https:\/\//i.test(url)) return err('forbidden', 'Only https links can be opened.');
    if (!this.deps.openExternal) return err('internal', 'Opening links is not available here.');
    await this.deps.openExternal(url);
    return ok(null);
  }

  /** Stops timers and writes pending state; the process can exit afterwards. */
  dispose(): void {
    this.poller.stop();
    this.store.flush();
    if (this.persistTimer !== null) this.deps.clock.clearTimeout(this.persistTimer);
    this.persistTimer = null;
    this.persistJobs();
  }

  // ---- internals -----------------------------------------------------------

  private credentials(provider: ProviderId, accountId: string): AccountCredentials | null {
    if (accountId === DEMO_ACCOUNT) return this.demo?.providers[provider] ?? null;
    const adapter = this.providers.get(provider);
    const key = this.keys.resolve(provider);
    if (!adapter || !key || key.source === 'demo') return null;
    const baseUrl =
      this.deps.environment[adapter.env.baseUrl] ?? this.settings.providers[provider].baseUrl ?? adapter.defaultBaseUrl;
    return { baseUrl, apiKey: key.key };
  }

  private afterKeyChange(provider: ProviderId): void {
    this.health.delete(`${provider}:${DEFAULT_ACCOUNT}`);
    this.poller.resumeAccount(provider, DEFAULT_ACCOUNT);
    this.emitStatus();
  }

  private setHealth(health: AccountHealth): void {
    const key = `${health.provider}:${health.accountId}`;
    if (health.state === 'ok') this.health.delete(key);
    else this.health.set(key, health);
    this.emitStatus();
  }

  private emitStatus(): void {
    if (this.statusListeners.size === 0) return;
    const status = this.status();
    for (const listener of this.statusListeners) listener(status);
  }

  private restoreJobs(): void {
    const stored = this.deps.kv.get(JOBS_KEY);
    if (!Array.isArray(stored)) return;
    let skipped = 0;
    for (const item of stored) {
      const parsed = JobSchema.safeParse(item);
      if (!parsed.success || !this.providers.has(parsed.data.provider)) {
        skipped++;
        continue;
      }
      this.store.upsert(parsed.data);
      if (!isTerminalStatus(parsed.data.status)) this.poller.watch(parsed.data.key);
    }
    if (skipped > 0) this.deps.logger.warn('skipped unreadable stored jobs', { skipped });
  }

  private schedulePersist(): void {
    if (this.persistTimer !== null) return;
    this.persistTimer = this.deps.clock.setTimeout(() => {
      this.persistTimer = null;
      this.persistJobs();
    }, PERSIST_DEBOUNCE_MS);
  }

  private persistJobs(): void {
    // Demo jobs live on a throwaway emulator: never persisted.
    const jobs = this.store.all().filter((job) => job.accountId !== DEMO_ACCOUNT);
    this.deps.kv.set(JOBS_KEY, jobs);
  }
}
