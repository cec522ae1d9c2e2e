/**
 * The application service: everything the window, the tray and the CLI can
 * ask for, on injected ports only. The Electron shell and the CLI are thin
 * wrappers around one instance of this.
 */
import type { Account, AccountsState, SaveAccount } from '../../src-shared/accounts';
import { DismissedJobs } from './dismissed-jobs';
import { JobSchema, isTerminalStatus, jobKey, PROVIDER_IDS } from '../../src-shared/job';
import type { Job, ProviderId } from '../../src-shared/job';
import type { AccountHealth, AddJobsResult, AppStatus, JobsDelta } from '../../src-shared/ipc-contract';
import type { Settings, SettingsPatch } from '../../src-shared/settings';
import { isHttpsOrLoopbackUrl, UNSAFE_API_BASE } from '../../src-shared/loopback';
import { err, ok } from '../../src-shared/result';
import type { Result } from '../../src-shared/result';
import { AccountBook, ref } from './account-book';
import type { AccountRecord } from './account-book';
import { startHistoryImport } from './history-import';
import type { ImportRun } from './history-import';
import { parseIdInput } from './id-input';
import { mergeJob, needsFullResult, placeholderJob } from './job-merge';
import { JobStore } from './job-store';
import { DEFAULT_ACCOUNT, DEMO_ACCOUNT, KeyRing } from './keys';
import { migrate, moveJobsToOwnStore } from './migrations';
import { Poller } from './poller';
import type { AccountCredentials } from './poller';
import type { Clock, HttpPort, KeyValueStore, Logger, Random, SecretStore, TimerHandle } from './ports';
import type { ProviderAdapter, ProviderContext, ProviderJob } from './providers/provider';
import { applySettingsPatch, loadSettings, saveSettings } from './settings-store';
import { DownloadService } from './download-service';
import type { DownloadRequestResult, DownloadServiceDeps } from './download-service';

export { DEFAULT_ACCOUNT, DEMO_ACCOUNT } from './keys';
const JOBS_KEY = 'jobs';
const PERSIST_DEBOUNCE_MS = 2_000;
/** Provider calls at once while a download asks for jobs' full results (a whole history can be thousands). */
const FULL_RESULT_CONCURRENCY = 4;
/** A 429's Retry-After during that fetch is waited out up to this long (a longer one would look like a hang)… */
const FULL_RESULT_MAX_WAIT_MS = 60_000;
/** …or this long when the 429 names no wait. */
const FULL_RESULT_DEFAULT_WAIT_MS = 5_000;
/** Rate-limit waits in a row with no answer in between, after which the rest keep their list asset. */
const FULL_RESULT_MAX_FRUITLESS_WAITS = 3;

export interface DemoConfig {
  /** Per provider: where the built-in emulator serves it and the key it accepts. */
  providers: Partial<Record<ProviderId, AccountCredentials>>;
}

export interface Confirmation {
  /** One sentence: what happens if the user says yes. */
  message: string;
  /** Why it matters, in a sentence or two. */
  detail: string;
  /** The button that says yes (the other one cancels). */
  confirmLabel: string;
}

export interface CoreDeps {
  http: HttpPort;
  clock: Clock;
  random: Random;
  secrets: SecretStore;
  kv: KeyValueStore;
  /** Where jobs are persisted; defaults to `kv` (the app keeps them in their own file). */
  jobsKv?: KeyValueStore;
  logger: Logger;
  providers: readonly ProviderAdapter[];
  environment: Readonly<Record<string, string | undefined>>;
  version: string;
  platform: string;
  intervalScale?: number;
  openExternal?: (url: string) => Promise<void>;
  /** Notices to show the user from start-up (e.g. a store that was moved aside). */
  warnings?: string[];
  onCycle?: (provider: ProviderId, accountId: string, requests: number) => void;
  /**
   * Asks the user a yes/no question outside the page (the desktop: a native dialog), for
   * decisions a compromised page must not be able to take alone. Absent: such changes are refused.
   */
  confirm?: (question: Confirmation) => Promise<boolean>;
  /** Downloads: the engine's ports and the desktop's folder picker / reveal / open. */
  downloads?: Pick<DownloadServiceDeps, 'engine' | 'openEngine' | 'reveal' | 'open'> & { pickFolder?(): Promise<string | null> };
}

