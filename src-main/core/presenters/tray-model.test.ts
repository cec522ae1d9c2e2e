import { describe, expect, it } from 'vitest';
import type { AccountHealth } from '../../../src-shared/ipc-contract';
import { RECENT_LIMIT, TOOLTIP_MAX, trayIconState, trayModel } from './tray-model';
import type { TrayInput, TrayMenuItem } from './tray-model';
import { done, failed, job } from './test-jobs';

const NOW = Date.parse('2026-03-15T15:00:00Z');

function input(patch: Partial<TrayInput> = {}): TrayInput {
  return {
    jobs: [],
    health: [],
    accounts: [{ provider: 'apiframe', id: 'default', label: 'Default' }],
    notifications: { enabled: true, mutedUntil: {} },
    unacknowledgedFailures: [],
    pollingPaused: false,
    now: NOW,
    tzOffsetMinutes: 0,
    platform: 'linux',
    ...patch,
  };
}

function find(menu: readonly TrayMenuItem[], id: string): TrayMenuItem | undefined {
  for (const item of menu) {
    if (item.id === id) return item;
    if (item.type === 'submenu') {
      const inner = find(item.submenu, id);
      if (inner) return inner;
    }
  }
  return undefined;
}

const rejected: AccountHealth = { provider: 'apiframe', accountId: 'default', state: 'key-rejected', message: null };

describe('trayIconState priority', () => {
  const bad = failed('f', '2026-03-15T14:00:00Z');
  const running = job('r', { status: 'running' });
  it('key problem > unacknowledged failures > running > idle', () => {
    expect(trayIconState({ jobs: [running, bad], health: [rejected], unacknowledgedFailures: [bad] })).toBe('key-problem');
    expect(trayIconState({ jobs: [running, bad], health: [], unacknowledgedFailures: [bad] })).toBe('failed');
    expect(trayIconState({ jobs: [running, bad], health: [], unacknowledgedFailures: [] })).toBe('running');
    expect(trayIconState({ jobs: [bad], health: [], unacknowledgedFailures: [] })).toBe('idle');
  });

  it('payment and account-hold are key problems; unreachable and key-missing are not', () => {
    for (const state of ['payment', 'account-hold'] as const) expect(trayIconState({ jobs: [], health: [{ ...rejected, state }], unacknowledgedFailures: [] })).toBe('key-problem');
    for (const state of ['unreachable', 'key-missing'] as const) expect(trayIconState({ jobs: [], health: [{ ...rejected, state }], unacknowledgedFailures: [] })).toBe('idle');
  });
});

