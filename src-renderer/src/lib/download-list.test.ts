import { describe, expect, it } from 'vitest';
import type { BatchCounts, DownloadFile, DownloadsState } from '../../../src-shared/downloads';
import {
  aggregateLine,
  aggregatePercent,
  applyControl,
  assetIndexOf,
  batchSummary,
  liveBatchSummary,
  emptyDownloads,
  etaText,
  fileFolder,
  fileName,
  filePercent,
  jobsOnDisk,
  displayOrder,
} from './download-list';

function file(id: string, state: DownloadFile['state'], extra: Partial<DownloadFile> = {}): DownloadFile {
  return {
    id,
    batchId: 'b1',
    jobKey: `apiframe:default:${id}`,
    jobId: id,
    provider: 'apiframe',
    kind: 'image',
    url: `https://cdn.example.com/${id}.png`,
    state,
    bytes: 0,
    total: 1000,
    speed: state === 'active' ? 500 : 0,
    etaMs: state === 'active' ? 2000 : null,
    path: `apiframe/2026-03-15/${id}_image-1.png`,
    attempts: 0,
    error: null,
    retryable: false,
    skipReason: null,
    ...extra,
  };
}

function stateOf(files: DownloadFile[]): DownloadsState {
  const s = emptyDownloads('/tmp/dl');
  const counts = s.aggregate.files;
  for (const f of files) {
    counts.total += 1;
    counts[f.state === 'retrying' ? 'active' : f.state] += 1;
  }
  return { ...s, files, aggregate: { ...s.aggregate, files: counts, speed: 500, etaMs: 2000 } };
}

describe('applyControl (the optimistic reducer)', () => {
  const files = [file('a', 'active'), file('b', 'queued'), file('c', 'done'), file('d', 'failed'), file('e', 'paused')];

  it('pauses every pending file and moves the counts, leaving finished ones alone', () => {
    const next = applyControl(stateOf(files), 'pause');
    expect(next.files.map((f) => f.state)).toEqual(['paused', 'paused', 'done', 'failed', 'paused']);
    expect(next.aggregate.files).toMatchObject({ active: 0, queued: 0, paused: 3, done: 1, failed: 1, total: 5 });
    expect(next.aggregate.speed).toBe(0);
    expect(next.aggregate.etaMs).toBeNull();
  });

  it('acts on one file only when given its id', () => {
    const next = applyControl(stateOf(files), 'cancel', 'b');
    expect(next.files.map((f) => f.state)).toEqual(['active', 'cancelled', 'done', 'failed', 'paused']);
    expect(next.aggregate.files).toMatchObject({ queued: 0, cancelled: 1, active: 1 });
    expect(next.aggregate.speed).toBe(500); // a file is still moving
  });

  it('resumes paused files as queued', () => {
    const next = applyControl(stateOf(files), 'resume');
    expect(next.files[4]?.state).toBe('queued');
    expect(next.aggregate.files).toMatchObject({ paused: 0, queued: 2 });
  });

  it('clear drops finished rows and their counts', () => {
    const next = applyControl(stateOf([...files, file('f', 'skipped'), file('g', 'cancelled')]), 'clear');
    expect(next.files.map((f) => f.id)).toEqual(['a', 'b', 'd', 'e']);
    expect(next.aggregate.files).toMatchObject({ total: 4, done: 0, skipped: 0, cancelled: 0, failed: 1 });
  });

  it('returns a new state and leaves the old one untouched', () => {
    const before = stateOf(files);
    const snapshot = structuredClone(before);
    applyControl(before, 'cancel');
    expect(before).toEqual(snapshot);
  });
});

