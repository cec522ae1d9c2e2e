/**
 * Runs the emulator in its own process for benchmarks, so its CPU is not
 * counted as genwatch's. argv: N speed seed. Prints one JSON line, then serves
 * until stdin closes.
 */
import { ScaledClock, startEmulator } from '../../src-main/emulator';
import type { ApiframeJobScript } from '../../src-main/emulator';

const [n = '1', speed = '5', seed = '1'] = process.argv.slice(2);
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
const key = 'afk_bench_key_0001';
const jobs: ApiframeJobScript[] = [];
for (let i = 0; i < count; i++) {
  // Running already; each finishes 2–12 s of real time from now.
  const endReal = 2_000 + random() * 10_000;
  const startAt = start - 10_000 * scale;
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
const emulator = await startEmulator({ clock, scenario: { apiframe: { apiKeys: [key], jobs } } });
const finishReal: Record<string, number> = {};
const realStart = Date.now();
for (const job of jobs) finishReal[job.id] = realStart + (emulator.apiframe.finishAt(job.id) - start) / scale;
process.stdout.write(`${JSON.stringify({ baseUrl: emulator.providers.apiframe.baseUrl, key, finishReal })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void emulator.close().then(() => process.exit(0)));
