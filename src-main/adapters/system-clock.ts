import type { Clock, TimerHandle } from '../core/ports';

/**
 * The real clock. Timers stay ref'd on purpose: a CLI `watch` waiting for its
 * next poll must keep the process alive.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    return timer as unknown as TimerHandle;
  },
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
};
