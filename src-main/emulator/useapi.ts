/**
 * useapi.net Midjourney v3 emulator module, mounted under `/useapi` (the
 * app's base URL is `${origin}/useapi`), plus the media hosts its jobs point
 * at (useapi-media.ts). Routes:
 *   GET    /useapi/v3/midjourney/jobs/:jobid   'useapi.getJob'
 *   GET    /useapi/v3/midjourney/jobs          'useapi.listRunning'
 *   DELETE /useapi/v3/midjourney/jobs/:jobid   'useapi.cancel'
 *   GET    /useapi/v3/proxy/cdn-midjourney     'useapi.proxy'
 *   GET    /cdn-midjourney/:uuid/:file         'useapi.cdn'
 *   GET    /discord/attachments/*, /discord-media/attachments/*  'useapi.discord'
 * Job ids contain ':'; the server percent-decodes path segments, so both the
 * raw id and `%3A` reach the handler as the same string.
 */
import type { AssetStore } from './assets';
import type { EmulatorClock } from './clock';
import type { Reply, Route, RouteContext } from './router';
import { json } from './router';
import { accessDenied, DiscordSigner, looksLikeBrowser, serveCdnFile, serveDiscord } from './useapi-media';
import { cdnJobUuid, isRunning, scriptedDoneAt, snowflake, useapiJobView, useapiStatusAt, uxFiles } from './useapi-view';
import type { UseapiAccountState, UseapiAttachment, UseapiJobScript } from './useapi-view';

export interface UseapiChannelLimits {
  maxJobs: number;
  maxImageJobs: number;
  maxVideoJobs: number;
}

export interface UseapiScenario {
  tokens: string[];
  jobs: UseapiJobScript[];
  channels?: Record<string, UseapiChannelLimits>;
}

const DEFAULT_LIMITS: UseapiChannelLimits = { maxJobs: 3, maxImageJobs: 3, maxVideoJobs: 3 };
const DEFAULT_MOD_MESSAGE = 'Action needed to continue: please acknowledge the Midjourney moderation message in your Discord channel.';
const JOBID_RE = /^j\d{13,}[iv]-u\d+-c\d+-bot:midjourney$/;

interface Account {
  state: UseapiAccountState;
  pendingModMessage: string;
}

interface JobState {
  job: UseapiJobScript;
  /** Set by DELETE: the job reads as failed from this instant on. */
  cancelledAt?: number;
}

