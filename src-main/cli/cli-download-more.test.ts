/**
 * `genwatch download` beyond cli.test.ts, as real processes against an
 * in-process emulator on a ManualClock (jobs stay put):
 * - useapi.net jobs given by id: the grid cells on the emulated
 *   cdn.midjourney.com (which refuses anything that does not look like a
 *   browser), the Discord attachment, a link that answers 403/410 once (one
 *   refresh of the job) and a CDN refusal answered by useapi.net's proxy;
 * - Apiframe's --status / --model filters: only matching jobs' files land.
 * Builds out/main/cli.js when it is missing or older than the sources these
 * tests are about.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { crc32 } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeUseapiJobId, ManualClock, startEmulator, TEST_APIFRAME_KEY, TEST_USEAPI_TOKEN, useapiImagine } from '../emulator';
import type { ApiframeJobScript, RunningEmulator, Scenario, UseapiJobScript } from '../emulator';
import { CHROME_USER_AGENT } from '../core/downloads/sources';
import { cleanedAfterEach, cleanEnv, ensureCliBuilt, ROOT, run } from './testing/cli-process';
import type { Exited } from './testing/cli-process';

const SOURCES = [
  'src-main/cli/main.ts',
  'src-main/cli/download.ts',
  'src-main/cli/retries.ts',
  'src-main/core/downloads/sources.ts',
  'src-main/core/downloads/engine.ts',
  'src-main/core/downloads/transfer.ts',
  'src-main/core/providers/useapi.ts',
  'src-main/core/providers/useapi-wire.ts',
  'src-main/core/providers/apiframe.ts',
].map((path) => join(ROOT, path));

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const MIN = 60_000;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const { tempDirs, emulators } = cleanedAfterEach();

beforeAll(() => ensureCliBuilt(SOURCES), 130_000);

const outDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'genwatch-cli-dl-more-'));
  tempDirs.push(dir);
  return dir;
};

async function emulatorWith(scenario: Scenario): Promise<RunningEmulator> {
  const emu = await startEmulator({ clock: new ManualClock(T0), scenario });
  emulators.push(emu);
  return emu;
}

interface Line {
  type: string;
  state?: string;
  jobId?: string;
  assetKey?: string;
  path?: string | null;
  url?: string;
  error?: string | null;
  done?: number;
  skipped?: number;
  failed?: number;
  failedJobs?: number;
  bytes?: number;
}

/** Every stdout line must be one JSON object. */
function jsonLines(result: Exited): Line[] {
  const lines = result.stdout.split('\n').filter((l) => l.length > 0);
  return lines.map((line) => JSON.parse(line) as Line);
}

/** The media files under `root` (not the ledger folder, not the `<jobId>.json` sidecars), relative, forward slashes. */
function mediaFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.')) walk(full);
      } else if (!entry.name.endsWith('.json')) found.push(relative(root, full).split('\\').join('/'));
    }
  };
  walk(root);
  return found.sort();
}

/** What is wrong with `buf` as a PNG (signature, chunk CRCs, IHDR first, IEND last), or null. */
function pngProblem(buf: Buffer): string | null {
  if (!buf.subarray(0, 8).equals(PNG_SIGNATURE)) return 'no PNG signature';
  let at = 8;
  const types: string[] = [];
  while (at < buf.length) {
    if (at + 12 > buf.length) return `chunk header cut at ${at}`;
    const length = buf.readUInt32BE(at);
    const end = at + 12 + length;
    if (end > buf.length) return `chunk at ${at} runs past the end`;
    const type = buf.toString('latin1', at + 4, at + 8);
    if ((crc32(buf.subarray(at + 4, at + 8 + length)) >>> 0) !== buf.readUInt32BE(at + 8 + length)) return `bad CRC in ${type}`;
    types.push(type);
    at = end;
  }
  if (types[0] !== 'IHDR') return 'IHDR is not the first chunk';
  if (types.at(-1) !== 'IEND') return 'IEND is not the last chunk';
  if (!types.includes('IDAT')) return 'no IDAT';
  return null;
}

