/**
 * Failures keep the tray red until the user acknowledges them. An
 * acknowledgement is a point in time: failures that happened before it are
 * calm, failures after it count again. "When a job failed" is the moment
 * genwatch saw the transition in this session when it did, else the job's
 * own finish time (a job that failed while the app was closed still counts
 * at the next start).
 *
 * Only `acknowledgedAt` needs persisting (the shell keeps it in a small JSON
 * file next to the window state); the observation times are per session.
 */
import type { Job } from '../../../src-shared/job';
import { finishedAt } from './job-text';

export class FailureAcknowledgement {
  private readonly observedAt = new Map<string, number>();

  /**
   * `acknowledgedAt` null means never acknowledged: every failure counts. The
   * shell starts a fresh install at "now" so imported history is not an alarm.
   */
  constructor(private ackAt: number | null) {}

  get acknowledgedAt(): number | null {
    return this.ackAt;
  }

  /** A failure seen happening now (from the transition tracker). */
  observe(key: string, at: number): void {
    this.observedAt.set(key, at);
  }

  forget(key: string): void {
    this.observedAt.delete(key);
  }

  acknowledge(now: number): void {
    this.ackAt = now;
  }

  isUnacknowledged(job: Job): boolean {
    if (job.status !== 'failed') return false;
    if (this.ackAt === null) return true;
    const at = this.observedAt.get(job.key) ?? finishedAt(job);
    // A failure with no known time at all predates any acknowledgement we can prove.
    return at !== null && at > this.ackAt;
  }

  unacknowledged(jobs: Iterable<Job>): Job[] {
    const out: Job[] = [];
    for (const job of jobs) if (this.isUnacknowledged(job)) out.push(job);
    return out;
  }
}
