/**
 * Scripted scenarios: which accounts exist and which jobs appear when.
 * A scenario is plain data so tests, the demo and out-of-process runs can
 * share it.
 */
import type { ApiframeJobScript, ApiframeScenario } from './apiframe';
import type { UseapiScenario } from './useapi';
import { makeUseapiJobId } from './useapi-view';
import type { UseapiJobScript } from './useapi-view';

export interface Scenario {
  /** `teams` (teamId → API keys) is optional: members read each other's jobs. */
  apiframe: ApiframeScenario;
  /** Optional so Apiframe-only scenarios keep working unchanged. */
  useapi?: UseapiScenario;
}

export const DEMO_USEAPI_TOKEN = 'useapi_demo_token_0001';
export const TEST_USEAPI_TOKEN = 'useapi_test_token_0001';
export const DEMO_APIFRAME_KEY = 'afk_demo_key_0001';
export const TEST_APIFRAME_KEY = 'afk_test_key_0001';
/** The id used in the Apiframe docs seed. */
export const SINGLE_JOB_ID = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';

const S = 1000;

/**
 * ~8 Apiframe jobs that all exist from the start (a watcher adds every id at
 * once) with staggered queue times, so a watcher at speed 1 sees
 * QUEUED → PROCESSING (rising progress) → terminal within about 35 s,
 * covering every result shape plus a failure and one already-finished job.
 */
