/**
 * useapi.net Midjourney v3 job model: the script type, job-id maker, the
 * status timeline and the Get Job body (the seed's model, same key order).
 * Pure functions of (script, clock, cancellation): no timers. Asset URLs are
 * produced by callbacks so this file knows nothing about signing or CDNs.
 */
import { createHash } from 'node:crypto';

export type UseapiVerb = 'imagine' | 'button' | 'describe' | 'blend' | 'seed' | 'info' | 'fast' | 'relax' | 'turbo' | 'variability' | 'remix';
export type UseapiStatus = 'created' | 'started' | 'progress' | 'completed' | 'failed' | 'moderated';
export type UseapiAccountState = 'ok' | 'no-subscription' | 'pending-moderation';

export interface UseapiJobScript {
  /** e.g. j1023141520123456789i-u42424-c1234567890123456789-bot:midjourney (see makeUseapiJobId). */
  jobid: string;
  /** API token (account) that owns the job. */
  token: string;
  /** Discord channel id the job runs in (should match the id's -c part). */
  channel: string;
  verb: UseapiVerb;
  jobType: 'image' | 'video';
  prompt?: string;
  /** For verb 'button': 'U1', 'V2', '🔄', 'Animate (High motion)', … */
  button?: string;
  /** For button/seed jobs: the parent job's id (→ request.jobId, parent's children/executeOnce). */
  parentJobId?: string;
  /** Emulator ms when the job is created (status 'created'). */
  startAt: number;
  /** created → started; default 2000. */
  createdMs?: number;
  /** started → terminal (the first 10 % is 'started', the rest 'progress'). */
  progressMs: number;
  outcome: 'completed' | 'failed' | 'moderated';
  error?: string;
  errorDetails?: string;
  code?: number;
  /** Older than the 62-day retention: every call for it answers 410. */
  expired?: boolean;
}

export interface UseapiAttachment {
  id: string;
  filename: string;
  url: string;
  proxy_url: string;
  size: number;
  width: number;
  height: number;
  content_type: string;
}

export interface UseapiResponse {
  id: string;
  content: string;
  timestamp: string;
  progress_percent: number;
  attachments?: UseapiAttachment[];
  buttons?: string[];
  imageUx?: Array<{ id: number; url: string }>;
  videoUx?: Array<{ id: number; url: string }>;
  children?: Record<string, { button: string; messageId: string }>;
  executeOnce?: Record<string, string>;
  embeds?: Array<{ title: string; description: string; color: number }>;
}

export interface UseapiJobView {
  jobid: string;
  verb: UseapiVerb;
  jobType: 'image' | 'video';
  status: UseapiStatus;
  created: string;
  updated: string;
  error?: string;
  errorDetails?: string;
  code?: number;
  request: { prompt?: string; button?: string; jobId?: string; channel: string };
  response?: UseapiResponse;
}

export const DEFAULT_CREATED_MS = 2000;
export const CANCELLED_ERROR = 'Job cancelled by user';

function digits(seed: string, n: number): string {
  let out = '';
  let counter = 0;
  while (out.length < n) {
    const h = createHash('sha256').update(`${seed}#${counter++}`).digest();
    for (const b of h) if (b < 250) out += String(b % 10);
  }
  // No leading zero so the digit run reads like a number/snowflake.
  return (out[0] === '0' ? '1' : (out[0] ?? '1')) + out.slice(1, n);
}

/**
 * A job id in useapi's shape: `j` + 19 digits + `i`|`v`, `-u<user>`,
 * `-c<channel>`, `-bot:midjourney`. Deterministic in `seed`.
 */
export function makeUseapiJobId(seed: number | string, kind: 'image' | 'video', opts: { channel?: string; user?: string } = {}): string {
  const channel = opts.channel ?? '1234567890123456789';
  const user = opts.user ?? '42424';
  return `j${digits(`job:${seed}`, 19)}${kind === 'video' ? 'v' : 'i'}-u${user}-c${channel}-bot:midjourney`;
}

