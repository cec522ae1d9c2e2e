/**
 * An in-memory GenwatchApi for unit tests and for previewing the UI without
 * main. Holds jobs, settings and accounts; emits events like the preload.
 * Type-only imports from src-shared: nothing here pulls in zod.
 */
import type { Account, AccountsState } from '../../../src-shared/accounts';
import type { GenwatchApi } from '../../../src-shared/bridge';
import type { EventName, InvokeMethod } from '../../../src-shared/channel-names';
import type { AppStatus, EventPayload, JobsDelta, Request, Response } from '../../../src-shared/ipc-contract';
import type { Asset, Job, JobStatus, Modality, ProviderId } from '../../../src-shared/job';
import type { AppError, Result } from '../../../src-shared/result';
import type { Settings } from '../../../src-shared/settings';
import { tallyBatch } from '../../../src-shared/batch-counts';
import { mulberry32 } from '../../../src-shared/seeded-random';
import type { BatchCounts, DownloadFile, DownloadsState } from '../../../src-shared/downloads';
import { DEFAULT_DOWNLOAD_SETTINGS, TEMPLATE_VARIABLES } from './labels';

export type DoubleCall = { method: InvokeMethod; request: unknown };

export type DoubleOptions = {
  jobs?: Job[];
  demoMode?: boolean;
  /** Account health as pushed in appStatus. */
  accounts?: AppStatus['accounts'];
  /** The accounts listAccounts answers with. */
  accountList?: Account[];
  keychain?: AccountsState['keychain'];
  warnings?: string[];
  settings?: Settings;
  version?: string;
  platform?: string;
  /** What the folder picker answers (null: the user cancelled). Default a Pictures folder. */
  folderChoice?: string | null;
  /** Completed jobs flagged as close to the provider's retention limit. */
  atRiskKeys?: string[];
  /** Simulated download speed per file, bytes per second. */
  downloadSpeed?: number;
};

/** Rows getDownloads returns at most (main caps its list too). */
export const DOUBLE_FILES_CAP = 500;

type Listener = (payload: unknown) => void;

const ID_PATTERN = /^[\w:.-]{6,200}$/;

export function makeJob(partial: Partial<Job> & { id: string }): Job {
  const provider: ProviderId = partial.provider ?? 'apiframe';
  const accountId = partial.accountId ?? 'default';
  const status: JobStatus = partial.status ?? 'queued';
  return {
    key: partial.key ?? `${provider}:${accountId}:${partial.id}`,
    provider,
    accountId,
    id: partial.id,
    status,
    rawStatus: partial.rawStatus ?? status.toUpperCase(),
    modality: partial.modality ?? 'image',
    model: partial.model ?? null,
    prompt: partial.prompt ?? null,
    progress: partial.progress ?? (status === 'completed' ? 100 : 0),
    assets: partial.assets ?? [],
    error: partial.error ?? null,
    cost: partial.cost ?? null,
    webhookStatus: partial.webhookStatus ?? null,
    createdAt: partial.createdAt ?? null,
    updatedAt: partial.updatedAt ?? partial.createdAt ?? null,
    completedAt: partial.completedAt ?? null,
    watch: partial.watch ?? {
      state: status === 'completed' || status === 'failed' ? 'done' : 'watching',
      message: null,
      lastCheckedAt: partial.updatedAt ?? partial.createdAt ?? null,
      progressAt: partial.updatedAt ?? partial.createdAt ?? null,
    },
    raw: partial.raw ?? { id: partial.id, status: partial.rawStatus ?? status },
  };
}

export function makeAccount(partial: Partial<Account> & { provider: ProviderId; id: string }): Account {
  return {
    provider: partial.provider,
    id: partial.id,
    label: partial.label ?? (partial.id === 'default' ? 'Default' : partial.id),
    demo: partial.demo ?? false,
    key: partial.key ?? { isSet: false, last4: null, source: null },
    health: partial.health ?? { state: partial.key?.isSet ? 'ok' : 'key-missing', message: null },
    scope: partial.scope ?? 'user',
    discover: partial.discover ?? false,
    history: partial.history ?? { state: 'never', pages: 0, jobs: 0, message: null, finishedAt: null },
    channels: partial.channels ?? [],
  };
}

/** The emulator's demo accounts, as main lists them in demo mode. */
export function demoAccounts(): Account[] {
  return (['apiframe', 'useapi'] as const).map((provider) =>
    makeAccount({
      provider,
      id: 'demo',
      label: 'Demo',
      demo: true,
      key: { isSet: true, last4: 'demo', source: 'demo' },
      health: { state: 'ok', message: null },
    }),
  );
}

/** Mirrors DEFAULT_SETTINGS in src-shared/settings.ts (a zod module the renderer does not import). */
export function defaultSettings(patch: Partial<Settings> = {}): Settings {
  return {
    theme: 'system',
    stalledAfterMinutes: 10,
    notifications: { enabled: true, onCompleted: true, onFailed: true, quietWhenFocused: true, perAccount: {}, mutedUntil: {} },
    desktop: { closeToTray: true, launchAtLogin: false, startHidden: false },
    downloads: structuredClone(DEFAULT_DOWNLOAD_SETTINGS),
    providers: { apiframe: { baseUrl: null }, useapi: { baseUrl: null } },
    ...patch,
  };
}

function slug(label: string): string {
  const s = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return /^[a-z0-9]/.test(s) ? s : `account-${s || 'x'}`.slice(0, 40);
}

function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

class Refusal extends Error {
  constructor(readonly appError: AppError) {
    super(appError.message);
  }
}

