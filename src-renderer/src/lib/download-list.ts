/**
 * Pure helpers of the downloads panel: the aggregate in words, per-file
 * display, and the optimistic reducer applied when the user pauses, resumes,
 * cancels or clears before main's answer (or its next `downloads` event)
 * arrives. Plain TypeScript so they are cheap to test.
 */
import type { BatchCounts, DownloadAggregate, DownloadFile, DownloadsState } from '../../../src-shared/downloads';
import type { Job } from '../../../src-shared/job';
import { bytes, int } from './format';

export type ControlAction = 'pause' | 'resume' | 'cancel' | 'clear';
export type BatchResult = { batchId: string; files: number; skipped: number; failed: number };

/** States that still need work (the nav indicator, "Pause all"). */
export const PENDING_STATES: ReadonlySet<DownloadFile['state']> = new Set(['queued', 'active', 'retrying']);
/** States a row can leave with "Clear finished". */
export const FINISHED_STATES: ReadonlySet<DownloadFile['state']> = new Set(['done', 'skipped', 'cancelled']);

export function emptyAggregate(): DownloadAggregate {
  return {
    files: { total: 0, queued: 0, active: 0, paused: 0, done: 0, skipped: 0, failed: 0, cancelled: 0 },
    bytes: 0,
    totalBytes: 0,
    speed: 0,
    etaMs: null,
    hold: null,
  };
}

export function emptyDownloads(root: string | null = null): DownloadsState {
  return { root, problem: null, files: [], aggregate: emptyAggregate(), failedBatches: [], batches: [], atRisk: { count: 0, keys: [] } };
}

/** Files that count as finished for "N of M": done and skipped (already on disk). */
export function finishedFiles(a: DownloadAggregate): number {
  return a.files.done + a.files.skipped;
}

/** Files that will still be worked on (or wait for the user: paused). */
export function pendingFiles(a: DownloadAggregate): number {
  return a.files.queued + a.files.active + a.files.paused;
}

/**
 * True when the byte total is the real total: every file still to come is in
 * the (capped) list and has a known size. Main's `totalBytes` only sums the
 * sizes it knows (a waiting file has none yet), so otherwise it is a partial
 * total and bytes would read "done" while most files still wait.
 */
export function sizesKnown(a: DownloadAggregate, files: readonly Pick<DownloadFile, 'state' | 'total'>[]): boolean {
  const pending = files.filter((f) => PENDING_STATES.has(f.state) || f.state === 'paused');
  return pending.length === pendingFiles(a) && pending.every((f) => f.total !== null);
}

/** 0–100: by bytes when every size is known, else by files; below 100 while files are pending. */
export function aggregatePercent(a: DownloadAggregate, files: readonly Pick<DownloadFile, 'state' | 'total'>[]): number {
  const counted = a.files.total - a.files.cancelled;
  if (counted <= 0) return 0;
  const byFiles = ((finishedFiles(a) + a.files.failed) / counted) * 100;
  if (pendingFiles(a) === 0) return Math.max(0, Math.min(100, byFiles));
  // Bytes can reach their total just before the last file counts as done: never claim completion early.
  const byBytes = a.totalBytes > 0 && sizesKnown(a, files) ? Math.min(99, (a.bytes / a.totalBytes) * 100) : 0;
  return Math.max(0, Math.min(99, Math.max(byFiles, byBytes)));
}

export function speedText(bytesPerSecond: number): string {
  if (!(bytesPerSecond > 0)) return '';
  return `${bytes(Math.round(bytesPerSecond))}/s`;
}

/** "about 40 s left", "about 3 min left", "" when unknown. */
export function etaText(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '';
  const s = Math.ceil(ms / 1000);
  if (s < 5) return 'a few seconds left';
  if (s < 60) return `about ${s} s left`;
  const min = Math.round(s / 60);
  if (min < 90) return `about ${min} min left`;
  return `about ${Math.round(min / 60)} hr left`;
}

