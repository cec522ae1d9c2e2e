import { describe, expect, it } from 'vitest';
import { singleFlight } from './single-flight';

describe('singleFlight', () => {
  it('shares one call among concurrent callers of a key, keeps its answer for keepMs, then calls again', async () => {
    let now = 0;
    const calls: string[] = [];
    let release: (v: string) => void = () => undefined;
    const get = singleFlight({ now: () => now }, 1000, (key: string) => key, (key) => {
      calls.push(key);
      return new Promise<string>((r) => (release = r));
    });
    const a = get('job-1');
    const b = get('job-1');
    release('fresh');
    expect(await Promise.all([a, b])).toEqual(['fresh', 'fresh']);
    expect(calls).toEqual(['job-1']);
    now = 999;
    expect(await get('job-1')).toBe('fresh');
    expect(calls).toEqual(['job-1']);
    now = 1000;
    const c = get('job-1');
    release('newer');
    expect(await c).toBe('newer');
    expect(calls).toEqual(['job-1', 'job-1']);
  });

  it('keys are separate, and a failure is shared by its callers but not kept', async () => {
    const calls: string[] = [];
    let fail = true;
    const get = singleFlight({ now: () => 0 }, 60_000, (key: string) => key, async (key) => {
      calls.push(key);
      await Promise.resolve();
      if (fail) throw new Error('offline');
      return key.toUpperCase();
    });
    const both = await Promise.allSettled([get('a'), get('a')]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await get('a')).toBe('A');
    expect(await get('b')).toBe('B');
    expect(calls).toEqual(['a', 'a', 'b']);
  });
});