export class GenwatchCore {
  readonly store: JobStore;
  readonly poller: Poller;
  readonly keys: KeyRing;
  readonly accounts: AccountBook;
  private readonly dismissed: DismissedJobs;
  /** Stored jobs this version cannot read: never shown, never dropped. */
  private readonly unreadableJobs: unknown[] = [];
  readonly downloads: DownloadService | null;
  private readonly autoQueue: Job[] = [];
  private readonly providers: ReadonlyMap<ProviderId, ProviderAdapter>;
  private settings: Settings;
  private demo: DemoConfig | null = null;
  private readonly warnings: string[];
  /** Notices from the desktop shell, by topic (e.g. 'login-item'): shown with the warnings until cleared. */
  private readonly notices = new Map<string, string>();
  private readonly statusListeners = new Set<(status: AppStatus) => void>();
  private readonly accountListeners = new Set<(state: AccountsState) => void>();
  private readonly settingsListeners = new Set<(settings: Settings) => void>();
  private readonly imports = new Map<string, ImportRun>();
  /** Who is showing live progress now (the window, a minimised taskbar button, the CLI). */
  private readonly progressWatchers = new Set<string>();
  private persistTimer: TimerHandle | null = null;
  private readonly jobsKv: KeyValueStore;

  private constructor(private readonly deps: CoreDeps) {
    this.providers = new Map(deps.providers.map((p) => [p.id, p]));
    this.jobsKv = deps.jobsKv ?? deps.kv;
    const migration = migrate(deps.kv, deps.logger);
    moveJobsToOwnStore(deps.kv, this.jobsKv);
    this.warnings = [...(deps.warnings ?? []), ...(migration.warning ? [migration.warning] : [])];
    const envKeys: Partial<Record<ProviderId, string>> = {};
    for (const p of deps.providers) {
      const value = deps.environment[p.env.apiKey];
      if (value) envKeys[p.id] = value;
    }
    this.keys = new KeyRing(deps.secrets, envKeys);
    this.accounts = new AccountBook(deps.kv);
    this.dismissed = new DismissedJobs(deps.kv);
    for (const p of deps.providers) if (envKeys[p.id]) this.accounts.ensure(p.id, DEFAULT_ACCOUNT);
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
      credentialsProblem: (provider, accountId) => this.credentialsProblem(provider, accountId),
      onAccountHealth: (health) => this.setHealth(health),
      accountOptions: (provider, accountId) => {
        const record = this.accounts.get(provider, accountId);
        return { scope: record?.scope ?? 'user', discover: record?.discover ?? false };
      },
      onChannels: (provider, accountId, channels) => {
        const key = ref(provider, accountId);
        if (JSON.stringify(this.accounts.channels.get(key) ?? []) === JSON.stringify(channels)) return;
        this.accounts.channels.set(key, channels);
        this.emitAccounts();
      },
      stalledAfterMs: () => this.settings.stalledAfterMinutes * 60_000,
      progressWatched: () => this.progressWatchers.size > 0,
      isDismissed: (key) => this.dismissed.has(key),
      ...(deps.onCycle ? { onCycle: deps.onCycle } : {}),
      ...(deps.intervalScale === undefined ? {} : { intervalScale: deps.intervalScale }),
    });
    this.downloads = deps.downloads
      ? new DownloadService({
          engine: deps.downloads.engine,
          clock: deps.clock,
          kv: deps.jobsKv ?? deps.kv,
          refetchJob: (job) => this.refetchJob(job),
          useapiProxy: () => this.useapiProxy(),
          ...(deps.downloads.openEngine ? { openEngine: deps.downloads.openEngine } : {}),
          ...(deps.downloads.reveal ? { reveal: deps.downloads.reveal } : {}),
          ...(deps.downloads.open ? { open: deps.downloads.open } : {}),
        })
      : null;
    this.downloads?.setJobSource(() => this.store.all());
    this.downloads?.onJobFiles((key) => this.markDownloaded(key));
    // A job that completes or arrives already completed (history import) may be in the ledger already.
    this.store.onDelta((delta) => {
      for (const job of delta.upserted) if (job.status === 'completed' && job.downloaded === undefined) this.markDownloaded(job.key);
    });
    this.store.onDelta(() => {
      this.schedulePersist();
      this.emitStatus();
    });
    this.store.onChange((previous, next) => this.noteTransition(previous, next));
  }

  /** Brings jobs' `downloaded` mark in line with the ledger (one job, or all when `key` is null). */
  private markDownloaded(key: string | null): void {
    const downloads = this.downloads;
    if (!downloads) return;
    const one = key === null ? undefined : this.store.get(key);
    const jobs = key === null ? this.store.all() : one ? [one] : [];
    for (const job of jobs) {
      const state = downloads.downloadedState(job);
      if (state === job.downloaded) continue;
      const { downloaded: _previous, ...rest } = job;
      this.store.upsert(state ? { ...rest, downloaded: state } : rest);
    }
  }

  static async create(deps: CoreDeps): Promise<GenwatchCore> {
    const core = new GenwatchCore(deps);
    // The 'default' account's key is looked up even without a record (a key set by `genwatch keys set`).
    const defaults = deps.providers.map((p) => ({ provider: p.id, id: DEFAULT_ACCOUNT }));
    await core.keys.load([...core.accounts.list(), ...defaults]);
    for (const { provider } of defaults) if (core.keys.resolve(provider, DEFAULT_ACCOUNT)) core.accounts.ensure(provider, DEFAULT_ACCOUNT);
    core.restoreJobs();
    core.resumeInterruptedImports();
    await core.downloads?.configure(core.settings.downloads);
    for (const record of core.accounts.list()) if (record.discover) core.poller.refreshAccount(record.provider, record.id);
    return core;
  }

  // ---- queries -------------------------------------------------------------

  listJobs(): Job[] {
    return this.store.all();
  }

  getSettings(): Settings {
    return this.settings;
  }

  /** Demo mode: the emulator is wired and no real account has a key. */
  get demoMode(): boolean {
    return this.demo !== null && !this.accounts.list().some((r) => r.id !== DEMO_ACCOUNT && this.keys.resolve(r.provider, r.id) !== null);
  }

  hasUserKey(provider: ProviderId): boolean {
    return this.accounts.list().some((r) => r.provider === provider && r.id !== DEMO_ACCOUNT && this.keys.resolve(provider, r.id) !== null);
  }

  status(): AppStatus {
    const counts = { queued: 0, running: 0, completed: 0, failed: 0 };
    for (const job of this.store.all()) counts[job.status]++;
    const accounts: AccountHealth[] = [];
    for (const record of this.accounts.list()) {
      const health = this.accounts.health.get(ref(record.provider, record.id));
      if (health && health.state !== 'ok') accounts.push({ provider: record.provider, accountId: record.id, ...health });
    }
    return { demoMode: this.demoMode, accounts, counts, warnings: [...this.warnings, ...this.notices.values()] };
  }

  /** A notice from the shell about `topic` (null clears it): one sentence shown with the app's warnings. */
  setNotice(topic: string, message: string | null): void {
    if ((this.notices.get(topic) ?? null) === message) return;
    if (message === null) this.notices.delete(topic);
    else this.notices.set(topic, message);
    this.emitStatus();
  }

  accountsState(): AccountsState {
    return { keychain: this.keys.keychainStatus(), accounts: this.accounts.list().map((r) => this.describeAccount(r)) };
  }

  onJobsDelta(listener: (delta: JobsDelta) => void): () => void {
    return this.store.onDelta(listener);
  }

  onStatus(listener: (status: AppStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onSettings(listener: (settings: Settings) => void): () => void {
    this.settingsListeners.add(listener);
    return () => this.settingsListeners.delete(listener);
  }

  onAccounts(listener: (state: AccountsState) => void): () => void {
    this.accountListeners.add(listener);
    return () => this.accountListeners.delete(listener);
  }

  // ---- commands ------------------------------------------------------------

  /** Points the demo account at the built-in emulator (used when no key is set). */
  enableDemo(config: DemoConfig): void {
    this.demo = config;
    for (const [provider, credentials] of Object.entries(config.providers) as [ProviderId, AccountCredentials][]) {
      this.keys.setDemoKey(provider, credentials.apiKey);
      this.accounts.ensure(provider, DEMO_ACCOUNT, 'Demo (built-in emulator)');
    }
    this.emitStatus();
    this.emitAccounts();
  }

  /** The account new jobs go to: the provider's first account with a key, else the demo one. */
  activeAccount(provider: ProviderId): string {
    const withKey = this.accounts.list().find((r) => r.provider === provider && r.id !== DEMO_ACCOUNT && this.keys.resolve(provider, r.id));
    if (withKey) return withKey.id;
    return this.demo?.providers[provider] ? DEMO_ACCOUNT : DEFAULT_ACCOUNT;
  }

  addJobs(provider: ProviderId, input: string, accountId?: string): Result<AddJobsResult> {
    const adapter = this.providers.get(provider);
    if (!adapter) return err('invalid-input', `genwatch does not know the provider "${provider}".`);
    if (accountId && !this.accounts.get(provider, accountId)) return err('invalid-input', `There is no ${adapter.label} account "${accountId}".`);
    const { ids, rejected } = parseIdInput(input, adapter);
    if (ids.length === 0 && rejected.length === 0) return err('invalid-input', 'Paste at least one job id.');
    const account = accountId ?? this.activeAccount(provider);
    this.accounts.ensure(provider, account);
    const added: string[] = [];
    const alreadyWatched: string[] = [];
    for (const id of ids) {
      const key = jobKey(provider, account, id);
      const known = this.store.get(key);
      // Pasting again a job the poller gave up on (a 404 under the wrong key, since fixed) is how the user asks
      // to try it again: it is watched anew and counts as added.
      if (known && this.canRewatch(known)) {
        this.rewatch(known);
        added.push(id);
        continue;
      }
      if (known) {
        alreadyWatched.push(id);
        continue;
      }
      this.store.upsert(placeholderJob({ key, provider, accountId: account, id }));
      this.poller.watch(key);
      added.push(id);
    }
    return ok({ added, alreadyWatched, rejected });
  }

  removeJobs(keys: readonly string[]): number {
    const removed: string[] = [];
    for (const key of keys) {
      this.poller.unwatch(key);
      if (this.store.remove(key)) removed.push(key);
    }
    this.dismissed.add(removed);
    return removed.length;
  }

  /**
   * Marks whether `source` shows live progress. Progress that only a job-by-id
   * request reveals (useapi.net's running list carries none) costs one extra
   * request per cycle, so it is fetched only while someone can see it.
   */
  setProgressWatched(source: string, watched: boolean): null {
    if (watched) this.progressWatchers.add(source);
    else this.progressWatchers.delete(source);
    return null;
  }

  /** The network is back (the OS said so): retry accounts waiting out a backoff now. */
  networkOnline(): null {
    this.poller.retryFailing();
    return null;
  }

  async cancelJob(key: string): Promise<Result<null>> {
    const job = this.store.get(key);
    if (!job) return err('not-found', 'genwatch is not watching that job.');
    const adapter = this.providers.get(job.provider);
    if (!adapter?.cancelJob) return err('invalid-input', `${adapter?.label ?? job.provider} does not let genwatch cancel jobs.`);
    if (isTerminalStatus(job.status)) return err('invalid-input', 'That job has already finished.');
    const credentials = this.credentials(job.provider, job.accountId);
    if (!credentials) return err('auth', this.credentialsProblem(job.provider, job.accountId) ?? `Add a ${adapter.label} key to this account first.`);
    const result = await adapter.cancelJob({ http: this.deps.http, clock: this.deps.clock, accountId: job.accountId, ...credentials }, job.id);
    if (result.ok) this.poller.watch(key); // fetch its final state promptly
    return result;
  }

  async updateSettings(patch: SettingsPatch): Promise<Result<Settings>> {
    const before = this.settings;
    const next = applySettingsPatch(before, patch);
    if (patch.downloads && this.downloads) {
      // A folder or template the engine refuses is not saved.
      const configured = await this.downloads.configure(next.downloads);
      if (!configured.ok) return configured;
    }
    this.settings = next;
    saveSettings(this.deps.kv, this.settings);
    for (const listener of this.settingsListeners) listener(this.settings);
    for (const provider of PROVIDER_IDS) {
      if (before.providers[provider].baseUrl === this.settings.providers[provider].baseUrl) continue;
      for (const record of this.accounts.list()) if (record.provider === provider && record.id !== DEMO_ACCOUNT) this.poller.resumeAccount(provider, record.id);
    }
    return ok(this.settings);
  }

  /**
   * Points a provider at another API address (null: its public API). A key never goes to a new
   * server on the page's word alone: when an account of this provider has a key and the address
   * moves to another server than the provider's own or the one already set, the user is asked.
   */
  async setProviderBaseUrl(provider: ProviderId, baseUrl: string | null): Promise<Result<{ changed: boolean; settings: Settings }>> {
    const adapter = this.providers.get(provider);
    if (!adapter) return err('invalid-input', `Unknown provider ${provider}.`);
    const target = originOf(baseUrl ?? adapter.defaultBaseUrl);
    if (target === null) return err('invalid-input', 'That address is not a valid URL.');
    const known = [originOf(adapter.defaultBaseUrl), originOf(this.settings.providers[provider].baseUrl ?? adapter.defaultBaseUrl)];
    if (!known.includes(target) && this.hasUserKey(provider)) {
      if (!this.deps.confirm) return err('forbidden', 'A new address for the API can only be confirmed in the desktop app.');
      const yes = await this.deps.confirm(this.keyToServerQuestion(adapter.label, target));
      if (!yes) return ok({ changed: false, settings: this.settings });
    }
    const saved = await this.updateSettings({ providers: { [provider]: { baseUrl } } });
    return saved.ok ? ok({ changed: true, settings: saved.value }) : saved;
  }

  private keyToServerQuestion(label: string, origin: string): Confirmation {
    return {
      message: `Send your ${label} API key to ${new URL(origin).host}?`,
      detail: `genwatch will send the key of every ${label} account to this server with each request. Only continue if you run or trust it (a proxy of yours, a local test server).`,
      confirmLabel: 'Use this server',
    };
  }

  // ---- downloads -----------------------------------------------------------

  async chooseDownloadFolder(): Promise<Result<{ root: string | null }>> {
    const pick = this.deps.downloads?.pickFolder;
    if (!pick) return err('internal', 'Choosing a folder is not available here.');
    const root = await pick();
    if (root === null) return ok({ root: this.settings.downloads.root });
    const saved = await this.updateSettings({ downloads: { root } });
    return saved.ok ? ok({ root }) : saved;
  }

  async downloadJobs(keys: readonly string[], force: boolean): Promise<Result<DownloadRequestResult>> {
    if (!this.downloads) return err('internal', 'Downloads are not available here.');
    const jobs = keys.flatMap((key) => {
      const job = this.store.get(key);
      return job && job.status === 'completed' ? [job] : [];
    });
    if (jobs.length === 0) return err('invalid-input', 'None of these jobs has completed yet, so there is nothing to download.');
    return this.downloads.download(await this.withFullResults(jobs), this.settings.downloads.images, force);
  }

  /**
   * Jobs known only from a history list (one bare URL of several results) are
   * asked for in full first, a few at a time, so "download" gets every file.
   * One that cannot be read now keeps what the list gave: that file is
   * downloaded, and the job still counts as not all on disk.
   */
  private async withFullResults(jobs: readonly Job[]): Promise<Job[]> {
    const out = [...jobs];
    const todo = out.flatMap((job, i) => (needsFullResult(job) ? [i] : []));
    // A rate limit (429) pauses the whole fetch: no new request starts until its Retry-After is over, then the
    // refused job is asked again (thousands of jobs would otherwise all keep their list asset). Requests
    // already in flight finish. Waits that bring no answer at all in between eventually give up.
    let wait: Promise<void> | null = null;
    let fruitlessWaits = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        while (wait) await wait;
        const i = todo.shift();
        if (i === undefined) return;
        const fresh = await this.refetchJobResult(out[i] as Job);
        if (fresh.ok) {
          fruitlessWaits = 0;
          if (fresh.value.status === 'completed') out[i] = fresh.value;
          continue;
        }
        // Any other failure keeps what the list gave (that file is downloaded; the job counts as not all on disk).
        if (fresh.error.kind !== 'rate-limited' || fruitlessWaits >= FULL_RESULT_MAX_FRUITLESS_WAITS) continue;
        todo.unshift(i);
        if (wait) continue;
        fruitlessWaits++;
        const asked = fresh.error.retryAfterMs;
        const ms = Math.min(typeof asked === 'number' && asked > 0 ? asked : FULL_RESULT_DEFAULT_WAIT_MS, FULL_RESULT_MAX_WAIT_MS);
        wait = new Promise<void>((resolve) => this.deps.clock.setTimeout(resolve, ms)).then(() => {
          wait = null;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(FULL_RESULT_CONCURRENCY, todo.length) }, worker));
    return out;
  }

  /**
   * A job genwatch saw running (a real provider status, not the placeholder of a
   * just-added id) that is now completed gets its results downloaded, per the
   * settings. Jobs already finished when first seen (history, pasted old ids) do not.
   */
  private noteTransition(previous: Job | undefined, next: Job): void {
    if (next.status !== 'completed' || !previous || previous.status === 'completed' || previous.status === 'failed') return;
    if (previous.rawStatus === 'UNKNOWN') return;
    const settings = this.settings.downloads;
    const perAccount = settings.autoPerAccount[`${next.provider}:${next.accountId}`];
    const modality = next.modality === 'unknown' ? 'image' : next.modality;
    if (!(perAccount ?? settings.auto) || !settings.autoModalities[modality] || !this.downloads || !settings.root) return;
    this.autoQueue.push(next);
    // Jobs finishing in the same moment go out as one batch.
    queueMicrotask(() => {
      const ready = this.autoQueue.splice(0);
      if (ready.length === 0 || !this.downloads) return;
      void this.downloads.download(ready, settings.images, false).then((result) => {
        // Nobody clicked anything: a refusal (a full disk, say) is said with the app's warnings, until one goes through.
        if (!result.ok) this.deps.logger.warn('automatic download refused', { message: result.error.message });
        this.setNotice('auto-download', result.ok ? null : `Finished jobs were not downloaded automatically: ${lowerFirst(result.error.message)}`);
      });
    });
  }

  private async refetchJob(job: Job): Promise<Job | null> {
    const fresh = await this.refetchJobResult(job);
    return fresh.ok ? fresh.value : null;
  }

  /** refetchJob with the failure kept: a bulk fetch must tell a rate limit (and its Retry-After) from the rest. */
  private async refetchJobResult(job: Job): Promise<Result<Job>> {
    const adapter = this.providers.get(job.provider);
    const credentials = this.credentials(job.provider, job.accountId);
    if (!adapter || !credentials) return err('auth', this.credentialsProblem(job.provider, job.accountId) ?? 'This job\'s account has no usable key.');
    const fresh = await adapter.getJob({ http: this.deps.http, clock: this.deps.clock, accountId: job.accountId, ...credentials }, job.id);
    if (!fresh.ok) return fresh;
    const current = this.store.get(job.key) ?? job;
    const merged = mergeJob(current, fresh.value, current.watch);
    this.store.upsert(merged);
    return ok(merged);
  }

  /** A job the poller stopped watching after an error about it (failJob: not found, expired, refused id). */
  private canRewatch(job: Job): boolean {
    return job.watch.state === 'error' && !isTerminalStatus(job.status);
  }

  private rewatch(job: Job): void {
    // poller.watch() only tracks the job again; the error it showed is cleared here.
    this.store.upsert({ ...job, watch: { ...job.watch, state: 'watching', message: null } });
    this.poller.watch(job.key);
  }

  private useapiProxy(): { apiBase: string; token: string } | null {
    for (const record of this.accounts.list()) {
      if (record.provider !== 'useapi') continue;
      const credentials = this.credentials('useapi', record.id);
      if (credentials) return { apiBase: credentials.baseUrl, token: credentials.apiKey };
    }
    return null;
  }

  async saveAccount(request: SaveAccount): Promise<Result<AccountsState>> {
    const adapter = this.providers.get(request.provider);
    if (!adapter) return err('invalid-input', `genwatch does not support ${request.provider} yet.`);
    if (request.accountId === DEMO_ACCOUNT) return err('invalid-input', 'The demo account belongs to the built-in emulator and cannot be changed.');
    const existing = request.accountId ? this.accounts.get(request.provider, request.accountId) : undefined;
    if (!existing && !request.accountId && !request.key) return err('invalid-input', 'A new account needs its API key.');
    const hasAny = this.accounts.list().some((r) => r.provider === request.provider && r.id !== DEMO_ACCOUNT);
    const id = existing?.id ?? request.accountId ?? (hasAny ? this.accounts.uniqueId(request.provider, request.label ?? adapter.label) : DEFAULT_ACCOUNT);
    // The first key of a provider whose address was changed in settings (with no key around, nobody was
    // asked then): the user confirms the server it will go to, as setProviderBaseUrl asks when a key exists.
    const setUrl = this.settings.providers[request.provider].baseUrl;
    const setOrigin = setUrl === null ? null : originOf(setUrl);
    if (request.key && setOrigin !== null && setOrigin !== originOf(adapter.defaultBaseUrl) && !this.hasUserKey(request.provider)) {
      if (!this.deps.confirm) return err('forbidden', 'A key for another API address can only be confirmed in the desktop app.');
      const yes = await this.deps.confirm(this.keyToServerQuestion(adapter.label, setOrigin));
      if (!yes) return err('invalid-input', `The key was not saved: it would go to ${new URL(setOrigin).host}, which you did not confirm.`);
    }
    // The key first: an account is only created once its key is safely stored.
    if (request.key) {
      const stored = await this.keys.set(request.provider, id, request.key);
      if (!stored.ok) return stored;
    }
    const record = existing ?? this.accounts.ensure(request.provider, id, request.label);
    const updated = this.accounts.put({
      ...record,
      label: request.label ?? record.label,
      scope: request.scope ?? record.scope,
      discover: request.discover ?? record.discover,
    });
    if (request.key) {
      this.accounts.health.delete(ref(updated.provider, updated.id));
      this.poller.resumeAccount(updated.provider, updated.id);
      // Jobs the poller gave up on under the old key (ids pasted under the wrong key all answer 404) get another chance.
      for (const job of this.store.all()) {
        if (job.provider === updated.provider && job.accountId === updated.id && this.canRewatch(job)) this.rewatch(job);
      }
    }
    this.poller.refreshAccount(updated.provider, updated.id);
    if (updated.provider === 'useapi') this.downloads?.refreshSources();
    this.emitStatus();
    this.emitAccounts();
    return ok(this.accountsState());
  }

  async removeAccount(provider: ProviderId, accountId: string, forgetJobs: boolean): Promise<Result<AccountsState>> {
    if (accountId === DEMO_ACCOUNT) return err('invalid-input', 'The demo account cannot be removed; add your own key instead.');
    if (!this.accounts.get(provider, accountId)) return err('not-found', 'That account does not exist.');
    this.imports.get(ref(provider, accountId))?.cancel();
    const cleared = await this.keys.clear(provider, accountId);
    if (!cleared.ok) return cleared;
    const jobs = this.store.all().filter((job) => job.provider === provider && job.accountId === accountId);
    for (const job of jobs) this.poller.unwatch(job.key);
    if (forgetJobs) this.removeJobs(jobs.map((job) => job.key));
    else {
      for (const job of jobs) {
        if (isTerminalStatus(job.status)) continue;
        this.store.upsert({ ...job, watch: { ...job.watch, state: 'paused', message: 'Its account was removed; add the account again to keep watching it.' } });
      }
    }
    this.accounts.remove(provider, accountId);
    this.emitStatus();
    this.emitAccounts();
    return ok(this.accountsState());
  }

  importHistory(provider: ProviderId, accountId: string): Result<AccountsState> {
    const adapter = this.providers.get(provider);
    const record = this.accounts.get(provider, accountId);
    if (!adapter || !record) return err('not-found', 'That account does not exist.');
    if (!adapter.listJobs) return err('invalid-input', `${adapter.label} offers no job history to import; running jobs are discovered instead.`);
    const credentials = this.credentials(provider, accountId);
    if (!credentials) return err('auth', this.credentialsProblem(provider, accountId) ?? `Add a ${adapter.label} key to this account before importing its history.`);
    if (this.imports.has(ref(provider, accountId))) return ok(this.accountsState());
    const resume = record.history.state === 'running' || record.history.state === 'cancelled' || record.history.state === 'error';
    this.runImport(adapter, record, credentials, resume && record.history.cursor ? record.history : null);
    return ok(this.accountsState());
  }

  resumeAccount(provider: ProviderId, accountId: string): Result<AccountsState> {
    if (!this.accounts.get(provider, accountId)) return err('not-found', 'That account does not exist.');
    this.poller.resumeAccount(provider, accountId);
    return ok(this.accountsState());
  }

  cancelImport(provider: ProviderId, accountId: string): Result<AccountsState> {
    this.imports.get(ref(provider, accountId))?.cancel();
    return ok(this.accountsState());
  }

  async openExternal(url: string): Promise<Result<null>> {
    if (!/^https:\/\//i.test(url)) return err('forbidden', 'Only https links can be opened.');
    if (!this.deps.openExternal) return err('internal', 'Opening links is not available here.');
    await this.deps.openExternal(url);
    return ok(null);
  }

  /**
   * For a quit: like dispose(), but downloads are first stopped cleanly
   * (their partial files resumable, held sidecar entries and ledger lines
   * written; a few seconds at most).
   */
  async shutdown(): Promise<void> {
    for (const run of this.imports.values()) run.cancel();
    this.poller.stop();
    try {
      await this.downloads?.shutdown();
    } finally {
      this.dispose();
    }
  }

  /**
   * For an end of session (Windows log-off): nothing asynchronous will run
   * again, so downloads are halted synchronously (bounded) and everything
   * else is written at once.
   */
  endSession(): void {
    this.stopWork();
    // Jobs and settings first: Windows may end the process while the downloads are being halted.
    this.saveNow();
    this.downloads?.endSession();
  }

  /** Stops timers and writes pending state; the process can exit afterwards. */
  dispose(): void {
    this.stopWork();
    this.downloads?.dispose();
    this.saveNow();
  }

  private stopWork(): void {
    for (const run of this.imports.values()) run.cancel();
    this.poller.stop();
  }

  private saveNow(): void {
    this.store.flush();
    if (this.persistTimer !== null) this.deps.clock.clearTimeout(this.persistTimer);
    this.persistTimer = null;
    this.persistJobs();
  }

  // ---- internals -----------------------------------------------------------

  credentials(provider: ProviderId, accountId: string): AccountCredentials | null {
    if (accountId === DEMO_ACCOUNT) return this.demo?.providers[provider] ?? null;
    const adapter = this.providers.get(provider);
    const key = this.keys.resolve(provider, accountId);
    if (!adapter || !key || key.source === 'demo') return null;
    const baseUrl = this.baseUrlOf(adapter);
    // Never send the key in clear text across the network (settings refuse such a URL now; older settings
    // and the environment are checked here, and credentialsProblem says why).
    if (!isHttpsOrLoopbackUrl(baseUrl)) return null;
    return { baseUrl, apiKey: key.key };
  }

  /** Why an account with a key has no usable credentials, in one sentence; null when the key itself is missing. */
  credentialsProblem(provider: ProviderId, accountId: string): string | null {
    const adapter = this.providers.get(provider);
    if (!adapter || accountId === DEMO_ACCOUNT || !this.keys.resolve(provider, accountId)) return null;
    const baseUrl = this.baseUrlOf(adapter);
    if (isHttpsOrLoopbackUrl(baseUrl)) return null;
    const where = this.deps.environment[adapter.env.baseUrl] ? adapter.env.baseUrl : `the ${adapter.label} base URL in Settings`;
    return `${where} (${baseUrl}) ${UNSAFE_API_BASE}: change it to use this account.`;
  }

  private baseUrlOf(adapter: ProviderAdapter): string {
    // An empty variable counts as unset (as in the CLI).
    return this.deps.environment[adapter.env.baseUrl] || this.settings.providers[adapter.id].baseUrl || adapter.defaultBaseUrl;
  }

  private runImport(adapter: ProviderAdapter, record: AccountRecord, credentials: AccountCredentials, resumeFrom: AccountRecord['history'] | null): void {
    const key = ref(record.provider, record.id);
    const context: ProviderContext = { http: this.deps.http, clock: this.deps.clock, accountId: record.id, ...credentials };
    const setHistory = (history: Partial<AccountRecord['history']>): void => {
      this.accounts.update(record.provider, record.id, (r) => ({ ...r, history: { ...r.history, ...history } }));
      this.emitAccounts();
    };
    setHistory({ state: 'running', message: null, ...(resumeFrom ? {} : { pages: 0, jobs: 0, cursor: null }) });
    const run = startHistoryImport({
      provider: adapter,
      context,
      scope: record.scope,
      clock: this.deps.clock,
      random: this.deps.random,
      resumeFrom: resumeFrom ? { pages: resumeFrom.pages, jobs: resumeFrom.jobs, cursor: resumeFrom.cursor } : null,
      onJobs: (jobs) => this.importJobs(jobs),
      onProgress: (progress) => setHistory(progress),
    });
    this.imports.set(key, run);
    void run.done.then((result) => {
      this.imports.delete(key);
      // Cancelled while a page was failing: a cancel all the same (the progress so far is already stored).
      if (!result.ok && !result.cancelled) {
        // A cursor that cannot work again is dropped, so the next "Import" starts over instead of failing the same way.
        setHistory({ state: 'error', message: result.error.message, ...(result.startOver ? { cursor: null } : {}) });
        return;
      }
      setHistory({
        state: result.cancelled ? 'cancelled' : 'done',
        ...(result.ok ? result.value : {}),
        message: result.cancelled ? 'Import cancelled; it resumes where it stopped.' : null,
        finishedAt: result.cancelled ? null : new Date(this.deps.clock.now()).toISOString(),
      });
    });
  }

  private importJobs(jobs: readonly ProviderJob[]): void {
    const now = new Date(this.deps.clock.now()).toISOString();
    for (const job of jobs) {
      const previous = this.store.get(job.key);
      const done = isTerminalStatus(job.status);
      this.store.upsert(mergeJob(previous, job, previous?.watch ?? { state: done ? 'done' : 'watching', message: null, lastCheckedAt: now, progressAt: now }));
      if (!done) this.poller.watch(job.key);
    }
  }

  private resumeInterruptedImports(): void {
    for (const record of this.accounts.list()) {
      if (record.history.state !== 'running') continue;
      const adapter = this.providers.get(record.provider);
      const credentials = this.credentials(record.provider, record.id);
      if (adapter?.listJobs && credentials) this.runImport(adapter, record, credentials, record.history);
    }
  }

  private describeAccount(record: AccountRecord): Account {
    const key = ref(record.provider, record.id);
    return {
      provider: record.provider,
      id: record.id,
      label: record.label,
      demo: record.id === DEMO_ACCOUNT,
      key: this.keys.describe(record.provider, record.id),
      health: this.accounts.health.get(key) ?? { state: 'ok', message: null },
      scope: record.scope,
      discover: record.discover,
      history: {
        state: record.history.state,
        pages: record.history.pages,
        jobs: record.history.jobs,
        message: record.history.message,
        finishedAt: record.history.finishedAt,
      },
      channels: this.accounts.channels.get(key) ?? [],
    };
  }

  private setHealth(health: AccountHealth): void {
    const key = ref(health.provider, health.accountId);
    if (health.state === 'ok') this.accounts.health.delete(key);
    else this.accounts.health.set(key, { state: health.state, message: health.message });
    this.emitStatus();
    this.emitAccounts();
  }

  private emitStatus(): void {
    if (this.statusListeners.size === 0) return;
    const status = this.status();
    for (const listener of this.statusListeners) listener(status);
  }

  private emitAccounts(): void {
    if (this.accountListeners.size === 0) return;
    const state = this.accountsState();
    for (const listener of this.accountListeners) listener(state);
  }

  private restoreJobs(): void {
    const stored = this.jobsKv.get(JOBS_KEY);
    if (!Array.isArray(stored)) return;
    let skipped = 0;
    for (const item of stored) {
      const parsed = JobSchema.safeParse(item);
      if (!parsed.success || !this.providers.has(parsed.data.provider)) {
        // Kept as they are and saved again with the others (a newer version, or a provider this build lacks, can read them).
        this.unreadableJobs.push(item);
        skipped++;
        continue;
      }
      this.store.upsert(parsed.data);
      // Jobs kept from a removed account stay visible but are not polled (no key to ask with).
      const hasAccount = this.accounts.get(parsed.data.provider, parsed.data.accountId) !== undefined;
      if (hasAccount && !isTerminalStatus(parsed.data.status) && parsed.data.watch.state !== 'error') this.poller.watch(parsed.data.key);
    }
    if (skipped > 0) {
      this.deps.logger.warn('skipped unreadable stored jobs', { skipped });
      this.warnings.push(`${skipped} saved job${skipped === 1 ? ' is' : 's are'} not shown: written by a newer genwatch or damaged; ${skipped === 1 ? 'it stays' : 'they stay'} in the jobs file.`);
    }
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
    const jobs: unknown[] = this.store.all().filter((job) => job.accountId !== DEMO_ACCOUNT);
    this.jobsKv.set(JOBS_KEY, this.unreadableJobs.length > 0 ? [...jobs, ...this.unreadableJobs] : jobs);
  }
}

/** scheme://host:port of a URL, or null when it is not one. */
function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** "Not enough…" → "not enough…", to follow a colon mid-sentence. */
function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
