/**
 * Large deterministic scenarios for scale tests and latency benchmarks:
 * thousands of running jobs ending over the next 1–10 minutes plus a long
 * finished history. Same seed → same jobs, so benchmark runs are comparable.
 */
import type { ApiframeJobScript } from './apiframe';
import { TEST_APIFRAME_KEY, TEST_USEAPI_TOKEN } from './scenarios';
import type { Scenario } from './scenarios';
import type { UseapiChannelLimits } from './useapi';
import { makeUseapiJobId } from './useapi-view';
import type { UseapiJobScript } from './useapi-view';
import { mulberry32 } from '../../src-shared/seeded-random';

export interface BulkOptions {
  /** Emulator ms "now": running jobs are PROCESSING at this instant. */
  startMs: number;
  running: number;
  completedHistory: number;
  /** Apiframe API key or useapi token owning every job (default TEST_APIFRAME_KEY / TEST_USEAPI_TOKEN). */
  apiKey?: string;
  seed?: number;
  /** 'image' (default 'mixed'): only image models. */
  modality?: 'image' | 'mixed';
  /** Default 'apiframe'. */
  provider?: 'apiframe' | 'useapi';
}

const S = 1000;
const DAY = 86_400 * S;

function hex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
  return s;
}

/** Random-looking v4 UUID that is unique per `index` (index sits in the last 8 hex digits). */
function uuid(r: () => number, index: number): string {
  return `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-${'89ab'[Math.floor(r() * 4)] ?? '8'}${hex(r, 3)}-${hex(r, 4)}${index.toString(16).padStart(8, '0')}`;
}

const between = (r: () => number, lo: number, hi: number): number => Math.floor(lo + r() * (hi - lo));

type Model = Pick<ApiframeJobScript, 'model' | 'modality' | 'creditCost'> & { imageCount?: number };
const IMAGE_MODELS: Model[] = [
  { model: 'midjourney', modality: 'image', creditCost: 10 },
  { model: 'flux-pro', modality: 'image', creditCost: 4, imageCount: 1 },
  { model: 'ideogram-v3', modality: 'image', creditCost: 6, imageCount: 2 },
];
const OTHER_MODELS: Model[] = [
  { model: 'kling-2.6', modality: 'video', creditCost: 40 },
  { model: 'midjourney-video', modality: 'video', creditCost: 20, imageCount: 4 },
  { model: 'suno', modality: 'music', creditCost: 12 },
];

export function bulkScenario(opts: BulkOptions): Scenario {
  if (!(opts.running >= 0 && opts.completedHistory >= 0)) throw new RangeError('running/completedHistory must be >= 0');
  return (opts.provider ?? 'apiframe') === 'useapi' ? bulkUseapi(opts) : bulkApiframe(opts);
}

function bulkApiframe(opts: BulkOptions): Scenario {
  const r = mulberry32(opts.seed ?? 1);
  const key = opts.apiKey ?? TEST_APIFRAME_KEY;
  const models = opts.modality === 'image' ? IMAGE_MODELS : [...IMAGE_MODELS, ...IMAGE_MODELS, ...OTHER_MODELS];
  const pick = (): Model => models[Math.floor(r() * models.length)] ?? IMAGE_MODELS[0] ?? { model: 'midjourney', modality: 'image', creditCost: 10 };
  const jobs: ApiframeJobScript[] = [];
  let index = 0;
  for (let i = 0; i < opts.running; i++) {
    // Created 5–120 s ago, already past QUEUED, finishing 60–600 s from now.
    const age = between(r, 5 * S, 120 * S);
    const startAt = opts.startMs - age;
    const queuedMs = between(r, 500, Math.min(4 * S, age - 500));
    const end = opts.startMs + between(r, 60 * S, 600 * S);
    const job: ApiframeJobScript = { ...pick(), id: uuid(r, index++), apiKey: key, startAt, queuedMs, processingMs: end - startAt - queuedMs, outcome: 'completed' };
    if (r() < 0.05) Object.assign(job, { outcome: 'failed', error: 'Provider returned an error: generation failed' });
    jobs.push(job);
  }
  for (let i = 0; i < opts.completedHistory; i++) {
    // Anywhere in the previous 90 days, finished at least ~50 minutes ago.
    const startAt = opts.startMs - between(r, 1 * 3600 * S, 90 * DAY);
    const failed = r() < 0.05;
    const job: ApiframeJobScript = { ...pick(), id: uuid(r, index++), apiKey: key, startAt, queuedMs: between(r, S, 10 * S), processingMs: between(r, 10 * S, 300 * S), outcome: failed ? 'failed' : 'completed' };
    if (failed) job.error = 'Provider returned an error: generation failed';
    jobs.push(job);
  }
  return { apiframe: { apiKeys: [key], jobs } };
}

function bulkUseapi(opts: BulkOptions): Scenario {
  const r = mulberry32(opts.seed ?? 1);
  const token = opts.apiKey ?? TEST_USEAPI_TOKEN;
  const channelIds = ['1200000000000000001', '1200000000000000002', '1200000000000000003'];
  const perChannel = Math.ceil(opts.running / channelIds.length) + 3;
  // Limits big enough for the running load (real accounts cap at ~3–15; bulk is about scale).
  const limits: UseapiChannelLimits = { maxJobs: perChannel, maxImageJobs: perChannel, maxVideoJobs: perChannel };
  const channels: Record<string, UseapiChannelLimits> = Object.fromEntries(channelIds.map((c) => [c, limits]));
  const jobs: UseapiJobScript[] = [];
  const prompts = ['a red fox in snow', 'neon city at night --ar 16:9', 'watercolor mountains', 'retro robot portrait --v 7', 'macro shot of dew on a leaf'];
  const make = (i: number, running: boolean): UseapiJobScript => {
    const channel = channelIds[i % channelIds.length] ?? '1200000000000000001';
    const video = opts.modality !== 'image' && r() < 0.2;
    const jobid = makeUseapiJobId(`bulk:${opts.seed ?? 1}:${i}`, video ? 'video' : 'image', { channel });
    const base = { jobid, token, channel, verb: 'imagine' as const, jobType: video ? ('video' as const) : ('image' as const), prompt: prompts[i % prompts.length] ?? 'prompt' };
    if (running) {
      const age = between(r, 5 * S, 120 * S);
      const startAt = opts.startMs - age;
      const createdMs = between(r, 500, Math.min(3 * S, age - 500));
      const end = opts.startMs + between(r, 60 * S, 600 * S);
      return { ...base, startAt, createdMs, progressMs: end - startAt - createdMs, outcome: 'completed' };
    }
    const startAt = opts.startMs - between(r, 3600 * S, 60 * DAY);
    const roll = r();
    return { ...base, startAt, createdMs: between(r, S, 5 * S), progressMs: between(r, 20 * S, 120 * S), outcome: roll < 0.04 ? 'failed' : roll < 0.05 ? 'moderated' : 'completed' };
  };
  for (let i = 0; i < opts.running; i++) jobs.push(make(i, true));
  for (let i = 0; i < opts.completedHistory; i++) jobs.push(make(opts.running + i, false));
  return { apiframe: { apiKeys: [], jobs: [] }, useapi: { tokens: [token], jobs, channels } };
}
