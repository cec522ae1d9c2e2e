import { describe, expect, it } from 'vitest';
import type { JobsDelta } from '../../src-shared/ipc-contract';
import type { Job } from '../../src-shared/job';
import { placeholderJob } from './job-merge';
import { DELTA_FLUSH_MS, JobStore } from './job-store';
import { FakeClock } from './testing/fake-clock';

function job(id: string, progress = 0): Job {
  return { ...placeholderJob({ key: `apiframe:default:${id}`, provider: 'apiframe', accountId: 'default', id }), progress };
}

function setup(): { clock: FakeClock; store: JobStore; deltas: JobsDelta[] } {
  const clock = new FakeClock();
  const store = new JobStore(clock);
  const deltas: JobsDelta[] = [];
  store.onDelta((delta) => deltas.push(delta));
  return { clock, store, deltas };
}

describe('JobStore', () => {
  it('coalesces every change inside one flush window into a single delta with the latest version', () => {
    const { clock, store, deltas } = setup();
    store.upsert(job('a', 10));
    store.upsert(job('a', 20));
    store.upsert(job('b'));
    store.upsert(job('a', 30));
    clock.advance(DELTA_FLUSH_MS - 1);
    expect(deltas).toHaveLength(0);
    clock.advance(1);
    expect(deltas).toHaveLength(1);
    expect(deltas[0]?.upserted.map((j) => [j.id, j.progress])).toEqual([
      ['a', 30],
      ['b', 0],
    ]);
    expect(deltas[0]?.removed).toEqual([]);
  });

  it('reports removed keys, and a job removed in the window is not also upserted', () => {
    const { clock, store, deltas } = setup();
    store.upsert(job('a'));
    store.upsert(job('b'));
    store.flush();
    expect(store.remove(job('b').key)).toBe(true);
    store.upsert(job('c'));
    clock.advance(DELTA_FLUSH_MS);
    expect(deltas[1]).toEqual({ upserted: [job('c')], removed: [job('b').key] });
    expect(store.get(job('b').key)).toBeUndefined();
    expect(store.size).toBe(2);
  });

  it('a key removed then re-added in one window is an upsert, not a removal', () => {
    const { store, deltas } = setup();
    store.upsert(job('a'));
    store.flush();
    store.remove(job('a').key);
    store.upsert(job('a', 5));
    store.flush();
    expect(deltas[1]).toEqual({ upserted: [job('a', 5)], removed: [] });
  });

  it('removing an unknown key changes nothing and emits nothing', () => {
    const { clock, store, deltas } = setup();
    expect(store.remove('apiframe:default:nope')).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(1_000);
    expect(deltas).toHaveLength(0);
  });

  it('flush() emits pending changes at once and cancels the window timer', () => {
    const { clock, store, deltas } = setup();
    store.upsert(job('a'));
    expect(clock.pendingTimers).toBe(1);
    store.flush();
    expect(deltas).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(DELTA_FLUSH_MS * 2);
    expect(deltas).toHaveLength(1);
  });

  it('flush() with nothing pending emits nothing', () => {
    const { store, deltas } = setup();
    store.flush();
    expect(deltas).toHaveLength(0);
  });

  it('each window arms one timer, however many changes arrive', () => {
    const { clock, store } = setup();
    for (let i = 0; i < 1_000; i++) store.upsert(job(String(i)));
    expect(clock.pendingTimers).toBe(1);
  });

  it('unsubscribed listeners stop receiving deltas', () => {
    const { store } = setup();
    const seen: JobsDelta[] = [];
    const off = store.onDelta((d) => seen.push(d));
    store.upsert(job('a'));
    store.flush();
    off();
    store.upsert(job('b'));
    store.flush();
    expect(seen).toHaveLength(1);
  });

  it('all() and get() reflect the table immediately, before any flush', () => {
    const { store } = setup();
    store.upsert(job('a'));
    expect(store.get(job('a').key)).toEqual(job('a'));
    expect(store.all()).toEqual([job('a')]);
  });
});
