/**
 * An in-memory GenwatchApi for unit tests and for previewing the UI without
 * main. Holds jobs, settings and key status; emits events like the preload.
 * Type-only imports from src-shared: nothing here pulls in zod.
 */
import type { GenwatchApi } from '../../../src-shared/bridge';
import type { EventName, InvokeMethod } from '../../../src-shared/channel-names';
import type { AppStatus, EventPayload, JobsDelta, Request, Response } from '../../../src-shared/ipc-contract';
import type { Asset, Job, JobStatus, ProviderId } from '../../../src-shared/job';
import type { AppError, Result } from '../../../src-shared/result';
import type { KeysStatus, Settings } from '../../../src-shared/settings';

export type DoubleCall = { method: InvokeMethod; request: unknown };

export type DoubleOptions = {
  jobs?: Job[];
  demoMode?: boolean;
  accounts?: AppStatus['accounts'];
  settings?: Settings;
  keys?: KeysStatus;
  version?: string;
  platform?: string;
};

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
    },
    raw: partial.raw ?? { id: partial.id, status: partial.rawStatus ?? status },
  };
}

function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export class IpcDouble {
  readonly calls: DoubleCall[] = [];
  readonly #jobs = new Map<string, Job>();
  readonly #listeners = new Map<EventName, Set<Listener>>();
  readonly #failures = new Map<InvokeMethod, AppError>();
  status: AppStatus;
  settings: Settings;
  keys: KeysStatus;
  info: { version: string; platform: string };

  constructor(options: DoubleOptions = {}) {
    for (const job of options.jobs ?? []) this.#jobs.set(job.key, job);
    this.settings = options.settings ?? {
      theme: 'system',
      providers: { apiframe: { baseUrl: null }, useapi: { baseUrl: null } },
    };
    this.keys = options.keys ?? {
      keychain: { available: true, message: null },
      providers: [
        { provider: 'apiframe', isSet: false, last4: null, source: null },
        { provider: 'useapi', isSet: false, last4: null, source: null },
      ],
    };
    this.status = {
      demoMode: options.demoMode ?? false,
      accounts: options.accounts ?? [],
      counts: this.#counts(),
    };
    this.info = { version: options.version ?? '0.1.0', platform: options.platform ?? 'linux' };
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
          providers: {
            apiframe: r.providers?.apiframe ?? this.settings.providers.apiframe,
            useapi: r.providers?.useapi ?? this.settings.providers.useapi,
          },
        };
        return this.settings;
      }),
    getKeys: (r) => this.#answer('getKeys', r, () => this.keys),
    setKey: (r) =>
      this.#answer('setKey', r, () => this.#setKeyStatus(r.provider, true, r.key.trim().slice(-4))),
    clearKey: (r) => this.#answer('clearKey', r, () => this.#setKeyStatus(r.provider, false, null)),
    openExternal: (r) => this.#answer('openExternal', r, () => null),
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

  /** Advance the emulation one step: queued jobs start, running jobs progress. */
  tick(step = 7): void {
    const now = new Date().toISOString();
    const changed: Job[] = [];
    for (const job of this.#jobs.values()) {
      if (job.status === 'queued') {
        changed.push({ ...job, status: 'running', rawStatus: 'PROCESSING', progress: 2, updatedAt: now });
      } else if (job.status === 'running') {
        const progress = Math.min(100, job.progress + step);
        changed.push(
          progress >= 100
            ? { ...job, status: 'completed', rawStatus: 'FINISHED', progress: 100, updatedAt: now, completedAt: now }
            : { ...job, progress, updatedAt: now },
        );
      }
    }
    if (changed.length > 0) this.upsert(changed);
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

  #setKeyStatus(provider: ProviderId, isSet: boolean, last4: string | null): KeysStatus {
    const source = isSet ? (this.keys.keychain.available ? 'keychain' : 'session') : null;
    this.keys = {
      ...this.keys,
      providers: this.keys.providers.map((k) => (k.provider === provider ? { provider, isSet, last4, source } : k)),
    };
    return this.keys;
  }

  #add(request: Request<'addJobs'>): Response<'addJobs'> {
    const result: Response<'addJobs'> = { added: [], alreadyWatched: [], rejected: [] };
    const fresh: Job[] = [];
    const seen = new Set<string>();
    for (const input of request.input.split(/[\s,;]+/).filter(Boolean)) {
      if (seen.has(input)) continue;
      seen.add(input);
      if (!ID_PATTERN.test(input)) {
        result.rejected.push({ input, reason: 'not a valid job id' });
        continue;
      }
      const job = makeJob({ provider: request.provider, id: input, rawStatus: 'PENDING' });
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
    return ok(structuredClone(produce()));
  }
}

export function createIpcDouble(options: DoubleOptions = {}): IpcDouble {
  return new IpcDouble(options);
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
      createdAt: ago(4),
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
        asset('audio', 'https://cdn.example.com/suno/e81f3a57-1.mp3', 0, { filename: 'neon-rain-1.mp3', contentType: 'audio/mpeg', size: 3_912_000 }),
        asset('audio', 'https://cdn.example.com/suno/e81f3a57-2.mp3', 1, { filename: 'neon-rain-2.mp3', contentType: 'audio/mpeg', size: 4_207_000 }),
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
      assets: [asset('video', 'https://cdn.example.com/runway/0a6d2f48.mp4', 0, { filename: '0a6d2f48.mp4', contentType: 'video/mp4', size: 18_400_000 })],
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
