/**
 * Electron entry: the composition root. It wires the Electron-free core to the
 * real adapters and applies what the core decides; nothing here is logic worth
 * testing on its own.
 */
import { app, BrowserWindow, powerMonitor, shell } from 'electron';
import ElectronStore from 'electron-store';
import { consoleLogger, openConfStore } from '../adapters/conf-store';
import type { ConfLike } from '../adapters/conf-store';
import { createKeytarSecrets } from '../adapters/keytar-secrets';
import { systemClock } from '../adapters/system-clock';
import { createUndiciHttp } from '../adapters/undici-http';
import { GenwatchCore } from '../core/genwatch-core';
import { coreHandlers } from '../core/ipc-handlers';
import { createIpcRouter, makeSenderCheck } from '../core/ipc-router';
import { PROVIDERS } from '../core/providers/registry';
import { demoScenario, ScaledClock, startEmulator } from '../emulator';
import type { RunningEmulator } from '../emulator';
import { demoConfig, demoJobs } from '../composition/demo-mode';
import { registerIpc, sendEvent } from './ipc';
import { hardenSessions, hardenWebContents } from './security';
import { createMainWindow, rendererUrl } from './window';

const APP_ID = 'net.genwatch.app';
let mainWindow: BrowserWindow | null = null;
let emulator: RunningEmulator | null = null;
let core: GenwatchCore | null = null;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.setAppUserModelId(APP_ID);
  app.on('second-instance', () => focusWindow());
  hardenWebContents(rendererUrl);
  void app.whenReady().then(start);
}

function focusWindow(): void {
  if (!mainWindow || mainWindow.isDestroyed()) {
    mainWindow = createMainWindow();
    return;
  }
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

async function start(): Promise<void> {
  hardenSessions();
  const userData = app.getPath('userData');
  // Settings and accounts in one small file, jobs in their own (large, written often).
  const open = (name: string) =>
    openConfStore(() => new ElectronStore({ name, cwd: userData }) as unknown as ConfLike, { cwd: userData, name, logger: consoleLogger });
  const settingsStore = open('genwatch');
  const jobsStore = open('jobs');
  const warnings = [settingsStore.recovered, jobsStore.recovered].filter((w): w is string => w !== null);
  const http = createUndiciHttp();
  core = await GenwatchCore.create({
    http,
    clock: systemClock,
    random: Math.random,
    secrets: createKeytarSecrets(),
    kv: settingsStore.store,
    jobsKv: jobsStore.store,
    warnings,
    logger: consoleLogger,
    providers: PROVIDERS,
    environment: process.env,
    version: app.getVersion(),
    platform: process.platform,
    openExternal: (url) => shell.openExternal(url),
  });

  if (!PROVIDERS.some((provider) => core?.hasUserKey(provider.id))) {
    // Demo mode: no key yet, so show the app working against the built-in emulator.
    const clock = new ScaledClock(1);
    emulator = await startEmulator({ clock, scenario: demoScenario(clock.now()) });
    core.enableDemo(demoConfig(emulator));
    for (const [provider, ids] of demoJobs(emulator)) core.addJobs(provider, ids.join('\n'));
  }

  const router = createIpcRouter(coreHandlers(core, { version: app.getVersion(), platform: process.platform }), {
    isTrustedSender: (sender) => makeSenderCheck(rendererUrl())(sender),
    logger: consoleLogger,
  });
  registerIpc(router);
  core.onJobsDelta((delta) => sendEvent(mainWindow, 'jobsDelta', delta));
  core.onStatus((status) => sendEvent(mainWindow, 'appStatus', status));
  core.onAccounts((accounts) => sendEvent(mainWindow, 'accounts', accounts));

  powerMonitor.on('suspend', () => core?.poller.suspend());
  powerMonitor.on('resume', () => core?.poller.resume());

  mainWindow = createMainWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createMainWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('before-quit', () => {
  core?.dispose();
  void emulator?.close();
});
