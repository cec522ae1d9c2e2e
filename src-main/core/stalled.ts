/**
 * The "stalled" flag: a running job whose status and progress have not moved
 * for the configured time is shown as stalled (still watched, never dropped).
 */
import type { Job } from '../../src-shared/job';

export function trackProgress(previous: Job | undefined, next: Job, nowMs: number, stalledAfterMs: number): Job['watch'] {
  const moved = !previous || previous.status !== next.status || previous.progress !== next.progress;
  const progressAt = moved || !previous?.watch.progressAt ? new Date(nowMs).toISOString() : previous.watch.progressAt;
  const watch = { ...next.watch, progressAt };
  if (watch.state !== 'watching' && watch.state !== 'stalled') return watch;
  const still = nowMs - Date.parse(progressAt);
  if (still >= stalledAfterMs) {
    const minutes = Math.round(still / 60_000);
    return { ...watch, state: 'stalled', message: `No progress for ${minutes} min; still watching.` };
  }
  return watch.state === 'stalled' ? { ...watch, state: 'watching', message: null } : watch;
}
