import type { Clock, TimerHandle } from '../core/ports';

/**
 * The real clock. Timers stay ref'd on purpose: a CLI `watch` waiting for its
 * next poll must keep the process alive.
 */
/** The longest delay Node's timers take as given. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    // Node fires a timer longer than 2^31-1 ms (~24.8 days) after 1 ms instead: a long wait would become a storm.
    const timer = setTimeout(callback, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    return timer as unknown as TimerHandle;
  },
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
};