/** "12 of 40 files · 120 MB of 300 MB", or "… · 120 MB so far" while some sizes are unknown. */
export function aggregateLine(a: DownloadAggregate, files: readonly Pick<DownloadFile, 'state' | 'total'>[]): string {
  const counted = a.files.total - a.files.cancelled;
  const parts = [`${int(finishedFiles(a))} of ${int(counted)} ${counted === 1 ? 'file' : 'files'}`];
  if (a.totalBytes > 0 && sizesKnown(a, files)) parts.push(`${bytes(a.bytes)} of ${bytes(a.totalBytes)}`);
  else if (a.bytes > 0) parts.push(`${bytes(a.bytes)} so far`);
  return parts.join(' · ');
}

/** The result of "Download N jobs" in one sentence. */
export function batchSummary(result: BatchResult, jobs?: number): string {
  const parts: string[] = [];
  const from = jobs !== undefined ? ` from ${int(jobs)} ${jobs === 1 ? 'job' : 'jobs'}` : '';
  if (result.files > 0) parts.push(`Downloading ${int(result.files)} ${result.files === 1 ? 'file' : 'files'}${from}`);
  else if (result.skipped === 0 && result.failed === 0) parts.push(`Nothing to download${from}: these jobs have no results yet`);
  if (result.skipped > 0) {
    parts.push(
      result.files === 0 && result.failed === 0
        ? `All ${int(result.skipped)} ${result.skipped === 1 ? 'file is' : 'files are'} already on disk`
        : `${int(result.skipped)} already on disk`,
    );
  }
  if (result.failed > 0) parts.push(`${int(result.failed)} could not start`);
  return `${parts.join(', ')}.`;
}

/**
 * The batch line, kept live from main's per-request counts (every file of
 * the request, however long the file list): "Downloading 9 files from 3
 * jobs: 4 done." while it runs, then "Downloaded 9 files from 3 jobs." — or
 * "7 of 9 …; 1 failed, 1 cancelled." Null until main has reported the request.
 */
export function liveBatchSummary(jobs: number, counts: BatchCounts | undefined): { text: string; failed: number; finished: boolean; clean: boolean } | null {
  if (counts === undefined || counts.total === 0) return null;
  const n = (k: number): string => int(k);
  const from = ` from ${n(jobs)} ${jobs === 1 ? 'job' : 'jobs'}`;
  const fetched = counts.total - counts.skipped;
  const noun = (k: number): string => (k === 1 ? 'file' : 'files');
  const extra = [counts.failed > 0 ? `${n(counts.failed)} failed` : '', counts.cancelled > 0 ? `${n(counts.cancelled)} cancelled` : '', counts.skipped > 0 ? `${n(counts.skipped)} already on disk` : ''].filter(Boolean);
  const tail = extra.length > 0 ? `; ${extra.join(', ')}` : '';
  if (counts.pending > 0) return { text: `Downloading ${n(fetched)} ${noun(fetched)}${from}: ${n(counts.done)} done${tail}.`, failed: counts.failed, finished: false, clean: false };
  const clean = counts.failed === 0 && counts.cancelled === 0;
  const text =
    fetched === 0
      ? `All ${n(counts.skipped)} ${noun(counts.skipped)}${from} already on disk.`
      : counts.done === fetched
        ? `Downloaded ${n(counts.done)} ${noun(counts.done)}${from}${tail}.`
        : `Downloaded ${n(counts.done)} of ${n(fetched)} ${noun(fetched)}${from}${tail}.`;
  return { text, failed: counts.failed, finished: true, clean };
}

/**
 * Last path segment of a file's relative path, or a description when it has
 * none yet: "video 2 of 6b7c8d9e-0f1…". `assetIndex` (0-based, from the job's
 * assets) tells a job's files of one kind apart while they wait.
 */
export function fileName(file: Pick<DownloadFile, 'path' | 'jobId' | 'kind'>, assetIndex: number | null = null): string {
  if (file.path) return file.path.slice(file.path.lastIndexOf('/') + 1);
  const number = assetIndex === null ? '' : ` ${assetIndex + 1}`;
  return `${file.kind}${number} of ${file.jobId.length > 14 ? `${file.jobId.slice(0, 12)}…` : file.jobId}`;
}

