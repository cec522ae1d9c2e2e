/**
 * What `watch --json` prints: one line per change of a job, in the common
 * model, plus a human line for terminals. Pure, so it is unit-tested.
 */
import type { Job } from '../../src-shared/job';

export interface JobEvent {
  type: 'job';
  provider: Job['provider'];
  accountId: string;
  id: string;
  status: Job['status'];
  rawStatus: string;
  progress: number;
  modality: Job['modality'];
  model: string | null;
  watch: Job['watch']['state'];
  message: string | null;
  error: string | null;
  cost: Job['cost'];
  assets: { kind: string; url: string }[];
  createdAt: string | null;
  completedAt: string | null;
}

export function jobEvent(job: Job): JobEvent {
  return {
    type: 'job',
    provider: job.provider,
    accountId: job.accountId,
    id: job.id,
    status: job.status,
    rawStatus: job.rawStatus,
    progress: job.progress,
    modality: job.modality,
    model: job.model,
    watch: job.watch.state,
    message: job.watch.message,
    error: job.error?.message ?? null,
    cost: job.cost,
    assets: job.assets.map((a) => ({ kind: a.kind, url: a.url })),
    createdAt: job.createdAt,
    completedAt: job.completedAt,
  };
}

/** A change worth reporting: status, progress, watch state or its message. */
export function eventSignature(job: Job): string {
  return `${job.status}|${job.rawStatus}|${job.progress}|${job.watch.state}|${job.watch.message ?? ''}`;
}

const ICONS: Record<Job['status'], string> = { queued: '…', running: '▶', completed: '✔', failed: '✖' };

export function humanLine(job: Job): string {
  const bar = progressBar(job.progress, 20);
  const detail =
    job.watch.state === 'error' || job.watch.state === 'paused'
      ? job.watch.message ?? ''
      : job.status === 'failed'
        ? job.error?.message ?? 'failed'
        : job.status === 'completed'
          ? `${job.assets.length} asset${job.assets.length === 1 ? '' : 's'}`
          : job.watch.message ?? '';
  return `${ICONS[job.status]} ${job.id}  ${job.rawStatus.padEnd(10)} ${bar} ${String(job.progress).padStart(3)}%  ${job.model ?? ''}  ${detail}`.trimEnd();
}

export function progressBar(progress: number, width: number): string {
  const filled = Math.round((Math.max(0, Math.min(100, progress)) / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** A job the watch command no longer waits for. */
export function isSettled(job: Job): boolean {
  return job.status === 'completed' || job.status === 'failed' || job.watch.state === 'error' || job.watch.state === 'paused';
}
