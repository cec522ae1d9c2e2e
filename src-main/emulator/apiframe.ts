/**
 * Apiframe emulator module: `GET /apiframe/v2/jobs/:id` exactly as the seed
 * documents it. Job state is a pure function of (script, clock), so there are
 * no timers and tests can jump time freely. A list endpoint can be added as
 * another route here (or a sibling module) reusing `jobView`.
 */
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

export class ApiframeProvider {
  /** Mounted under this prefix; the app's base URL is `${origin}/apiframe`. */
  static readonly prefix = '/apiframe';
  private readonly keys: Set<string>;
  private readonly jobs = new Map<string, ApiframeJobScript>();

  constructor(
    private readonly clock: EmulatorClock,
    scenario: { apiKeys: string[]; jobs: ApiframeJobScript[] },
  ) {
    this.keys = new Set(scenario.apiKeys);
    for (const job of scenario.jobs) this.addJob(job);
  }

  get apiKeys(): string[] {
    return [...this.keys];
  }

  get jobIds(): string[] {
    return [...this.jobs.keys()];
  }

  addJob(job: ApiframeJobScript): void {
    if (!isUuid(job.id)) throw new Error(`apiframe job id must be a UUID: ${job.id}`);
    if (job.queuedMs < 0 || job.processingMs < 0) throw new RangeError('queuedMs/processingMs must be >= 0');
    // Stored lower-case: UUID lookups are case-insensitive.
    this.jobs.set(job.id.toLowerCase(), { ...job });
  }

  revokeKey(key: string): void {
    this.keys.delete(key);
  }

  addKey(key: string): void {
    this.keys.add(key);
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
    const job = this.jobs.get(id.toLowerCase());
    // Another account's job is indistinguishable from a missing one (no leak).
    const view = job !== undefined && job.apiKey === key ? jobView(job, this.clock.now(), ctx.origin) : undefined;
    if (view === undefined) return json(404, { error: 'Job not found' });
    return json(200, ordered(view));
  }

  routes(): Route[] {
    const p = ApiframeProvider.prefix;
    return [
      { name: 'apiframe.getJob', method: 'GET', pattern: `${p}/v2/jobs/:id`, handler: (ctx) => this.getJob(ctx) },
    ];
  }
}
