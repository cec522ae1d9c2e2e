/**
 * The in-memory job table. Changes are coalesced into one delta per flush
 * window so thousands of updates cross IPC as a few batches, not a flood.
 */
import type { Job } from '../../src-shared/job';
import type { JobsDelta } from '../../src-shared/ipc-contract';
import type { Clock, TimerHandle } from './ports';

export const DELTA_FLUSH_MS = 50;

export class JobStore {
  private readonly jobs = new Map<string, Job>();
  private readonly upserted = new Set<string>();
  private readonly removed = new Set<string>();
  private flushTimer: TimerHandle | null = null;
  private readonly listeners = new Set<(delta: JobsDelta) => void>();
  private readonly changeListeners = new Set<(previous: Job | undefined, next: Job) => void>();

  constructor(private readonly clock: Clock) {}

  get(key: string): Job | undefined {
    return this.jobs.get(key);
  }

  all(): Job[] {
    return [...this.jobs.values()];
  }

  get size(): number {
    return this.jobs.size;
  }

  upsert(job: Job): void {
    const previous = this.jobs.get(job.key);
    this.jobs.set(job.key, job);
    for (const listener of this.changeListeners) listener(previous, job);
    this.removed.delete(job.key);
    this.upserted.add(job.key);
    this.scheduleFlush();
  }

  remove(key: string): boolean {
    if (!this.jobs.delete(key)) return false;
    this.upserted.delete(key);
    this.removed.add(key);
    this.scheduleFlush();
    return true;
  }

  onDelta(listener: (delta: JobsDelta) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Every single change, synchronously, with the job before it: for logic that
   * must see each transition (a delta coalesces several changes into one).
   */
  onChange(listener: (previous: Job | undefined, next: Job) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Emits pending changes now (also used on shutdown and by the CLI before exit). */
  flush(): void {
    if (this.flushTimer !== null) {
      this.clock.clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.upserted.size === 0 && this.removed.size === 0) return;
    const delta: JobsDelta = {
      upserted: [...this.upserted].flatMap((key) => {
        const job = this.jobs.get(key);
        return job ? [job] : [];
      }),
      removed: [...this.removed],
    };
    this.upserted.clear();
    this.removed.clear();
    for (const listener of this.listeners) listener(delta);
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null) return;
    this.flushTimer = this.clock.setTimeout(() => {
      this.flushTimer = null;
      this.flush();
    }, DELTA_FLUSH_MS);
  }
}
