/** Speed over a sliding window and ETA, so a stall shows as falling speed rather than a frozen average. */

export const SPEED_WINDOW_MS = 3_000;
/** Samples closer together than this only move the latest point: the window stays a few dozen entries however fast chunks arrive. */
const SAMPLE_SPACING_MS = 100;

export class SpeedMeter {
  private readonly samples: { at: number; bytes: number }[] = [];
  private latest: { at: number; bytes: number } | null = null;

  constructor(private readonly windowMs = SPEED_WINDOW_MS) {}

  /** `bytes` is the running total. */
  add(at: number, bytes: number): void {
    this.latest = { at, bytes };
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined && at - last.at < SAMPLE_SPACING_MS) return;
    this.samples.push({ at, bytes });
    const cutoff = at - this.windowMs;
    while (this.samples.length > 2 && (this.samples[1]?.at ?? at) <= cutoff) this.samples.shift();
  }

  /** Bytes per second over the window, 0 until two points exist. */
  speed(now: number): number {
    const first = this.samples[0];
    const last = this.latest;
    if (first === undefined || last === null || last.at <= first.at) return 0;
    const span = Math.max(now, last.at) - first.at;
    return span > 0 ? ((last.bytes - first.bytes) * 1000) / span : 0;
  }

  reset(): void {
    this.samples.length = 0;
    this.latest = null;
  }
}

export function etaMs(remaining: number | null, speed: number): number | null {
  if (remaining === null || speed <= 0) return null;
  return Math.round((remaining / speed) * 1000);
}
