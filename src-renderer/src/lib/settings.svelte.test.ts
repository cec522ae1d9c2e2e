import { describe, expect, it } from 'vitest';
import { createIpcDouble } from './ipc-double';
import { SettingsState } from './settings.svelte';
import { AppState } from './app.svelte';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('SettingsState', () => {
  it('loads settings', async () => {
    const state = new SettingsState(createIpcDouble().api);
    await state.load();
    expect(state.theme).toBe('system');
    expect(state.stalledAfterMinutes).toBe(10);
    expect(state.loadError).toBeNull();
  });

  it('saves the stalled threshold and refuses values out of range without asking main', async () => {
    const double = createIpcDouble();
    const state = new SettingsState(double.api);
    await state.load();
    expect(await state.saveStalledMinutes('25')).toBe(true);
    expect(state.stalledAfterMinutes).toBe(25);
    expect(double.calls.at(-1)).toEqual({ method: 'updateSettings', request: { stalledAfterMinutes: 25 } });
    const calls = double.calls.length;
    expect(await state.saveStalledMinutes('0')).toBe(false);
    expect(await state.saveStalledMinutes(1441)).toBe(false);
    expect(await state.saveStalledMinutes('2.5')).toBe(false);
    expect(double.calls.length).toBe(calls);
    expect(state.stalledNotice?.tone).toBe('error');
    expect(state.stalledAfterMinutes).toBe(25);
  });

  it('saves a base URL, empty meaning default', async () => {
    const double = createIpcDouble();
    const state = new SettingsState(double.api);
    await state.load();
    await state.saveBaseUrl('useapi', ' http://127.0.0.1:4010 ');
    expect(state.baseUrl('useapi')).toBe('http://127.0.0.1:4010');
    await state.saveBaseUrl('useapi', '   ');
    expect(state.baseUrl('useapi')).toBeNull();
    expect(double.calls.at(-1)).toEqual({ method: 'updateSettings', request: { providers: { useapi: { baseUrl: null } } } });
  });

  it('applies a theme at once and rolls back when refused', async () => {
    const double = createIpcDouble();
    const state = new SettingsState(double.api);
    await state.load();
    await state.setTheme('dark');
    expect(state.theme).toBe('dark');
    double.failNext('updateSettings', { kind: 'internal', message: 'Could not save.' });
    await state.setTheme('light');
    expect(state.theme).toBe('dark');
    expect(state.themeError).toBe('Could not save.');
  });
});

describe('AppState', () => {
  it('tracks app status, demo mode and account alerts', async () => {
    const double = createIpcDouble({
      demoMode: true,
      warnings: [],
      accounts: [
        { provider: 'apiframe', accountId: 'default', state: 'key-missing', message: null },
        { provider: 'useapi', accountId: 'default', state: 'ok', message: null },
      ],
    });
    const app = new AppState(double.api);
    const stop = app.start();
    await tick();
    expect(app.info?.version).toBe('0.1.0');
    expect(app.demoMode).toBe(true);
    expect(app.alerts).toEqual([]); // key-missing is expected in demo mode
    double.setStatus({ demoMode: false, accounts: [{ provider: 'apiframe', accountId: 'default', state: 'payment', message: null }] });
    expect(app.demoMode).toBe(false);
    expect(app.alerts.map((a) => a.state)).toEqual(['payment']);
    stop();
    expect(double.listenerCount('appStatus')).toBe(0);
  });
});
