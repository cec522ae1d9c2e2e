import { describe, expect, it } from 'vitest';
import { addsDetail, addSummary, bytes, costLabel, isHttpsUrl, progressInt, relativeTime, shortId } from './format';

describe('format', () => {
  const now = Date.parse('2025-11-25T12:00:00Z');
  it('relative times', () => {
    expect(relativeTime('2025-11-25T11:59:50Z', now)).toBe('just now');
    expect(relativeTime('2025-11-25T11:58:00Z', now)).toBe('2 min ago');
    expect(relativeTime('2025-11-25T09:00:00Z', now)).toBe('3 hr ago');
    expect(relativeTime('2025-11-24T10:00:00Z', now)).toBe('yesterday');
    expect(relativeTime(null, now)).toBe('—');
  });
  it('calls a time slightly ahead of the clock "just now", not the future', () => {
    // The shared clock ticks every 15 s, so something that just happened is often newer than its `now`.
    expect(relativeTime('2025-11-25T12:00:10Z', now)).toBe('just now');
    expect(relativeTime('2025-11-25T12:01:30Z', now)).toBe('just now'); // a provider's clock a little fast
    expect(relativeTime('2025-11-25T12:10:00Z', now)).toBe('in 10 min');
  });
  it("leaves out a health message that only repeats the banner's headline", () => {
    const rejected = 'Apiframe rejected the API key. Check or replace it in Settings.';
    expect(addsDetail(rejected, 'Apiframe: The API key was rejected: check or replace it in Settings.')).toBe(false);
    expect(addsDetail(rejected, null)).toBe(false);
    expect(addsDetail("genwatch can't reach Apiframe right now. It keeps retrying on its own.", 'Apiframe: HTTP 503 Service Unavailable')).toBe(true);
  });
  it('costs', () => {
    expect(costLabel({ credits: 10, refunded: false })).toBe('10 credits');
    expect(costLabel({ credits: 1, refunded: false })).toBe('1 credit');
    expect(costLabel({ credits: 10, refunded: true })).toBe('refunded');
    expect(costLabel(null)).toBe('—');
  });
  it('add summary', () => {
    expect(addSummary({ added: ['a', 'b', 'c'], alreadyWatched: ['d'], rejected: [{ input: 'x', reason: 'not an id' }] })).toBe(
      'Added 3, 1 already watched, 1 rejected: “x” is not an id',
    );
    expect(addSummary({ added: ['a'], alreadyWatched: [], rejected: [] })).toBe('Added 1');
  });
  it('misc', () => {
    expect(shortId('3f2a9c1e-7b4d-4e21-9a0c-5d8e6f1b2c34')).toBe('3f2a9c1e…');
    expect(shortId('abc')).toBe('abc');
    expect(progressInt(64.6, 'running')).toBe(64);
    expect(progressInt(99.6, 'running')).toBe(99); // never a false 100 on a job that is not done
    expect(progressInt(100, 'running')).toBe(99);
    expect(progressInt(100, 'failed')).toBe(99);
    expect(progressInt(37, 'completed')).toBe(100);
    expect(progressInt(-3, 'queued')).toBe(0);
    expect(progressInt(Number.NaN, 'running')).toBe(0);
    expect(isHttpsUrl('https://cdn.example.com/a.png')).toBe(true);
    expect(isHttpsUrl('http://127.0.0.1/a.png')).toBe(false);
    expect(isHttpsUrl('javascript:alert(1)')).toBe(false);
  });
});

describe('bytes', () => {
  it('B, KB, MB, then GB (3 GB is not "3072.0 MB")', () => {
    expect(bytes(null)).toBe('');
    expect(bytes(512)).toBe('512 B');
    expect(bytes(2048)).toBe('2 KB');
    expect(bytes(5 * 1024 * 1024)).toBe('5.0 MB');
    expect(bytes(3 * 1024 ** 3)).toBe('3.00 GB');
  });
});

