import { describe, expect, it } from 'vitest';
import { FakeClock } from './fake-clock';

describe('FakeClock (test helper)', () => {
  it('fires due timers in time order, ties in scheduling order, and reports now() at each', () => {
    const clock = new FakeClock(1_000);
    const fired: [string, number][] = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 20);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 10);
    clock.setTimeout(() => fired.push(['c', clock.now()]), 20);
    clock.setTimeout(() => fired.push(['late', clock.now()]), 31);
    clock.advance(30);
    expect(fired).toEqual([
      ['a', 1_010],
      ['b', 1_020],
      ['c', 1_020],
    ]);
    expect(clock.now()).toBe(1_030);
    expect(clock.pendingTimers).toBe(1);
  });

  it('runs timers scheduled by timers within the same advance', () => {
    const clock = new FakeClock(0);
    const at: number[] = [];
    const tick = (): void => {
      at.push(clock.now());
      clock.setTimeout(tick, 100);
    };
    clock.setTimeout(tick, 100);
    clock.advance(350);
    expect(at).toEqual([100, 200, 300]);
  });

  it('clearTimeout cancels; pendingTimers counts what is left', () => {
    const clock = new FakeClock(0);
    let ran = false;
    const handle = clock.setTimeout(() => (ran = true), 5);
    expect(clock.pendingTimers).toBe(1);
    clock.clearTimeout(handle);
    clock.advance(10);
    expect(ran).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    expect(clock.nextDueAt()).toBeNull();
  });

  it('advanceAndSettle lets an async callback arm its next timer at the time it ran', async () => {
    const clock = new FakeClock(0);
    const at: number[] = [];
    const asyncTick = async (): Promise<void> => {
      at.push(clock.now());
      await Promise.resolve();
      await new Promise<void>((r) => setImmediate(r));
      clock.setTimeout(() => void asyncTick(), 100);
    };
    clock.setTimeout(() => void asyncTick(), 0);
    await clock.advanceAndSettle(250);
    expect(at).toEqual([0, 100, 200]);
  });

  it('rejects negative or non-finite advances', () => {
    const clock = new FakeClock(0);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
  });
});