export class IpcDouble {
  readonly calls: DoubleCall[] = [];
  readonly #jobs = new Map<string, Job>();
  readonly #listeners = new Map<EventName, Set<Listener>>();
  readonly #failures = new Map<InvokeMethod, AppError>();
  status: AppStatus;
  settings: Settings;
  accountsState: AccountsState;
  info: { version: string; platform: string };
  /** Every key main would have stored, by `provider:accountId` (tests check it never reaches state). */
  readonly secrets = new Map<string, string>();
  /** Every download row, oldest first (getDownloads shows them newest first, capped). */
  downloadFiles: DownloadFile[] = [];
  downloadProblem: string | null = null;
  lowSpace = false;
  atRiskKeys: string[];
  folderChoice: string | null;
  /** The user's answer when main asks before a key goes to a new API address. */
  confirmAddress = true;
  downloadSpeed: number;
  /** Files whose id is listed here fail half-way with this sentence (retry clears it). */
  readonly failFiles = new Map<string, string>();
  #batch = 0;

  constructor(options: DoubleOptions = {}) {
    for (const job of options.jobs ?? []) this.#jobs.set(job.key, job);
    this.settings = options.settings ?? defaultSettings();
    this.accountsState = {
      keychain: options.keychain ?? { available: true, message: null },
      accounts: options.accountList ?? (options.demoMode ? demoAccounts() : []),
    };
    this.status = {
      demoMode: options.demoMode ?? false,
      accounts: options.accounts ?? [],
      counts: this.#counts(),
      warnings: options.warnings ?? [],
    };
    this.info = { version: options.version ?? '0.1.0', platform: options.platform ?? 'linux' };
    this.atRiskKeys = options.atRiskKeys ?? [];
    this.folderChoice = options.folderChoice === undefined ? '/home/you/Pictures/genwatch' : options.folderChoice;
    this.downloadSpeed = options.downloadSpeed ?? 2_400_000;
  }

