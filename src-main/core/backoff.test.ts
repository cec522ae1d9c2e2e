import { describe, expect, it } from 'vitest';
import { backoffDelay, MAX_BACKOFF_MS } from './backoff';
import { fixedRandom } from './testing/fakes';

describe('backoffDelay', () => {
  it('grows exponentially with the number of failures', () => {
    const random = fixedRandom(0.5);
    const delays = [1, 2, 3, 4, 5].map((failures) => backoffDelay(1_000, failures, random));
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBe((delays[i - 1] ?? 0) * 2);
    expect(delays[0]).toBe(1_500); // 2 s step, equal jitter at 0.5 → 1.5 s
  });

  it('is capped at MAX_BACKOFF_MS however many failures there were', () => {
    for (const failures of [20, 100, 10_000]) {
      expect(backoffDelay(2_500, failures, fixedRandom(0.999999))).toBeLessThanOrEqual(MAX_BACKOFF_MS);
      expect(backoffDelay(2_500, failures, fixedRandom(0))).toBe(MAX_BACKOFF_MS / 2);
    }
  });

  it('jitter stays between half a step and a full step', () => {
    const step = 2_500 * 2 ** 3;
    expect(backoffDelay(2_500, 3, fixedRandom(0))).toBe(step / 2);
    const high = backoffDelay(2_500, 3, fixedRandom(0.999999));
    expect(high).toBeLessThan(step);
    expect(high).toBeGreaterThan(step * 0.99);
    for (const r of [0.1, 0.3, 0.7, 0.9]) {
      const delay = backoffDelay(2_500, 3, fixedRandom(r));
      expect(delay).toBeGreaterThanOrEqual(step / 2);
      expect(delay).toBeLessThan(step);
    }
  });

  it('Retry-After wins when it is longer than the backoff', () => {
    expect(backoffDelay(1_000, 1, fixedRandom(0.5), 60_000)).toBe(60_000);
    expect(backoffDelay(1_000, 30, fixedRandom(0.5), 20 * 60_000)).toBe(20 * 60_000);
  });

  it('the backoff wins when Retry-After is shorter, zero or absent', () => {
    expect(backoffDelay(1_000, 3, fixedRandom(0), 500)).toBe(4_000);
    expect(backoffDelay(1_000, 3, fixedRandom(0), 0)).toBe(4_000);
    expect(backoffDelay(1_000, 3, fixedRandom(0), null)).toBe(4_000);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and caps what it honours at an hour (asked again after that)', async () => {
    const { MAX_RETRY_AFTER_MS, parseRetryAfter } = await import('./http-errors');
    const now = Date.parse('2026-03-15T10:00:00Z');
    expect(parseRetryAfter('45', now)).toBe(45_000);
    expect(parseRetryAfter('Sun, 15 Mar 2026 10:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Sun, 15 Mar 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('3000000', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('Wed, 21 Oct 2099 07:28:00 GMT', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('httpError for statuses without their own sentence', () => {
  it('a 4xx that refuses the request itself (413, 414, 422, 431, 418) is not retried; 408 and 425 are', async () => {
    const { httpError } = await import('./http-errors');
    const { isRetryable } = await import('../../src-shared/result');
    const answer = (status: number, body = '') => httpError({ status, headers: {}, body }, 0, 'useapi.net');
    for (const status of [405, 413, 414, 418, 422, 431]) {
      const e = answer(status, '{"error":"too large"}');
      expect(e.kind, String(status)).toBe('invalid-input');
      expect(isRetryable(e.kind)).toBe(false);
      expect(e.message).toBe(`useapi.net refused the request (HTTP ${status}: too large).`);
    }
    for (const status of [408, 425]) expect(isRetryable(answer(status).kind), String(status)).toBe(true);
    expect(answer(503).kind).toBe('transient');
  });
});
