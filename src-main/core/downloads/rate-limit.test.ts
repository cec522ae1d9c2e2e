import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock';
import { RateLimiter } from './rate-limit';

const MiB = 1024 * 1024;

describe('RateLimiter', () => {
  it('no cap: never waits', () => {
    const limiter = new RateLimiter(new FakeClock(), null);
    for (let i = 0; i < 100; i++) expect(limiter.delayFor(10 * MiB)).toBe(0);
  });

  it('a cap of 1 MiB/s: a receiver that always waits as told gets 10 MiB in ~9.75 s (the 256 KiB burst once, then the cap)', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(clock, MiB);
    const start = clock.now();
    for (let received = 0; received < 10 * MiB; received += 64 * 1024) {
      const held = limiter.take(64 * 1024);
      let released = held === null;
      void held?.then(() => (released = true));
      // Run the clock until the take lets go: that is how long this chunk was held.
      while (!released) await clock.advanceAndSettle(1);
    }
    expect((clock.now() - start) / 1000).toBeCloseTo(9.75, 1);
  });

  it('waits exactly as long as the debt: 512 KiB over the burst at 1 MiB/s is half a second', () => {
    const limiter = new RateLimiter(new FakeClock(), MiB);
    expect(limiter.delayFor(256 * 1024)).toBe(0); // the burst: a quarter second of bytes
    expect(limiter.delayFor(512 * 1024)).toBe(500);
  });

  it('idle time refills only up to the burst (no saved-up flood), and changing the rate applies at once', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(clock, MiB);
    limiter.delayFor(256 * 1024);
    await clock.advanceAndSettle(60_000);
    expect(limiter.delayFor(256 * 1024)).toBe(0);
    expect(limiter.delayFor(MiB)).toBe(1000);
    limiter.setRate(null);
    expect(limiter.delayFor(100 * MiB)).toBe(0);
    // Bytes taken with no limit are not owed when a cap comes back.
    limiter.setRate(MiB);
    expect(limiter.delayFor(256 * 1024)).toBe(0);
    limiter.setRate(2 * MiB);
    expect(limiter.rate).toBe(2 * MiB);
    limiter.setRate(0);
    expect(limiter.rate).toBeNull();
  });
});