/** Discord-style snowflake (message / attachment ids), deterministic in `seed`. */
export function snowflake(seed: string): string {
  return digits(`snowflake:${seed}`, 19);
}

/** A UUID derived from the job id: cdn.midjourney.com paths use MJ's job UUID, never useapi's id. */
export function cdnJobUuid(jobid: string): string {
  const h = createHash('sha256').update(`cdn:${jobid}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function startedAt(job: UseapiJobScript): number {
  return job.startAt + (job.createdMs ?? DEFAULT_CREATED_MS);
}

/** When the script reaches its outcome (ignoring cancellation). */
export function scriptedDoneAt(job: UseapiJobScript): number {
  return startedAt(job) + job.progressMs;
}

export function useapiStatusAt(job: UseapiJobScript, now: number, cancelledAt: number | undefined): UseapiStatus | undefined {
  if (now < job.startAt) return undefined;
  if (cancelledAt !== undefined && now >= cancelledAt) return 'failed';
  if (now < startedAt(job)) return 'created';
  if (now < scriptedDoneAt(job)) return now < startedAt(job) + job.progressMs * 0.1 ? 'started' : 'progress';
  return job.outcome;
}

export function isRunning(status: UseapiStatus | undefined): boolean {
  return status === 'created' || status === 'started' || status === 'progress';
}

/** Which media a completed job has, so the CDN can refuse anything else. */
export function uxFiles(job: UseapiJobScript): string[] {
  const single = job.verb === 'button' && /^U[1-4]$/.test(job.button ?? '');
  const ext = job.jobType === 'video' ? 'mp4' : 'png';
  return Array.from({ length: single ? 1 : 4 }, (_, i) => `0_${i}.${ext}`);
}

const GRID_BUTTONS = ['U1', 'U2', 'U3', 'U4', 'V1', 'V2', 'V3', 'V4', '🔄'];
const UPSCALED_BUTTONS = ['Upscale (Subtle)', 'Upscale (Creative)', 'Vary (Subtle)', 'Vary (Strong)', 'Vary (Region)', 'Zoom Out 2x', 'Zoom Out 1.5x', 'Custom Zoom', '⬅️', '➡️', '⬆️', '⬇️', 'Animate (Low motion)', 'Animate (High motion)'];
const VIDEO_BUTTONS = ['Extend (Low motion)', 'Extend (High motion)'];

export interface ViewContext {
  now: number;
  cancelledAt: number | undefined;
  /** Parent's prompt for button jobs without their own. */
  parentPrompt: string | undefined;
  /** Child jobs already created (for children / executeOnce). */
  children: UseapiJobScript[];
  /** Signed Discord attachment (fresh URLs minted per call). */
  attachment(job: UseapiJobScript): UseapiAttachment;
  /** cdn.midjourney.com-style URL of one grid cell file (from uxFiles). */
  cdnUrl(job: UseapiJobScript, file: string): string;
}

function userOf(jobid: string): string {
  return /-u(\d+)-/.exec(jobid)?.[1] ?? 'user';
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function useapiJobView(job: UseapiJobScript, vc: ViewContext): UseapiJobView | undefined {
  const status = useapiStatusAt(job, vc.now, vc.cancelledAt);
  if (status === undefined) return undefined;
  const prompt = job.prompt ?? vc.parentPrompt ?? '';
  const mention = `<@${userOf(job.jobid)}>`;
  const button = job.button ?? '';
  const upscaleN = /^U([1-4])$/.exec(button)?.[1];
  const label = job.verb === 'button' ? (upscaleN !== undefined ? `Upscaling by ${mention}` : `${button} by ${mention}`) : mention;
  // Key order prompt, button, jobId, channel; absent fields are omitted (not null) like the service.
  const request: UseapiJobView['request'] = {
    ...(job.prompt !== undefined ? { prompt: job.prompt } : {}),
    ...(job.button !== undefined ? { button: job.button } : {}),
    ...(job.parentJobId !== undefined ? { jobId: job.parentJobId } : {}),
    channel: job.channel,
  };
  const messageId = snowflake(job.jobid);
  const start = startedAt(job);
  const view: UseapiJobView = { jobid: job.jobid, verb: job.verb, jobType: job.jobType, status, created: iso(job.startAt), updated: iso(job.startAt), request };
  const base = (content: string, pct: number, at: number): UseapiResponse => ({ id: messageId, content, timestamp: iso(at), progress_percent: pct });

  switch (status) {
    case 'created':
      return view;
    case 'started':
      view.updated = iso(start);
      view.response = base(`**${prompt}** - ${label} (Waiting to start)`, 0, start);
      return view;
    case 'progress': {
      const pct = Math.min(99, Math.max(1, Math.floor(((vc.now - start) / job.progressMs) * 100)));
      // updated = when this percentage was reached, so it moves in steps like the real service.
      const at = Math.min(vc.now, start + Math.ceil((pct * job.progressMs) / 100));
      view.updated = iso(at);
      view.response = base(`**${prompt}** - ${label} (${pct}%) (fast)`, pct, start);
      return view;
    }
    case 'failed': {
      const cancelled = vc.cancelledAt !== undefined && vc.now >= vc.cancelledAt;
      const at = cancelled && vc.cancelledAt !== undefined ? vc.cancelledAt : scriptedDoneAt(job);
      view.updated = iso(at);
      view.error = cancelled ? CANCELLED_ERROR : (job.error ?? 'Job failed');
      view.errorDetails = cancelled ? 'Cancelled via DELETE /jobs/jobid' : (job.errorDetails ?? 'Midjourney returned an error');
      view.code = cancelled ? 499 : (job.code ?? 500);
      return reorder(view);
    }
    case 'moderated': {
      view.updated = iso(scriptedDoneAt(job));
      view.error = job.error ?? 'Banned prompt detected';
      view.errorDetails = job.errorDetails ?? 'Sorry! Our AI moderator thinks this prompt is probably against our community standards.';
      view.code = job.code ?? 422;
      view.response = {
        ...base('', 0, start),
        embeds: [{ title: 'Banned prompt detected', description: view.errorDetails, color: 16711680 }],
      };
      return reorder(view);
    }
    case 'completed': {
      const done = scriptedDoneAt(job);
      view.updated = iso(done);
      const content = upscaleN !== undefined ? `**${prompt}** - Image #${upscaleN} ${mention}` : `**${prompt}** - ${label} (fast)`;
      const ux = uxFiles(job).map((file, i) => ({ id: i + 1, url: vc.cdnUrl(job, file) }));
      const children: Record<string, { button: string; messageId: string }> = {};
      const executeOnce: Record<string, string> = {};
      for (const child of vc.children) {
        const b = child.button ?? child.verb;
        children[child.jobid] = { button: b, messageId: snowflake(child.jobid) };
        if (/^U[1-4]$/.test(b)) executeOnce[b] = child.jobid;
      }
      const buttons = job.jobType === 'video' ? VIDEO_BUTTONS : upscaleN !== undefined ? UPSCALED_BUTTONS : GRID_BUTTONS;
      const response: UseapiResponse = { ...base(content, 100, done), attachments: [vc.attachment(job)], buttons: [...buttons] };
      if (job.jobType === 'video') response.videoUx = ux;
      else response.imageUx = ux;
      response.children = children;
      response.executeOnce = executeOnce;
      view.response = response;
      return view;
    }
  }
}

/** Seed model order: error fields after updated, before request/response. */
function reorder(v: UseapiJobView): UseapiJobView {
  return {
    jobid: v.jobid,
    verb: v.verb,
    jobType: v.jobType,
    status: v.status,
    created: v.created,
    updated: v.updated,
    ...(v.error !== undefined ? { error: v.error } : {}),
    ...(v.errorDetails !== undefined ? { errorDetails: v.errorDetails } : {}),
    ...(v.code !== undefined ? { code: v.code } : {}),
    request: v.request,
    ...(v.response !== undefined ? { response: v.response } : {}),
  };
}