  /** The object to hand to the state classes in place of `window.genwatch`. */
  readonly api: GenwatchApi = {
    getAppInfo: (r) => this.#answer('getAppInfo', r, () => ({ ...this.info, status: this.status })),
    listJobs: (r) => this.#answer('listJobs', r, () => this.jobs()),
    addJobs: (r) => this.#answer('addJobs', r, () => this.#add(r)),
    removeJobs: (r) => this.#answer('removeJobs', r, () => ({ removed: this.remove(r.keys) })),
    getSettings: (r) => this.#answer('getSettings', r, () => this.settings),
    updateSettings: (r) =>
      this.#answer('updateSettings', r, () => {
        this.settings = {
          theme: r.theme ?? this.settings.theme,
          stalledAfterMinutes: r.stalledAfterMinutes ?? this.settings.stalledAfterMinutes,
          notifications: { ...this.settings.notifications, ...r.notifications },
          desktop: { ...this.settings.desktop, ...r.desktop },
          downloads: { ...this.settings.downloads, ...r.downloads },
          providers: this.settings.providers,
        };
        return this.settings;
      }),
    /** `confirmAddress` plays the user's answer to main's question. */
    setProviderBaseUrl: (r) =>
      this.#answer('setProviderBaseUrl', r, () => {
        if (!this.confirmAddress) return { changed: false, settings: this.settings };
        this.settings = { ...this.settings, providers: { ...this.settings.providers, [r.provider]: { baseUrl: r.baseUrl } } };
        return { changed: true, settings: this.settings };
      }),
    listAccounts: (r) => this.#answer('listAccounts', r, () => this.accountsState),
    saveAccount: (r) => this.#answer('saveAccount', r, () => this.#save(r)),
    removeAccount: (r) =>
      this.#answer('removeAccount', r, () => {
        this.#find(r.provider, r.accountId);
        if (r.forgetJobs) this.remove(this.jobs().filter((j) => j.provider === r.provider && j.accountId === r.accountId).map((j) => j.key));
        this.secrets.delete(`${r.provider}:${r.accountId}`);
        return this.#setAccounts(this.accountsState.accounts.filter((a) => !(a.provider === r.provider && a.id === r.accountId)));
      }),
    importHistory: (r) =>
      this.#answer('importHistory', r, () =>
        this.updateAccount(r.provider, r.accountId, { history: { state: 'running', pages: 0, jobs: 0, message: null, finishedAt: null } }),
      ),
    cancelImport: (r) =>
      this.#answer('cancelImport', r, () => {
        const account = this.#find(r.provider, r.accountId);
        return this.updateAccount(r.provider, r.accountId, {
          history: { ...account.history, state: 'cancelled', finishedAt: new Date().toISOString() },
        });
      }),
    setWindowVisible: (r) => this.#answer('setWindowVisible', r, () => null),
    networkOnline: (r) => this.#answer('networkOnline', r, () => null),
    cancelJob: (r) =>
      this.#answer('cancelJob', r, () => {
        const job = this.#jobs.get(r.key);
        if (!job) throw new Refusal({ kind: 'not-found', message: 'That job is not watched.' });
        if (job.provider !== 'useapi') {
          throw new Refusal({ kind: 'invalid-input', message: 'Apiframe does not let running jobs be cancelled.' });
        }
        if (job.status === 'completed' || job.status === 'failed') {
          throw new Refusal({ kind: 'invalid-input', message: 'This job has already finished.' });
        }
        const now = new Date().toISOString();
        this.upsert([
          {
            ...job,
            status: 'failed',
            rawStatus: 'failed',
            error: { message: 'Job cancelled by user', code: null, details: null },
            updatedAt: now,
            completedAt: now,
            watch: { ...job.watch, state: 'done' },
          },
        ]);
        return null;
      }),
    resumeAccount: (r) =>
      this.#answer('resumeAccount', r, () => this.updateAccount(r.provider, r.accountId, { health: { state: 'ok', message: null } })),
    openExternal: (r) => this.#answer('openExternal', r, () => null),
    chooseDownloadFolder: (r) =>
      this.#answer('chooseDownloadFolder', r, () => {
        const root = this.folderChoice;
        if (root !== null) {
          this.settings = { ...this.settings, downloads: { ...this.settings.downloads, root } };
          this.downloadProblem = null;
          this.emitDownloads();
        }
        return { root };
      }),
    previewFileName: (r) => this.#answer('previewFileName', r, () => ({ path: previewName(r.template) })),
    downloadJobs: (r) => this.#answer('downloadJobs', r, () => this.#download(r.keys, r.force ?? false)),
    getDownloads: (r) => this.#answer('getDownloads', r, () => this.downloadsState()),
    controlDownloads: (r) =>
      this.#answer('controlDownloads', r, () => {
        this.#control(r.action, r.id);
        return this.downloadsState();
      }),
    retryFailedDownloads: (r) =>
      this.#answer('retryFailedDownloads', r, () => {
        const failed = this.downloadFiles.filter((f) => f.batchId === r.batchId && f.state === 'failed');
        if (failed.length === 0) throw new Refusal({ kind: 'not-found', message: 'Nothing in that batch failed.' });
        // As main does: a new request whose rows replace the failed ones.
        const batchId = `batch-${++this.#batch}`;
        this.downloadFiles = this.downloadFiles.map((f) =>
          f.batchId === r.batchId && f.state === 'failed'
            ? { ...f, id: `${batchId}-${f.id}`, batchId, state: 'queued', bytes: 0, error: null, attempts: 0 }
            : f,
        );
        for (const f of failed) this.failFiles.delete(f.id);
        this.emitDownloads();
        return { batchId, files: failed.length, skipped: 0, failed: 0 };
      }),
    revealFile: (r) => this.#answer('revealFile', r, () => this.#onDisk(r.path)),
    openFile: (r) => this.#answer('openFile', r, () => this.#onDisk(r.path)),
    on: <E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) => {
      const set = this.#listeners.get(event) ?? new Set<Listener>();
      this.#listeners.set(event, set);
      const l = listener as Listener;
      set.add(l);
      return () => {
        set.delete(l);
      };
    },
  };

  jobs(): Job[] {
    return Array.from(this.#jobs.values());
  }

  /** Make the next call to `method` fail with this error. */
  failNext(method: InvokeMethod, error: AppError): void {
    this.#failures.set(method, error);
  }

  listenerCount(event: EventName): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const listener of this.#listeners.get(event) ?? []) listener(payload);
  }

  /** Insert or replace jobs and emit one `jobsDelta`. */
  upsert(jobs: Job[]): void {
    for (const job of jobs) this.#jobs.set(job.key, job);
    this.#emitDelta({ upserted: jobs, removed: [] });
  }

  remove(keys: string[]): number {
    const removed = keys.filter((key) => this.#jobs.delete(key));
    if (removed.length > 0) this.#emitDelta({ upserted: [], removed });
    return removed.length;
  }

  setStatus(patch: Partial<AppStatus>): void {
    this.status = { ...this.status, ...patch };
    this.emit('appStatus', this.status);
  }

  /** Change one account and push the new state (`accounts` event), like main does. */
  updateAccount(provider: ProviderId, accountId: string, patch: Partial<Account>): AccountsState {
    this.#find(provider, accountId);
    return this.#setAccounts(
      this.accountsState.accounts.map((a) => (a.provider === provider && a.id === accountId ? { ...a, ...patch } : a)),
    );
  }

  /** One more page of a running history import: `jobs` new jobs (generated) arrive as a delta. */
  importPage(provider: ProviderId, accountId: string, jobs: number): void {
    const account = this.#find(provider, accountId);
    if (account.history.state !== 'running') return;
    const fresh = generateJobs(jobs, { provider, accountId, seed: account.history.pages + 17, idPrefix: `imp${account.history.pages}` });
    this.upsert(fresh);
    this.updateAccount(provider, accountId, {
      history: { ...account.history, pages: account.history.pages + 1, jobs: account.history.jobs + jobs },
    });
  }

  finishImport(provider: ProviderId, accountId: string, outcome: 'done' | 'error' = 'done', message: string | null = null): void {
    const account = this.#find(provider, accountId);
    this.updateAccount(provider, accountId, {
      history: { ...account.history, state: outcome, message, finishedAt: new Date().toISOString() },
    });
  }

  /** Advance the emulation one step: queued jobs start, running jobs progress. */
  tick(step = 7): void {
    const now = new Date().toISOString();
    const changed: Job[] = [];
    for (const job of this.#jobs.values()) {
      if (job.status === 'queued') {
        changed.push({ ...job, status: 'running', rawStatus: 'PROCESSING', progress: 2, updatedAt: now });
      } else if (job.status === 'running' && job.watch.state !== 'stalled') {
        const progress = Math.min(100, job.progress + step);
        changed.push(
          progress >= 100
            ? {
                ...job,
                status: 'completed',
                rawStatus: 'FINISHED',
                progress: 100,
                updatedAt: now,
                completedAt: now,
                watch: { ...job.watch, state: 'done', progressAt: now, lastCheckedAt: now },
              }
            : { ...job, progress, updatedAt: now, watch: { ...job.watch, progressAt: now, lastCheckedAt: now } },
        );
      }
    }
    if (changed.length > 0) this.upsert(changed);
  }

  /** What getDownloads answers: newest first, capped, with the aggregate over every row. */
  downloadsState(): DownloadsState {
    const files = { total: 0, queued: 0, active: 0, paused: 0, done: 0, skipped: 0, failed: 0, cancelled: 0 };
    let bytes = 0;
    let totalBytes = 0;
    let speed = 0;
    let remaining = 0;
    const failedByBatch = new Map<string, number>();
    for (const f of this.downloadFiles) {
      files.total += 1;
      files[f.state === 'retrying' ? 'active' : f.state] += 1;
      if (f.state === 'cancelled' || f.state === 'skipped') continue;
      bytes += f.bytes;
      totalBytes += f.total ?? f.bytes;
      speed += f.speed;
      if (f.state !== 'done' && f.state !== 'failed') remaining += (f.total ?? f.bytes) - f.bytes;
      if (f.state === 'failed') failedByBatch.set(f.batchId, (failedByBatch.get(f.batchId) ?? 0) + 1);
    }
    const root = this.settings.downloads.root;
    const atRisk = this.atRiskKeys.filter((k) => this.#jobs.has(k) && !this.downloadFiles.some((f) => f.jobKey === k && f.state === 'done'));
    return {
      root,
      problem: root === null ? 'Choose a download folder first.' : this.downloadProblem,
      files: this.downloadFiles.slice(-DOUBLE_FILES_CAP).reverse(),
      aggregate: {
        files,
        bytes,
        totalBytes,
        speed,
        etaMs: speed > 0 && remaining > 0 ? Math.round((remaining / speed) * 1000) : null,
        hold: this.lowSpace ? 'low-space' : null,
      },
      failedBatches: [...failedByBatch].map(([batchId, failed]) => ({ batchId, failed })),
      batches: batchCountsOf(this.downloadFiles),
      atRisk: { count: atRisk.length, keys: atRisk },
    };
  }

  emitDownloads(): void {
    this.emit('downloads', structuredClone(this.downloadsState()));
  }

  /**
   * Advance the simulated transfers by `ms`: queued files start (up to the
   * concurrency setting), active ones gain bytes at `downloadSpeed`, and
   * files listed in `failFiles` fail half-way. Emits one `downloads` event.
   */
  tickDownloads(ms = 1000): void {
    if (this.lowSpace) return;
    let slots = this.settings.downloads.concurrency - this.downloadFiles.filter((f) => f.state === 'active' || f.state === 'retrying').length;
    let changed = false;
    this.downloadFiles = this.downloadFiles.map((f) => {
      if (f.state === 'queued' && slots > 0) {
        slots -= 1;
        changed = true;
        return { ...f, state: 'active', speed: this.downloadSpeed, attempts: f.attempts + 1 };
      }
      if (f.state !== 'active' && f.state !== 'retrying') return f;
      changed = true;
      const total = f.total ?? 1_000_000;
      const step = Math.round(this.downloadSpeed * (0.6 + ((f.id.charCodeAt(f.id.length - 1) % 7) / 10)) * (ms / 1000));
      const next = Math.min(total, f.bytes + step);
      const failure = this.failFiles.get(f.id);
      if (failure && next >= total / 2) {
        return { ...f, state: 'failed', bytes: Math.round(total / 2), speed: 0, etaMs: null, error: failure, retryable: true };
      }
      if (next >= total) return { ...f, state: 'done', bytes: total, speed: 0, etaMs: null };
      const speed = Math.round(step / (ms / 1000));
      return { ...f, bytes: next, speed, etaMs: speed > 0 ? Math.round(((total - next) / speed) * 1000) : null };
    });
    if (changed) this.emitDownloads();
  }

  #download(keys: readonly string[], force: boolean): Response<'downloadJobs'> {
    if (this.settings.downloads.root === null) {
      throw new Refusal({ kind: 'invalid-input', message: 'Choose a download folder first (Settings → Downloads).' });
    }
    const batchId = `batch-${++this.#batch}`;
    let files = 0;
    let skipped = 0;
    const mode = this.settings.downloads.images;
    for (const key of keys) {
      const job = this.#jobs.get(key);
      if (!job || job.status !== 'completed') continue;
      const assets = job.assets.filter((a) => !(mode === 'grid' && a.kind === 'image' && job.assets.some((b) => b.kind === 'grid')) && !(mode === 'individual' && a.kind === 'grid'));
      assets.forEach((asset, i) => {
        const path = renderName(this.settings.downloads.template, job, asset, i, assets.length);
        const onDisk = this.downloadFiles.some((f) => f.path === path && f.state === 'done');
        const skip = onDisk && !force;
        if (skip) skipped += 1;
        else files += 1;
        this.downloadFiles.push({
          id: `${batchId}-${files + skipped}`,
          batchId,
          jobKey: job.key,
          jobId: job.id,
          provider: job.provider,
          kind: asset.kind,
          url: asset.url,
          state: skip ? 'skipped' : 'queued',
          bytes: skip ? (asset.size ?? 0) : 0,
          total: asset.size ?? 900_000 + ((i * 337_000 + job.id.length * 41_000) % 2_400_000),
          speed: 0,
          etaMs: null,
          path,
          attempts: 0,
          error: null,
          retryable: false,
          skipReason: skip ? 'already-downloaded' : null,
        });
      });
    }
    this.emitDownloads();
    return { batchId, files, skipped, failed: 0 };
  }

  #control(action: 'pause' | 'resume' | 'cancel' | 'clear', id: string | undefined): void {
    const hit = (f: DownloadFile) => id === undefined || f.id === id;
    if (id !== undefined && !this.downloadFiles.some((f) => f.id === id)) {
      throw new Refusal({ kind: 'not-found', message: 'That download is no longer listed.' });
    }
    if (action === 'clear') {
      this.downloadFiles = this.downloadFiles.filter((f) => !(hit(f) && (f.state === 'done' || f.state === 'skipped' || f.state === 'cancelled')));
    } else {
      this.downloadFiles = this.downloadFiles.map((f) => {
        if (!hit(f)) return f;
        const pending = f.state === 'queued' || f.state === 'active' || f.state === 'retrying';
        if (action === 'pause' && pending) return { ...f, state: 'paused', speed: 0, etaMs: null };
        if (action === 'resume' && f.state === 'paused') return { ...f, state: 'queued' };
        if (action === 'cancel' && (pending || f.state === 'paused')) return { ...f, state: 'cancelled', speed: 0, etaMs: null };
        return f;
      });
    }
    this.emitDownloads();
  }

  #onDisk(path: string): null {
    if (!this.downloadFiles.some((f) => f.path === path && f.state === 'done')) {
      throw new Refusal({ kind: 'not-found', message: 'That file is not in the download folder any more.' });
    }
    return null;
  }

  #find(provider: ProviderId, accountId: string): Account {
    const account = this.accountsState.accounts.find((a) => a.provider === provider && a.id === accountId);
    if (!account) throw new Refusal({ kind: 'not-found', message: 'That account no longer exists.' });
    return account;
  }

  #setAccounts(accounts: Account[]): AccountsState {
    this.accountsState = { ...this.accountsState, accounts };
    this.emit('accounts', structuredClone(this.accountsState));
    return this.accountsState;
  }

  #save(r: Request<'saveAccount'>): AccountsState {
    const key = r.key?.trim();
    const keyStatus = (value: string): Account['key'] => ({
      isSet: true,
      last4: value.slice(-4),
      source: this.accountsState.keychain.available ? 'keychain' : 'session',
    });
    const patch: Partial<Account> = {};
    if (r.label !== undefined) patch.label = r.label.trim();
    if (r.scope !== undefined) patch.scope = r.scope;
    if (r.discover !== undefined) patch.discover = r.discover;
    if (key) {
      patch.key = keyStatus(key);
      patch.health = { state: 'ok', message: null };
    }
    if (r.accountId === undefined) {
      if (!key) throw new Refusal({ kind: 'invalid-input', message: 'A new account needs its API key.' });
      // Like main: the provider's first own account is 'default', later ones are named from the label.
      const taken = (id: string) => id === 'demo' || this.accountsState.accounts.some((a) => a.provider === r.provider && a.id === id);
      const hasAny = this.accountsState.accounts.some((a) => a.provider === r.provider && !a.demo);
      let id = hasAny ? slug(r.label ?? r.provider) : 'default';
      for (let n = 2; taken(id); n++) id = `${slug(r.label ?? r.provider)}-${n}`;
      if (key) this.secrets.set(`${r.provider}:${id}`, key);
      return this.#setAccounts([...this.accountsState.accounts, makeAccount({ provider: r.provider, id, ...patch })]);
    }
    if (key) this.secrets.set(`${r.provider}:${r.accountId}`, key);
    return this.updateAccount(r.provider, r.accountId, patch);
  }

  #counts(): AppStatus['counts'] {
    const counts = { queued: 0, running: 0, completed: 0, failed: 0 };
    for (const job of this.#jobs.values()) counts[job.status] += 1;
    return counts;
  }

  #emitDelta(delta: JobsDelta): void {
    this.emit('jobsDelta', delta);
    this.status = { ...this.status, counts: this.#counts() };
    this.emit('appStatus', this.status);
  }

  #add(request: Request<'addJobs'>): Response<'addJobs'> {
    const result: Response<'addJobs'> = { added: [], alreadyWatched: [], rejected: [] };
    const fresh: Job[] = [];
    const seen = new Set<string>();
    const accountId = request.accountId ?? 'default';
    for (const input of request.input.split(/[\s,;]+/).filter(Boolean)) {
      if (seen.has(input)) continue;
      seen.add(input);
      if (!ID_PATTERN.test(input)) {
        result.rejected.push({ input, reason: 'not a valid job id' });
        continue;
      }
      const job = makeJob({ provider: request.provider, accountId, id: input, rawStatus: 'PENDING' });
      if (this.#jobs.has(job.key)) {
        result.alreadyWatched.push(input);
        continue;
      }
      result.added.push(input);
      fresh.push(job);
    }
    if (fresh.length > 0) queueMicrotask(() => this.upsert(fresh));
    return result;
  }

  async #answer<M extends InvokeMethod>(
    method: M,
    request: Request<M>,
    produce: () => Response<M>,
  ): Promise<Result<Response<M>>> {
    this.calls.push({ method, request });
    await Promise.resolve();
    const failure = this.#failures.get(method);
    if (failure) {
      this.#failures.delete(method);
      return { ok: false, error: failure };
    }
    try {
      return ok(structuredClone(produce()));
    } catch (error) {
      if (error instanceof Refusal) return { ok: false, error: error.appError };
      throw error;
    }
  }
}

