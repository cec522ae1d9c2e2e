import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../../src-shared/settings';
import type { NotificationSettings } from '../../../src-shared/settings';
import { FakeClock } from '../testing/fake-clock';
import { BATCH_WINDOW_MS, CATCH_UP_WINDOW_MS, LATE_TIMER_MS, NotificationBatcher } from './notification-batcher';
import type { NotificationModel } from './notification-batcher';
import { notificationVerdict } from './notification-rules';
import { done, failed } from './test-jobs';
import type { Transition } from './transitions';
import type { Job } from '../../../src-shared/job';

/** A fake clock whose wall time can jump without firing timers, like a laptop waking up. */
class SleepyClock extends FakeClock {
  skew = 0;
  override now(): number {
    return super.now() + this.skew;
  }
}

function setup(overrides: Partial<NotificationSettings> = {}) {
  const clock = new SleepyClock();
  const shown: NotificationModel[] = [];
  let settings: NotificationSettings = { ...DEFAULT_SETTINGS.notifications, ...overrides };
  let focused = false;
  const files = new Map<string, { path: string; isImage: boolean }>();
  const batcher = new NotificationBatcher({
    clock,
    settings: () => settings,
    focused: () => focused,
    emit: (n) => shown.push(n),
    fileFor: (job) => files.get(job.key) ?? null,
  });
  const finish = (...jobs: Job[]): void => batcher.add(jobs.map((job): Transition => ({ job, to: job.status === 'failed' ? 'failed' : 'completed', at: clock.now() })));
  return {
    clock,
    shown,
    batcher,
    files,
    finish,
    setSettings: (patch: Partial<NotificationSettings>) => (settings = { ...settings, ...patch }),
    setFocused: (value: boolean) => (focused = value),
  };
}

const T = '2026-03-15T10:00:00Z';

describe('NotificationBatcher: batching windows', () => {
  it('nothing shows before the window closes; then one notification per job (≤ 3)', () => {
    const h = setup();
    h.finish(done('a', T, { prompt: 'a red fox in the snow' }));
    h.clock.advance(500);
    h.finish(failed('b', T));
    h.clock.advance(BATCH_WINDOW_MS - 501);
    expect(h.shown).toEqual([]);
    h.clock.advance(1);
    expect(h.shown.map((n) => [n.kind, n.title, n.body])).toEqual([
      ['completed', 'Job completed', 'a red fox in the snow'],
      ['failed', 'Job failed', 'Apiframe job b: The prompt was blocked.'],
    ]);
    expect(h.shown[0]?.target).toEqual({ kind: 'job', key: 'apiframe:default:a' });
    expect(h.shown[0]?.id).toBe('job:apiframe:default:a');
  });

  it('the window is fixed from the first event (a steady trickle cannot hold notifications back)', () => {
    const h = setup();
    h.finish(done('a', T));
    h.clock.advance(1000);
    h.finish(done('b', T));
    h.clock.advance(BATCH_WINDOW_MS - 1000);
    expect(h.shown).toHaveLength(2);
    h.finish(done('c', T));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown).toHaveLength(3);
  });

  it('more than 3 in one window: a single summary that opens the filtered list', () => {
    const h = setup();
    const jobs = [...Array.from({ length: 12 }, (_, i) => done(`ok${i}`, T, { prompt: `picture ${i}` })), failed('x', T), failed('y', T)];
    h.finish(...jobs);
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown).toHaveLength(1);
    const [summary] = h.shown;
    expect(summary?.kind).toBe('summary');
    expect(summary?.title).toBe('12 jobs completed, 2 failed');
    expect(summary?.body).toBe('picture 0, picture 1, picture 2 and 11 more');
    expect(summary?.target).toEqual({ kind: 'jobs', keys: jobs.map((j) => j.key) });
    expect(summary?.jobKeys).toHaveLength(14);
  });

  it('summary wording: failures only, and singular nouns', () => {
    const h = setup();
    h.finish(failed('1', T), failed('2', T), failed('3', T), failed('4', T));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown[0]?.title).toBe('4 jobs failed');
    h.finish(done('5', T), failed('6', T), failed('7', T), failed('8', T));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown[1]?.title).toBe('1 job completed, 3 failed');
    expect(h.shown[1]?.id).not.toBe(h.shown[0]?.id);
  });

  it('a known downloaded file adds thumbnail and Show in folder / Open; failures never get them', () => {
    const h = setup();
    const image = done('img', T);
    const video = done('vid', T, { modality: 'video' });
    h.files.set(image.key, { path: '/home/u/genwatch/img.png', isImage: true });
    h.files.set(video.key, { path: '/home/u/genwatch/vid.mp4', isImage: false });
    h.finish(image, video, done('none', T));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown[0]).toMatchObject({ imagePath: '/home/u/genwatch/img.png', filePath: '/home/u/genwatch/img.png', actions: ['show-in-folder', 'open'] });
    expect(h.shown[1]?.imagePath).toBeUndefined();
    expect(h.shown[1]).toMatchObject({ filePath: '/home/u/genwatch/vid.mp4', actions: ['show-in-folder', 'open'] });
    expect(h.shown[2]?.actions).toBeUndefined();
  });

  it('long prompts and errors are cut to a toast-sized body', () => {
    const h = setup();
    h.finish(failed('long', T, { prompt: 'word '.repeat(100), error: { message: 'x'.repeat(400), code: null, details: null } }));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown[0]?.body.length).toBeLessThanOrEqual(180);
    expect(h.shown[0]?.body.endsWith('…')).toBe(true);
  });
});