/** The image data of a PNG (its IDAT chunks): metadata the downloader embeds does not change it. */
function idat(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 8; at + 12 <= buf.length; ) {
    const length = buf.readUInt32BE(at);
    if (buf.toString('latin1', at + 4, at + 8) === 'IDAT') parts.push(buf.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  return Buffer.concat(parts);
}

const routeCount = (emu: RunningEmulator, route: string): number => emu.requests.filter((r) => r.route === route).length;

// ---- useapi.net ----

const CHANNEL = '1234567890123456789';
const IMAGINE = makeUseapiJobId('dl-imagine', 'image', { channel: CHANNEL });
const UPSCALE = makeUseapiJobId('dl-upscale', 'image', { channel: CHANNEL });
const RUNNING = makeUseapiJobId('dl-running', 'image', { channel: CHANNEL });

function useapiJob(jobid: string, extra: Partial<UseapiJobScript> = {}): UseapiJobScript {
  return useapiImagine(jobid, { channel: CHANNEL, prompt: 'a lighthouse in a storm', startAt: T0 - 30 * MIN, createdMs: 1_000, progressMs: MIN, ...extra });
}

/** A finished imagine (4 grid cells on the CDN + the grid as a Discord attachment) and its U1 upscale (1 cell + 1 attachment). */
async function useapiEmulator(): Promise<{ emu: RunningEmulator; env: NodeJS.ProcessEnv }> {
  const jobs = [
    useapiJob(IMAGINE),
    useapiJob(UPSCALE, { verb: 'button', button: 'U1', parentJobId: IMAGINE, startAt: T0 - 20 * MIN }),
    useapiJob(RUNNING, { startAt: T0 - 20 * MIN, progressMs: 60 * MIN }),
  ];
  const emu = await emulatorWith({ apiframe: { apiKeys: [], jobs: [] }, useapi: { tokens: [TEST_USEAPI_TOKEN], jobs } });
  return { emu, env: cleanEnv({ USEAPI_TOKEN: TEST_USEAPI_TOKEN, GENWATCH_USEAPI_URL: emu.providers.useapi.baseUrl }) };
}

/** The same URL fetched directly (browser headers, so the emulated CDN answers): what the provider serves. */
async function served(url: string): Promise<Buffer> {
  const response = await fetch(url, { headers: { 'user-agent': CHROME_USER_AGENT, accept: '*/*' } });
  expect(response.status, url).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

/** Checks every done file of a run: on disk where the event says, a valid PNG, the same image the emulator serves at its URL. */
async function expectFilesLanded(out: string, files: Line[]): Promise<void> {
  expect(mediaFiles(out)).toEqual(files.map((f) => f.path).sort());
  for (const file of files) {
    const bytes = readFileSync(join(out, file.path ?? '\0'));
    expect(pngProblem(bytes), file.path ?? '').toBeNull();
    expect(idat(bytes).equals(idat(await served(file.url ?? ''))), `${file.path ?? ''} holds the image served at its URL`).toBe(true);
  }
}

describe('genwatch download useapi <jobid…>', () => {
  it('downloads every asset of each job (CDN grid cells with browser-like headers, the Discord grid) as valid PNGs; --json: one event per line, ending with the summary; exit 0', async () => {
    const { emu, env } = await useapiEmulator();
    const out = outDir();
    const result = await run(['download', 'useapi', IMAGINE, UPSCALE, '--out', out, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(result);
    expect(lines.at(-1)).toEqual({ type: 'summary', done: 7, skipped: 0, deletedByYou: 0, failed: 0, bytes: expect.any(Number) as unknown, failedJobs: 0 });
    const files = lines.slice(0, -1);
    expect(files.every((l) => l.type === 'file' && l.state === 'done' && l.error === null)).toBe(true);
    const keysOf = (jobId: string): string[] => files.filter((f) => f.jobId === jobId).map((f) => f.assetKey ?? '').sort();
    expect(keysOf(IMAGINE)).toEqual(['grid:0', 'image:0', 'image:1', 'image:2', 'image:3']);
    expect(keysOf(UPSCALE)).toEqual(['grid:0', 'image:0']);
    expect(lines.at(-1)?.bytes).toBe(files.reduce((sum, f) => sum + (f.bytes ?? 0), 0));
    expect(result.stderr).toMatch(/Downloading 7 files of 2 jobs/);
    expect(result.stderr).toMatch(/7 downloaded, 0 already there, 0 failed/);
    // Each job read once; the CDN let every cell through on the first request (it 403s scripts), so no proxy was needed.
    expect(routeCount(emu, 'useapi.getJob')).toBe(2);
    const cdn = emu.requests.filter((r) => r.route === 'useapi.cdn');
    expect(cdn.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(routeCount(emu, 'useapi.proxy')).toBe(0);
    expect(emu.requests.filter((r) => r.route === 'useapi.discord').map((r) => r.status)).toEqual([200, 200]);
    await expectFilesLanded(out, files);
  });

  it.each([
    ['a CDN grid cell answers 410', 'useapi.cdn', 410],
    ['the Discord attachment answers 403 (no proxy for that host)', 'useapi.discord', 403],
  ])('%s once: the job is read once more for a fresh link and the file lands (exit 0)', async (_what, route, status) => {
    const { emu, env } = await useapiEmulator();
    emu.faults.add({ route, times: 1, fault: { kind: 'status', status } });
    const out = outDir();
    const result = await run(['download', 'useapi', IMAGINE, '--out', out, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(result);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', done: 5, failed: 0, failedJobs: 0 });
    const files = lines.filter((l) => l.type === 'file');
    expect(files).toHaveLength(5);
    expect(files.every((f) => f.state === 'done')).toBe(true);
    // The refused request really happened, then one refresh: two reads of the job in all.
    expect(emu.requests.filter((r) => r.route === route && r.status === status)).toHaveLength(1);
    expect(routeCount(emu, 'useapi.getJob')).toBe(2);
    expect(routeCount(emu, 'useapi.proxy')).toBe(0);
    await expectFilesLanded(out, files);
  });

  it('a CDN grid cell refused with 403 once is fetched through the useapi.net proxy (no refresh of the job); exit 0', async () => {
    const { emu, env } = await useapiEmulator();
    emu.faults.add({ route: 'useapi.cdn', times: 1, fault: { kind: 'status', status: 403 } });
    const out = outDir();
    const result = await run(['download', 'useapi', IMAGINE, '--out', out, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(result);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', done: 5, failed: 0 });
    expect(emu.requests.filter((r) => r.route === 'useapi.proxy').map((r) => r.status)).toEqual([200]);
    expect(routeCount(emu, 'useapi.getJob')).toBe(1);
    await expectFilesLanded(out, lines.filter((l) => l.type === 'file'));
  });

  it('a job still running is reported (its own JSON line), nothing of it is downloaded, and the run exits 1; without ids: exit 2 (no history list)', async () => {
    const { emu, env } = await useapiEmulator();
    const out = outDir();
    const result = await run(['download', 'useapi', RUNNING, UPSCALE, '--out', out, '--json'], env);
    expect(result.code, result.stderr).toBe(1);
    const lines = jsonLines(result);
    expect(lines.filter((l) => l.type === 'job')).toEqual([{ type: 'job', id: RUNNING, state: 'unfinished', status: 'progress' }]);
    expect(lines.filter((l) => l.type === 'file').map((l) => [l.jobId, l.state])).toEqual([
      [UPSCALE, 'done'],
      [UPSCALE, 'done'],
    ]);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', done: 2, failed: 0 });
    expect(mediaFiles(out)).toHaveLength(2);
    expect(result.stderr).toContain(`${RUNNING}: still progress, nothing to download yet.`);

    const before = emu.requests.length;
    const noIds = await run(['download', 'useapi', '--out', outDir()], env);
    expect(noIds.code).toBe(2);
    expect(noIds.stderr).toMatch(/has no job history list: give the job ids to download/);
    expect(emu.requests.length).toBe(before);
  });
});

// ---- Apiframe --status / --model ----

const FLUX_DONE = 'f1000000-0000-4000-8000-000000000001';
const MJ_DONE = 'f2000000-0000-4000-8000-000000000002';
const KLING_DONE = 'f3000000-0000-4000-8000-000000000003';
const FLUX_FAILED = 'f4000000-0000-4000-8000-000000000004';
const FLUX_RUNNING = 'f5000000-0000-4000-8000-000000000005';
const ALL_IDS = [FLUX_DONE, MJ_DONE, KLING_DONE, FLUX_FAILED, FLUX_RUNNING];

function apiframeJob(id: string, model: string, modality: ApiframeJobScript['modality'], extra: Partial<ApiframeJobScript> = {}): ApiframeJobScript {
  return { id, apiKey: TEST_APIFRAME_KEY, model, modality, startAt: T0 - 60 * MIN, queuedMs: 1_000, processingMs: MIN, outcome: 'completed', creditCost: 4, ...extra };
}

async function apiframeEmulator(): Promise<{ emu: RunningEmulator; env: NodeJS.ProcessEnv }> {
  const jobs = [
    apiframeJob(FLUX_DONE, 'flux-pro', 'image', { imageCount: 2, startAt: T0 - 50 * MIN }),
    apiframeJob(MJ_DONE, 'midjourney', 'image', { startAt: T0 - 40 * MIN }), // 4 images + the grid
    apiframeJob(KLING_DONE, 'kling-2.6', 'video', { startAt: T0 - 30 * MIN }),
    apiframeJob(FLUX_FAILED, 'flux-pro', 'image', { outcome: 'failed', error: 'content policy violation', startAt: T0 - 20 * MIN }),
    apiframeJob(FLUX_RUNNING, 'flux-pro', 'image', { startAt: T0 - MIN, queuedMs: 0, processingMs: 60 * MIN }),
  ];
  const emu = await emulatorWith({ apiframe: { apiKeys: [TEST_APIFRAME_KEY], jobs } });
  return { emu, env: cleanEnv({ APIFRAME_API_KEY: TEST_APIFRAME_KEY, GENWATCH_APIFRAME_URL: emu.providers.apiframe.baseUrl }) };
}

/** How many media files of each job are on disk (Apiframe ids are UUIDs, kept as they are in the file names). */
function filesPerJob(out: string): Record<string, number> {
  const counts = Object.fromEntries(ALL_IDS.map((id) => [id, 0]));
  const files = mediaFiles(out);
  for (const file of files) {
    const id = ALL_IDS.find((j) => (file.split('/').at(-1) ?? '').startsWith(`${j}_`));
    if (id === undefined) throw new Error(`a file of no known job: ${file}`);
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

const none = Object.fromEntries(ALL_IDS.map((id) => [id, 0]));

describe('genwatch download apiframe --status / --model', () => {
  it('--model: only that model’s completed jobs are downloaded', async () => {
    const { env } = await apiframeEmulator();
    const flux = outDir();
    const first = await run(['download', 'apiframe', '--out', flux, '--model', 'flux-pro', '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(filesPerJob(flux)).toEqual({ ...none, [FLUX_DONE]: 2 });
    expect(jsonLines(first).at(-1)).toMatchObject({ type: 'summary', done: 2, failed: 0, failedJobs: 0 });

    const mj = outDir();
    const second = await run(['download', 'apiframe', '--out', mj, '--model', 'midjourney', '--status', 'COMPLETED', '--json'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(filesPerJob(mj)).toEqual({ ...none, [MJ_DONE]: 5 });
    for (const file of mediaFiles(mj)) expect(pngProblem(readFileSync(join(mj, file))), file).toBeNull();
  });

  it('--status takes Apiframe’s own status names in any case: "completed" downloads every completed job and nothing of the failed or running ones', async () => {
    const { emu, env } = await apiframeEmulator();
    const out = outDir();
    const result = await run(['download', 'apiframe', '--out', out, '--status', 'completed', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(filesPerJob(out)).toEqual({ ...none, [FLUX_DONE]: 2, [MJ_DONE]: 5, [KLING_DONE]: 1 });
    expect(jsonLines(result).at(-1)).toMatchObject({ type: 'summary', done: 8, failed: 0, failedJobs: 0 });
    expect(routeCount(emu, 'apiframe.listJobs')).toBe(1);
  });

  it.each(['processing', 'FAILED'])('--status %s: the matching jobs have no results, so nothing is downloaded (exit 0) even though completed jobs exist', async (status) => {
    const { emu, env } = await apiframeEmulator();
    const out = outDir();
    const result = await run(['download', 'apiframe', '--out', out, '--status', status, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/No completed job with results matched\./);
    expect(jsonLines(result)).toEqual([{ type: 'summary', done: 0, skipped: 0, deletedByYou: 0, failed: 0, bytes: 0, failedJobs: 0 }]);
    expect(filesPerJob(out)).toEqual(none);
    expect(routeCount(emu, 'apiframe.listJobs')).toBe(1);
    expect(routeCount(emu, 'apiframe.getJob')).toBe(0);
    expect(routeCount(emu, 'asset')).toBe(0);
  });

  it('--status running (genwatch’s common status, not an Apiframe one) is refused by the API: exit 2 with its message, nothing downloaded', async () => {
    const { emu, env } = await apiframeEmulator();
    const out = outDir();
    const result = await run(['download', 'apiframe', '--out', out, '--status', 'running', '--json'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Apiframe rejected the request: Invalid status/);
    expect(jsonLines(result)).toEqual([{ type: 'error', message: expect.stringMatching(/Invalid status/) as unknown }]);
    expect(filesPerJob(out)).toEqual(none);
    expect(emu.requests.filter((r) => r.route === 'apiframe.listJobs').map((r) => r.status)).toEqual([400]);
  });
});
