/**
 * Apiframe emulator module: `GET /apiframe/v2/jobs/:id` and `GET
 * /apiframe/v2/jobs` (list) exactly as the seeds document them. Job state is
 * a pure function of (script, clock), so there are no timers and tests can
 * jump time freely. List mechanics (ordering, cursor, validation) live in
 * apiframe-list.ts.
 */
import { CursorCodec, JobIndex, mergeAfter, parseListQuery } from './apiframe-list';
import type { Entry, ListQuery } from './apiframe-list';
import type { EmulatorClock } from './clock';
import type { Reply, Route, RouteContext } from './router';
import { json } from './router';

export interface ApiframeJobScript {
  /** UUID */
  id: string;
  /** Account (API key) that owns the job. */
  apiKey: string;
  /** e.g. 'midjourney', 'kling-2.6', 'suno' */
  model: string;
  modality: 'image' | 'video' | 'music';
  /** Emulator-clock ms when the job is created (QUEUED). */
  startAt: number;
  /** Time QUEUED before PROCESSING. */
  queuedMs: number;
  /** Time PROCESSING (progress 0→99) before the terminal state. */
  processingMs: number;
  outcome: 'completed' | 'failed';
  /** Reason for a failed job. */
  error?: string;
  /** Reported as 0 once FAILED (credits refunded). */
  creditCost: number;
  /** Images (or midjourney-video videos) in the result; default 4. */
  imageCount?: number;
  /** Music only: number of tracks (default 2) and their base title / tags. */
  trackCount?: number;
  title?: string;
  tags?: string;
}

export type ApiframeStatus = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED';

export interface ApiframeTrack {
  title: string;
  audioUrl: string;
  imageUrl: string;
  duration: number;
  tags: string;
}

export type ApiframeResult =
  | { images: string[]; gridUrl?: string }
  | { videoUrl: string }
  | { videos: string[] }
  | { tracks: ApiframeTrack[] };