describe('NotificationBatcher: sleep and offline', () => {
  it('jobs that finish while suspended and just after resume become ONE summary', () => {
    const h = setup();
    h.batcher.suspend();
    h.finish(done('a', T), done('b', T));
    h.clock.advance(60 * 60_000);
    expect(h.shown).toEqual([]);
    h.batcher.resume();
    h.clock.advance(2_000);
    h.finish(done('c', T), failed('d', T));
    h.clock.advance(CATCH_UP_WINDOW_MS);
    expect(h.shown).toHaveLength(1);
    expect(h.shown[0]?.title).toBe('3 jobs completed, 1 failed');
    expect(h.shown[0]?.body).toMatch(/^While genwatch was asleep or offline: /);
  });

  it('after resume a single finished job is still shown as itself', () => {
    const h = setup();
    h.batcher.suspend();
    h.batcher.resume();
    h.finish(done('a', T, { prompt: 'lonely' }));
    h.clock.advance(CATCH_UP_WINDOW_MS);
    expect(h.shown.map((n) => n.body)).toEqual(['lonely']);
  });

  it('back online after an unreachable stretch: the same catch-up summary', () => {
    const h = setup();
    h.batcher.backOnline();
    h.finish(done('a', T), done('b', T));
    h.clock.advance(CATCH_UP_WINDOW_MS);
    expect(h.shown.map((n) => n.kind)).toEqual(['summary']);
    // Then normal batching again.
    h.finish(done('c', T), done('d', T));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown.map((n) => n.kind)).toEqual(['summary', 'completed', 'completed']);
  });

  it('a batch timer that fires far too late (sleep without a suspend event) yields a summary', () => {
    const h = setup();
    h.finish(done('a', T), done('b', T));
    // The lid closes for longer than LATE_TIMER_MS: the timer fires that late.
    h.clock.skew = LATE_TIMER_MS + 1;
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown.map((n) => n.kind)).toEqual(['summary']);
  });
});

describe('NotificationBatcher: rules', () => {
  it('disabled entirely: nothing', () => {
    const h = setup({ enabled: false });
    h.finish(done('a', T));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown).toEqual([]);
  });

  it('failures only', () => {
    const h = setup({ onCompleted: false });
    h.finish(done('a', T), failed('b', T));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown.map((n) => n.kind)).toEqual(['failed']);
  });

  it('rules are applied when the batch is released: a summary counts only what may show', () => {
    const h = setup({ onFailed: false });
    h.finish(done('1', T), done('2', T), failed('3', T), failed('4', T), failed('5', T));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown.map((n) => n.kind)).toEqual(['completed', 'completed']);
  });

  it('quiet while the window is focused, and only then', () => {
    const h = setup();
    h.setFocused(true);
    h.finish(done('a', T));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown).toEqual([]);
    h.setSettings({ quietWhenFocused: false });
    h.finish(done('b', T));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown).toHaveLength(1);
  });

  it('a muted account is silent until the mute expires', () => {
    const h = setup({ mutedUntil: { 'apiframe:default': new Date(Date.parse('2026-03-15T10:00:00Z') + 3_600_000).toISOString() } });
    h.finish(done('a', T), done('b', T, { provider: 'useapi' }));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown.map((n) => n.jobKeys[0])).toEqual(['useapi:default:b']);
    h.clock.advance(3_600_000);
    h.finish(done('c', T));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown.map((n) => n.jobKeys[0])).toEqual(['useapi:default:b', 'apiframe:default:c']);
  });
});

describe('notificationVerdict', () => {
  const base = { settings: DEFAULT_SETTINGS.notifications, focused: false, now: Date.parse(T) };

  it('per-account overrides replace the global per-event switches both ways', () => {
    const settings: NotificationSettings = {
      ...DEFAULT_SETTINGS.notifications,
      onCompleted: false,
      perAccount: { 'apiframe:team': { onCompleted: true, onFailed: false } },
    };
    const context = { ...base, settings };
    expect(notificationVerdict('apiframe', 'default', 'completed', context)).toBe('event-off');
    expect(notificationVerdict('apiframe', 'team', 'completed', context)).toBe('notify');
    expect(notificationVerdict('apiframe', 'team', 'failed', context)).toBe('event-off');
    expect(notificationVerdict('apiframe', 'default', 'failed', context)).toBe('notify');
  });

  it('order: disabled, then event switch, then mute, then focus', () => {
    const settings: NotificationSettings = { ...DEFAULT_SETTINGS.notifications, mutedUntil: { 'apiframe:default': '2099-01-01T00:00:00Z' } };
    expect(notificationVerdict('apiframe', 'default', 'completed', { ...base, settings, focused: true })).toBe('muted');
    expect(notificationVerdict('apiframe', 'default', 'completed', { ...base, settings: { ...settings, enabled: false } })).toBe('disabled');
    expect(notificationVerdict('useapi', 'default', 'completed', { ...base, settings, focused: true })).toBe('focused');
  });
});