export function createIpcDouble(options: DoubleOptions = {}): IpcDouble {
  return new IpcDouble(options);
}

const VARIABLE_NAMES = new Set(TEMPLATE_VARIABLES.map((v) => v.name));

function extOf(asset: Asset): string {
  const m = /\.([a-z0-9]{2,4})$/i.exec(asset.filename ?? '');
  if (m?.[1]) return m[1].toLowerCase();
  return { image: 'png', grid: 'png', cover: 'jpg', video: 'mp4', audio: 'mp3', other: 'bin' }[asset.kind];
}

/** A small stand-in for main's template renderer (src-main/core/downloads/naming.ts). */
export function renderName(template: string, job: Job, asset: Asset, index: number, count: number): string {
  const created = job.createdAt ?? '2026-03-15T10:04:31.000Z';
  const values: Record<string, string> = {
    provider: job.provider,
    account: job.accountId,
    date: created.slice(0, 10),
    time: created.slice(11, 19).replaceAll(':', '-'),
    jobId: job.id.replaceAll(':', '-'),
    shortId: job.id.replace(/^job:/, '').slice(0, 8),
    index: String(index + 1),
    n: String(count),
    kind: asset.kind,
    model: job.model ?? 'unknown',
    modality: job.modality,
    prompt: (job.prompt ?? '').slice(0, 40).trim().replace(/[^\w -]+/g, '').replace(/\s+/g, '-') || 'no-prompt',
    ext: extOf(asset),
  };
  return template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? name);
}

