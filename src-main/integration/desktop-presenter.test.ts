import { afterEach, describe, expect, it } from 'vitest';
import { jobKey } from '../../src-shared/job';
import type { AccountsState } from '../../src-shared/accounts';
import type { AccountHealth } from '../../src-shared/ipc-contract';
import { DEFAULT_SETTINGS } from '../../src-shared/settings';
import type { NotificationSettings } from '../../src-shared/settings';
import { createUndiciHttp } from '../adapters/undici-http';
import { singleJobScenario, SINGLE_JOB_ID, startEmulator, TEST_APIFRAME_KEY } from '../emulator';
import { apiframe } from '../core/providers/apiframe';
import { FakeClock } from '../core/testing/fake-clock';
import { TrackingHttp } from '../core/testing/fakes';
import { createLiveCore, settleIo } from '../core/testing/live-core';
import { DesktopPresenter } from '../core/presenters/desktop-presenter';
import { BATCH_WINDOW_MS, CATCH_UP_WINDOW_MS } from '../core/presenters/notification-batcher';
import type { NotificationModel } from '../core/presenters/notification-batcher';
import { delta, done, failed, job } from '../core/presenters/test-jobs';

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const NO_ACCOUNTS: AccountsState = { keychain: { available: true, message: null }, accounts: [] };

function setup(options: { acknowledgedAt?: number | null; settings?: Partial<NotificationSettings> } = {}) {
  const clock = new FakeClock(T0);
  const shown: NotificationModel[] = [];
  let changes = 0;
  const settings: NotificationSettings = { ...DEFAULT_SETTINGS.notifications, ...options.settings };
  const presenter = new DesktopPresenter({
    clock,
    platform: 'linux',
    tzOffsetMinutes: () => 0,
    notificationSettings: () => settings,
    emitNotification: (n) => shown.push(n),
    onChange: () => changes++,
    acknowledgedAt: options.acknowledgedAt ?? null,
  });
  return { clock, shown, presenter, changes: () => changes };
}

describe('DesktopPresenter', () => {
  it('restored finished jobs never notify; a restored running job that completes does', () => {
    const h = setup();
    h.presenter.start({ jobs: [done('old', '2026-03-15T08:00:00Z'), job('run', { status: 'running', progress: 30 })], health: [], accounts: NO_ACCOUNTS });
    // The store's first delta repeats the restored jobs.
    h.presenter.jobsDelta(delta(done('old', '2026-03-15T08:00:00Z'), job('run', { status: 'running', progress: 30 })));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown).toEqual([]);
    h.presenter.jobsDelta(delta(done('run', '2026-03-15T10:00:01Z', { prompt: 'restored and finished' })));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown.map((n) => n.body)).toEqual(['restored and finished']);
    expect(h.presenter.tray().counts).toEqual({ running: 0, completedToday: 2, failedUnacknowledged: 0 });
  });

  it('badge: completions while unfocused, cleared on focus; taskbar follows running jobs', () => {
    const h = setup();
    h.presenter.start({ jobs: [job('a', { status: 'running', progress: 50 }), job('b', { status: 'running' })], health: [], accounts: NO_ACCOUNTS });
    expect(h.presenter.taskbar()).toMatchObject({ mode: 'normal', progress: 0.25, badgeCount: 0 });
    h.presenter.jobsDelta(delta(done('a', '2026-03-15T10:00:01Z')));
    expect(h.presenter.taskbar()).toMatchObject({ mode: 'normal', progress: 0, badgeCount: 1 });
    h.presenter.setFocused(true);
    expect(h.presenter.taskbar().badgeCount).toBe(0);
    h.presenter.jobsDelta(delta(done('b', '2026-03-15T10:00:02Z')));
    expect(h.presenter.taskbar()).toEqual({ progress: -1, mode: 'none', badgeCount: 0 });
  });

  it('failures stay in the tray until acknowledged; later failures count again', () => {
    const h = setup({ acknowledgedAt: T0 - 1000 });
    h.presenter.start({ jobs: [failed('before', '2026-03-15T09:00:00Z'), job('x', { status: 'running' }), job('y', { status: 'running' })], health: [], accounts: NO_ACCOUNTS });
    expect(h.presenter.tray().iconState).toBe('running');
    h.presenter.jobsDelta(delta(failed('x', '2026-03-15T09:59:00Z')));
    expect(h.presenter.tray().iconState).toBe('failed');
    expect(h.presenter.unacknowledgedFailureKeys()).toEqual([jobKey('apiframe', 'default', 'x')]);
    h.clock.advance(5000);
    expect(h.presenter.acknowledgeFailures()).toBe(T0 + 5000);
    expect(h.presenter.tray()).toMatchObject({ iconState: 'running', counts: { failedUnacknowledged: 0 } });
    h.clock.advance(1000);
    h.presenter.jobsDelta(delta(failed('y', '2026-03-15T10:00:06Z')));
    expect(h.presenter.tray().counts.failedUnacknowledged).toBe(1);
  });

  it('a key problem wins the icon and turns the taskbar bar red', () => {
    const h = setup();
    const health: AccountHealth[] = [{ provider: 'apiframe', accountId: 'default', state: 'payment', message: 'Out of credits' }];
    h.presenter.start({ jobs: [job('a', { status: 'running', progress: 10 })], health, accounts: NO_ACCOUNTS });
    expect(h.presenter.tray().iconState).toBe('key-problem');
    expect(h.presenter.taskbar().mode).toBe('error');
  });

  it('back online after "unreachable": jobs that finished meanwhile arrive as one summary', () => {
    const h = setup();
    const running = ['a', 'b', 'c'].map((id) => job(id, { status: 'running' }));
    h.presenter.start({ jobs: running, health: [], accounts: NO_ACCOUNTS });
    h.presenter.status([{ provider: 'apiframe', accountId: 'default', state: 'unreachable', message: 'offline' }]);
    h.presenter.status([]);
    h.presenter.jobsDelta(delta(done('a', '2026-03-15T10:00:00Z'), done('b', '2026-03-15T10:00:00Z')));
    h.clock.advance(1_000);
    h.presenter.jobsDelta(delta(failed('c', '2026-03-15T10:00:00Z')));
    h.clock.advance(CATCH_UP_WINDOW_MS);
    expect(h.shown.map((n) => n.title)).toEqual(['2 jobs completed, 1 failed']);
  });

  it('pause flag and downloads folder reach the tray menu', () => {
    const h = setup();
    h.presenter.start({ jobs: [], health: [], accounts: NO_ACCOUNTS });
    h.presenter.setPollingPaused(true);
    h.presenter.setDownloadsFolder('/home/u/genwatch');
    const ids = h.presenter.tray().menu.map((item) => item.id);
    expect(ids).toContain('resume-polling');
    expect(ids).toContain('open-downloads');
    expect(h.changes()).toBeGreaterThanOrEqual(3);
  });

  it('downloads: files in flight move the taskbar bar; a finished file gives the notification its thumbnail and actions', () => {
    const h = setup();
    h.presenter.start({ jobs: [job('a', { status: 'running', progress: 100 })], health: [], accounts: NO_ACCOUNTS });
    h.presenter.setDownloadsState({ root: '/home/u/genwatch/', files: [{ jobKey: 'apiframe:default:z', kind: 'video', state: 'active', bytes: 50, total: 100, path: null }] });
    expect(h.presenter.taskbar()).toMatchObject({ mode: 'normal', progress: 0.75 });
    h.presenter.setDownloadsState({ root: '/home/u/genwatch/', files: [{ jobKey: 'apiframe:default:a', kind: 'image', state: 'done', bytes: 9, total: 9, path: 'apiframe/a.png' }] });
    h.presenter.jobsDelta(delta(done('a', '2026-03-15T10:00:01Z')));
    h.clock.advance(BATCH_WINDOW_MS);
    expect(h.shown[0]).toMatchObject({ imagePath: '/home/u/genwatch/apiframe/a.png', actions: ['show-in-folder', 'open'] });
  });

  it('dispose releases a half-collected batch', () => {
    const h = setup();
    h.presenter.start({ jobs: [job('a', { status: 'running' })], health: [], accounts: NO_ACCOUNTS });
    h.presenter.jobsDelta(delta(done('a', '2026-03-15T10:00:01Z')));
    h.presenter.dispose();
    expect(h.shown).toHaveLength(1);
    expect(h.clock.pendingTimers).toBe(0);
  });
});