describe('trayModel', () => {
  it('counts: running (queued included), completed today (local day), unacknowledged failures', () => {
    const bad = failed('f', '2026-03-15T14:00:00Z');
    const model = trayModel(
      input({
        jobs: [job('q'), job('r', { status: 'running' }), done('today', '2026-03-15T01:00:00Z'), done('yesterday', '2026-03-14T23:00:00Z'), bad, failed('acked', '2026-03-15T09:00:00Z')],
        unacknowledgedFailures: [bad],
      }),
    );
    expect(model.counts).toEqual({ running: 2, completedToday: 1, failedUnacknowledged: 1 });
    expect(model.menu[0]).toEqual({ type: 'normal', id: 'summary', label: '2 running · 1 completed today · 1 failed', enabled: false, action: null });
    expect(model.title).toBe('2 · 1 failed');
    expect(model.tooltip).toBe('genwatch — 2 running · 1 completed today · 1 failed');
  });

  it('"today" follows the local time zone', () => {
    const late = done('late', '2026-03-14T23:30:00Z');
    // In Paris (UTC+1) 23:30 UTC on the 14th is 00:30 on the 15th: today.
    expect(trayModel(input({ jobs: [late], tzOffsetMinutes: -60 })).counts.completedToday).toBe(1);
    expect(trayModel(input({ jobs: [late], tzOffsetMinutes: 0 })).counts.completedToday).toBe(0);
  });

  it('idle: empty macOS title, no failure items enabled', () => {
    const model = trayModel(input());
    expect(model.iconState).toBe('idle');
    expect(model.title).toBe('');
    expect(find(model.menu, 'acknowledge-failures')).toMatchObject({ enabled: false });
    expect(find(model.menu, 'show-failed')).toBeUndefined();
    expect(find(model.menu, 'recent-none')).toMatchObject({ label: 'No finished jobs yet', enabled: false });
  });

  it('the last 5 finished jobs, newest first, each opening its job', () => {
    const jobs = Array.from({ length: 7 }, (_, i) => done(`j${i}`, `2026-03-15T1${i}:00:00Z`, { prompt: `prompt ${i}` }));
    jobs.push(failed('bad', '2026-03-15T14:30:00Z', { prompt: 'broken one' }));
    const model = trayModel(input({ jobs }));
    const recent = model.menu.filter((item) => item.id.startsWith('job:'));
    expect(recent).toHaveLength(RECENT_LIMIT);
    expect(recent.map((item) => (item.type === 'normal' ? item.label : ''))).toEqual(['✓ prompt 6', '✓ prompt 5', '✕ broken one', '✓ prompt 4', '✓ prompt 3']);
    expect(recent[0]).toMatchObject({ enabled: true, action: { kind: 'open-job', key: 'apiframe:default:j6' } });
  });

  it('failures: show and acknowledge actions with counts', () => {
    const bad = [failed('a', '2026-03-15T14:00:00Z'), failed('b', '2026-03-15T14:00:00Z')];
    const model = trayModel(input({ jobs: bad, unacknowledgedFailures: bad }));
    expect(model.iconState).toBe('failed');
    expect(find(model.menu, 'acknowledge-failures')).toMatchObject({ label: 'Acknowledge 2 failures', enabled: true, action: { kind: 'acknowledge-failures' } });
    expect(find(model.menu, 'show-failed')).toMatchObject({ label: 'Show 2 failed jobs', action: { kind: 'show-failed', keys: ['apiframe:default:a', 'apiframe:default:b'] } });
  });

  it('pause / resume polling flips with the state, and the tooltip says paused', () => {
    expect(find(trayModel(input()).menu, 'pause-polling')).toMatchObject({ label: 'Pause polling', action: { kind: 'pause-polling' } });
    const paused = trayModel(input({ pollingPaused: true }));
    expect(find(paused.menu, 'resume-polling')).toMatchObject({ label: 'Resume polling', action: { kind: 'resume-polling' } });
    expect(find(paused.menu, 'pause-polling')).toBeUndefined();
    expect(paused.tooltip).toContain('Polling paused');
  });

  it('Open downloads folder only when a folder is known', () => {
    expect(find(trayModel(input()).menu, 'open-downloads')).toBeUndefined();
    expect(find(trayModel(input({ downloadsFolder: '/home/u/genwatch' })).menu, 'open-downloads')).toMatchObject({ action: { kind: 'open-downloads' } });
  });

  it('every menu has Open window and Quit (Linux: the menu is the only way in)', () => {
    const model = trayModel(input());
    expect(find(model.menu, 'open-window')).toMatchObject({ enabled: true, action: { kind: 'open-window' } });
    expect(model.menu[model.menu.length - 1]).toMatchObject({ id: 'quit', label: 'Quit genwatch', action: { kind: 'quit' } });
  });

  it('mute menu per account: 1 hour / until tomorrow, or unmute with the end time', () => {
    const model = trayModel(
      input({
        accounts: [
          { provider: 'apiframe', id: 'default', label: 'Default' },
          { provider: 'useapi', id: 'team', label: 'Team' },
        ],
        notifications: { enabled: true, mutedUntil: { 'useapi:team': '2026-03-15T16:05:00Z' } },
      }),
    );
    expect(find(model.menu, 'account:apiframe:default')).toMatchObject({ label: 'Apiframe (Default)' });
    expect(find(model.menu, 'mute-hour:apiframe:default')).toMatchObject({ action: { kind: 'mute-account', ref: 'apiframe:default', choice: 'hour' } });
    expect(find(model.menu, 'mute-tomorrow:apiframe:default')).toMatchObject({ label: 'Mute until tomorrow 8:00', action: { kind: 'mute-account', choice: 'tomorrow' } });
    expect(find(model.menu, 'account:useapi:team')).toMatchObject({ label: 'useapi.net Midjourney (Team) — muted' });
    expect(find(model.menu, 'unmute:useapi:team')).toMatchObject({ label: 'Unmute (muted until 16:05)', action: { kind: 'unmute-account', ref: 'useapi:team' } });
    expect(find(model.menu, 'mute-hour:useapi:team')).toBeUndefined();
  });

  it('an expired mute shows as not muted', () => {
    const model = trayModel(input({ notifications: { enabled: true, mutedUntil: { 'apiframe:default': '2026-03-15T14:00:00Z' } } }));
    expect(find(model.menu, 'mute-hour:apiframe:default')).toBeDefined();
  });

  it('no mute menu when notifications are off or there are no accounts', () => {
    expect(find(trayModel(input({ notifications: { enabled: false, mutedUntil: {} } })).menu, 'mute')).toBeUndefined();
    expect(find(trayModel(input({ accounts: [] })).menu, 'mute')).toBeUndefined();
  });

  it('account problems appear in the tooltip and the menu', () => {
    const model = trayModel(input({ health: [rejected, { provider: 'apiframe', accountId: 'other', state: 'unreachable', message: null }] }));
    expect(model.iconState).toBe('key-problem');
    expect(model.tooltip).toContain('Apiframe (Default): key rejected');
    expect(model.tooltip).toContain('Apiframe (other): cannot reach the service');
    expect(find(model.menu, 'problem-0')).toMatchObject({ label: '⚠ Apiframe (Default): key rejected', action: { kind: 'open-window' } });
  });

  it('tooltip fits Windows 127 characters', () => {
    const health = Array.from({ length: 10 }, (_, i): AccountHealth => ({ provider: 'apiframe', accountId: `acct-${i}`, state: 'payment', message: null }));
    expect(trayModel(input({ health })).tooltip.length).toBeLessThanOrEqual(TOOLTIP_MAX);
  });

  it('Windows: "&" in job labels is escaped (it would become a mnemonic)', () => {
    const jobs = [done('a', '2026-03-15T14:00:00Z', { prompt: 'salt & pepper' })];
    expect(find(trayModel(input({ jobs, platform: 'win32' })).menu, 'job:apiframe:default:a')).toMatchObject({ label: '✓ salt && pepper' });
    expect(find(trayModel(input({ jobs })).menu, 'job:apiframe:default:a')).toMatchObject({ label: '✓ salt & pepper' });
  });

  it('menu ids are unique', () => {
    const ids: string[] = [];
    const walk = (items: readonly TrayMenuItem[]): void => {
      for (const item of items) {
        ids.push(item.id);
        if (item.type === 'submenu') walk(item.submenu);
      }
    };
    const bad = [failed('f', '2026-03-15T14:00:00Z')];
    walk(trayModel(input({ jobs: [...bad, done('d', '2026-03-15T14:00:00Z')], unacknowledgedFailures: bad, health: [rejected], downloadsFolder: '/x' })).menu);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
