/**
 * One bandwidth cap shared by every download of an engine (a token bucket).
 * Each transfer reports the bytes it just received and waits as long as the
 * cap requires before reading more; the body queue then fills, the socket
 * is paused and TCP slows the server, so the cap holds on the wire too.
 *
 * The bucket holds at most a quarter second of bytes (at least 64 KiB), so
 * an idle moment cannot be spent as a long burst above the cap later.
 */
import type { Clock } from '../ports';

const BURST_SECONDS = 0.25;
const MIN_BURST_BYTES = 64 * 1024;

export class RateLimiter {
  private tokens = 0;
  private at: number;

  /** `bytesPerSecond` null or ≤ 0: no cap. */
  constructor(
    private readonly clock: Clock,
    private bytesPerSecond: number | null,
  ) {
    this.at = clock.now();
    this.tokens = this.burst();
  }

  get rate(): number | null {
    return this.bytesPerSecond;
  }

  setRate(bytesPerSecond: number | null): void {
    this.refill();
    const next = bytesPerSecond !== null && bytesPerSecond > 0 ? bytesPerSecond : null;
    // A new cap starts afresh: debt run up under another rate (or before "no limit") is not owed.
    if (next !== this.bytesPerSecond) this.tokens = next === null ? 0 : Math.max(MIN_BURST_BYTES, next * BURST_SECONDS);
    this.bytesPerSecond = next;
  }

  /** How long the caller must wait after receiving `bytes` (0 when uncapped or within the budget). */
  delayFor(bytes: number): number {
    const rate = this.bytesPerSecond;
    if (rate === null) return 0;
    this.refill();
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / rate) * 1000);
  }

  /** Takes `bytes` from the bucket: a promise to wait for (on the injected clock), or null when there is nothing to wait for. */
  take(bytes: number): Promise<void> | null {
    const wait = this.delayFor(bytes);
    if (wait === 0) return null;
    return new Promise((done) => this.clock.setTimeout(done, wait));
  }

  private burst(): number {
    return this.bytesPerSecond === null ? 0 : Math.max(MIN_BURST_BYTES, this.bytesPerSecond * BURST_SECONDS);
  }

  private refill(): void {
    const now = this.clock.now();
    const rate = this.bytesPerSecond;
    if (rate !== null) this.tokens = Math.min(this.burst(), this.tokens + ((now - this.at) / 1000) * rate);
    this.at = now;
  }
}