/** previewFileName: checks the template like main does and renders it for a sample job. */
export function previewName(template: string): string {
  const open = template.indexOf('{');
  if (!template.trim()) throw new Refusal({ kind: 'invalid-input', message: 'The template is empty.' });
  for (const m of template.matchAll(/\{([^{}]*)\}/g)) {
    if (!VARIABLE_NAMES.has(m[1] ?? '')) {
      throw new Refusal({ kind: 'invalid-input', message: `“{${m[1] ?? ''}}” is not a template variable; use one of the names listed below.` });
    }
  }
  if ((template.match(/\{/g) ?? []).length !== (template.match(/\}/g) ?? []).length || (open >= 0 && template.indexOf('}') < open)) {
    throw new Refusal({ kind: 'invalid-input', message: 'A “{” or “}” has no partner: variables look like {jobId}.' });
  }
  if (template.split('/').some((part) => part === '..')) {
    throw new Refusal({ kind: 'invalid-input', message: 'The template may not leave the download folder (“..”).' });
  }
  const job = makeJob({
    id: '3f2a9c1e-7b4d-4e21-9a0c-5d8e6f1b2c34',
    status: 'completed',
    model: 'midjourney',
    prompt: 'a lighthouse on a basalt cliff at dusk',
    createdAt: '2026-03-15T10:04:31.000Z',
  });
  const asset: Asset = { kind: 'image', url: 'https://cdn.example.com/a.png', index: 1, filename: null, contentType: 'image/png', size: null, width: null, height: null, meta: {} };
  return renderName(template, job, asset, 1, 4);
}

