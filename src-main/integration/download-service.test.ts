/**
 * Downloads inside the core: which assets a job yields, the retention flag,
 * and, over real HTTP into a real temp folder, automatic download on
 * completion plus explicit bulk download with ledger dedupe.
 */
import { rm } from 'node:fs/promises';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src-shared/job';
import { createNodeFileSystem, nodeSha256 } from '../adapters/node-fs';
import type { FileSystemPort } from '../core/downloads/ports';
import { systemClock } from '../adapters/system-clock';
import { createResultDownload } from '../adapters/result-download';
import { createUndiciHttp } from '../adapters/undici-http';
import { ManualClock, startEmulator } from '../emulator';
import type { ApiframeJobScript, RunningEmulator } from '../emulator';
import { assetsToDownload, jobsAtRisk } from '../core/download-service';
import { GenwatchCore } from '../core/genwatch-core';
import { memoryStore } from '../core/memory-store';
import { silentLogger } from '../core/ports';
import type { KeyValueStore } from '../core/ports';
import { PROVIDERS } from '../core/providers/registry';
import { MemorySecretStore } from '../core/testing/fakes';

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const KEY = 'afk_download_key_0001';
const DAY = 86_400_000;

function job(over: Partial<Job>): Job {
  return {
    key: 'apiframe:default:x',
    provider: 'apiframe',
    accountId: 'default',
    id: 'x',
    status: 'completed',
    rawStatus: 'COMPLETED',
    modality: 'image',
    model: 'midjourney',
    prompt: null,
    progress: 100,
    assets: [
      { kind: 'image', url: 'https://cdn.example/1.png', index: 0, filename: null, contentType: null, size: null, width: null, height: null, meta: {} },
      { kind: 'image', url: 'https://cdn.example/2.png', index: 1, filename: null, contentType: null, size: null, width: null, height: null, meta: {} },
      { kind: 'grid', url: 'https://cdn.example/grid.png', index: 0, filename: null, contentType: null, size: null, width: null, height: null, meta: {} },
    ],
    error: null,
    cost: null,
    webhookStatus: null,
    createdAt: new Date(T0).toISOString(),
    updatedAt: null,
    completedAt: new Date(T0).toISOString(),
    watch: { state: 'done', message: null, lastCheckedAt: null, progressAt: null },
    raw: null,
    ...over,
  };
}

describe('assetsToDownload', () => {
  it('all, only the grid, or only the individual images of an image job', () => {
    expect(assetsToDownload(job({}), 'all').map((a) => a.kind)).toEqual(['image', 'image', 'grid']);
    expect(assetsToDownload(job({}), 'grid').map((a) => a.kind)).toEqual(['grid']);
    expect(assetsToDownload(job({}), 'individual').map((a) => a.kind)).toEqual(['image', 'image']);
  });

  it('a job without a grid still yields its images when only grids are wanted; other modalities are untouched', () => {
    const noGrid = job({ assets: job({}).assets.filter((a) => a.kind !== 'grid') });
    expect(assetsToDownload(noGrid, 'grid')).toHaveLength(2);
    const video = job({ modality: 'video', assets: [{ ...noGrid.assets[0], kind: 'video', url: 'https://cdn.example/v.mp4' } as Job['assets'][number]] });
    expect(assetsToDownload(video, 'grid').map((a) => a.kind)).toEqual(['video']);
  });
});

describe('jobsAtRisk', () => {
  const now = T0 + 100 * DAY;
  const at = (days: number, over: Partial<Job> = {}) => job({ key: `k${days}${over.provider ?? ''}`, completedAt: new Date(now - days * DAY).toISOString(), ...over });

  it('flags completed jobs within 7 days of the provider limit (useapi 62 days, Apiframe 90) that are not on disk, the soonest deleted first', () => {
    const flagged = jobsAtRisk([at(50), at(84), at(89), at(91), at(57, { provider: 'useapi' }), at(40, { provider: 'useapi' })], () => false, now);
    expect(flagged.map((j) => j.key)).toEqual(['k89', 'k57useapi', 'k84']);
  });

  it('never flags jobs already on disk, failed jobs, jobs without results or demo jobs', () => {
    const jobs = [at(85), at(86, { status: 'failed' }), at(87, { assets: [] }), at(88, { accountId: 'demo' })];
    expect(jobsAtRisk(jobs, () => true, now)).toEqual([]);
    expect(jobsAtRisk(jobs, () => false, now).map((j) => j.key)).toEqual(['k85']);
  });
});

