/**
 * The download engine in its worker thread (the built out/main/engine-host.js,
 * as the app runs it) behind RemoteEngine: real HTTP to the emulator and
 * local servers, real temp folders. The engine's own behaviour is covered in
 * download-engine.test.ts; these check that everything the app reads and
 * asks for holds across the thread boundary, and that a dead worker loses
 * nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNodeFileSystem, nodeSha256 } from '../adapters/node-fs';
import { openEngineInWorker, RemoteEngine } from '../adapters/remote-engine';
import { systemClock } from '../adapters/system-clock';
import { createResultDownload } from '../adapters/result-download';
import { ENGINE_HOST, ensureCliBuilt, ROOT } from '../cli/testing/cli-process';
import { makeUseapiJobId, ManualClock, startEmulator, TEST_USEAPI_TOKEN } from '../emulator';
import type { RunningEmulator } from '../emulator';
import type { DownloadSettings } from '../core/downloads/engine';
import { DownloadEngine } from '../core/downloads/engine';
import { browserLikeSource, isMidjourneyCdn, midjourneyCdnSource } from '../core/downloads/sources';
import { makeAsset, makeJob } from '../core/downloads/testing/fixtures';
import { binaryBytes, sendSlowly, startLocalServer } from '../core/downloads/testing/local-server';
import type { DownloadEvent } from '../core/downloads/types';
import type { Asset, Job } from '../../src-shared/job';

const SOURCES = ['engine-host.ts', 'engine-outbox.ts', 'remote-engine.ts', 'engine-protocol.ts', 'node-fs-blocking.ts', 'result-download.ts', 'http1-download.ts', 'http1-response.ts', 'undici-download.ts']
  .map((f) => join(ROOT, 'src-main/adapters', f))
  .concat(['engine.ts', 'ledger.ts', 'transfer.ts', 'sources.ts', 'naming.ts', 'types.ts'].map((f) => join(ROOT, 'src-main/core/downloads', f)));
beforeAll(() => ensureCliBuilt(SOURCES), 130_000);

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let emu: RunningEmulator;
let base: string;
let root: string;
const closers: Array<() => Promise<void>> = [];

beforeEach(async () => {
  emu = await startEmulator({ scenario: { apiframe: { apiKeys: [], jobs: [] } } });
  base = await mkdtemp(join(tmpdir(), 'genwatch-remote-'));
  root = join(base, 'root');
});

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await emu.close();
  await rm(base, { recursive: true, force: true });
});

const SETTINGS: Partial<DownloadSettings> = { retryBaseMs: 10, reserveBytes: 0, lowSpaceBytes: 0, fsync: true, checksums: true, template: '{jobId}_{kind}-{index}.{ext}', sources: [midjourneyCdnSource()] };

async function remote(settings: Partial<DownloadSettings> = {}, script: string = ENGINE_HOST): Promise<RemoteEngine> {
  const opened = await RemoteEngine.open(script, { root, ...SETTINGS, ...settings });
  if (opened === null) throw new Error('the engine thread did not start');
  if (!opened.ok) throw new Error(opened.error.message);
  closers.push(() => opened.value.close());
  return opened.value;
}

async function download(engine: Pick<RemoteEngine, 'enqueue'>, items: Array<{ job: Job; asset: Asset }>) {
  const batch = await engine.enqueue(items);
  if (!batch.ok) throw new Error(batch.error.message);
  return { handle: batch.value, summary: await batch.value.done };
}

const jobFor = (urls: string[], over: Partial<Job> = {}, assetOver: Partial<Asset> = {}): Job => makeJob(urls.map((u, index) => makeAsset(u, { index, ...assetOver })), over);
const items = (job: Job): Array<{ job: Job; asset: Asset }> => job.assets.map((asset) => ({ job, asset }));
const direct = async (url: string): Promise<Buffer> => Buffer.from(await (await fetch(url)).arrayBuffer());
const until = async (ok: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
};

describe('the download engine in its worker thread', () => {
  it('downloads every file with the right bytes and hashes; the mirror the app reads (files, totals, counts, ledger) follows', async () => {
    const engine = await remote();
    const events: DownloadEvent['type'][] = [];
    engine.onEvent((e) => events.push(e.type));
    const urls = Array.from({ length: 8 }, (_, i) => `${emu.url}/assets/w/${i}.bin?size=${600_000 + i}`);
    const jobs = [jobFor(urls.slice(0, 4), { id: 'wa' }, { kind: 'other' }), jobFor(urls.slice(4), { id: 'wb' }, { kind: 'other' })];
    expect(engine.isDownloaded(jobs[0] as Job, (jobs[0] as Job).assets[0] as Asset)).toBe(false);
    const { handle, summary } = await download(engine, jobs.flatMap(items));
    expect(summary.done).toBe(8);
    expect(handle.files).toHaveLength(8);
    await until(() => engine.aggregate().files.done === 8, 'the aggregate');
    expect(engine.snapshot().map((f) => f.state)).toEqual(Array(8).fill('done'));
    expect(engine.batchCounts()).toEqual([{ batchId: handle.batchId, total: 8, done: 8, skipped: 0, failed: 0, cancelled: 0, pending: 0 }]);
    for (const job of jobs) for (const asset of job.assets) expect(engine.isDownloaded(job, asset)).toBe(true);
    expect(events).toContain('ledger');
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

    // A new engine on the same folder knows what is there before any event: the ledger's keys come with its start.
    await engine.close();
    const again = await remote();
    for (const job of jobs) for (const asset of job.assets) expect(again.isDownloaded(job, asset)).toBe(true);
    const second = await download(again, items(jobs[0] as Job));
    expect(second.summary.skipped).toBe(4);
    expect(second.handle.files.map((f) => f.skipReason)).toEqual(Array(4).fill('already-downloaded'));
  });

  it('a truncated body is resumed with a Range request', async () => {
    const engine = await remote();
    emu.faults.add({ route: 'asset', times: 1, fault: { kind: 'truncate' } });
    const url = `${emu.url}/assets/wt/big.bin?size=2000000`;
    const { summary } = await download(engine, items(jobFor([url], {}, { kind: 'other' })));
    expect(summary.done).toBe(1);
    const [file] = (await readdir(root)).filter((f) => f.endsWith('.bin'));
    expect(sha(await readFile(join(root, file ?? '')))).toBe(sha(await direct(url)));
    expect(emu.requests.filter((r) => r.route === 'asset').length).toBe(3); // truncated + resumed + direct()
  });

  it('failures cross the thread in plain words; an expired link is refreshed once by the app thread', async () => {
    emu.faults.add({ route: 'asset', times: 1, fault: { kind: 'status', status: 200, headers: { 'content-type': 'text/html' }, body: '<!DOCTYPE html><html><body>Access denied</body></html>' } });
    const page = await download(await remote(), items(jobFor([`${emu.url}/assets/page.png`])));
    expect(page.summary.failed[0]?.failure?.reason).toBe('error-page');
    expect(page.summary.failed[0]?.failure?.error.message).toBe('The server sent an error page instead of the file.');

    await rm(root, { recursive: true, force: true });
    const fresh = `${emu.url}/assets/fresh/410.png`;
    const asked: string[] = [];
    const engine = await remote({ refreshUrl: (job) => (asked.push(job.id), Promise.resolve(fresh)) });
    emu.faults.add({ route: 'asset', times: 1, fault: { kind: 'status', status: 410 } });
    const job = jobFor([`${emu.url}/assets/old/410.png`], { id: 'expiring' });
    const expired = await download(engine, items(job));
    expect(expired.summary.done).toBe(1);
    expect(asked).toEqual(['expiring']);
    expect(engine.snapshot()[0]?.url).toBe(fresh);
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
    const engine = await remote();
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
    await until(() => engine.snapshot().find((f) => f.id === a?.id)?.state === 'paused', 'the pause');
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
    engine.clearFinished();
    await until(() => engine.snapshot().length === 0, 'the cleared list');
    await until(() => engine.aggregate().files.total === 0, 'the totals after clearing');
  });

  it('settled() waits until the worker applied the calls made so far: a queued file shows paused, then queued again, with no polling', async () => {
    const server = await startLocalServer(async (req, res) => sendSlowly(req, res, binaryBytes(1_000_000, 5), { etag: '"s"' }));
    closers.push(() => server.close());
    const engine = await remote({ concurrency: 1 });
    const job = jobFor([`${server.url}/a.bin`, `${server.url}/b.bin`], {}, { kind: 'other' });
    const batch = await engine.enqueue(items(job));
    if (!batch.ok) throw new Error(batch.error.message);
    const second = batch.value.files[1]?.id ?? '';
    await until(() => engine.snapshot().find((f) => f.id === second)?.state === 'queued', 'the queued file');
    engine.pause(second);
    await engine.settled();
    expect(engine.snapshot().find((f) => f.id === second)?.state).toBe('paused');
    engine.resume(second);
    await engine.settled();
    expect(engine.snapshot().find((f) => f.id === second)?.state).toBe('queued');
    engine.cancelAll();
    expect((await batch.value.done).cancelled).toBe(2);
    engine.clearFinished();
    await engine.settled();
    expect(engine.snapshot()).toEqual([]);
  });

  it('haltNow blocks this thread until the worker paused the transfer and wrote its validator (a Windows log-off), so the next start resumes it', async () => {
    const body = binaryBytes(4_000_000, 6);
    const ranges: string[] = [];
    const server = await startLocalServer(async (req, res) => {
      ranges.push(req.headers['range'] ?? '');
      await sendSlowly(req, res, body, { etag: '"h"' });
    });
    closers.push(() => server.close());
    const engine = await remote();
    const job = jobFor([`${server.url}/a.bin`], {}, { kind: 'other' });
    const part = join(root, `${job.id}_other-1.bin.part`);
    const batch = await engine.enqueue(items(job));
    if (!batch.ok) throw new Error(batch.error.message);
    // Well before the validator would be written on its own (8 MiB or 1 s into the transfer).
    await until(() => (engine.snapshot()[0]?.bytes ?? 0) > 300_000, 'the first bytes');
    expect(existsSync(`${part}.json`)).toBe(false);
    // No await from here on: as in a session-end handler, nothing else runs on this thread.
    expect(engine.haltNow()).toBe(true);
    expect(existsSync(`${part}.json`)).toBe(true);
    const kept = statSync(part).size;
    expect(kept).toBeGreaterThan(0);
    await engine.close();
    // The next start (a new engine on the same folder) continues it with Range and gets every byte right.
    const again = await remote();
    const summary = (await download(again, items(job))).summary;
    expect(summary.done).toBe(1);
    expect(sha(await readFile(join(root, `${job.id}_other-1.bin`)))).toBe(sha(body));
    expect(ranges.at(-1)).toBe(`bytes=${kept}-`);
  });

  it('a speed limit set through configure holds in the worker', async () => {
    const engine = await remote();
    expect(engine.configure({ maxBytesPerSecond: 1_000_000 }).ok).toBe(true);
    expect(engine.configure({ template: '{nope}' }).ok).toBe(false);
    const urls = [0, 1].map((i) => `${emu.url}/assets/wl/${i}.bin?size=800000`);
    const t0 = performance.now();
    const { summary } = await download(engine, items(jobFor(urls, {}, { kind: 'other' })));
    expect(summary.done).toBe(2);
    // 1.6 MB at 1 MB/s, minus the bucket's quarter-second burst: only a cap that does not hold is faster.
    expect(performance.now() - t0).toBeGreaterThan(1_100);
  });

  it('the worker dying mid-download fails its files retryably and ends the batch; retry on a new worker finishes every file, none spliced', async () => {
    const size = 3_000_000;
    const bodies = [5, 6, 7].map((seed) => binaryBytes(size, seed));
    const server = await startLocalServer(async (req, res) => {
      const body = bodies[Number(/\/(\d)\.bin/.exec(req.url ?? '')?.[1] ?? 0)] ?? Buffer.alloc(0);
      await sendSlowly(req, res, body, { etag: '"d"', chunk: 64 * 1024, delayMs: 10 });
    });
    closers.push(() => server.close());
    const engine = await remote({ concurrency: 3, perHostConcurrency: 3 });
    let killed = false;
    engine.onEvent((e) => {
      if (!killed && e.type === 'file' && e.file.bytes > 600_000) {
        killed = true;
        void engine.killWorker();
      }
    });
    const job = jobFor([0, 1, 2].map((i) => `${server.url}/${i}.bin`), {}, { kind: 'other' });
    const first = await download(engine, items(job));
    expect(killed).toBe(true);
    expect(first.summary.failed.length).toBeGreaterThan(0);
    expect(first.summary.failed.every((f) => f.failure?.retryable === true && f.failure.error.message.includes('download thread stopped'))).toBe(true);
    expect(engine.batchCounts().at(-1)?.pending).toBe(0);

    const retried = await engine.retryFailed(first.handle.batchId);
    if (!retried.ok) throw new Error(retried.error.message);
    const second = await retried.value.done;
    expect(second.done + first.summary.done).toBe(3);
    for (const i of [0, 1, 2]) expect(sha(await readFile(join(root, `${job.id}_other-${i + 1}.bin`))), String(i)).toBe(sha(bodies[i] ?? Buffer.alloc(0)));
    expect((await readdir(root)).filter((n) => n.includes('.part'))).toEqual([]);
    // The new worker's ids do not collide with the dead one's.
    expect(new Set(engine.snapshot().map((f) => f.id)).size).toBe(engine.snapshot().length);
    // The retried files replaced the dead worker's failed rows (the new worker does not know them): one row
    // per file, and totals over both workers without the failures that were made good.
    // (The mirror's totals follow the engine's throttled aggregate events: up to a progress interval behind.)
    await until(() => engine.aggregate().files.total === 3 && engine.aggregate().files.done === 3, 'totals over both workers');
    expect(engine.aggregate().files).toMatchObject({ done: 3, failed: 0, queued: 0, active: 0 });
    expect(engine.snapshot().map((f) => f.state)).toEqual(['done', 'done', 'done']);
    expect(engine.batchCounts().map((c) => c.batchId)).toEqual([first.handle.batchId, retried.value.batchId]);
    engine.clearFinished();
    await until(() => engine.snapshot().length === 0 && engine.aggregate().files.total === 0, 'everything cleared');
  });

  it('after a crash, a new worker that cannot use the folder says why, and the next call tries again', async () => {
    const engine = await remote();
    await engine.killWorker();
    await new Promise((r) => setTimeout(r, 50)); // the exit reaches this thread
    await rm(root, { recursive: true, force: true });
    await writeFile(root, 'not a folder');
    const job = jobFor([`${emu.url}/assets/rf/1.bin?size=1000`], {}, { kind: 'other' });
    // Two calls at once share the one new worker, and neither waits forever for it.
    const [refused, alsoRefused] = await Promise.all([engine.enqueue(items(job)), engine.enqueue(items(job))]);
    for (const r of [refused, alsoRefused]) {
      expect(r.ok).toBe(false);
      expect(r.ok ? '' : r.error.message).not.toContain('download thread stopped');
    }
    await rm(root, { force: true });
    expect((await download(engine, items(job))).summary.done).toBe(1);
  });

  it('where the worker cannot start (a broken build), the engine runs on this thread instead', async () => {
    expect(await RemoteEngine.open(join(base, 'missing-engine-host.js'), { root, ...SETTINGS })).toBeNull();
    const undici = createResultDownload();
    closers.push(() => undici.close());
    let here = 0;
    const fallback = { http: { request: (req: Parameters<typeof undici.request>[0]) => (here++, undici.request(req)) }, fs: createNodeFileSystem(), hasher: nodeSha256, clock: systemClock, random: () => 0.5 };
    const opened = await openEngineInWorker(join(base, 'missing-engine-host.js'), fallback, { root, ...SETTINGS });
    if (!opened.ok) throw new Error(opened.error.message);
    expect(opened.value).toBeInstanceOf(DownloadEngine);
    const url = `${emu.url}/assets/nw/1.bin?size=200000`;
    const { summary } = await download(opened.value, items(jobFor([url], {}, { kind: 'other' })));
    expect(summary.done).toBe(1);
    expect(here).toBe(1);
  });

  it('a folder the engine cannot use is its error, in plain words, not a fallback', async () => {
    const file = join(base, 'a-file');
    await writeFile(file, 'x');
    const opened = await RemoteEngine.open(ENGINE_HOST, { root: join(file, 'under'), ...SETTINGS });
    expect(opened?.ok).toBe(false);
    expect(opened !== null && !opened.ok ? opened.error.message : '').not.toBe('');
  });

  it('sources go to the worker as data: the Midjourney CDN gets browser headers there; a custom source keeps the engine on this thread', async () => {
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
    expect((await download(await remote(), items(job))).summary.done).toBe(1);

    await rm(root, { recursive: true, force: true });
    const undici = createResultDownload();
    closers.push(() => undici.close());
    const fallback = { http: undici, fs: createNodeFileSystem(), hasher: nodeSha256, clock: systemClock, random: () => 0.5 };
    const custom = await openEngineInWorker(ENGINE_HOST, fallback, { root, ...SETTINGS, sources: [browserLikeSource(isMidjourneyCdn)] });
    if (!custom.ok) throw new Error(custom.error.message);
    expect(custom.value).toBeInstanceOf(DownloadEngine);
    expect((await download(custom.value, items(job))).summary.done).toBe(1);
  });
});
