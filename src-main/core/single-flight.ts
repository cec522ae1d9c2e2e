/**
 * One call per key at a time, its answer shared: when the four images of a
 * grid expire together, their job is asked for once, not four times. An
 * answer is also kept for `keepMs` after it came (files of one job that
 * expire a moment apart use the same fresh links); a failure is not kept.
 */
import type { Clock } from './ports';

export function singleFlight<A, V>(clock: Pick<Clock, 'now'>, keepMs: number, keyOf: (arg: A) => string, call: (arg: A) => Promise<V>): (arg: A) => Promise<V> {
  const running = new Map<string, Promise<V>>();
  const kept = new Map<string, { value: V; until: number }>();
  return (arg) => {
    const key = keyOf(arg);
    const now = clock.now();
    const hit = kept.get(key);
    if (hit !== undefined && hit.until > now) return Promise.resolve(hit.value);
    kept.delete(key);
    const pending = running.get(key);
    if (pending !== undefined) return pending;
    const started = call(arg).then(
      (value) => {
        running.delete(key);
        kept.set(key, { value, until: clock.now() + keepMs });
        // Old answers go as new ones come: the map never outgrows the jobs refreshed within keepMs.
        for (const [k, v] of kept) if (v.until <= clock.now()) kept.delete(k);
        return value;
      },
      (error: unknown) => {
        running.delete(key);
        throw error;
      },
    );
    running.set(key, started);
    return started;
  };
}
