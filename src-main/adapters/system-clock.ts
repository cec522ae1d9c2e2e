import type { Clock, TimerHandle } from '../core/ports';

/** The real clock. Timers are unref'd so a pending poll never keeps a CLI process alive by itself. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    return timer as unknown as TimerHandle;
  },
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
};
