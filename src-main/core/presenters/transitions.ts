/**
 * Turns store deltas into "this job just finished" transitions: the single
 * source for notifications, unseen-completion badges and failure
 * observations. Jobs present at start-up are seeded, so a job restored
 * already finished never counts; a job first seen already finished counts
 * only if it finished after tracking started (a job just added that the
 * provider had already finished) — history imports bring old finish times
 * and stay quiet. Each job transitions at most once per session.
 */
import { isTerminalStatus } from '../../../src-shared/job';
import type { Job, JobStatus } from '../../../src-shared/job';
import type { JobsDelta } from '../../../src-shared/ipc-contract';
import { finishedAt } from './job-text';

export interface Transition {
  job: Job;
  to: 'completed' | 'failed';
  /** When genwatch saw it (the clock's now at the delta). */
  at: number;
}

export class TransitionTracker {
  private readonly last = new Map<string, JobStatus>();
  private readonly finished = new Set<string>();

  constructor(private readonly startedAt: number) {}

  /** The jobs known at start-up (restored from disk): their current status is the baseline. */
  seed(jobs: readonly Job[]): void {
    for (const job of jobs) {
      this.last.set(job.key, job.status);
      if (isTerminalStatus(job.status)) this.finished.add(job.key);
    }
  }

  apply(delta: JobsDelta, now: number): Transition[] {
    const out: Transition[] = [];
    for (const key of delta.removed) this.last.delete(key);
    for (const job of delta.upserted) {
      const previous = this.last.get(job.key);
      this.last.set(job.key, job.status);
      if (job.status !== 'completed' && job.status !== 'failed') continue;
      if (this.finished.has(job.key)) continue;
      this.finished.add(job.key);
      const sawItRun = previous !== undefined && !isTerminalStatus(previous);
      const finishedRecently = previous === undefined && (finishedAt(job) ?? -Infinity) >= this.startedAt;
      if (sawItRun || finishedRecently) out.push({ job, to: job.status, at: now });
    }
    return out;
  }
}
