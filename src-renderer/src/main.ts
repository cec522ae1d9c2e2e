import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { getBridge, hasBridge } from './lib/ipc';
import { createStores } from './lib/stores';
import type { GenwatchApi } from '../../src-shared/bridge';

async function previewBridge(): Promise<GenwatchApi> {
  // Dev only: `vite` without Electron shows the UI on the in-memory double.
  // ?jobs=2000 adds generated jobs; ?accounts=1 shows several accounts with an
  // import running; ?theme=dark|light forces the theme; ?still=1 stops the ticking;
  // ?downloads=1 starts a download batch (one file fails) with a folder chosen.
  const { createIpcDouble, defaultSettings, generateJobs, makeAccount, sampleImageJobs, sampleJobs } = await import('./lib/ipc-double');
  const params = new URLSearchParams(location.search);
  const extra = Number(params.get('jobs') ?? 0);
  const withAccounts = params.has('accounts') || extra > 0;
  const theme = params.get('theme');
  const withDownloads = params.has('downloads');
  const imageJobs = withDownloads ? sampleImageJobs(6) : [];
  const jobs = [...sampleJobs(), ...imageJobs, ...generateJobs(extra, { accounts: ['default', 'default', 'client-a'] })];
  const base = defaultSettings();
  const key = (last4: string) => ({ isSet: true, last4, source: 'keychain' as const });
  const double = createIpcDouble({
    jobs,
    demoMode: !withAccounts && !withDownloads,
    settings: defaultSettings({
      theme: theme === 'dark' || theme === 'light' ? theme : 'system',
      downloads: { ...base.downloads, root: withDownloads ? '/home/you/Pictures/genwatch' : null, concurrency: 4 },
    }),
    atRiskKeys: withDownloads ? jobs.filter((j) => j.status === 'completed').slice(-3).map((j) => j.key) : [],
    accountList: withAccounts
      ? [
          makeAccount({
            provider: 'apiframe',
            id: 'default',
            label: 'Personal',
            key: key('7f3a'),
            discover: true,
            history: params.has('accounts')
              ? { state: 'running', pages: 12, jobs: 1180, message: null, finishedAt: null }
              : { state: 'done', pages: 21, jobs: 2034, message: null, finishedAt: new Date(Date.now() - 120_000).toISOString() },
          }),
          makeAccount({
            provider: 'apiframe',
            id: 'client-a',
            label: 'Client A',
            key: key('c9d1'),
            scope: 'team',
            health: params.has('accounts')
              ? { state: 'payment', message: 'Apiframe says this account has no credits left.' }
              : { state: 'ok', message: null },
            history: { state: 'done', pages: 4, jobs: 312, message: null, finishedAt: new Date(Date.now() - 3 * 3600_000).toISOString() },
          }),
          makeAccount({
            provider: 'useapi',
            id: 'default',
            label: 'useapi.net',
            key: { isSet: true, last4: 'u8k2', source: 'environment' },
            channels: [
              { id: '1187336491004', running: 2, maxJobs: 3 },
              { id: '1187336491311', running: 0, maxJobs: 3 },
            ],
          }),
        ]
      : undefined,
  });
  if (withDownloads) {
    const completed = jobs.filter((j) => j.status === 'completed' && j.assets.length > 0).map((j) => j.key);
    await double.api.downloadJobs({ keys: completed.slice(0, 2) });
    for (let i = 0; i < 6; i++) double.tickDownloads(1000);
    await double.api.downloadJobs({ keys: completed.slice(2) });
    const victim = double.downloadFiles.find((f) => f.batchId === 'batch-2' && f.kind === 'image');
    if (victim) double.failFiles.set(victim.id, 'The server answered “500 Internal Server Error” three times. This is usually temporary: retry in a minute.');
    for (let i = 0; i < 2; i++) double.tickDownloads(1000);
  }
  if (!params.has('still')) {
    if (withDownloads) setInterval(() => double.tickDownloads(1000), 1000);
    setInterval(() => double.tick(3), 1500);
    if (params.has('accounts')) setInterval(() => double.importPage('apiframe', 'default', 100), 2500);
  }
  return double.api;
}

function showFatal(target: HTMLElement, message: string): void {
  const box = document.createElement('div');
  box.className = 'fatal';
  const title = document.createElement('h1');
  title.textContent = 'genwatch could not start its window';
  const text = document.createElement('p');
  text.textContent = message;
  box.append(title, text);
  target.replaceChildren(box);
}

async function start(): Promise<void> {
  const target = document.getElementById('app');
  if (!target) return;
  let bridge: GenwatchApi;
  if (hasBridge()) bridge = getBridge();
  else if (import.meta.env.DEV) bridge = await previewBridge();
  else {
    showFatal(target, 'The connection to the background process is missing. Restart genwatch; if this keeps happening, reinstall it.');
    return;
  }
  const stores = createStores(bridge);
  if (import.meta.env.DEV) {
    // Previews and screenshots: ?view=downloads|settings|credits opens that view.
    const view = new URLSearchParams(location.search).get('view');
    if (view === 'downloads' || view === 'settings' || view === 'credits') stores.app.show(view);
  }
  mount(App, { target, props: { stores } });
}

void start();