/** mm:ss as in the running-jobs list (minutes keep growing past 59). */
function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export class UseapiProvider {
  static readonly prefix = '/useapi';
  private readonly accounts = new Map<string, Account>();
  private readonly jobs = new Map<string, JobState>();
  /** token → its jobs (the running list only looks at one account's jobs). */
  private readonly byToken = new Map<string, Set<JobState>>();
  /** parent jobid → button/seed jobs created from it. */
  private readonly children = new Map<string, UseapiJobScript[]>();
  /** cdn uuid → jobid, so the CDN 404s for paths no job produced. */
  private readonly cdnIndex = new Map<string, string>();
  private readonly channelLimits: Map<string, UseapiChannelLimits>;
  private readonly signer = new DiscordSigner();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly store: AssetStore,
    scenario: UseapiScenario = { tokens: [], jobs: [] },
  ) {
    for (const t of scenario.tokens) this.addToken(t);
    this.channelLimits = new Map(Object.entries(scenario.channels ?? {}));
    for (const job of scenario.jobs) this.addJob(job);
  }

  get tokens(): string[] {
    return [...this.accounts.keys()];
  }

  get jobIds(): string[] {
    return [...this.jobs.keys()];
  }

  addJob(job: UseapiJobScript): void {
    if (!JOBID_RE.test(job.jobid)) throw new Error(`useapi jobid has the wrong shape: ${job.jobid}`);
    if (job.progressMs < 0 || (job.createdMs ?? 0) < 0) throw new RangeError('createdMs/progressMs must be >= 0');
    const old = this.jobs.get(job.jobid);
    if (old !== undefined) this.byToken.get(old.job.token)?.delete(old);
    const st: JobState = { job: { ...job } };
    this.jobs.set(job.jobid, st);
    let set = this.byToken.get(job.token);
    if (set === undefined) {
      set = new Set();
      this.byToken.set(job.token, set);
    }
    set.add(st);
    if (job.parentJobId !== undefined) {
      const list = (this.children.get(job.parentJobId) ?? []).filter((c) => c.jobid !== job.jobid);
      list.push(st.job);
      this.children.set(job.parentJobId, list);
    }
    this.cdnIndex.set(cdnJobUuid(job.jobid), job.jobid);
  }

  addToken(token: string): void {
    if (!this.accounts.has(token)) this.accounts.set(token, { state: 'ok', pendingModMessage: DEFAULT_MOD_MESSAGE });
  }

  revokeToken(token: string): void {
    this.accounts.delete(token);
  }

  setAccountState(token: string, state: UseapiAccountState, pendingModMessage?: string): void {
    const acc = this.accounts.get(token);
    if (acc === undefined) throw new RangeError(`unknown useapi token ${token}`);
    acc.state = state;
    if (pendingModMessage !== undefined) acc.pendingModMessage = pendingModMessage;
  }

  setAttachmentTtl(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`setAttachmentTtl: invalid ms ${ms}`);
    this.signer.ttlMs = ms;
  }

  /** Emulator ms when the job becomes terminal (its cancellation time if cancelled earlier). */
  finishAt(jobid: string): number {
    const st = this.jobs.get(jobid);
    if (st === undefined) throw new RangeError(`unknown useapi job ${jobid}`);
    const done = scriptedDoneAt(st.job);
    return st.cancelledAt !== undefined ? Math.min(st.cancelledAt, done) : done;
  }

  /** Bearer token check, then the account-level holds (402/596) that apply to every call. */
  private authenticate(ctx: RouteContext): string | Reply {
    const raw = ctx.req.headers['authorization'];
    const m = typeof raw === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(raw) : null;
    const token = m?.[1];
    const acc = token === undefined ? undefined : this.accounts.get(token);
    if (token === undefined || acc === undefined) return json(401, { error: 'Unauthorized' });
    if (acc.state === 'no-subscription') return json(402, { error: 'Account has no subscription or subscription expired' });
    if (acc.state === 'pending-moderation') return json(596, { error: 'Pending moderation message', pendingModMessage: acc.pendingModMessage });
    return token;
  }

  /** The job if `token` may see it now; otherwise the 404/410 reply. */
  private ownedJob(ctx: RouteContext, token: string): JobState | Reply {
    const jobid = ctx.params['jobid'] ?? '';
    const st = this.jobs.get(jobid);
    // Another account's job is indistinguishable from a missing one.
    if (st === undefined || st.job.token !== token || st.job.startAt > ctx.clock.now()) return json(404, { error: 'Job not found' });
    if (st.job.expired === true) return json(410, { error: `Job ${jobid} has expired` });
    return st;
  }

  private attachment(job: UseapiJobScript, origin: string, now: number): UseapiAttachment {
    const video = job.jobType === 'video';
    const ext = video ? 'mp4' : 'png';
    const slug = (job.prompt ?? 'image').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '').slice(0, 40) || 'image';
    const filename = `emulator_${slug}_${cdnJobUuid(job.jobid)}.${ext}`;
    const id = snowflake(`att:${job.jobid}`);
    const canonical = `${job.channel}/${id}/${filename}`;
    const qs = this.signer.sign(canonical, now);
    const size = this.store.get(`discord/${canonical}`, undefined)?.length ?? 0;
    return {
      id,
      filename,
      url: `${origin}/discord/attachments/${canonical}?${qs}`,
      proxy_url: `${origin}/discord-media/attachments/${canonical}?${qs}`,
      size,
      // Emulated images are 256×256 PNGs (see png.ts); report what is served.
      width: 256,
      height: 256,
      content_type: video ? 'video/mp4' : 'image/png',
    };
  }

  private view(st: JobState, origin: string, now: number): ReturnType<typeof useapiJobView> {
    const parent = st.job.parentJobId === undefined ? undefined : this.jobs.get(st.job.parentJobId);
    return useapiJobView(st.job, {
      now,
      cancelledAt: st.cancelledAt,
      parentPrompt: parent?.job.prompt,
      children: (this.children.get(st.job.jobid) ?? []).filter((c) => c.startAt <= now),
      attachment: (job) => this.attachment(job, origin, now),
      cdnUrl: (job, file) => `${origin}/cdn-midjourney/${cdnJobUuid(job.jobid)}/${file}`,
    });
  }

  private getJob(ctx: RouteContext): Reply {
    const token = this.authenticate(ctx);
    if (typeof token !== 'string') return token;
    const st = this.ownedJob(ctx, token);
    if (!('job' in st)) return st;
    return json(200, this.view(st, ctx.origin, ctx.clock.now()));
  }

  private cancel(ctx: RouteContext): Reply {
    const token = this.authenticate(ctx);
    if (typeof token !== 'string') return token;
    const st = this.ownedJob(ctx, token);
    if (!('job' in st)) return st;
    const now = ctx.clock.now();
    if (!isRunning(useapiStatusAt(st.job, now, st.cancelledAt))) return json(400, { error: 'Job is not running' });
    st.cancelledAt = now;
    // The v3 docs: 204 No Content; the job now reads failed ("Job cancelled by user").
    return { status: 204 };
  }

  private listRunning(ctx: RouteContext): Reply {
    const token = this.authenticate(ctx);
    if (typeof token !== 'string') return token;
    const now = ctx.clock.now();
    const running = [...(this.byToken.get(token) ?? [])]
      .filter((st) => st.job.expired !== true && isRunning(useapiStatusAt(st.job, now, st.cancelledAt)))
      .sort((a, b) => a.job.startAt - b.job.startAt || (a.job.jobid < b.job.jobid ? -1 : 1));
    type Channel = UseapiChannelLimits & { total: number; images: number; videos: number; jobs: Array<{ jobId: string; channel: string; jobType: 'image' | 'video'; created: string; elapsed: string }> };
    const channels: Record<string, Channel> = {};
    let images = 0;
    let videos = 0;
    for (const channelId of [...new Set(running.map((st) => st.job.channel))].sort()) {
      const limits = this.channelLimits.get(channelId) ?? DEFAULT_LIMITS;
      channels[channelId] = { total: 0, images: 0, videos: 0, maxJobs: limits.maxJobs, maxImageJobs: limits.maxImageJobs, maxVideoJobs: limits.maxVideoJobs, jobs: [] };
    }
    for (const { job } of running) {
      const ch = channels[job.channel];
      if (ch === undefined) continue;
      ch.total++;
      if (job.jobType === 'video') {
        ch.videos++;
        videos++;
      } else {
        ch.images++;
        images++;
      }
      ch.jobs.push({ jobId: job.jobid, channel: job.channel, jobType: job.jobType, created: new Date(job.startAt).toISOString(), elapsed: elapsed(now - job.startAt) });
    }
    return json(200, { total: running.length, images, videos, channels });
  }

  /** The job behind a CDN path, if that file exists at `now`. */
  private cdnFileExists(uuid: string, file: string, now: number): boolean {
    const jobid = this.cdnIndex.get(uuid);
    const st = jobid === undefined ? undefined : this.jobs.get(jobid);
    if (st === undefined || useapiStatusAt(st.job, now, st.cancelledAt) !== 'completed') return false;
    return uxFiles(st.job).includes(file);
  }

  private cdn(ctx: RouteContext): Reply {
    if (!looksLikeBrowser(ctx)) return accessDenied();
    const uuid = ctx.params['uuid'] ?? '';
    const file = ctx.params['file'] ?? '';
    if (!this.cdnFileExists(uuid, file, ctx.clock.now())) return { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Not Found' };
    return serveCdnFile(ctx, this.store, uuid, file);
  }

  /** GET /v3/proxy/cdn-midjourney/?cdnUrl=…: fetches a CDN asset server-side (no browser headers needed). */
  private proxy(ctx: RouteContext): Reply {
    const token = this.authenticate(ctx);
    if (typeof token !== 'string') return token;
    const raw = ctx.query.get('cdnUrl');
    let url: URL | undefined;
    try {
      url = raw === null ? undefined : new URL(raw);
    } catch {
      url = undefined;
    }
    if (url === undefined) return json(400, { error: 'Query parameter cdnUrl is required and must be a URL' });
    // Accept our emulated CDN path and the real host's shape (cdn.midjourney.com/<uuid>/<file>).
    const parts = url.pathname.split('/').filter((p) => p.length > 0);
    if (parts[0] === 'cdn-midjourney') parts.shift();
    const [uuid, file] = parts;
    if (parts.length !== 2 || uuid === undefined || file === undefined || !this.cdnFileExists(uuid, file, ctx.clock.now())) {
      return json(404, { error: 'Asset not found' });
    }
    return serveCdnFile(ctx, this.store, uuid, file);
  }

  routes(): Route[] {
    const p = `${UseapiProvider.prefix}/v3`;
    const discord = (ctx: RouteContext): Reply => serveDiscord(ctx, this.signer, this.store);
    return [
      { name: 'useapi.listRunning', method: 'GET', pattern: `${p}/midjourney/jobs`, handler: (ctx) => this.listRunning(ctx) },
      { name: 'useapi.getJob', method: 'GET', pattern: `${p}/midjourney/jobs/:jobid`, handler: (ctx) => this.getJob(ctx) },
      { name: 'useapi.cancel', method: 'DELETE', pattern: `${p}/midjourney/jobs/:jobid`, handler: (ctx) => this.cancel(ctx) },
      { name: 'useapi.proxy', method: 'GET', pattern: `${p}/proxy/cdn-midjourney`, handler: (ctx) => this.proxy(ctx) },
      { name: 'useapi.cdn', method: 'GET', pattern: '/cdn-midjourney/:uuid/:file', handler: (ctx) => this.cdn(ctx) },
      { name: 'useapi.discord', method: 'GET', pattern: '/discord/attachments/*', handler: discord },
      { name: 'useapi.discord', method: 'GET', pattern: '/discord-media/attachments/*', handler: discord },
    ];
  }
}
