import { describe, expect, it } from 'vitest';
import { TransitionTracker } from './transitions';
import { delta, done, failed, job } from './test-jobs';

const START = Date.parse('2026-03-15T10:00:00Z');

describe('TransitionTracker', () => {
  it('reports a job seen running that completes or fails, once', () => {
    const t = new TransitionTracker(START);
    expect(t.apply(delta(job('a', { status: 'running' }), job('b')), START)).toEqual([]);
    const out = t.apply(delta(done('a', '2026-03-15T10:01:00Z'), failed('b', '2026-03-15T10:01:00Z')), START + 60_000);
    expect(out.map((x) => [x.job.id, x.to, x.at])).toEqual([
      ['a', 'completed', START + 60_000],
      ['b', 'failed', START + 60_000],
    ]);
    // The same terminal job again (a later refresh) is not a new transition.
    expect(t.apply(delta(done('a', '2026-03-15T10:01:00Z')), START + 70_000)).toEqual([]);
  });

  it('never reports jobs restored already finished at start-up', () => {
    const t = new TransitionTracker(START);
    t.seed([done('old', '2026-03-15T11:00:00Z'), failed('bad', '2026-03-14T09:00:00Z')]);
    expect(t.apply(delta(done('old', '2026-03-15T11:00:00Z'), failed('bad', '2026-03-14T09:00:00Z')), START)).toEqual([]);
  });

  it('a restored running job that finishes later is reported', () => {
    const t = new TransitionTracker(START);
    t.seed([job('r', { status: 'running' })]);
    expect(t.apply(delta(done('r', '2026-03-15T09:59:00Z')), START + 1000)).toHaveLength(1);
  });

  it('a job first seen finished: only when it finished after tracking began (history imports stay quiet)', () => {
    const t = new TransitionTracker(START);
    const out = t.apply(delta(done('imported', '2026-01-01T00:00:00Z'), done('fresh', '2026-03-15T10:00:05Z'), done('untimed', '2026-03-15T10:00:05Z', { completedAt: null, updatedAt: null, watch: { state: 'done', message: null, lastCheckedAt: null, progressAt: null } })), START + 10_000);
    expect(out.map((x) => x.job.id)).toEqual(['fresh']);
  });

  it('never twice per job, even after removal and re-adding', () => {
    const t = new TransitionTracker(START);
    t.apply(delta(job('a')), START);
    expect(t.apply(delta(done('a', '2026-03-15T10:00:10Z')), START)).toHaveLength(1);
    t.apply({ upserted: [], removed: ['apiframe:default:a'] }, START);
    t.apply(delta(job('a')), START);
    expect(t.apply(delta(done('a', '2026-03-15T10:00:20Z')), START)).toEqual([]);
  });
});