/** The Get Job response body (seed shape, same key order). */
export interface ApiframeJobView {
  id: string;
  status: ApiframeStatus;
  model: string;
  progress: number;
  result: ApiframeResult | null;
  error: string | null;
  creditCost: number;
  webhookStatus: string | null;
  createdAt: string;
  completedAt: string | null;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

function hashInt(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

function buildResult(job: ApiframeJobScript, origin: string): ApiframeResult {
  const base = `${origin}/assets/apiframe`;
  const n = Math.max(1, job.imageCount ?? 4);
  const numbered = (dir: string, ext: string, count: number): string[] =>
    Array.from({ length: count }, (_, i) => `${base}/${dir}/${job.id}-${i + 1}.${ext}`);
  switch (job.modality) {
    case 'image': {
      const images = numbered('images', 'png', n);
      return job.model === 'midjourney' ? { images, gridUrl: `${base}/images/${job.id}-grid.png` } : { images };
    }
    case 'video':
      return job.model === 'midjourney-video' ? { videos: numbered('videos', 'mp4', n) } : { videoUrl: `${base}/videos/${job.id}.mp4` };
    case 'music': {
      const count = Math.max(1, job.trackCount ?? 2);
      const title = job.title ?? 'Untitled';
      const tags = job.tags ?? 'ambient, electronic';
      const h = hashInt(job.id);
      return {
        tracks: Array.from({ length: count }, (_, i) => ({
          title: count > 1 ? `${title} (v${i + 1})` : title,
          audioUrl: `${base}/music/${job.id}-${i + 1}.mp3`,
          imageUrl: `${base}/music/${job.id}-${i + 1}.png`,
          // Deterministic plausible durations, 90–240 s with a fractional part.
          duration: Math.round((90 + ((h >>> (i * 4)) % 150) + ((h >>> 8) % 100) / 100) * 100) / 100,
          tags,
        })),
      };
    }
  }
}

/** Emulator ms at which the job becomes COMPLETED/FAILED. */
export function apiframeFinishAt(job: ApiframeJobScript): number {
  return job.startAt + job.queuedMs + job.processingMs;
}

/** The status `job` has at `now` (cheap: used by the list filter over many jobs). */
export function statusAt(job: ApiframeJobScript, now: number): ApiframeStatus | undefined {
  if (now < job.startAt) return undefined;
  if (now < job.startAt + job.queuedMs) return 'QUEUED';
  if (now < apiframeFinishAt(job)) return 'PROCESSING';
  return job.outcome === 'failed' ? 'FAILED' : 'COMPLETED';
}

/**
 * The List Jobs "string-result quirk": list items carry `result` as one URL
 * (first image / the video / first track's audio), not Get Job's object.
 */
export function resultUrl(result: ApiframeResult | null): string | null {
  if (result === null) return null;
  if ('images' in result) return result.images[0] ?? null;
  if ('videoUrl' in result) return result.videoUrl;
  if ('videos' in result) return result.videos[0] ?? null;
  return result.tracks[0]?.audioUrl ?? null;
}

/** A List Jobs item: Get Job's fields with `result` as a URL string. */
export type ApiframeListItem = Omit<ApiframeJobView, 'result'> & { result: string | null };

export type ApiframeListQuirk = 'none' | 'repeat-page' | 'lose-cursor';

interface ListBody {
  jobs: ApiframeListItem[];
  nextCursor: string | null;
  hasMore: boolean;
}

/** Pages minted recently, by the cursor they handed out (for the repeat-page quirk). */
const MINTED_PAGES_CAP = 64;

/** What Get Job answers for `job` at time `now`, or undefined if it does not exist yet. */
export function jobView(job: ApiframeJobScript, now: number, origin: string): ApiframeJobView | undefined {
  if (now < job.startAt) return undefined;
  const elapsed = now - job.startAt;
  const doneAt = job.startAt + job.queuedMs + job.processingMs;
  const common = { id: job.id, model: job.model, createdAt: new Date(job.startAt).toISOString() };
  if (elapsed < job.queuedMs) {
    return { ...common, status: 'QUEUED', progress: 0, result: null, error: null, creditCost: job.creditCost, webhookStatus: null, completedAt: null };
  }
  if (now < doneAt) {
    const frac = job.processingMs > 0 ? (elapsed - job.queuedMs) / job.processingMs : 1;
    const progress = Math.min(99, Math.max(0, Math.floor(frac * 100)));
    return { ...common, status: 'PROCESSING', progress, result: null, error: null, creditCost: job.creditCost, webhookStatus: null, completedAt: null };
  }
  const completedAt = new Date(doneAt).toISOString();
  if (job.outcome === 'failed') {
    return {
      ...common,
      status: 'FAILED',
      progress: 0,
      result: null,
      error: job.error ?? 'Provider returned an error',
      creditCost: 0,
      webhookStatus: 'sent',
      completedAt,
    };
  }
  return {
    ...common,
    status: 'COMPLETED',
    progress: 100,
    result: buildResult(job, origin),
    error: null,
    creditCost: job.creditCost,
    webhookStatus: 'sent',
    completedAt,
  };
}

/** Reorders keys to the seed's order (id,status,model,...) for byte-faithful output. */
function ordered(v: ApiframeJobView): ApiframeJobView {
  return {
    id: v.id,
    status: v.status,
    model: v.model,
    progress: v.progress,
    result: v.result,
    error: v.error,
    creditCost: v.creditCost,
    webhookStatus: v.webhookStatus,
    createdAt: v.createdAt,
    completedAt: v.completedAt,
  };
}

export interface ApiframeScenario {
  apiKeys: string[];
  jobs: ApiframeJobScript[];
  /** teamId → member API keys. Team members can read each other's jobs (Get Job, list scope=team). */
  teams?: Record<string, string[]>;
}

export class ApiframeProvider {
  /** Mounted under this prefix; the app's base URL is `${origin}/apiframe`. */
  static readonly prefix = '/apiframe';
  private readonly keys: Set<string>;
  private readonly jobs = new Map<string, Entry>();
  private readonly index = new JobIndex();
  private readonly codec = new CursorCodec();
  /** apiKey → the sorted member list of its team. */
  private readonly teamOf = new Map<string, string[]>();
  private listQuirk: ApiframeListQuirk = 'none';
  private readonly mintedPages = new Map<string, ListBody>();

  constructor(
    private readonly clock: EmulatorClock,
    scenario: ApiframeScenario,
  ) {
    this.keys = new Set(scenario.apiKeys);
    for (const members of Object.values(scenario.teams ?? {})) {
      const list = [...new Set(members)];
      for (const key of list) this.teamOf.set(key, list);
    }
    for (const job of scenario.jobs) this.addJob(job);
  }

  get apiKeys(): string[] {
    return [...this.keys];
  }

  get jobIds(): string[] {
    return [...this.jobs.keys()]; // lower-cased, as before the list endpoint existed
  }

  jobCount(): number {
    return this.jobs.size;
  }

  addJob(job: ApiframeJobScript): void {
    if (!isUuid(job.id)) throw new Error(`apiframe job id must be a UUID: ${job.id}`);
    if (job.queuedMs < 0 || job.processingMs < 0) throw new RangeError('queuedMs/processingMs must be >= 0');
    // Stored lower-case: UUID lookups are case-insensitive.
    const lid = job.id.toLowerCase();
    const entry: Entry = { job: { ...job }, lid };
    const replaced = this.jobs.get(lid);
    this.jobs.set(lid, entry);
    this.index.add(entry, replaced);
  }

  revokeKey(key: string): void {
    this.keys.delete(key);
  }

  addKey(key: string): void {
    this.keys.add(key);
  }

  /** Emulator ms when the job becomes terminal; throws for an unknown id. */
  finishAt(jobId: string): number {
    const e = this.jobs.get(jobId.toLowerCase());
    if (e === undefined) throw new RangeError(`unknown apiframe job ${jobId}`);
    return apiframeFinishAt(e.job);
  }

  /** Arms a one-shot pagination misbehaviour for the next list request it applies to. */
  setListQuirk(q: ApiframeListQuirk): void {
    this.listQuirk = q;
  }

  /** Team jobs are readable by every member; otherwise only the owner sees a job. */
  private canSee(key: string, owner: string): boolean {
    return owner === key || (this.teamOf.get(key)?.includes(owner) ?? false);
  }

  /** Returns the calling account's key or a 401 reply. */
  private authenticate(ctx: RouteContext): string | Reply {
    const raw = ctx.req.headers['x-api-key'];
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (key === undefined || !this.keys.has(key)) return json(401, { error: 'Unauthorized' });
    return key;
  }

  private getJob(ctx: RouteContext): Reply {
    const key = this.authenticate(ctx);
    if (typeof key !== 'string') return key;
    const id = ctx.params['id'] ?? '';
    if (!isUuid(id)) return json(400, { error: 'Invalid job ID' });
    const job = this.jobs.get(id.toLowerCase())?.job;
    // Another account's job is indistinguishable from a missing one (no leak).
    const view = job !== undefined && this.canSee(key, job.apiKey) ? jobView(job, this.clock.now(), ctx.origin) : undefined;
    if (view === undefined) return json(404, { error: 'Job not found' });
    return json(200, ordered(view));
  }

  private listItem(job: ApiframeJobScript, now: number, origin: string): ApiframeListItem | undefined {
    const view = jobView(job, now, origin);
    if (view === undefined) return undefined;
    return { ...ordered(view), result: resultUrl(view.result) };
  }

  /** The page for `q` as seen by `key` at `now` (pure; quirks are applied by the caller). */
  private page(key: string, q: ListQuery, now: number, origin: string): ListBody {
    const owners = q.scope === 'team' ? (this.teamOf.get(key) ?? [key]) : [key];
    const matches = (e: Entry): boolean =>
      (q.status === undefined || statusAt(e.job, now) === q.status) && (q.model === undefined || e.job.model === q.model);
    let candidates: Iterable<Entry>;
    if (q.search !== undefined) {
      // search pins one id: a direct lookup, then the same position/visibility rules.
      const e = this.jobs.get(q.search);
      const c = q.cursor;
      const afterCursor = e !== undefined && (c === undefined || e.job.startAt < c.createdAt || (e.job.startAt === c.createdAt && e.lid > c.lid));
      candidates = e !== undefined && owners.includes(e.job.apiKey) && e.job.startAt <= now && afterCursor ? [e] : [];
    } else {
      candidates = mergeAfter(
        owners.map((o) => this.index.forOwner(o)),
        now,
        q.cursor,
      );
    }
    const picked: Entry[] = [];
    let hasMore = false;
    for (const e of candidates) {
      if (!matches(e)) continue;
      if (picked.length === q.limit) {
        hasMore = true;
        break;
      }
      picked.push(e);
    }
    const jobs: ApiframeListItem[] = [];
    for (const e of picked) {
      const item = this.listItem(e.job, now, origin);
      if (item !== undefined) jobs.push(item);
    }
    const last = picked.at(-1);
    const nextCursor = hasMore && last !== undefined ? this.codec.encode({ createdAt: last.job.startAt, lid: last.lid }) : null;
    return { jobs, nextCursor, hasMore };
  }

  private listJobs(ctx: RouteContext): Reply {
    const key = this.authenticate(ctx);
    if (typeof key !== 'string') return key;
    const q = parseListQuery(ctx.query, this.codec);
    if (typeof q === 'string') return json(400, { error: q });

    if (this.listQuirk === 'repeat-page' && q.rawCursor !== undefined) {
      // The page that handed out this cursor, served again verbatim: the
      // client sees nextCursor equal to the cursor it just sent.
      const again = this.mintedPages.get(q.rawCursor);
      if (again !== undefined) {
        this.listQuirk = 'none';
        return json(200, again);
      }
    }
    const body = this.page(key, q, this.clock.now(), ctx.origin);
    if (body.nextCursor !== null) {
      this.mintedPages.set(body.nextCursor, body);
      if (this.mintedPages.size > MINTED_PAGES_CAP) {
        const oldest = this.mintedPages.keys().next();
        if (oldest.done !== true) this.mintedPages.delete(oldest.value);
      }
    }
    if (this.listQuirk === 'lose-cursor') {
      this.listQuirk = 'none';
      return json(200, { ...body, nextCursor: null, hasMore: true });
    }
    return json(200, body);
  }

  routes(): Route[] {
    const p = ApiframeProvider.prefix;
    return [
      { name: 'apiframe.listJobs', method: 'GET', pattern: `${p}/v2/jobs`, handler: (ctx) => this.listJobs(ctx) },
      { name: 'apiframe.getJob', method: 'GET', pattern: `${p}/v2/jobs/:id`, handler: (ctx) => this.getJob(ctx) },
    ];
  }
}