describe('DesktopPresenter on the real core + emulator', () => {
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup = [];
  });

  it('an added emulator job that completes gives one notification and shows in the tray menu', async () => {
    const clock = new FakeClock(T0);
    const emu = await startEmulator({ clock, scenario: singleJobScenario({ startMs: T0, queuedMs: 2_000, processingMs: 6_000 }) });
    cleanup.push(() => emu.close());
    const undici = createUndiciHttp();
    cleanup.push(() => undici.close());
    const http = new TrackingHttp(undici);
    const core = await createLiveCore({ http, clock, providers: [apiframe], environment: { GENWATCH_APIFRAME_URL: emu.providers.apiframe.baseUrl, APIFRAME_API_KEY: TEST_APIFRAME_KEY } });
    cleanup.push(() => Promise.resolve(core.dispose()));
    const shown: NotificationModel[] = [];
    const presenter = new DesktopPresenter({
      clock,
      platform: 'darwin',
      tzOffsetMinutes: () => 0,
      notificationSettings: () => core.getSettings().notifications,
      emitNotification: (n) => shown.push(n),
      onChange: () => undefined,
      acknowledgedAt: T0,
    });
    presenter.start({ jobs: core.listJobs(), health: core.status().accounts, accounts: core.accountsState() });
    core.onJobsDelta((d) => presenter.jobsDelta(d));
    core.onStatus((s) => presenter.status(s.accounts));
    core.onAccounts((a) => presenter.setAccounts(a));
    core.addJobs('apiframe', SINGLE_JOB_ID);

    const settle = (): Promise<void> => settleIo(http);
    const key = jobKey('apiframe', 'default', SINGLE_JOB_ID);
    for (let i = 0; i < 200 && shown.length === 0; i++) {
      const next = clock.nextDueAt();
      if (next === null) break;
      await clock.advanceAndSettle(next - clock.now(), settle);
    }
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ kind: 'completed', title: 'Job completed', jobKeys: [key], target: { kind: 'job', key } });
    const tray = presenter.tray();
    expect(tray.counts).toMatchObject({ running: 0, completedToday: 1 });
    expect(tray.menu.find((item) => item.id === `job:${key}`)).toMatchObject({ action: { kind: 'open-job', key } });
    expect(tray.menu.some((item) => item.id === 'mute')).toBe(true);
  });
});
