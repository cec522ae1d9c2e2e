/**
 * What the dock/taskbar icon shows: the aggregate progress of running jobs
 * and active downloads, and a badge with completions the user has not seen.
 */
import { isTerminalStatus } from '../../../src-shared/job';
import type { Job } from '../../../src-shared/job';

export interface DownloadProgress {
  received: number;
  /** null when the server did not say how big the file is. */
  total: number | null;
}

export interface TaskbarModel {
  /** 0..1, or -1 to remove the bar (Electron's setProgressBar semantics). */
  progress: number;
  mode: 'normal' | 'indeterminate' | 'error' | 'none';
  /** Completions since the window was last focused. */
  badgeCount: number;
}

export interface TaskbarInput {
  jobs: Iterable<Job>;
  downloads?: readonly DownloadProgress[];
  unseenCompletions: number;
  /** An account needs the user (key rejected, out of credits): running jobs are stuck. */
  keyProblem?: boolean;
}

/** Jobs still moving: paused (no key) or errored jobs would hold the bar forever. */
function isActive(job: Job): boolean {
  return !isTerminalStatus(job.status) && (job.watch.state === 'watching' || job.watch.state === 'stalled');
}

export function taskbarProgress(input: TaskbarInput): TaskbarModel {
  const fractions: number[] = [];
  let unknown = 0;
  for (const job of input.jobs) {
    if (!isActive(job)) continue;
    // A queued job at 0 % tells us nothing yet; a running one at 0 % has just started.
    if (job.status === 'queued' && job.progress === 0) unknown++;
    else fractions.push(Math.min(1, Math.max(0, job.progress / 100)));
  }
  for (const download of input.downloads ?? []) {
    if (download.total === null || download.total <= 0) unknown++;
    else fractions.push(Math.min(1, Math.max(0, download.received / download.total)));
  }
  const badgeCount = Math.max(0, Math.floor(input.unseenCompletions));
  const items = fractions.length + unknown;
  if (items === 0) return { progress: -1, mode: 'none', badgeCount };
  // Above 1 means indeterminate to Electron; an error bar needs a length, so it is full.
  if (fractions.length === 0) return input.keyProblem ? { progress: 1, mode: 'error', badgeCount } : { progress: 2, mode: 'indeterminate', badgeCount };
  // Unknown items count as not started, so the bar never runs ahead of reality.
  const progress = fractions.reduce((sum, f) => sum + f, 0) / items;
  return { progress: Math.min(1, progress), mode: input.keyProblem ? 'error' : 'normal', badgeCount };
}

/** Completions that arrived while the window was not in front; cleared when it is. */
export class UnseenCompletions {
  private count = 0;

  add(completions: number, windowFocused: boolean): void {
    if (!windowFocused) this.count += completions;
  }

  clear(): void {
    this.count = 0;
  }

  get value(): number {
    return this.count;
  }
}
