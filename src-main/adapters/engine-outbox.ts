/**
 * How the download thread's messages leave for the app's thread
 * (engine-host.ts): in bundles. A busy engine emits thousands of events a
 * second (a progress or state change per file), and each bundle costs the
 * app's thread a wake-up and a deserialisation. Events wait up to BUNDLE_MS
 * for company (the window shows progress every 100 ms anyway); what someone
 * waits on (a call's answer, a URL refresh request, a batch's end, the end
 * of a start or close) leaves at the end of the turn, taking every event
 * queued before it: one queue keeps everything in order. Measured (400 ×
 * 2 MiB, app mode, 6 rounds): a bundle per event-loop turn instead cost
 * 5–45 % more wall time on 2 cores, where the app's thread waking competes
 * with the transfers.
 */
import type { FromHost } from './engine-protocol';

export const BUNDLE_MS = 40;

const URGENT = new Set<FromHost['type']>(['answer', 'created', 'closed', 'refresh']);

/** Someone waits on it: it leaves at the end of this turn. */
export function isUrgent(message: FromHost): boolean {
  return URGENT.has(message.type) || (message.type === 'event' && message.event.type === 'batch-done');
}

export interface OutboxTimers {
  /** Runs `fn` at the end of this turn of the event loop. */
  soon(fn: () => void): void;
  after(ms: number, fn: () => void): unknown;
  cancel(handle: unknown): void;
}

const NODE_TIMERS: OutboxTimers = {
  soon: (fn) => void setImmediate(fn),
  after: (ms, fn) => setTimeout(fn, ms),
  cancel: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Collects messages and hands each bundle to `send`, in the order they were posted; `flush` sends what is queued now. */
export function createOutbox(send: (bundle: FromHost[]) => void, timers: OutboxTimers = NODE_TIMERS): { post(message: FromHost): void; flush(): void } {
  let queued: FromHost[] = [];
  let timer: unknown = null;
  const flush = (): void => {
    if (timer !== null) timers.cancel(timer);
    timer = null;
    if (queued.length === 0) return;
    const bundle = queued;
    queued = [];
    send(bundle);
  };
  const post = (message: FromHost): void => {
    queued.push(message);
    if (isUrgent(message)) timers.soon(flush);
    else if (timer === null) timer = timers.after(BUNDLE_MS, flush);
  };
  return { post, flush };
}
