/**
 * A deterministic Clock for tests: time only moves when the test says so.
 * Timers fire in due order (ties in scheduling order), including timers that
 * other timers schedule while the clock is being advanced.
 */
import type { Clock, TimerHandle } from '../ports';

interface FakeTimer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/** The handle the fake clock hands out: an opaque object, like the port asks. */
interface FakeHandle {
  readonly fakeTimerId: number;
}

function isFakeHandle(handle: TimerHandle): handle is FakeHandle {
  return typeof handle === 'object' && handle !== null && 'fakeTimerId' in handle;
}

/** Lets every pending promise continuation (and setImmediate callback) run. */
export async function settleMicrotasks(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, FakeTimer>();

  constructor(startMs: number = Date.parse('2026-03-15T10:00:00.000Z')) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.timers.set(id, { id, at: this.current + delay, callback });
    const handle: FakeHandle = { fakeTimerId: id };
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    if (isFakeHandle(handle)) this.timers.delete(handle.fakeTimerId);
  }

  /** Timers scheduled and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** When the earliest pending timer is due, or null when none is pending. */
  nextDueAt(): number | null {
    return this.earliest(Infinity)?.at ?? null;
  }

  /** Moves time forward by `ms`, firing every timer that becomes due, in order. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance: invalid ms ${ms}`);
    const target = this.current + ms;
    for (let timer = this.earliest(target); timer; timer = this.earliest(target)) this.fire(timer);
    this.current = target;
  }

  /**
   * Like `advance`, but after each timer fires it lets promises settle, so an
   * async tick that arms its next timer does so at the time it really would.
   * `settle` defaults to a few setImmediate rounds; pass one that also waits
   * for real I/O (integration tests).
   */
  async advanceAndSettle(ms: number, settle: () => Promise<void> = () => settleMicrotasks()): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advanceAndSettle: invalid ms ${ms}`);
    const target = this.current + ms;
    await settle();
    for (let timer = this.earliest(target); timer; timer = this.earliest(target)) {
      this.fire(timer);
      await settle();
    }
    this.current = target;
    await settle();
  }

  private earliest(limit: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.timers.values()) {
      if (timer.at > limit) continue;
      if (!best || timer.at < best.at || (timer.at === best.at && timer.id < best.id)) best = timer;
    }
    return best;
  }

  private fire(timer: FakeTimer): void {
    this.timers.delete(timer.id);
    if (timer.at > this.current) this.current = timer.at;
    timer.callback();
  }
}

/**
 * Advances `clock` until one more poll cycle has run (`cyclesRun` counts
 * them; the poller's onCycle feeds it): delta-flush timers may be due first.
 */
export async function runNextCycle(clock: FakeClock, cyclesRun: () => number): Promise<void> {
  const due = clock.nextDueAt();
  if (due === null) throw new Error('nothing scheduled');
  const before = cyclesRun();
  await clock.advanceAndSettle(due - clock.now());
  while (cyclesRun() === before) {
    const next = clock.nextDueAt();
    if (next === null) throw new Error('no cycle ran');
    await clock.advanceAndSettle(next - clock.now());
  }
}