describe('aggregate in words', () => {
  it('counts done and skipped as finished, cancelled not at all', () => {
    const s = stateOf([file('a', 'done'), file('b', 'skipped'), file('c', 'active'), file('d', 'cancelled')]);
    const a = { ...s.aggregate, bytes: 2500, totalBytes: 3000 };
    expect(aggregateLine(a, s.files)).toBe('2 of 3 files · 2 KB of 3 KB');
    expect(Math.round(aggregatePercent(a, s.files))).toBe(83);
    expect(aggregatePercent(emptyDownloads().aggregate, [])).toBe(0);
  });

  it('goes by files, and shows no total, while files still wait with no known size', () => {
    // Six files done, sixteen waiting: main's totalBytes sums only the sizes it knows.
    const waiting = Array.from({ length: 16 }, (_, i) => file(`q${i}`, 'queued', { total: null }));
    const s = stateOf([...Array.from({ length: 6 }, (_, i) => file(`d${i}`, 'done')), ...waiting]);
    const a = { ...s.aggregate, bytes: 354_304, totalBytes: 354_304 };
    expect(Math.round(aggregatePercent(a, s.files))).toBe(27); // 6 of 22, not 100
    expect(aggregateLine(a, s.files)).toBe('6 of 22 files · 346 KB so far');
  });

  it('goes by files when the capped list does not show every pending file', () => {
    const s = stateOf([file('d', 'done'), file('a', 'active', { bytes: 1000 })]);
    // Main counts three more queued files the list left out.
    const a = { ...s.aggregate, files: { ...s.aggregate.files, total: 5, queued: 3 }, bytes: 2000, totalBytes: 2000 };
    expect(aggregatePercent(a, s.files)).toBe(20);
    expect(aggregateLine(a, s.files)).toBe('1 of 5 files · 2 KB so far');
  });

  it('never reads 100 % while a file is pending, even when its bytes are all in', () => {
    const s = stateOf([file('d', 'done'), file('a', 'active', { bytes: 1000 })]);
    const a = { ...s.aggregate, bytes: 2000, totalBytes: 2000 };
    expect(aggregatePercent(a, s.files)).toBe(99);
    expect(aggregateLine(a, s.files)).toBe('1 of 2 files · 2 KB of 2 KB');
  });

  it('says how long is left in rounded words', () => {
    expect(etaText(null)).toBe('');
    expect(etaText(3_000)).toBe('a few seconds left');
    expect(etaText(42_000)).toBe('about 42 s left');
    expect(etaText(5 * 60_000)).toBe('about 5 min left');
    expect(etaText(3 * 3600_000)).toBe('about 3 hr left');
  });

  it('summarises a batch', () => {
    expect(batchSummary({ batchId: 'x', files: 12, skipped: 0, failed: 0 }, 3)).toBe('Downloading 12 files from 3 jobs.');
    expect(batchSummary({ batchId: 'x', files: 4, skipped: 2, failed: 1 })).toBe('Downloading 4 files, 2 already on disk, 1 could not start.');
    expect(batchSummary({ batchId: 'x', files: 0, skipped: 5, failed: 0 }, 1)).toBe('All 5 files are already on disk.');
    expect(batchSummary({ batchId: 'x', files: 0, skipped: 0, failed: 0 }, 2)).toMatch(/^Nothing to download from 2 jobs/);
  });

  it("keeps the batch line live from main's per-request counts: running, done, or done with failures/cancels", () => {
    const counts = (over: Partial<BatchCounts>): BatchCounts => ({ batchId: 'b1', total: 4, done: 0, skipped: 1, failed: 0, cancelled: 0, pending: 0, ...over });
    expect(liveBatchSummary(2, undefined)).toBeNull();
    expect(liveBatchSummary(2, counts({ done: 1, pending: 2 }))).toEqual({ text: 'Downloading 3 files from 2 jobs: 1 done; 1 already on disk.', failed: 0, finished: false, clean: false });
    expect(liveBatchSummary(2, counts({ done: 3 }))).toEqual({ text: 'Downloaded 3 files from 2 jobs; 1 already on disk.', failed: 0, finished: true, clean: true });
    expect(liveBatchSummary(2, counts({ done: 2, failed: 1 }))).toEqual({ text: 'Downloaded 2 of 3 files from 2 jobs; 1 failed, 1 already on disk.', failed: 1, finished: true, clean: false });
    // A cancelled batch is not a success.
    const cancelled = liveBatchSummary(1, counts({ cancelled: 3 }));
    expect(cancelled?.clean).toBe(false);
    expect(cancelled?.text).toBe('Downloaded 0 of 3 files from 1 job; 3 cancelled, 1 already on disk.');
    // A file still retrying is pending, not finished.
    expect(liveBatchSummary(1, counts({ done: 2, pending: 1 }))?.finished).toBe(false);
    expect(liveBatchSummary(1, counts({ skipped: 4 }))?.text).toBe('All 4 files from 1 job already on disk.');
  });
});

describe('per file', () => {
  it('names, folders and percentages', () => {
    const f = file('a', 'active', { bytes: 250 });
    expect(fileName(f)).toBe('a_image-1.png');
    expect(fileFolder(f.path)).toBe('apiframe/2026-03-15');
    expect(fileFolder('top.png')).toBe('');
    expect(filePercent(f)).toBe(25);
    expect(filePercent({ ...f, total: null })).toBeNull();
    expect(filePercent({ ...f, state: 'skipped' })).toBe(100);
    expect(fileName({ path: null, jobId: 'abcdefghijklmnopqrstuvwxyz', kind: 'grid' })).toBe('grid of abcdefghijkl…');
  });

  it("tells a job's waiting files of one kind apart by their asset's number", () => {
    const asset = (index: number) => ({ kind: 'video' as const, url: `https://cdn.example.com/v-${index}.mp4`, index, filename: null, contentType: null, size: null, width: null, height: null, meta: {} });
    const job = { assets: [asset(0), asset(1)] };
    const waiting = file('x', 'queued', { kind: 'video', jobId: '6b7c8d9e-0f1a-4b2c', path: null, url: 'https://cdn.example.com/v-1.mp4' });
    expect(assetIndexOf(job, waiting)).toBe(1);
    expect(fileName(waiting, assetIndexOf(job, waiting))).toBe('video 2 of 6b7c8d9e-0f1…');
    expect(assetIndexOf(job, { ...waiting, url: 'https://cdn.example.com/other.mp4' })).toBeNull();
    expect(assetIndexOf(undefined, waiting)).toBeNull();
  });

  it('knows which jobs are on disk', () => {
    const on = jobsOnDisk([file('a', 'done'), file('b', 'skipped', { skipReason: 'already-downloaded' }), file('c', 'failed')]);
    expect([...on].sort()).toEqual(['apiframe:default:a', 'apiframe:default:b']);
  });
});

describe('displayOrder', () => {
  it('puts moving files first, then failures, paused, waiting and finished, keeping main order within each', () => {
    const order = displayOrder([file('q1', 'queued'), file('d1', 'done'), file('a1', 'active'), file('f1', 'failed'), file('q2', 'queued'), file('r1', 'retrying'), file('p1', 'paused')]);
    expect(order.map((f) => f.id)).toEqual(['a1', 'r1', 'f1', 'p1', 'q1', 'q2', 'd1']);
  });
});
