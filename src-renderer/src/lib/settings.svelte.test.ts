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
    expect(double.calls.at(-1)).toEqual({ method: 'setProviderBaseUrl', request: { provider: 'useapi', baseUrl: null } });
  });

  it('a new address the user declines in main stays unsaved, and says so', async () => {
    const double = createIpcDouble();
    double.confirmAddress = false;
    const state = new SettingsState(double.api);
    await state.load();
    expect(await state.saveBaseUrl('apiframe', 'https://proxy.example.com/apiframe')).toBe(false);
    expect(state.baseUrl('apiframe')).toBeNull();
    expect(state.baseUrlNotice.apiframe).toEqual({ tone: 'error', text: 'Not changed: the key stays with the address it had.' });
  });

  it('refuses, in plain words and without asking main, a base URL that would send the key over plain http to another machine', async () => {
    const double = createIpcDouble();
    const state = new SettingsState(double.api);
    await state.load();
    const calls = double.calls.length;
    expect(await state.saveBaseUrl('apiframe', 'http://192.168.1.5:8080/apiframe')).toBe(false);
    expect(double.calls.length).toBe(calls);
    expect(state.baseUrlNotice.apiframe).toEqual({ tone: 'error', text: expect.stringMatching(/^The address must be https:\/\/, or http:\/\/ to this computer/) });
    expect(await state.saveBaseUrl('apiframe', 'https://proxy.example.com/apiframe')).toBe(true);
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

describe('SettingsState: downloads, notifications, desktop', () => {
  it('previews the naming template after a pause and shows the reason for a bad one', async () => {
    const double = createIpcDouble();
    const state = new SettingsState(double.api);
    await state.load();
    state.previewTemplate('{provider}/{jobId}.{ext}', 5);
    state.previewTemplate('{provider}/{shortId}.{ext}', 5);
    expect(state.templatePreview?.pending).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 30));
    // Only the last keystroke reached main.
    expect(double.calls.filter((c) => c.method === 'previewFileName')).toHaveLength(1);
    expect(state.templatePreview).toMatchObject({ path: 'apiframe/3f2a9c1e.png', error: null, pending: false });
    state.previewTemplate('{provider}/{nope}.{ext}', 0);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(state.templatePreview?.error).toMatch(/not a template variable/);
    expect(await state.saveTemplate('{provider}/{nope}.{ext}')).toBe(false);
    expect(double.calls.some((c) => c.method === 'updateSettings')).toBe(false);
    expect(await state.saveTemplate('{model}/{jobId}.{ext}')).toBe(true);
    expect(state.downloads.template).toBe('{model}/{jobId}.{ext}');
    state.stop();
  });

  it('saves partial sections, applied at once and rolled back when refused', async () => {
    const double = createIpcDouble();
    const state = new SettingsState(double.api);
    await state.load();
    expect(await state.saveSection('downloads', { auto: false })).toBe(true);
    expect(double.calls.at(-1)).toEqual({ method: 'updateSettings', request: { downloads: { auto: false } } });
    expect(state.downloads.auto).toBe(false);
    expect(state.downloads.concurrency).toBe(6);
    double.failNext('updateSettings', { kind: 'internal', message: 'Could not save.' });
    const saving = state.saveSection('desktop', { launchAtLogin: true });
    expect(state.desktop.launchAtLogin).toBe(true);
    expect(await saving).toBe(false);
    expect(state.desktop.launchAtLogin).toBe(false);
    expect(state.sectionNotice.desktop).toEqual({ tone: 'error', text: 'Could not save.' });
    await state.saveSection('notifications', { mutedUntil: { 'apiframe:default': '2099-01-01T00:00:00.000Z' } });
    expect(state.notifications.mutedUntil).toEqual({ 'apiframe:default': '2099-01-01T00:00:00.000Z' });
    expect(state.notifications.onFailed).toBe(true);
  });
});
