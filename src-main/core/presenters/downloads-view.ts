/**
 * What the desktop needs from the downloads state: the progress of files in
 * flight (for the taskbar bar) and, per job, a file on disk (for notification
 * thumbnails and Show in folder / Open). Structural input types, so this
 * works from the `downloads` IPC payload without depending on its module.
 */
import type { DownloadedFile } from './notification-batcher';
import type { DownloadProgress } from './taskbar-progress';

export interface DownloadFileLike {
  jobKey: string;
  kind: string;
  state: string;
  bytes: number;
  total: number | null;
  /** Relative to `root`, forward slashes. */
  path: string | null;
}

export interface DownloadsLike {
  root: string | null;
  files: readonly DownloadFileLike[];
}

const IN_FLIGHT = new Set(['queued', 'active', 'retrying']);
const IMAGE_KINDS = new Set(['image', 'grid', 'cover']);

export function downloadsInFlight(state: DownloadsLike): DownloadProgress[] {
  return state.files.filter((f) => IN_FLIGHT.has(f.state)).map((f) => ({ received: f.bytes, total: f.total }));
}

/**
 * One file per job: the first finished image (it makes a thumbnail), else the
 * first finished file of any kind. `join` is the platform's path join.
 */
export function downloadedFiles(state: DownloadsLike, join: (root: string, relative: string) => string): Map<string, DownloadedFile> {
  const out = new Map<string, DownloadedFile>();
  const { root } = state;
  if (!root) return out;
  for (const file of state.files) {
    if (file.state !== 'done' || !file.path) continue;
    const isImage = IMAGE_KINDS.has(file.kind);
    const known = out.get(file.jobKey);
    if (known && (known.isImage || !isImage)) continue;
    out.set(file.jobKey, { path: join(root, file.path), isImage });
  }
  return out;
}