// ---------------------------------------------------------------------------
// Sample data for previews and screenshots.

function art(hueA: number, hueB: number, seed: number): string {
  const cx = 20 + ((seed * 37) % 60);
  const cy = 25 + ((seed * 53) % 50);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">` +
    `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">` +
    `<stop offset="0" stop-color="hsl(${hueA} 70% 62%)"/><stop offset="1" stop-color="hsl(${hueB} 65% 28%)"/>` +
    `</linearGradient><radialGradient id="s" cx="${cx}%" cy="${cy}%" r="45%">` +
    `<stop offset="0" stop-color="hsl(${(hueA + 40) % 360} 95% 85%)" stop-opacity=".95"/>` +
    `<stop offset="1" stop-color="hsl(${hueA} 90% 70%)" stop-opacity="0"/></radialGradient></defs>` +
    `<rect width="256" height="256" fill="url(#g)"/><rect width="256" height="256" fill="url(#s)"/>` +
    `<path d="M0 ${190 - seed * 6} Q 64 ${150 + seed * 5} 128 ${180 - seed * 4} T 256 ${170 + seed * 3} V256 H0Z" fill="hsl(${hueB} 55% 18%)" opacity=".75"/>` +
    `</svg>`;
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

function asset(kind: Asset['kind'], url: string, index: number, extra: Partial<Asset> = {}): Asset {
  return {
    kind,
    url,
    index,
    filename: extra.filename ?? null,
    contentType: extra.contentType ?? null,
    size: extra.size ?? null,
    width: extra.width ?? null,
    height: extra.height ?? null,
    meta: extra.meta ?? {},
  };
}

/** A handful of realistic jobs in every state, timed relative to `now`. */
export function sampleJobs(now = Date.now()): Job[] {
  const ago = (minutes: number): string => new Date(now - minutes * 60_000).toISOString();
  const images = [0, 1, 2, 3].map((i) =>
    asset('image', art(150 + i * 25, 230 + i * 20, i + 1), i, {
      filename: `greenhouse_${i + 1}.png`,
      contentType: 'image/png',
      size: 1_480_000 + i * 91_000,
      width: 1024,
      height: 1024,
    }),
  );
  return [
    makeJob({
      id: '3f2a9c1e-7b4d-4e21-9a0c-5d8e6f1b2c34',
      provider: 'apiframe',
      status: 'running',
      rawStatus: 'PROCESSING',
      model: 'midjourney',
      prompt: 'a lighthouse on a basalt cliff at dusk, volumetric fog, cinematic --ar 16:9 --v 7',
      progress: 65,
      createdAt: ago(2),
      updatedAt: ago(0.1),
      raw: { task_id: '3f2a9c1e-7b4d-4e21-9a0c-5d8e6f1b2c34', status: 'processing', percentage: '65' },
    }),
    makeJob({
      id: '9b1c7d22-04aa-4c6b-b3f1-2e7a9d0c11fe',
      provider: 'apiframe',
      status: 'running',
      rawStatus: 'PROCESSING',
      modality: 'video',
      model: 'kling',
      prompt: 'a paper boat drifting down a rain-soaked street, macro, shallow depth of field',
      progress: 22,
      createdAt: ago(18),
      watch: {
        state: 'stalled',
        message: 'No progress for 14 min; still watching.',
        lastCheckedAt: ago(0.2),
        progressAt: ago(14),
      },
      raw: { task_id: '9b1c7d22-04aa-4c6b-b3f1-2e7a9d0c11fe', status: 'processing', percentage: '22' },
    }),
    makeJob({
      id: 'c5e0a913-6f3b-47d8-8c2e-b1d4f7a60e59',
      provider: 'apiframe',
      status: 'queued',
      rawStatus: 'PENDING',
      modality: 'music',
      model: 'suno',
      prompt: 'lo-fi study beat with warm vinyl crackle and soft rhodes',
      createdAt: ago(0.2),
    }),
    makeJob({
      id: 'job:20251125131722-user:4821-channel:1187336491004-bot:midjourney',
      provider: 'useapi',
      status: 'completed',
      rawStatus: 'completed',
      model: 'midjourney',
      prompt: 'isometric tiny greenhouse full of succulents, soft morning light, miniature photography',
      progress: 100,
      assets: images,
      cost: { credits: 8, refunded: false },
      webhookStatus: 'delivered',
      createdAt: ago(14),
      completedAt: ago(13),
      raw: { jobid: 'job:20251125131722-user:4821-channel:1187336491004-bot:midjourney', status: 'completed', verb: 'imagine' },
    }),
    makeJob({
      id: '7d04be61-2a9f-4f0e-a7c3-88e2d1b5f920',
      provider: 'apiframe',
      status: 'failed',
      rawStatus: 'FAILED',
      model: 'midjourney',
      prompt: 'portrait of a famous politician as a medieval king',
      progress: 0,
      error: { message: 'The prompt was blocked by the provider\u2019s moderation filter.', code: 'BANNED_PROMPT', details: null },
      cost: { credits: 0, refunded: true },
      createdAt: ago(48),
      completedAt: ago(47),
    }),
    makeJob({
      id: 'e81f3a57-9c2d-4b6a-a0e4-7f5c3d2b1a08',
      provider: 'apiframe',
      status: 'completed',
      rawStatus: 'FINISHED',
      modality: 'music',
      model: 'suno',
      prompt: 'upbeat synthwave anthem about driving through neon rain',
      progress: 100,
      assets: [
        asset('audio', 'https://cdn.example.com/suno/e81f3a57-1.mp3', 0, {
          filename: 'neon-rain-1.mp3',
          contentType: 'audio/mpeg',
          size: 3_912_000,
          meta: { title: 'Neon Rain', duration: 184.2, tags: 'synthwave, upbeat, 80s', model_name: 'chirp-v4' },
        }),
        asset('audio', 'https://cdn.example.com/suno/e81f3a57-2.mp3', 1, {
          filename: 'neon-rain-2.mp3',
          contentType: 'audio/mpeg',
          size: 4_207_000,
          meta: { title: 'Neon Rain (Night Drive)', duration: 201.7, tags: 'synthwave, driving', model_name: 'chirp-v4' },
        }),
        asset('cover', art(300, 260, 5), 0, { filename: 'cover.png', contentType: 'image/png' }),
      ],
      cost: { credits: 10, refunded: false },
      createdAt: ago(95),
      completedAt: ago(92),
    }),
    makeJob({
      id: '0a6d2f48-b7e1-4c39-95d8-3e1f0c7a2b64',
      provider: 'apiframe',
      status: 'completed',
      rawStatus: 'FINISHED',
      modality: 'video',
      model: 'runway',
      prompt: 'slow dolly shot through a sunlit bamboo forest',
      progress: 100,
      assets: [asset('video', 'https://cdn.example.com/runway/0a6d2f48.mp4', 0, { filename: '0a6d2f48.mp4', contentType: 'video/mp4', size: 18_400_000, width: 1280, height: 768 })],
      cost: { credits: 25, refunded: false },
      createdAt: ago(60 * 26),
      completedAt: ago(60 * 26 - 3),
    }),
    makeJob({
      id: 'job:20251123093011-user:4821-channel:1187336491004-bot:midjourney',
      provider: 'useapi',
      status: 'failed',
      rawStatus: 'failed',
      model: 'midjourney',
      prompt: 'watercolor map of an imaginary archipelago',
      error: { message: 'This job expired on useapi.net and can no longer be fetched.', code: 410, details: null },
      createdAt: ago(60 * 50),
    }),
  ];
}

// ---------------------------------------------------------------------------
// Generated jobs: many realistic-looking jobs for previews, screenshots and
// performance checks (deterministic for a given seed).

const MODELS: { model: string; modality: Modality; credits: number }[] = [
  { model: 'midjourney', modality: 'image', credits: 8 },
  { model: 'flux-pro', modality: 'image', credits: 4 },
  { model: 'ideogram', modality: 'image', credits: 5 },
  { model: 'kling', modality: 'video', credits: 35 },
  { model: 'runway', modality: 'video', credits: 25 },
  { model: 'luma', modality: 'video', credits: 30 },
  { model: 'suno', modality: 'music', credits: 10 },
  { model: 'udio', modality: 'music', credits: 12 },
];
const SUBJECTS = [
  'a lighthouse on a basalt cliff at dusk',
  'isometric tiny greenhouse full of succulents',
  'a paper boat drifting down a rain-soaked street',
  'portrait of an astronaut made of stained glass',
  'lo-fi study beat with warm vinyl crackle',
  'slow dolly shot through a sunlit bamboo forest',
  'a fox in a library reading by candlelight',
  'neon koi swimming through a night market',
  'watercolor map of an imaginary archipelago',
  'brutalist museum in a desert, golden hour',
  'upbeat synthwave anthem about neon rain',
  'macro shot of frost on a spider web',
];
const STYLES = ['cinematic', 'volumetric fog', 'film grain', '35mm', 'soft light', 'hyperreal', 'pastel palette', 'ultra wide'];

/** Seed 0 counts as 1 (as it always has here: the demo data stays the same). */
const prng = (seed: number): (() => number) => mulberry32(seed >>> 0 || 1);

function uuidFrom(rand: () => number): string {
  const hex = (n: number) =>
    Array.from({ length: n }, () =>
      Math.floor(rand() * 16)
        .toString(16)
        .toLowerCase(),
    ).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(rand() * 4)] ?? '8'}${hex(3)}-${hex(12)}`;
}

/**
 * `count` jobs spread over the last `days` days: mostly completed, some failed
 * (refunded), a few running/queued/stalled; several models and accounts.
 */
export function generateJobs(
  count: number,
  options: { now?: number; days?: number; seed?: number; provider?: ProviderId; accountId?: string; accounts?: string[]; idPrefix?: string } = {},
): Job[] {
  const now = options.now ?? Date.now();
  const days = options.days ?? 45;
  const rand = prng(options.seed ?? 42);
  const jobs: Job[] = [];
  for (let i = 0; i < count; i++) {
    const spec = MODELS[Math.floor(rand() * MODELS.length)] ?? MODELS[0];
    if (!spec) break;
    const provider: ProviderId = options.provider ?? (spec.model === 'midjourney' && rand() < 0.35 ? 'useapi' : 'apiframe');
    const accounts = options.accounts ?? ['default'];
    const pick = accounts[Math.floor(rand() * accounts.length)] ?? 'default';
    const accountId = options.accountId ?? (provider === 'useapi' ? 'default' : pick);
    // Recent jobs are the active ones.
    const ageMin = i < 12 ? rand() * 20 : Math.pow(rand(), 1.6) * days * 1440;
    const created = now - ageMin * 60_000;
    const r = rand();
    const status: JobStatus = ageMin < 20 ? (r < 0.5 ? 'running' : r < 0.7 ? 'queued' : r < 0.9 ? 'completed' : 'failed') : r < 0.9 ? 'completed' : 'failed';
    const durationMin = spec.modality === 'image' ? 0.5 + rand() * 2 : 2 + rand() * 8;
    const completedAt =
      status === 'completed' || status === 'failed' ? new Date(Math.min(now - 5_000, created + durationMin * 60_000)).toISOString() : null;
    const progress = status === 'completed' ? 100 : status === 'running' ? Math.floor(5 + rand() * 90) : 0;
    const stalled = status === 'running' && rand() < 0.25;
    const createdAt = new Date(created).toISOString();
    const id = provider === 'useapi' ? `job:${Math.floor(created / 1000)}${i}-user:4821-channel:1187336491004-bot:midjourney` : uuidFrom(rand);
    const subject = SUBJECTS[Math.floor(rand() * SUBJECTS.length)] ?? '';
    const style = STYLES[Math.floor(rand() * STYLES.length)] ?? '';
    const credits = spec.credits + (rand() < 0.3 ? spec.credits : 0);
    jobs.push(
      makeJob({
        id: options.idPrefix ? `${options.idPrefix}-${id}` : id,
        provider,
        accountId,
        status,
        rawStatus: provider === 'useapi' ? status : { queued: 'PENDING', running: 'PROCESSING', completed: 'FINISHED', failed: 'FAILED' }[status],
        modality: spec.modality,
        model: spec.model,
        prompt: `${subject}, ${style}`,
        progress,
        cost: status === 'queued' || status === 'running' ? null : { credits, refunded: status === 'failed' },
        error: status === 'failed' ? { message: rand() < 0.5 ? 'The prompt was blocked by the provider\u2019s moderation filter.' : 'The provider could not finish this job.', code: rand() < 0.5 ? 'BANNED_PROMPT' : 500, details: null } : null,
        createdAt,
        updatedAt: completedAt ?? new Date(now - rand() * 60_000).toISOString(),
        completedAt,
        watch: {
          state: completedAt ? 'done' : stalled ? 'stalled' : 'watching',
          message: stalled ? 'No progress for 14 min; still watching.' : null,
          lastCheckedAt: new Date(now - rand() * 20_000).toISOString(),
          progressAt: stalled ? new Date(now - 14 * 60_000).toISOString() : createdAt,
        },
      }),
    );
  }
  return jobs;
}

/**
 * `count` completed image jobs with four generated images each (data: URLs),
 * for previews of the downloads panel and the bulk selection.
 */
export function sampleImageJobs(count: number, now = Date.now()): Job[] {
  const models = ['midjourney', 'flux-pro', 'ideogram'];
  return Array.from({ length: count }, (_, j) => {
    const rand = prng(900 + j);
    const id = uuidFrom(rand);
    const created = new Date(now - (j + 1) * 7 * 60_000).toISOString();
    const hue = Math.floor(rand() * 360);
    return makeJob({
      id,
      status: 'completed',
      rawStatus: 'FINISHED',
      model: models[j % models.length] ?? 'midjourney',
      prompt: `${SUBJECTS[j % SUBJECTS.length] ?? ''}, ${STYLES[j % STYLES.length] ?? ''}`,
      progress: 100,
      createdAt: created,
      completedAt: created,
      cost: { credits: 8, refunded: false },
      assets: [0, 1, 2, 3].map((i) =>
        asset('image', art((hue + i * 23) % 360, (hue + 90 + i * 17) % 360, i + j), i, {
          contentType: 'image/png',
          size: 1_200_000 + Math.floor(rand() * 1_600_000),
          width: 1024,
          height: 1024,
        }),
      ),
    });
  });
}

/** What main reports per request, from every file of it (the double keeps them all). */
function batchCountsOf(files: readonly DownloadFile[]): BatchCounts[] {
  const byBatch = new Map<string, DownloadFile['state'][]>();
  for (const f of files) {
    const states = byBatch.get(f.batchId) ?? [];
    states.push(f.state);
    byBatch.set(f.batchId, states);
  }
  return [...byBatch].map(([batchId, states]) => tallyBatch(batchId, states));
}
