/** When the download thread's messages leave: bundled events, urgent messages at the end of the turn, order kept. */
import { describe, expect, it } from 'vitest';
import { BUNDLE_MS, createOutbox } from './engine-outbox';
import type { FromHost } from './engine-protocol';

/** Timers the test runs by hand: `turnEnds()` runs what was queued for the end of the turn, `elapse(ms)` the timers due. */
function manualTimers() {
  let now = 0;
  const soon: Array<() => void> = [];
  const later = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  return {
    timers: {
      soon: (fn: () => void) => void soon.push(fn),
      after: (ms: number, fn: () => void) => {
        later.set(next, { at: now + ms, fn });
        return next++;
      },
      cancel: (handle: unknown) => void later.delete(handle as number),
    },
    turnEnds: () => {
      for (const fn of soon.splice(0)) fn();
    },
    elapse: (ms: number) => {
      now += ms;
      for (const [id, t] of [...later]) {
        if (t.at > now) continue;
        later.delete(id);
        t.fn();
      }
    },
  };
}

const progress = (n: number): FromHost => ({ type: 'log', level: 'info', message: `event ${n}` });
const names = (bundles: FromHost[][]): string[][] => bundles.map((b) => b.map((m) => (m.type === 'log' ? m.message : m.type === 'event' ? m.event.type : m.type)));

describe('engine outbox', () => {
  it('events wait for company up to BUNDLE_MS and then leave together', () => {
    const sent: FromHost[][] = [];
    const t = manualTimers();
    const { post } = createOutbox((b) => sent.push(b), t.timers);
    post(progress(1));
    t.turnEnds();
    post(progress(2));
    t.elapse(BUNDLE_MS - 1);
    expect(sent).toEqual([]);
    t.elapse(1);
    expect(names(sent)).toEqual([['event 1', 'event 2']]);
  });

  it('an answer or a batch end leaves at the end of the turn, with every event before it, in order', () => {
    const sent: FromHost[][] = [];
    const t = manualTimers();
    const { post } = createOutbox((b) => sent.push(b), t.timers);
    post(progress(1));
    post({ type: 'answer', id: 7, value: true });
    t.turnEnds();
    post(progress(2));
    post({ type: 'event', event: { type: 'batch-done', summary: { batchId: 'b', done: 1, skipped: 0, failed: [] } } as unknown as Extract<FromHost, { type: 'event' }>['event'] });
    t.turnEnds();
    expect(names(sent)).toEqual([['event 1', 'answer'], ['event 2', 'batch-done']]);
    // The timer armed for event 1 found nothing left to send.
    t.elapse(BUNDLE_MS);
    expect(sent).toHaveLength(2);
  });

  it('flush sends what is queued now (the thread is about to close)', () => {
    const sent: FromHost[][] = [];
    const t = manualTimers();
    const { post, flush } = createOutbox((b) => sent.push(b), t.timers);
    post(progress(1));
    post({ type: 'closed' });
    flush();
    expect(names(sent)).toEqual([['event 1', 'closed']]);
    t.turnEnds();
    t.elapse(BUNDLE_MS);
    expect(sent).toHaveLength(1);
  });
});