describe('downloads through the core (real HTTP, real folder)', () => {
  let emulator: RunningEmulator | null = null;
  let core: GenwatchCore | null = null;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    core?.dispose();
    for (const close of closers.splice(0)) await close();
    await emulator?.close();
    emulator = null;
    core = null;
  });

  const script = (id: string, over: Partial<ApiframeJobScript> = {}): ApiframeJobScript => ({
    id,
    apiKey: KEY,
    model: 'flux-pro',
    modality: 'image',
    startAt: T0 - 60_000,
    queuedMs: 1_000,
    processingMs: 10_000,
    outcome: 'completed',
    creditCost: 4,
    imageCount: 2,
    ...over,
  });

  async function setup(jobs: ApiframeJobScript[], reuse?: { root: string; kv: KeyValueStore }, shell: { open?(path: string): Promise<string | null>; reveal?(path: string): void } = {}, fs: FileSystemPort = createNodeFileSystem()): Promise<{ root: string; clock: ManualClock; kv: KeyValueStore }> {
    const clock = new ManualClock(T0);
    emulator ??= await startEmulator({ clock, scenario: { apiframe: { apiKeys: [KEY], jobs } } });
    const http = createUndiciHttp();
    const downloadHttp = createResultDownload();
    closers.push(() => http.close(), () => downloadHttp.close());
    const root = reuse?.root ?? mkdtempSync(join(tmpdir(), 'genwatch-dl-'));
    if (reuse === undefined) closers.push(() => rm(root, { recursive: true, force: true, maxRetries: 3 }));
    const kv = reuse?.kv ?? memoryStore();
    core = await GenwatchCore.create({
      http,
      clock: systemClock,
      random: Math.random,
      secrets: new MemorySecretStore(),
      kv,
      logger: silentLogger,
      providers: PROVIDERS,
      environment: { APIFRAME_API_KEY: KEY, GENWATCH_APIFRAME_URL: emulator.providers.apiframe.baseUrl },
      version: 'test',
      platform: process.platform,
      intervalScale: 0.01,
      downloads: { engine: { http: downloadHttp, fs, hasher: nodeSha256, clock: systemClock, random: Math.random }, ...shell },
    });
    const saved = await core.updateSettings({ downloads: { root } });
    expect(saved.ok).toBe(true);
    return { root, clock, kv };
  }

  const filesUnder = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((name) => join(dir, name))
      .filter((path) => statSync(path).isFile() && !path.includes('.genwatch'));

  async function until(condition: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 25));
    if (!condition()) throw new Error(`timed out waiting for ${what}`);
  }

  it('a watched job that completes is downloaded automatically: real PNGs plus a sidecar inside the folder', async () => {
    const id = '11111111-1111-4111-8111-111111111111';
    const { root, clock } = await setup([script(id, { startAt: T0, processingMs: 5_000 })]);
    const live = core;
    if (!live) throw new Error('no core');
    live.addJobs('apiframe', id);
    await until(() => live.listJobs()[0]?.status === 'running' || live.listJobs()[0]?.rawStatus === 'QUEUED', 'first poll');
    clock.advance(10_000);
    await until(() => live.downloads?.state().aggregate.files.done === 2, 'two files downloaded');
    const files = filesUnder(root);
    const pngs = files.filter((f) => f.endsWith('.png'));
    expect(pngs).toHaveLength(2);
    for (const png of pngs) expect(readFileSync(png).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(files.some((f) => f.endsWith(`${id}.json`))).toBe(true);
    expect(files.every((f) => f.startsWith(root))).toBe(true);
  });

  it('an automatic download refused for lack of space is said with the app warnings (nobody clicked anything), and nothing is written', async () => {
    const id = '12121212-1212-4212-8212-121212121212';
    const full: FileSystemPort = { ...createNodeFileSystem(), freeBytes: () => Promise.resolve(1_000_000) };
    const { root, clock } = await setup([script(id, { startAt: T0, processingMs: 5_000 })], undefined, {}, full);
    const live = core;
    if (!live) throw new Error('no core');
    live.addJobs('apiframe', id);
    await until(() => live.listJobs()[0]?.status === 'running' || live.listJobs()[0]?.rawStatus === 'QUEUED', 'first poll');
    clock.advance(10_000);
    await until(() => live.status().warnings.length > 0, 'a warning');
    expect(live.status().warnings).toEqual(['Finished jobs were not downloaded automatically: not enough free space in the download folder: 1 MB free, and genwatch leaves at least 256 MB free for your system.']);
    expect(filesUnder(root)).toEqual([]);
  });

  it("each job carries a 'downloaded' mark from the folder's ledger: set when its files land, found again by a fresh job list, cleared for another folder", async () => {
    const id = '44444444-4444-4444-8444-444444444444';
    const { root } = await setup([script(id, { startAt: T0 - 120_000, processingMs: 5_000 })]);
    const first = core;
    if (!first) throw new Error('no core');
    first.addJobs('apiframe', id);
    await until(() => first.listJobs()[0]?.status === 'completed', 'completed');
    expect(first.listJobs()[0]?.downloaded).toBeUndefined(); // finished before it was watched: no auto-download
    const marks: Array<string | undefined> = [];
    first.onJobsDelta((delta) => {
      for (const job of delta.upserted) if (job.id === id) marks.push(job.downloaded);
    });
    const requested = await first.downloadJobs([first.listJobs()[0]?.key ?? ''], false);
    expect(requested.ok).toBe(true);
    await until(() => first.listJobs()[0]?.downloaded === 'all', 'downloaded mark');
    await until(() => marks.includes('all'), 'the mark reaches the window as a delta');
    first.dispose();

    // Same folder, a job list that never saw the download (new kv): the ledger tells.
    await setup([], { root, kv: memoryStore() });
    const second = core;
    if (!second) throw new Error('no core');
    second.addJobs('apiframe', id);
    await until(() => second.listJobs()[0]?.downloaded === 'all', 'mark recovered from the ledger');

    // Another folder has no ledger: the mark goes.
    const other = mkdtempSync(join(tmpdir(), 'genwatch-dl-other-'));
    closers.push(() => rm(other, { recursive: true, force: true }));
    expect((await second.updateSettings({ downloads: { root: other } })).ok).toBe(true);
    expect(second.listJobs()[0]?.downloaded).toBeUndefined();
  });

  it('jobs that were already complete are not auto-downloaded; an explicit download gets them once, then skips them', async () => {
    const ids = ['22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];
    const { root } = await setup(ids.map((id) => script(id)));
    const live = core;
    if (!live) throw new Error('no core');
    live.addJobs('apiframe', ids.join('\n'));
    await until(() => live.listJobs().every((j) => j.status === 'completed'), 'jobs completed');
    // Completed at their first look: nothing was seen finishing, so nothing downloads by itself.
    await new Promise((r) => setTimeout(r, 300));
    expect(filesUnder(root)).toEqual([]);

    const first = await live.downloadJobs(live.listJobs().map((j) => j.key), false);
    expect(first.ok && first.value.files).toBe(4);
    await until(() => live.downloads?.state().aggregate.files.done === 4, 'four files');
    expect(filesUnder(root).filter((f) => f.endsWith('.png'))).toHaveLength(4);

    const again = await live.downloadJobs(live.listJobs().map((j) => j.key), false);
    expect(again.ok && again.value.skipped).toBe(4);
  });

  it('jobs known only from the history list (one URL of four) are asked for in full before a bulk download: every image lands, and the job counts as all on disk only then', async () => {
    const ids = ['66666666-6666-4666-8666-666666666666', '77777777-7777-4777-8777-777777777777'];
    const { root } = await setup(ids.map((id) => script(id, { imageCount: 4 })));
    const live = core;
    if (!live || !emulator) throw new Error('no core');
    expect(live.importHistory('apiframe', 'default').ok).toBe(true);
    await until(() => live.accountsState().accounts.find((a) => a.id === 'default')?.history.state === 'done', 'history imported');
    const listed = live.listJobs();
    expect(listed.map((j) => j.assets.length)).toEqual([1, 1]);
    const getsBefore = emulator.requests.filter((r) => r.route === 'apiframe.getJob').length;

    const requested = await live.downloadJobs(listed.map((j) => j.key), false);
    expect(requested.ok && requested.value.files).toBe(8);
    expect(emulator.requests.filter((r) => r.route === 'apiframe.getJob').length - getsBefore).toBe(2);
    await until(() => live.downloads?.state().aggregate.files.done === 8, 'eight files');
    expect(filesUnder(root).filter((f) => f.endsWith('.png'))).toHaveLength(8);
    await until(() => live.listJobs().every((j) => j.downloaded === 'all'), 'both jobs all on disk');
  });

  it('a list-only job whose full result cannot be read still gets the file the list gave, and is not counted as all on disk', async () => {
    const id = '88888888-8888-4888-8888-888888888888';
    await setup([script(id, { imageCount: 4 })]);
    const live = core;
    if (!live || !emulator) throw new Error('no core');
    expect(live.importHistory('apiframe', 'default').ok).toBe(true);
    await until(() => live.accountsState().accounts.find((a) => a.id === 'default')?.history.state === 'done', 'history imported');
    emulator.faults.add({ route: 'apiframe.getJob', fault: { kind: 'status', status: 500 } });
    const requested = await live.downloadJobs([live.listJobs()[0]?.key ?? ''], false);
    expect(requested.ok && requested.value.files).toBe(1);
    await until(() => live.downloads?.state().aggregate.files.done === 1, 'the listed file');
    await until(() => live.listJobs()[0]?.downloaded === 'some', 'marked as partly on disk');
  });

  it('the files of one job whose links expired together (410) cost one look-up of the job, and every file lands', async () => {
    const id = '99999999-9999-4999-8999-999999999999';
    const { root } = await setup([script(id, { imageCount: 4 })]);
    const live = core;
    if (!live || !emulator) throw new Error('no core');
    live.addJobs('apiframe', id);
    await until(() => live.listJobs()[0]?.status === 'completed', 'completed');
    // Each image's link answers 410 once, whatever order the four requests and their retries come in.
    emulator.faults.add({ route: 'asset', oncePerPath: true, fault: { kind: 'status', status: 410 } });
    const gets = (): number => emulator?.requests.filter((r) => r.route === 'apiframe.getJob').length ?? 0;
    const before = gets();
    const requested = await live.downloadJobs([live.listJobs()[0]?.key ?? ''], false);
    expect(requested.ok && requested.value.files).toBe(4);
    await until(() => live.downloads?.state().aggregate.files.done === 4, 'four files');
    expect(emulator.requests.filter((r) => r.route === 'asset' && r.status === 410)).toHaveLength(4);
    expect(gets() - before).toBe(1);
    expect(filesUnder(root).filter((f) => f.endsWith('.png'))).toHaveLength(4);
  });

  it('downloads requested before a quit are picked up again by the next start and finish', async () => {
    const ids = ['44444444-4444-4444-8444-444444444444', '55555555-5555-4555-8555-555555555555'];
    const first = await setup(ids.map((id) => script(id)));
    const live = core;
    if (!live || !emulator) throw new Error('no core');
    live.addJobs('apiframe', ids.join('\n'));
    await until(() => live.listJobs().every((j) => j.status === 'completed'), 'jobs completed');
    // Slow assets: the quit comes while the batch is still running.
    const slow = emulator.faults.add({ route: 'asset', fault: { kind: 'latency', ms: 2_000 } });
    const requested = await live.downloadJobs(live.listJobs().map((j) => j.key), false);
    expect(requested.ok && requested.value.files).toBe(4);
    live.dispose();
    core = null;
    expect(filesUnder(first.root).filter((f) => f.endsWith('.png'))).toHaveLength(0);
    slow();

    await setup([], { root: first.root, kv: first.kv });
    const restarted = core as GenwatchCore | null;
    if (!restarted) throw new Error('no core');
    await until(() => restarted.downloads?.state().aggregate.files.done === 4, 'four files after the restart');
    expect(filesUnder(first.root).filter((f) => f.endsWith('.png'))).toHaveLength(4);
  });

  it('a "retry failed" run cut short by a quit is asked for again at the next start and finishes', async () => {
    const id = 'abababab-abab-4bab-8bab-abababababab';
    const first = await setup([script(id)]);
    const live = core;
    if (!live || !emulator) throw new Error('no core');
    live.addJobs('apiframe', id);
    await until(() => live.listJobs()[0]?.status === 'completed', 'completed');
    const gone = emulator.faults.add({ route: 'asset', fault: { kind: 'status', status: 404 } });
    const requested = await live.downloadJobs([live.listJobs()[0]?.key ?? ''], false);
    if (!requested.ok) throw new Error(requested.error.message);
    await until(() => live.downloads?.state().aggregate.files.failed === 2, 'two failed files');
    gone();
    const slow = emulator.faults.add({ route: 'asset', fault: { kind: 'latency', ms: 2_000 } });
    const retried = await live.downloads?.retryFailed(requested.value.batchId);
    expect(retried?.ok && retried.value.files).toBe(2);
    live.dispose();
    core = null;
    slow();
    expect(filesUnder(first.root).filter((f) => f.endsWith('.png'))).toHaveLength(0);

    await setup([], { root: first.root, kv: first.kv });
    const restarted = core as GenwatchCore | null;
    if (!restarted) throw new Error('no core');
    await until(() => restarted.downloads?.state().aggregate.files.done === 2, 'two files after the restart');
    expect(filesUnder(first.root).filter((f) => f.endsWith('.png'))).toHaveLength(2);
  });

  it('a file the system cannot open is said so, in plain words', async () => {
    const opened: string[] = [];
    const { root } = await setup([], undefined, { open: (path) => (opened.push(path), Promise.resolve('No application knows how to open this file.')) });
    const downloads = core?.downloads;
    if (!downloads) throw new Error('no downloads');
    writeFileSync(join(root, 'x.webm'), 'x');
    expect(await downloads.open('x.webm')).toMatchObject({ ok: false, error: { kind: 'internal', message: 'The system could not open that file: No application knows how to open this file.' } });
    expect(opened).toEqual([join(root, 'x.webm')]);
  });

  it('"Open" never runs a program: anything but a result\'s kind of file is shown in its folder instead (from the window and from a notification)', async () => {
    const opened: string[] = [];
    const revealed: string[] = [];
    const { root } = await setup([], undefined, { open: (path) => (opened.push(path), Promise.resolve(null)), reveal: (path) => void revealed.push(path) });
    const downloads = core?.downloads;
    if (!downloads) throw new Error('no downloads');
    for (const name of ['setup.exe', 'run.sh', 'evil.desktop', 'a.png.lnk', 'archive.zip', 'noext', 'photo.PNG']) writeFileSync(join(root, name), 'x');
    for (const name of ['setup.exe', 'run.sh', 'evil.desktop', 'a.png.lnk', 'archive.zip', 'noext']) expect(await downloads.open(name), name).toEqual({ ok: true, value: null });
    expect(opened).toEqual([]);
    expect(revealed).toHaveLength(6);
    expect(await downloads.revealOrOpenPath(join(root, 'photo.PNG'), 'open')).toEqual({ ok: true, value: null });
    expect(await downloads.revealOrOpenPath(join(root, 'setup.exe'), 'open')).toEqual({ ok: true, value: null });
    expect(opened).toEqual([join(root, 'photo.PNG')]);
    expect(revealed.at(-1)).toBe(join(root, 'setup.exe'));
    // A notification's path outside the folder is refused, as from the window.
    expect(await downloads.revealOrOpenPath(join(tmpdir(), 'x.png'), 'open')).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
  });

  it('a preview in the window gets only an image, video or audio file really inside the folder: no traversal, no link out, no other kind of file', async () => {
    const { root } = await setup([]);
    const downloads = core?.downloads;
    if (!downloads) throw new Error('no downloads');
    mkdirSync(join(root, 'jobs'));
    writeFileSync(join(root, 'jobs', 'a b.png'), 'png');
    writeFileSync(join(root, 'clip.MP4'), 'mp4');
    writeFileSync(join(root, 'notes.json'), '{}');
    const outside = mkdtempSync(join(tmpdir(), 'genwatch-outside-'));
    closers.push(() => rm(outside, { recursive: true, force: true }));
    writeFileSync(join(outside, 'secret.png'), 'secret');
    symlinkSync(join(outside, 'secret.png'), join(root, 'link.png'));
    expect(await downloads.previewFile('jobs/a b.png')).toEqual({ ok: true, value: join(root, 'jobs', 'a b.png') });
    expect(await downloads.previewFile('clip.MP4')).toEqual({ ok: true, value: join(root, 'clip.MP4') });
    expect(await downloads.previewFile('notes.json')).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect(await downloads.previewFile('link.png')).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    expect(await downloads.previewFile('missing.png')).toMatchObject({ ok: false, error: { kind: 'not-found' } });
    for (const hostile of ['../../etc/passwd', '/etc/passwd', `../${outside.split('/').pop() ?? ''}/secret.png`]) {
      const r = await downloads.previewFile(hostile);
      // Never the file outside: refused, or (joined inside the root) not there.
      expect(r.ok, hostile).toBe(false);
      if (!r.ok) expect(r.error.kind, hostile).toMatch(/forbidden|invalid-input|not-found/);
    }
  });

  it('a file path from the renderer always resolves inside the download folder, or is refused', async () => {
    const { root } = await setup([]);
    const downloads = core?.downloads;
    if (!downloads) throw new Error('no downloads');
    for (const hostile of ['../../etc/passwd', '/etc/passwd', 'a/../../../x.png', 'C:\\Windows\\system.ini', '..']) {
      const resolved = downloads.resolveInside(hostile);
      if (resolved.ok) expect(resolved.value.startsWith(`${root}/`), hostile).toBe(true);
      else expect(resolved.error.kind, hostile).toMatch(/forbidden|invalid-input/);
    }
    // A file that is gone is said to be gone; a link inside the folder to a file elsewhere is never opened.
    expect(await downloads.open('gone.png')).toMatchObject({ ok: false, error: { kind: 'not-found' } });
    mkdirSync(root, { recursive: true });
    const outside = join(tmpdir(), `genwatch-outside-${process.pid}.txt`);
    writeFileSync(outside, 'secret');
    symlinkSync(outside, join(root, 'link.png'));
    expect(await downloads.open('link.png')).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
    rmSync(outside);
    // Without a desktop shell there is nothing to reveal with: a clear error, not a throw.
    writeFileSync(join(root, 'x.png'), 'x');
    const reveal = await downloads.reveal('x.png');
    expect(reveal).toMatchObject({ ok: false, error: { kind: 'internal' } });
  });
});
