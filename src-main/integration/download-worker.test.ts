/**
 * The engine with its transfers in the real worker thread (the built
 * out/main/transfer-worker.js, as the app runs it): real HTTP to the
 * emulator and local servers, real temp folders. The transfer logic itself
 * is covered in download-engine.test.ts; these check that everything it
 * does still holds across the thread boundary.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNodeFileSystem, nodeSha256 } from '../adapters/node-fs';
import { systemClock } from '../adapters/system-clock';
import { createUndiciDownload } from '../adapters/undici-download';
import { createWorkerTransfers } from '../adapters/worker-transfers';
import type { WorkerTransfers } from '../adapters/worker-transfers';
import { ensureCliBuilt, ROOT, TRANSFER_WORKER } from '../cli/testing/cli-process';
import { makeUseapiJobId, ManualClock, startEmulator, TEST_USEAPI_TOKEN } from '../emulator';
import type { RunningEmulator } from '../emulator';
import type { DownloadSettings } from '../core/downloads/engine';
import { DownloadEngine } from '../core/downloads/engine';
import type { DownloadHttpPort } from '../core/downloads/ports';
import { browserLikeSource, isMidjourneyCdn, midjourneyCdnSource } from '../core/downloads/sources';
import { makeAsset, makeJob } from '../core/downloads/testing/fixtures';
import { binaryBytes, sendSlowly, startLocalServer } from '../core/downloads/testing/local-server';
import type { Asset, Job } from '../../src-shared/job';

const SOURCES = ['transfer-worker.ts', 'worker-transfers.ts', 'transfer-protocol.ts', 'node-fs-blocking.ts', 'undici-download.ts'].map((f) => join(ROOT, 'src-main/adapters', f)).concat(['transfer.ts', 'sources.ts', 'sniff.ts', 'errors.ts', 'url-safety.ts', 'rate-limit.ts'].map((f) => join(ROOT, 'src-main/core/downloads', f)));
beforeAll(() => ensureCliBuilt(SOURCES), 130_000);

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let emu: RunningEmulator;
let base: string;
let root: string;
let workers: WorkerTransfers;
/** Requests the engine's own thread made for asset bytes (should stay 0 with the worker). */
let hereRequests: number;
const closers: Array<() => Promise<void>> = [];

beforeEach(async () => {
  emu = await startEmulator({ scenario: { apiframe: { apiKeys: [], jobs: [] } } });
  base = await mkdtemp(join(tmpdir(), 'genwatch-dlw-'));
  root = join(base, 'root');
  workers = createWorkerTransfers(TRANSFER_WORKER);
  hereRequests = 0;
});

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await workers.close();
  await emu.close();
  await rm(base, { recursive: true, force: true });
});

async function engineWith(settings: Partial<DownloadSettings> = {}): Promise<DownloadEngine> {
  const undici = createUndiciDownload();
  closers.push(() => undici.close());
  const http: DownloadHttpPort = { request: (req) => (hereRequests++, undici.request(req)) };
  const created = await DownloadEngine.create(
    { http, fs: createNodeFileSystem(), hasher: nodeSha256, clock: systemClock, random: () => 0.5, transfers: workers },
    { root, retryBaseMs: 10, reserveBytes: 0, lowSpaceBytes: 0, fsync: true, checksums: true, template: '{jobId}_{kind}-{index}.{ext}', sources: [midjourneyCdnSource()], ...settings },
  );
  if (!created.ok) throw new Error(created.error.message);
  return created.value;
}

async function download(engine: DownloadEngine, items: Array<{ job: Job; asset: Asset }>) {
  const batch = await engine.enqueue(items);
  if (!batch.ok) throw new Error(batch.error.message);
  return { handle: batch.value, summary: await batch.value.done };
}

const jobFor = (urls: string[], over: Partial<Job> = {}, assetOver: Partial<Asset> = {}): Job => makeJob(urls.map((u, index) => makeAsset(u, { index, ...assetOver })), over);
const items = (job: Job): Array<{ job: Job; asset: Asset }> => job.assets.map((asset) => ({ job, asset }));
const direct = async (url: string): Promise<Buffer> => Buffer.from(await (await fetch(url)).arrayBuffer());