export function demoScenario(startMs: number): Scenario {
  const key = DEMO_APIFRAME_KEY;
  const at = (s: number): number => startMs + s * S;
  const jobs: ApiframeJobScript[] = [
    // Finished before the app started watching: shows up completed at once.
    { id: '0b7e4c1a-58d2-4f0e-9a3c-6d1f2e8b9a01', apiKey: key, model: 'midjourney', modality: 'image', startAt: at(-90), queuedMs: 3 * S, processingMs: 30 * S, outcome: 'completed', creditCost: 10 },
    { id: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e02', apiKey: key, model: 'midjourney', modality: 'image', startAt: at(0), queuedMs: 2 * S, processingMs: 14 * S, outcome: 'completed', creditCost: 10 },
    { id: '2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f03', apiKey: key, model: 'flux-pro', modality: 'image', startAt: at(0), queuedMs: 2 * S, processingMs: 8 * S, outcome: 'completed', creditCost: 4, imageCount: 1 },
    { id: '3e4f5a6b-7c8d-4e9f-8a1b-2c3d4e5f6a04', apiKey: key, model: 'suno', modality: 'music', startAt: at(0), queuedMs: 4 * S, processingMs: 20 * S, outcome: 'completed', creditCost: 12, trackCount: 2, title: 'Neon Tides', tags: 'synthwave, dreamy, female vocals' },
    { id: '4f5a6b7c-8d9e-4f0a-9b2c-3d4e5f6a7b05', apiKey: key, model: 'kling-2.6', modality: 'video', startAt: at(0), queuedMs: 7 * S, processingMs: 26 * S, outcome: 'completed', creditCost: 40 },
    { id: '5a6b7c8d-9e0f-4a1b-8c3d-4e5f6a7b8c06', apiKey: key, model: 'midjourney', modality: 'image', startAt: at(0), queuedMs: 6 * S, processingMs: 6 * S, outcome: 'failed', error: 'Provider returned an error: content policy violation', creditCost: 10 },
    { id: '6b7c8d9e-0f1a-4b2c-9d4e-5f6a7b8c9d07', apiKey: key, model: 'midjourney-video', modality: 'video', startAt: at(0), queuedMs: 8 * S, processingMs: 22 * S, outcome: 'completed', creditCost: 20, imageCount: 4 },
    { id: '7c8d9e0f-1a2b-4c3d-8e5f-6a7b8c9d0e08', apiKey: key, model: 'midjourney', modality: 'image', startAt: at(0), queuedMs: 13 * S, processingMs: 15 * S, outcome: 'completed', creditCost: 10 },
    { id: '8d9e0f1a-2b3c-4d4e-9f6a-7b8c9d0e1f09', apiKey: key, model: 'flux-pro', modality: 'image', startAt: at(0), queuedMs: 17 * S, processingMs: 10 * S, outcome: 'completed', creditCost: 4, imageCount: 2 },
  ];
  return { apiframe: { apiKeys: [key], jobs }, useapi: demoUseapi(startMs) };
}

/**
 * Five useapi.net Midjourney jobs over two Discord channels: one finished
 * imagine, one imagine in progress, a video, a moderated prompt and a U1
 * upscale of the first job. All terminal within ~36 s.
 */
function demoUseapi(startMs: number): UseapiScenario {
  const token = DEMO_USEAPI_TOKEN;
  const c1 = '1187654321098765432';
  const c2 = '1198765432109876543';
  const at = (s: number): number => startMs + s * S;
  const first = makeUseapiJobId('demo-1', 'image', { channel: c1 });
  const jobs: UseapiJobScript[] = [
    { jobid: first, token, channel: c1, verb: 'imagine', jobType: 'image', prompt: 'a lighthouse in a storm, oil painting --ar 3:2', startAt: at(-120), createdMs: 2 * S, progressMs: 40 * S, outcome: 'completed' },
    { jobid: makeUseapiJobId('demo-2', 'image', { channel: c1 }), token, channel: c1, verb: 'imagine', jobType: 'image', prompt: 'isometric cozy bookshop, warm light --v 7', startAt: at(0), createdMs: 3 * S, progressMs: 25 * S, outcome: 'completed' },
    { jobid: makeUseapiJobId('demo-3', 'video', { channel: c2 }), token, channel: c2, verb: 'imagine', jobType: 'video', prompt: 'koi pond ripples, slow camera push --video', startAt: at(0), createdMs: 6 * S, progressMs: 30 * S, outcome: 'completed' },
    { jobid: makeUseapiJobId('demo-4', 'image', { channel: c2 }), token, channel: c2, verb: 'imagine', jobType: 'image', prompt: 'a very questionable prompt', startAt: at(0), createdMs: 6 * S, progressMs: 3 * S, outcome: 'moderated' },
    { jobid: makeUseapiJobId('demo-5', 'image', { channel: c1 }), token, channel: c1, verb: 'button', jobType: 'image', button: 'U1', parentJobId: first, startAt: at(0), createdMs: 8 * S, progressMs: 12 * S, outcome: 'completed' },
  ];
  return { tokens: [token], jobs, channels: { [c1]: { maxJobs: 3, maxImageJobs: 3, maxVideoJobs: 3 }, [c2]: { maxJobs: 3, maxImageJobs: 3, maxVideoJobs: 1 } } };
}

/** One midjourney image job (the seed's id) owned by 'afk_test_key_0001'. */
export function singleJobScenario(opts: { startMs: number; outcome?: 'completed' | 'failed'; queuedMs?: number; processingMs?: number }): Scenario {
  const outcome = opts.outcome ?? 'completed';
  const job: ApiframeJobScript = {
    id: SINGLE_JOB_ID,
    apiKey: TEST_APIFRAME_KEY,
    model: 'midjourney',
    modality: 'image',
    startAt: opts.startMs,
    queuedMs: opts.queuedMs ?? 2 * S,
    processingMs: opts.processingMs ?? 30 * S,
    outcome,
    creditCost: 10,
  };
  if (outcome === 'failed') job.error = 'Provider returned an error: content policy violation';
  return { apiframe: { apiKeys: [TEST_APIFRAME_KEY], jobs: [job] } };
}

/**
 * A useapi.net imagine for tests and scenarios: the test token, an image job
 * that completes; `channel`, `startAt` and the timings are the caller's.
 */
export function useapiImagine(jobid: string, over: Partial<UseapiJobScript> & Pick<UseapiJobScript, 'channel' | 'startAt' | 'createdMs' | 'progressMs' | 'prompt'>): UseapiJobScript {
  return { jobid, token: TEST_USEAPI_TOKEN, verb: 'imagine', jobType: 'image', outcome: 'completed', ...over };
}

