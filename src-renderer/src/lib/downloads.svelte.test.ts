import { describe, expect, it } from 'vitest';
import { DownloadsState } from './downloads.svelte';
import { createIpcDouble, defaultSettings, makeJob } from './ipc-double';
import type { Job } from '../../../src-shared/job';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function completedJob(id: string, files = 2, model = 'midjourney'): Job {
  return makeJob({
    id,
    status: 'completed',
    model,
    createdAt: '2026-03-15T10:00:00.000Z',
    assets: Array.from({ length: files }, (_, i) => ({
      kind: 'image' as const,
      url: `https://cdn.example.com/${id}/${i}.png`,
      index: i,
      filename: null,
      contentType: 'image/png',
      size: 1_000_000,
      width: null,
      height: null,
      meta: {},
    })),
  });
}

function setup(root: string | null = '/tmp/dl') {
  const jobs = [completedJob('job-aaaaaa', 2), completedJob('job-bbbbbb', 3, 'flux-pro')];
  const double = createIpcDouble({
    jobs,
    settings: defaultSettings({ downloads: { ...defaultSettings().downloads, root, concurrency: 2 } }),
    downloadSpeed: 400_000,
  });
  const state = new DownloadsState(double.api);
  return { double, state, jobs };
}

describe('DownloadsState', () => {
  it("keeps its request's last counts when main no longer sends them (many newer requests)", async () => {
    const { double, state, jobs } = setup();
    const stop = state.start();
    await tick();
    const result = await state.download(jobs.map((j) => j.key));
    const batchId = result?.batchId ?? '';
    for (let i = 0; i < 25; i++) double.tickDownloads(1000);
    expect(state.lastBatchCounts).toMatchObject({ batchId, done: 5, pending: 0 });
    const snapshot = await double.api.getDownloads({});
    if (!snapshot.ok) throw new Error('no state');
    double.emit('downloads', { ...snapshot.value, batches: [] });
    await tick();
    expect(state.batches).toEqual([]);
    expect(state.lastBatchCounts).toMatchObject({ batchId, done: 5, pending: 0 });
    stop();
  });

  it('loads, follows pushed states and reports the batch of "Download N jobs"', async () => {
    const { double, state, jobs } = setup();
    const stop = state.start();
    await tick();
    expect(state.loaded).toBe(true);
    expect(state.root).toBe('/tmp/dl');
    expect(state.pending).toBe(0);

    const result = await state.download(jobs.map((j) => j.key));
    expect(result).toMatchObject({ files: 5, skipped: 0, failed: 0 });
    expect(state.lastBatch?.text).toBe('Downloading 5 files from 2 jobs.');
    expect(double.calls.at(-1)).toEqual({ method: 'downloadJobs', request: { keys: jobs.map((j) => j.key) } });
    // The double pushed a `downloads` event: five queued rows, newest first.
    expect(state.files).toHaveLength(5);
    expect(state.pending).toBe(5);

    double.tickDownloads(1000);
    expect(state.aggregate.files.active).toBe(2); // concurrency 2
    for (let i = 0; i < 20; i++) double.tickDownloads(1000);
    expect(state.aggregate.files.done).toBe(5);
    expect(state.percent).toBe(100);
    expect(state.isDownloaded(jobs[0]?.key ?? '')).toBe(true);

    // Downloading again skips what is on disk, unless forced.
    const again = await state.download([jobs[0]?.key ?? ''], { source: jobs[0]?.key });
    expect(again).toMatchObject({ files: 0, skipped: 2 });
    expect(state.jobNotice[jobs[0]?.key ?? '']?.text).toBe('All 2 files are already on disk.');
    const forced = await state.download([jobs[0]?.key ?? ''], { force: true, source: jobs[0]?.key });
    expect(forced).toMatchObject({ files: 2, skipped: 0 });
    expect(double.calls.at(-1)?.request).toMatchObject({ force: true });
    stop();
    expect(double.listenerCount('downloads')).toBe(0);
  });

  it('pauses at once (optimistically) and takes main’s answer', async () => {
    const { double, state, jobs } = setup();
    state.start();
    await tick();
    await state.download(jobs.map((j) => j.key));
    double.tickDownloads(500);
    const pending = state.control('pause');
    // Before main answers, the rows already read paused.
    expect(state.files.every((f) => f.state === 'paused')).toBe(true);
    expect(await pending).toBe(true);
    expect(state.aggregate.files.paused).toBe(5);
    double.tickDownloads(1000);
    expect(state.aggregate.files.done).toBe(0);
    await state.control('resume');
    expect(state.aggregate.files.queued).toBe(5);
    const one = state.files[0]?.id ?? '';
    await state.control('cancel', one);
    expect(state.files.find((f) => f.id === one)?.state).toBe('cancelled');
  });

  it('rolls a refused control back to main’s state and says why', async () => {
    const { double, state, jobs } = setup();
    state.start();
    await tick();
    await state.download(jobs.map((j) => j.key));
    double.failNext('controlDownloads', { kind: 'internal', message: 'The download engine is not running.' });
    expect(await state.control('pause')).toBe(false);
    expect(state.actionError).toBe('The download engine is not running.');
    expect(state.files.every((f) => f.state === 'queued')).toBe(true);
  });

  it('a failed file names the problem; "Retry failed" queues its batch again', async () => {
    const { double, state, jobs } = setup();
    state.start();
    await tick();
    await state.download([jobs[1]?.key ?? '']);
    const victim = state.files[0];
    double.failFiles.set(victim?.id ?? '', 'The server answered 500 three times; try again later.');
    for (let i = 0; i < 10; i++) double.tickDownloads(1000);
    const failed = state.files.find((f) => f.id === victim?.id);
    expect(failed?.state).toBe('failed');
    expect(failed?.error).toMatch(/500/);
    expect(state.failedBatches).toEqual([{ batchId: victim?.batchId, failed: 1 }]);
    expect(await state.retry(victim?.batchId ?? '')).toBe(true);
    expect(state.failedBatches).toEqual([]);
    for (let i = 0; i < 10; i++) double.tickDownloads(1000);
    expect(state.aggregate.files.done).toBe(3);
  });

  it('without a folder, downloading explains it; choosing one sets the root', async () => {
    const { double, state, jobs } = setup(null);
    state.start();
    await tick();
    expect(state.root).toBeNull();
    expect(await state.download([jobs[0]?.key ?? ''])).toBeNull();
    expect(state.batchError).toMatch(/folder/i);
    double.folderChoice = '/home/you/Pictures/genwatch';
    expect(await state.chooseFolder()).toBe('/home/you/Pictures/genwatch');
    expect(state.root).toBe('/home/you/Pictures/genwatch');
    double.folderChoice = null; // the user closes the picker
    expect(await state.chooseFolder()).toBeNull();
    expect(state.root).toBe('/home/you/Pictures/genwatch');
  });

  it('reveal and open report a file that is gone', async () => {
    const { double, state, jobs } = setup();
    state.start();
    await tick();
    await state.download([jobs[0]?.key ?? '']);
    for (let i = 0; i < 10; i++) double.tickDownloads(1000);
    const path = state.files[0]?.path ?? '';
    expect(await state.reveal(path)).toBe(true);
    expect(await state.open(path)).toBe(true);
    expect(double.calls.at(-1)).toEqual({ method: 'openFile', request: { path } });
    expect(await state.open('nope/missing.png')).toBe(false);
    expect(state.actionError).toMatch(/not in the download folder/);
  });

  it('lists completed jobs at risk of deletion', async () => {
    const { state } = (() => {
      const jobs = [completedJob('job-risk01', 1)];
      const double = createIpcDouble({ jobs, atRiskKeys: jobs.map((j) => j.key), settings: defaultSettings({ downloads: { ...defaultSettings().downloads, root: '/tmp/x' } }) });
      return { state: new DownloadsState(double.api) };
    })();
    await state.load();
    expect(state.atRisk).toEqual({ count: 1, keys: ['apiframe:default:job-risk01'] });
  });
});
