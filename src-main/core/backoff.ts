/** Exponential backoff with jitter, capped; `Retry-After` wins when longer. */
import type { Random } from './ports';

export const MAX_BACKOFF_MS = 5 * 60_000;

export function backoffDelay(baseMs: number, failures: number, random: Random, retryAfterMs?: number | null): number {
  const exponential = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.min(failures, 16));
  // "Equal jitter": never less than half the step, so a storm of clients spreads out
  // without any one of them retrying immediately.
  const jittered = exponential / 2 + (exponential / 2) * random();
  return Math.max(jittered, retryAfterMs ?? 0);
}
