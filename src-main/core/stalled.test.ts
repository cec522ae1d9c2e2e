import { describe, expect, it } from 'vitest';
import type { Job } from '../../src-shared/job';
import { placeholderJob } from './job-merge';
import { trackProgress } from './stalled';

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const MIN = 60_000;
const STALL = 10 * MIN;

function job(progress: number, watch: Partial<Job['watch']> = {}, status: Job['status'] = 'running'): Job {
  const base = placeholderJob({ key: 'apiframe:default:x', provider: 'apiframe', accountId: 'default', id: 'x' });
  return { ...base, status, progress, watch: { ...base.watch, state: 'watching', message: null, ...watch } };
}

describe('trackProgress', () => {
  it('the first answer stamps progressAt with now', () => {
    const watch = trackProgress(undefined, job(10), T0, STALL);
    expect(watch).toMatchObject({ state: 'watching', progressAt: new Date(T0).toISOString() });
  });

  it('progress that moved re-stamps progressAt and stays watching', () => {
    const previous = job(10, { progressAt: new Date(T0).toISOString() });
    const watch = trackProgress(previous, job(20), T0 + 30 * MIN, STALL);
    expect(watch).toMatchObject({ state: 'watching', progressAt: new Date(T0 + 30 * MIN).toISOString() });
  });

  it('a status change counts as movement even at the same progress', () => {
    const previous = job(0, { progressAt: new Date(T0).toISOString() }, 'queued');
    expect(trackProgress(previous, job(0), T0 + 30 * MIN, STALL).state).toBe('watching');
  });

  it('unchanged just short of the limit: still watching, progressAt kept', () => {
    const previous = job(40, { progressAt: new Date(T0).toISOString() });
    const watch = trackProgress(previous, job(40), T0 + STALL - 1, STALL);
    expect(watch).toMatchObject({ state: 'watching', progressAt: new Date(T0).toISOString() });
  });

  it('unchanged for the limit: stalled, with a message giving the minutes, still watched', () => {
    const previous = job(40, { progressAt: new Date(T0).toISOString() });
    const watch = trackProgress(previous, job(40), T0 + STALL, STALL);
    expect(watch).toMatchObject({ state: 'stalled', message: 'No progress for 10 min; still watching.', progressAt: new Date(T0).toISOString() });
  });

  it('a stalled job that moves again goes back to watching with no message', () => {
    const previous = job(40, { state: 'stalled', message: 'No progress for 10 min; still watching.', progressAt: new Date(T0).toISOString() });
    const watch = trackProgress(previous, job(41, { state: 'stalled', message: 'No progress for 10 min; still watching.' }), T0 + 20 * MIN, STALL);
    expect(watch).toMatchObject({ state: 'watching', message: null, progressAt: new Date(T0 + 20 * MIN).toISOString() });
  });

  it('done, paused and error watch states are never flagged stalled', () => {
    const previous = job(40, { progressAt: new Date(T0).toISOString() });
    for (const state of ['done', 'paused', 'error'] as const) {
      expect(trackProgress(previous, job(40, { state }), T0 + 60 * MIN, STALL).state).toBe(state);
    }
  });

  it('a previous answer without progressAt (a restored placeholder) starts the clock now', () => {
    const previous = job(40, { progressAt: null });
    const watch = trackProgress(previous, job(40), T0 + 60 * MIN, STALL);
    expect(watch).toMatchObject({ state: 'watching', progressAt: new Date(T0 + 60 * MIN).toISOString() });
  });
});