describe('downloads through the transfer worker', () => {
  it('downloads every file with the right bytes, hashes and progress; nothing goes through the engine thread', async () => {
    const engine = await engineWith();
    const progress: number[] = [];
    engine.onEvent((e) => {
      if (e.type === 'file' && e.file.state === 'active' && e.file.bytes > 0) progress.push(e.file.bytes);
    });
    const urls = Array.from({ length: 8 }, (_, i) => `${emu.url}/assets/w/${i}.bin?size=${600_000 + i}`);
    const jobs = [jobFor(urls.slice(0, 4), { id: 'wa' }, { kind: 'other' }), jobFor(urls.slice(4), { id: 'wb' }, { kind: 'other' })];
    const { summary } = await download(engine, jobs.flatMap(items));
    expect(summary.done).toBe(8);
    expect(hereRequests).toBe(0);
    expect(progress.length).toBeGreaterThan(0);
    const names = (await readdir(root)).sort();
    expect(names.filter((n) => n.includes('.part'))).toEqual([]);
    expect(names).toContain('wa.json');
    const ledger = (await readFile(join(root, '.genwatch', 'ledger.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { path: string; sha256?: string });
    expect(ledger).toHaveLength(8);
    for (const [i, url] of urls.entries()) {
      const name = `${i < 4 ? 'wa' : 'wb'}_other-${(i % 4) + 1}.bin`; // {index} counts from 1
      const bytes = await readFile(join(root, name));
      expect(sha(bytes), name).toBe(sha(await direct(url)));
      expect(ledger.find((l) => l.path === name)?.sha256).toBe(sha(bytes));
    }
  });

  it('a truncated body is resumed with a Range request in the worker', async () => {
    const engine = await engineWith();
    emu.faults.add({ route: 'asset', times: 1, fault: { kind: 'truncate' } });
    const url = `${emu.url}/assets/wt/big.bin?size=2000000`;
    const { summary } = await download(engine, items(jobFor([url], {}, { kind: 'other' })));
    expect(summary.done).toBe(1);
    const [file] = (await readdir(root)).filter((f) => f.endsWith('.bin'));
    expect(sha(await readFile(join(root, file ?? '')))).toBe(sha(await direct(url)));
    expect(emu.requests.filter((r) => r.route === 'asset').length).toBe(3); // truncated + resumed + direct()
  });

  it('classified failures cross the thread: an error page, and an expired link refreshed once on the engine side', async () => {
    emu.faults.add({ route: 'asset', times: 1, fault: { kind: 'status', status: 200, headers: { 'content-type': 'text/html' }, body: '<!DOCTYPE html><html><body>Access denied</body></html>' } });
    const page = await download(await engineWith(), items(jobFor([`${emu.url}/assets/page.png`])));
    expect(page.summary.failed[0]?.failure?.reason).toBe('error-page');
    expect(page.summary.failed[0]?.failure?.error.message).toBe('The server sent an error page instead of the file.');

    await rm(root, { recursive: true, force: true });
    const fresh = `${emu.url}/assets/fresh/410.png`;
    let refreshed = 0;
    const engine = await engineWith({ refreshUrl: () => (refreshed++, Promise.resolve(fresh)) });
    emu.faults.add({ route: 'asset', times: 1, fault: { kind: 'status', status: 410 } });
    const expired = await download(engine, items(jobFor([`${emu.url}/assets/old/410.png`])));
    expect(expired.summary.done).toBe(1);
    expect(refreshed).toBe(1);
  });

  it('pause keeps the .part, resume continues it with Range, cancel removes everything', async () => {
    const size = 2_000_000;
    const body = binaryBytes(size, 3);
    const ranges: string[] = [];
    const server = await startLocalServer(async (req, res) => {
      ranges.push(req.headers['range'] ?? '');
      await sendSlowly(req, res, body, { etag: '"w"' });
    });
    closers.push(() => server.close());
    const engine = await engineWith();
    const job = jobFor([`${server.url}/a.bin`, `${server.url}/b.bin`], {}, { kind: 'other' });
    let paused = false;
    engine.onEvent((e) => {
      if (!paused && e.type === 'file' && e.file.assetKey === 'other:0' && e.file.bytes > 300_000) {
        paused = true;
        engine.pause(e.file.id);
      }
    });
    const batch = await engine.enqueue(items(job));
    if (!batch.ok) throw new Error(batch.error.message);
    const [a, b] = batch.value.files;
    for (let i = 0; i < 300 && engine.snapshot().find((f) => f.id === a?.id)?.state !== 'paused'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(engine.snapshot().find((f) => f.id === a?.id)?.state).toBe('paused');
    const kept = (await stat(join(root, `${job.id}_other-1.bin.part`))).size;
    expect(kept).toBeGreaterThan(300_000);
    engine.cancel(b?.id ?? '');
    engine.resume(a?.id ?? '');
    const summary = await batch.value.done;
    expect(summary.done).toBe(1);
    expect(summary.cancelled).toBe(1);
    expect(sha(await readFile(join(root, `${job.id}_other-1.bin`)))).toBe(sha(body));
    expect(ranges.some((r) => r.startsWith('bytes=') && Number(/\d+/.exec(r)?.[0]) >= 300_000)).toBe(true);
    expect((await readdir(root)).filter((n) => n.includes('other-2'))).toEqual([]);
  });

  it('a speed limit set on the engine holds in the worker', async () => {
    const engine = await engineWith({ maxBytesPerSecond: 1_000_000 });
    const urls = [0, 1].map((i) => `${emu.url}/assets/wl/${i}.bin?size=800000`);
    const t0 = performance.now();
    const { summary } = await download(engine, items(jobFor(urls, {}, { kind: 'other' })));
    expect(summary.done).toBe(2);
    // 1.6 MB at 1 MB/s, minus the bucket's quarter-second burst: only a cap that does not hold is faster.
    expect(performance.now() - t0).toBeGreaterThan(1_100);
  });

  it('the worker dying mid-download is a retryable failure: a new worker finishes every file, none spliced', async () => {
    const size = 3_000_000;
    const bodies = [5, 6, 7].map((seed) => binaryBytes(size, seed));
    let served = 0;
    const server = await startLocalServer(async (req, res) => {
      served++;
      const body = bodies[Number(/\/(\d)\.bin/.exec(req.url ?? '')?.[1] ?? 0)] ?? Buffer.alloc(0);
      await sendSlowly(req, res, body, { etag: '"d"', chunk: 64 * 1024, delayMs: 10 });
    });
    closers.push(() => server.close());
    const engine = await engineWith({ concurrency: 3, perHostConcurrency: 3 });
    let recycled = 0;
    engine.onEvent((e) => {
      // Twice: the second time while the first crash's retries run on the new worker.
      if (recycled < 2 && e.type === 'file' && e.file.bytes > (recycled + 1) * 600_000) {
        recycled++;
        void workers.recycle();
      }
    });
    const job = jobFor([0, 1, 2].map((i) => `${server.url}/${i}.bin`), {}, { kind: 'other' });
    const { summary } = await download(engine, items(job));
    expect(recycled).toBe(2);
    expect(summary.done).toBe(3);
    expect(served).toBeGreaterThan(3);
    expect(hereRequests).toBe(0);
    for (const i of [0, 1, 2]) expect(sha(await readFile(join(root, `${job.id}_other-${i + 1}.bin`))), String(i)).toBe(sha(bodies[i] ?? Buffer.alloc(0)));
  });

  it('a worker that cannot start (a broken build) leaves the transfers to the engine thread', async () => {
    await workers.close();
    workers = createWorkerTransfers(join(base, 'missing-transfer-worker.js'));
    const engine = await engineWith();
    const url = `${emu.url}/assets/nw/1.bin?size=200000`;
    const { summary } = await download(engine, items(jobFor([url], {}, { kind: 'other' })));
    expect(summary.done).toBe(1);
    expect(workers.available).toBe(false);
    expect(hereRequests).toBeGreaterThan(0);
    const [file] = (await readdir(root)).filter((f) => f.endsWith('.bin'));
    expect(sha(await readFile(join(root, file ?? '')))).toBe(sha(await direct(url)));
  });

  it('sources go to the worker as data (the Midjourney CDN gets browser headers there); a custom source keeps transfers on the engine thread', async () => {
    const T0 = Date.parse('2026-03-15T10:00:00.000Z');
    const C1 = '1234567890123456789';
    const clock = new ManualClock(T0);
    const jobid = makeUseapiJobId(T0, 'image', { channel: C1 });
    const mj = await startEmulator({ clock, scenario: { apiframe: { apiKeys: [], jobs: [] }, useapi: { tokens: [TEST_USEAPI_TOKEN], jobs: [{ jobid, token: TEST_USEAPI_TOKEN, channel: C1, verb: 'imagine', jobType: 'image', prompt: 'a cat', startAt: T0, createdMs: 1000, progressMs: 5000, outcome: 'completed' }] } } });
    closers.push(() => mj.close());
    clock.advance(10_000);
    const res = await fetch(`${mj.providers.useapi.baseUrl}/v3/midjourney/jobs/${encodeURIComponent(jobid)}`, { headers: { authorization: `Bearer ${TEST_USEAPI_TOKEN}` } });
    const cdnUrl = ((await res.json()) as { response?: { imageUx?: Array<{ url: string }> } }).response?.imageUx?.[0]?.url ?? '';
    expect(cdnUrl).toContain('/cdn-midjourney/');
    const job = jobFor([cdnUrl], { provider: 'useapi' });
    const viaWorker = await download(await engineWith(), items(job));
    expect(viaWorker.summary.done).toBe(1);
    expect(hereRequests).toBe(0);

    await rm(root, { recursive: true, force: true });
    const custom = await download(await engineWith({ sources: [browserLikeSource(isMidjourneyCdn)] }), items(job));
    expect(custom.summary.done).toBe(1);
    expect(hereRequests).toBe(1);
  });
});
