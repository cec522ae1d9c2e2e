/**
 * bench:poll — genwatch's poller against the emulator over real HTTP, for
 * Apiframe (paged QUEUED/PROCESSING lists) and useapi.net (one running list).
 * For N = 1, 10, 100, 1000 running jobs on one account it prints requests per
 * poll cycle (beside the naive one-request-per-job figure N), how long after
 * the emulator completed a job the core reported it (p50/p95 as a fraction
 * of the poll interval) and main-process CPU per cycle. Intervals are scaled
 * down (SPEED×) so the whole run takes about a minute. Last line: one JSON object.
 *
 * useapi.net's running list carries no progress: while the window shows it,
 * genwatch refreshes one listed job by id per cycle. The rows run with nobody
 * watching (tray only, the common case); one extra row shows the window open.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { systemClock } from '../../src-main/adapters/system-clock';
import { createUndiciHttp } from '../../src-main/adapters/undici-http';
import { GenwatchCore } from '../../src-main/core/genwatch-core';
import { memoryStore } from '../../src-main/core/memory-store';
import type { HttpPort, SecretStore } from '../../src-main/core/ports';
import { silentLogger } from '../../src-main/core/ports';
import type { ProviderId } from '../../src-shared/job';
import { PROVIDERS } from '../../src-main/core/providers/registry';

const SPEED = 5;
const SIZES = (process.env['BENCH_SIZES'] ?? '1,10,100,1000').split(',').map(Number);
const BENCH_PROVIDERS = (process.env['BENCH_PROVIDERS'] ?? 'apiframe,useapi').split(',') as ProviderId[];
const ROOT = resolve(import.meta.dirname, '../..');
const noSecrets: SecretStore = {
  availability: () => Promise.resolve({ available: false, message: null }),
  get: () => Promise.resolve(null),
  set: () => Promise.reject(new Error('unused')),
  delete: () => Promise.resolve(false),
};

interface Figures {
  provider: ProviderId;
  n: number;
  progressOnScreen: boolean;
  cycles: number;
  requestsPerCycle: { max: number; mean: number; maxExcludingFinished: number };
  budget: number;
  naivePerCycle: number;
  latency: { p50: number; p95: number; samples: number };
  cpuMsPerCycle: number;
  withinBudget: boolean;
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

async function startChild(provider: ProviderId, n: number, seed: number): Promise<{ baseUrl: string; key: string; finishReal: Record<string, number>; stop(): void }> {
  const child = spawn(resolve(ROOT, 'node_modules/.bin/jiti'), [resolve(ROOT, 'scripts/bench/emulator-child.ts'), String(n), String(SPEED), String(seed), provider], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((done, fail) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', done);
    child.once('exit', (code) => fail(new Error(`emulator child exited ${code}`)));
  });
  return { ...(JSON.parse(line) as { baseUrl: string; key: string; finishReal: Record<string, number> }), stop: () => child.stdin.end() };
}

async function run(provider: ProviderId, n: number, progressOnScreen = false): Promise<Figures> {
  const adapter = PROVIDERS.find((p) => p.id === provider);
  if (!adapter) throw new Error(`unknown provider ${provider}`);
  const child = await startChild(provider, n, n + 7);
  const real = createUndiciHttp({ connections: 4 });
  let requests = 0;
  const http: HttpPort = {
    request: (req) => {
      requests++;
      return real.request(req);
    },
  };
  const cycles: { requests: number; finished: number }[] = [];
  let lastRequests = 0;
  let lastTerminal = 0;
  const core = await GenwatchCore.create({
    http,
    clock: systemClock,
    random: Math.random,
    secrets: noSecrets,
    kv: memoryStore(),
    logger: silentLogger,
    providers: PROVIDERS,
    environment: { [adapter.env.apiKey]: child.key, [adapter.env.baseUrl]: child.baseUrl },
    version: 'bench',
    platform: process.platform,
    intervalScale: 1 / SPEED,
    onCycle: () => {
      const terminal = core.store.all().filter((job) => job.status === 'completed' || job.status === 'failed').length;
      cycles.push({ requests: requests - lastRequests, finished: terminal - lastTerminal });
      lastRequests = requests;
      lastTerminal = terminal;
    },
  });
  core.setProgressWatched('bench', progressOnScreen);
  const latencies: number[] = [];
  const seen = new Set<string>();
  const finished = new Promise<void>((done) => {
    core.onJobsDelta((delta) => {
      const now = Date.now();
      for (const job of delta.upserted) {
        if (job.status !== 'completed' || seen.has(job.id)) continue;
        seen.add(job.id);
        const at = child.finishReal[job.id];
        if (at !== undefined) latencies.push(now - at);
      }
      if (seen.size >= n) done();
    });
  });
  const cpuBefore = process.cpuUsage();
  core.addJobs(provider, Object.keys(child.finishReal).join('\n'));
  await Promise.race([finished, new Promise((r) => setTimeout(r, 45_000))]);
  const cpu = process.cpuUsage(cpuBefore);
  core.dispose();
  await real.close();
  child.stop();
  // The first cycle after adding sees every job for the first time; steady state is what we budget.
  const steady = cycles.slice(1);
  const interval = adapter.pollIntervalMs({ modality: 'image', status: 'running' }) / SPEED;
  // Apiframe: the list pages (QUEUED + PROCESSING) plus one; useapi.net: one running list (plus
  // its progress refresh while the window shows it). Jobs that finished in the cycle are fetched
  // once each on top.
  const budget = provider === 'useapi' ? 1 + (progressOnScreen ? (adapter.progressRefreshPerCycle ?? 0) : 0) : Math.ceil(n / 100) + 2;
  const excess = steady.map((c) => c.requests - c.finished);
  return {
    provider,
    n,
    progressOnScreen,
    cycles: cycles.length,
    requestsPerCycle: {
      max: Math.max(0, ...steady.map((c) => c.requests)),
      mean: steady.length ? Number((steady.reduce((s, c) => s + c.requests, 0) / steady.length).toFixed(2)) : 0,
      maxExcludingFinished: Math.max(0, ...excess),
    },
    budget,
    naivePerCycle: n,
    latency: { p50: Number((percentile(latencies, 50) / interval).toFixed(2)), p95: Number((percentile(latencies, 95) / interval).toFixed(2)), samples: latencies.length },
    cpuMsPerCycle: Number(((cpu.user + cpu.system) / 1000 / Math.max(1, cycles.length)).toFixed(2)),
    withinBudget: excess.every((e) => e <= budget),
  };
}

const cases: [ProviderId, number, boolean][] = BENCH_PROVIDERS.flatMap((provider) => SIZES.map((n): [ProviderId, number, boolean] => [provider, n, false]));
if (BENCH_PROVIDERS.includes('useapi') && SIZES.includes(100)) cases.push(['useapi', 100, true]);
const results: Figures[] = [];
for (const [provider, n, onScreen] of cases) {
  const figures = await run(provider, n, onScreen);
  results.push(figures);
  console.log(
    `${provider.padEnd(8)} N=${String(n).padStart(4)}${onScreen ? ' (window open)' : ''}  requests/cycle max ${figures.requestsPerCycle.max} (mean ${figures.requestsPerCycle.mean}; minus finished ≤ ${figures.requestsPerCycle.maxExcludingFinished}, budget ${figures.budget}; naive ${n})` +
      `  latency p50 ${figures.latency.p50}× p95 ${figures.latency.p95}× interval (${figures.latency.samples} jobs)  CPU ${figures.cpuMsPerCycle} ms/cycle`,
  );
}
console.log(
  JSON.stringify({
    bench: 'poll',
    speed: SPEED,
    goals: { requestsPerCycle: { apiframe: 'ceil(N/100)+2 (+finished)', useapi: '1 list (+finished); with the window open +1 progress refresh' }, latencyP95: 1.1 },
    results,
  }),
);
