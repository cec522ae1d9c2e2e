/**
 * Clocks for the emulator. Every time-dependent answer (job status, progress,
 * timestamps) is computed from a clock instead of timers, so tests can drive
 * time deterministically (ManualClock) and demos can run faster (ScaledClock).
 */
export interface EmulatorClock {
  /** Current emulator time, epoch milliseconds. */
  now(): number;
}

/** Time only moves when the test says so. */
export class ManualClock implements EmulatorClock {
  private ms: number;

  constructor(startMs: number = Date.parse('2026-03-15T10:00:00.000Z')) {
    this.ms = startMs;
  }

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance: invalid ms ${ms}`);
    this.ms += ms;
  }

  set(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`set: invalid ms ${ms}`);
    this.ms = ms;
  }
}

/** Starts at the real current time and elapses `speed` times faster. */
export class ScaledClock implements EmulatorClock {
  private readonly origin: number;
  // performance.now() is monotonic: a wall-clock jump must not move jobs backwards.
  private readonly perfOrigin: number;
  private readonly speed: number;

  constructor(speed = 1) {
    if (!Number.isFinite(speed) || speed <= 0) throw new RangeError(`ScaledClock: invalid speed ${speed}`);
    this.speed = speed;
    this.origin = Date.now();
    this.perfOrigin = performance.now();
  }

  now(): number {
    return Math.floor(this.origin + (performance.now() - this.perfOrigin) * this.speed);
  }
}
