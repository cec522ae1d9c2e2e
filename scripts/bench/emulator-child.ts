/**
 * Runs the emulator in its own process for benchmarks, so its CPU is not
 * counted as genwatch's. argv: N speed seed. Prints one JSON line, then serves
 * until stdin closes. argv: N speed seed provider(apiframe|useapi).
 */
import { makeUseapiJobId, ScaledClock, startEmulator } from '../../src-main/emulator';
import type { ApiframeJobScript, Scenario, UseapiJobScript } from '../../src-main/emulator';

const [n = '1', speed = '5', seed = '1', provider = 'apiframe'] = process.argv.slice(2);
const count = Number(n);
const scale = Number(speed);
let state = Number(seed) || 1;
const random = (): number => {
  // xorshift: deterministic job end times per seed
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return ((state >>> 0) % 1_000_000) / 1_000_000;
};
const hex = (value: number, width: number): string => value.toString(16).padStart(width, '0').slice(-width);

const clock = new ScaledClock(scale);
const start = clock.now();
const key = provider === 'useapi' ? 'useapi_bench_token_0001' : 'afk_bench_key_0001';
const jobs: ApiframeJobScript[] = [];
const useapiJobs: UseapiJobScript[] = [];
const channels: NonNullable<Scenario['useapi']>['channels'] = {};
for (let i = 0; i < count; i++) {
  // Running already; each finishes 2–12 s of real time from now (useapi's 5 s interval: 4–24 s).
  const endReal = provider === 'useapi' ? 4_000 + random() * 20_000 : 2_000 + random() * 10_000;
  const startAt = start - 10_000 * scale;
  if (provider === 'useapi') {
    const channel = String(1_000_000_000_000_000_000n + BigInt(i % 10));
    channels[channel] = { maxJobs: count, maxImageJobs: count, maxVideoJobs: count };
    useapiJobs.push({
      jobid: makeUseapiJobId(`bench-${seed}-${i}`, 'image', { channel }),
      token: key,
      channel,
      verb: 'imagine',
      jobType: 'image',
      prompt: `bench job ${i}`,
      startAt,
      createdMs: 1_000,
      progressMs: start + endReal * scale - startAt - 1_000,
      outcome: 'completed',
    });
    continue;
  }
  jobs.push({
    id: `${hex(i, 8)}-0000-4000-8000-${hex(Number(seed), 12)}`,
    apiKey: key,
    model: 'midjourney',
    modality: 'image',
    startAt,
    queuedMs: 1_000,
    processingMs: start + endReal * scale - startAt - 1_000,
    outcome: 'completed',
    creditCost: 10,
  });
}
const scenario: Scenario =
  provider === 'useapi'
    ? { apiframe: { apiKeys: [], jobs: [] }, useapi: { tokens: [key], jobs: useapiJobs, channels } }
    : { apiframe: { apiKeys: [key], jobs } };
const emulator = await startEmulator({ clock, scenario });
const finishReal: Record<string, number> = {};
const realStart = Date.now();
for (const job of jobs) finishReal[job.id] = realStart + (emulator.apiframe.finishAt(job.id) - start) / scale;
for (const job of useapiJobs) finishReal[job.jobid] = realStart + (emulator.useapi.finishAt(job.jobid) - start) / scale;
const baseUrl = provider === 'useapi' ? emulator.providers.useapi.baseUrl : emulator.providers.apiframe.baseUrl;
process.stdout.write(`${JSON.stringify({ baseUrl, key, finishReal })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void emulator.close().then(() => process.exit(0)));
