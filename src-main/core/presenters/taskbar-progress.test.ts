import { describe, expect, it } from 'vitest';
import { taskbarProgress, UnseenCompletions } from './taskbar-progress';
import { done, job } from './test-jobs';

const T = '2026-03-15T10:00:00Z';

describe('taskbarProgress', () => {
  it('nothing running: bar removed (-1), mode none', () => {
    expect(taskbarProgress({ jobs: [done('a', T)], unseenCompletions: 0 })).toEqual({ progress: -1, mode: 'none', badgeCount: 0 });
  });

  it('averages running jobs and downloads; unknown items count as not started', () => {
    const model = taskbarProgress({
      jobs: [job('a', { status: 'running', progress: 50 }), job('b', { status: 'running', progress: 100 }), job('q')],
      downloads: [{ received: 25, total: 100 }, { received: 10, total: null }],
      unseenCompletions: 3,
    });
    expect(model.mode).toBe('normal');
    expect(model.progress).toBeCloseTo((0.5 + 1 + 0.25) / 5);
    expect(model.badgeCount).toBe(3);
  });

  it('only unknown progress: indeterminate (a value above 1 for Electron)', () => {
    expect(taskbarProgress({ jobs: [job('q')], unseenCompletions: 0 })).toEqual({ progress: 2, mode: 'indeterminate', badgeCount: 0 });
  });

  it('paused or errored jobs do not hold the bar', () => {
    const paused = job('p', { status: 'running', progress: 40, watch: { state: 'paused', message: 'no key', lastCheckedAt: null, progressAt: null } });
    expect(taskbarProgress({ jobs: [paused], unseenCompletions: 0 }).mode).toBe('none');
  });

  it('a key problem turns a running bar red; with nothing known it is full red', () => {
    expect(taskbarProgress({ jobs: [job('a', { status: 'running', progress: 20 })], unseenCompletions: 0, keyProblem: true })).toEqual({ progress: 0.2, mode: 'error', badgeCount: 0 });
    expect(taskbarProgress({ jobs: [job('q')], unseenCompletions: 0, keyProblem: true })).toEqual({ progress: 1, mode: 'error', badgeCount: 0 });
  });

  it('progress is clamped to 0..1', () => {
    expect(taskbarProgress({ jobs: [], downloads: [{ received: 300, total: 100 }], unseenCompletions: 0 }).progress).toBe(1);
  });
});

describe('UnseenCompletions', () => {
  it('counts completions while the window is not focused; focusing clears', () => {
    const unseen = new UnseenCompletions();
    unseen.add(2, false);
    unseen.add(5, true);
    expect(unseen.value).toBe(2);
    unseen.clear();
    expect(unseen.value).toBe(0);
  });
});