/** The 0-based index of the job's asset a file downloads (matched by URL), or null when unknown. */
export function assetIndexOf(job: Pick<Job, 'assets'> | undefined, file: Pick<DownloadFile, 'kind' | 'url'>): number | null {
  return job?.assets.find((a) => a.kind === file.kind && a.url === file.url)?.index ?? null;
}

/** The folder part of a relative path ('' at the root). */
export function fileFolder(path: string | null): string {
  if (!path) return '';
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function filePercent(file: Pick<DownloadFile, 'state' | 'bytes' | 'total'>): number | null {
  if (file.state === 'done' || file.state === 'skipped') return 100;
  if (file.total === null || file.total <= 0) return null;
  return Math.max(0, Math.min(100, (file.bytes / file.total) * 100));
}

export function canPause(file: Pick<DownloadFile, 'state'>): boolean {
  return PENDING_STATES.has(file.state);
}
export function canResume(file: Pick<DownloadFile, 'state'>): boolean {
  return file.state === 'paused';
}
export function canCancel(file: Pick<DownloadFile, 'state'>): boolean {
  return PENDING_STATES.has(file.state) || file.state === 'paused';
}

type CountKey = Exclude<keyof DownloadAggregate['files'], 'total'>;
function countKey(state: DownloadFile['state']): CountKey {
  return state === 'retrying' ? 'active' : state;
}

function copyAggregate(a: DownloadAggregate): DownloadAggregate {
  return { ...a, files: { ...a.files } };
}

/**
 * What the state will look like once main has applied `action` (to one file,
 * or to all when `id` is omitted). Main's answer replaces it moments later;
 * this only makes the buttons respond at once. Pure: returns a new state.
 */
export function applyControl(state: DownloadsState, action: ControlAction, id?: string): DownloadsState {
  // Counts cover every file, shown or not: adjust them by the rows that change.
  const aggregate = copyAggregate(state.aggregate);
  const targets = (f: DownloadFile) => id === undefined || f.id === id;
  let files: DownloadFile[];
  if (action === 'clear') {
    files = state.files.filter((f) => !(targets(f) && FINISHED_STATES.has(f.state)));
    for (const f of state.files) {
      if (!targets(f) || !FINISHED_STATES.has(f.state)) continue;
      const k = countKey(f.state);
      aggregate.files[k] = Math.max(0, aggregate.files[k] - 1);
      aggregate.files.total = Math.max(0, aggregate.files.total - 1);
    }
  } else {
    files = state.files.map((f) => {
      if (!targets(f)) return f;
      const next =
        action === 'pause' && canPause(f)
          ? 'paused'
          : action === 'resume' && canResume(f)
            ? 'queued'
            : action === 'cancel' && canCancel(f)
              ? 'cancelled'
              : null;
      if (next === null) return f;
      const from = countKey(f.state);
      aggregate.files[from] = Math.max(0, aggregate.files[from] - 1);
      aggregate.files[countKey(next)] += 1;
      return { ...f, state: next, speed: 0, etaMs: null };
    });
  }
  const moving = files.some((f) => f.state === 'active' || f.state === 'retrying');
  if (!moving) {
    aggregate.speed = 0;
    aggregate.etaMs = null;
  }
  return { ...state, files, aggregate };
}

/** Job keys with a result known to be on disk (done, or skipped because it already was). */
export function jobsOnDisk(files: readonly DownloadFile[]): ReadonlySet<string> {
  return new Set(files.filter((f) => f.state === 'done' || f.skipReason === 'already-downloaded').map((f) => f.jobKey));
}

/** What is happening now first, then what needs the user, then what waits, then what is finished. */
const STATE_ORDER: Record<DownloadFile['state'], number> = {
  active: 0,
  retrying: 0,
  failed: 1,
  paused: 2,
  queued: 3,
  done: 4,
  skipped: 4,
  cancelled: 4,
};

/** The panel's order: by STATE_ORDER, main's order (newest first) within each group. */
export function displayOrder(files: readonly DownloadFile[]): DownloadFile[] {
  return files
    .map((file, i) => ({ file, i }))
    .sort((a, b) => STATE_ORDER[a.file.state] - STATE_ORDER[b.file.state] || a.i - b.i)
    .map((x) => x.file);
}
