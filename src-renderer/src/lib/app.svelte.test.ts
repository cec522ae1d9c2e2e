import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import { AppState } from './app.svelte';
import { createIpcDouble, sampleJobs } from './ipc-double';
import { JobsState } from './jobs.svelte';
import { SettingsState } from './settings.svelte';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('navigation requests from main (notification and tray clicks, menu shortcuts)', () => {
  it('a view request switches the view; a job request opens that job in the list', async () => {
    const double = createIpcDouble({ jobs: sampleJobs(Date.parse('2025-11-25T12:00:00Z')) });
    const app = new AppState(double.api);
    const stop = app.start();
    await tick();
    double.emit('navigate', { kind: 'view', view: 'settings' });
    flushSync();
    expect(app.view).toBe('settings');
    const listed = await double.api.listJobs({});
    const first = listed.ok ? listed.value[0]?.key : undefined;
    if (!first) throw new Error('fixture');
    double.emit('navigate', { kind: 'job', key: first });
    flushSync();
    expect(app.view).toBe('jobs');
    expect(app.selectedKey).toBe(first);
    stop();
  });

  it('a batch notification shows exactly its jobs, and clearing the filters shows all again', async () => {
    const double = createIpcDouble({ jobs: sampleJobs(Date.parse('2025-11-25T12:00:00Z')) });
    const jobs = new JobsState(double.api);
    const app = new AppState(double.api);
    const stops = [jobs.start(), app.start((request) => request.kind === 'jobs' && jobs.showOnly(request.keys))];
    await tick();
    const keys = jobs.all.slice(0, 3).map((job) => job.key);
    double.emit('navigate', { kind: 'jobs', keys });
    flushSync();
    expect(jobs.visible.map((job) => job.key).sort()).toEqual([...keys].sort());
    expect(jobs.filtering).toBe(true);
    jobs.clearFilters();
    flushSync();
    expect(jobs.visible).toHaveLength(jobs.all.length);
    for (const stop of stops) stop();
  });

  it('settings changed in main (a mute from the tray) replace the window copy', async () => {
    const double = createIpcDouble({});
    const settings = new SettingsState(double.api);
    const stop = settings.follow();
    await settings.load();
    const changed = { ...double.settings, notifications: { ...double.settings.notifications, mutedUntil: { 'apiframe:default': '2099-01-01T00:00:00.000Z' } } };
    double.emit('settings', changed);
    flushSync();
    expect(settings.notifications.mutedUntil).toEqual({ 'apiframe:default': '2099-01-01T00:00:00.000Z' });
    stop();
  });
});

describe('window visibility', () => {
  it('tells main whether progress is on screen (at start and on every change) and when the network is back; stops listening when stopped', async () => {
    const double = createIpcDouble({});
    let visible = true;
    const listeners = new Set<() => void>();
    const online = new Set<() => void>();
    const app = new AppState(double.api, {
      visible: () => visible,
      onChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      onOnline: (listener) => {
        online.add(listener);
        return () => online.delete(listener);
      },
    });
    const stop = app.start();
    await tick();
    const reported = () => double.calls.filter((c) => c.method === 'setWindowVisible').map((c) => c.request);
    expect(reported()).toEqual([{ visible: true }]);
    visible = false;
    for (const listener of listeners) listener();
    await tick();
    expect(reported()).toEqual([{ visible: true }, { visible: false }]);
    expect(double.calls.filter((c) => c.method === 'networkOnline')).toHaveLength(0);
    for (const listener of online) listener();
    await tick();
    expect(double.calls.filter((c) => c.method === 'networkOnline')).toHaveLength(1);
    stop();
    expect(listeners.size).toBe(0);
    expect(online.size).toBe(0);
  });
});
