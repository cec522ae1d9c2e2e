/**
 * Electron entry: the composition root. It wires the Electron-free core to the
 * real adapters and the desktop integration (desktop.ts) to the app's
 * lifecycle; nothing here is logic worth testing on its own.
 */
import { join } from 'node:path';
import { app, BrowserWindow, dialog, powerMonitor, shell } from 'electron';
import ElectronStore from 'electron-store';
import { consoleLogger, openConfStore } from '../adapters/conf-store';
import type { ConfLike } from '../adapters/conf-store';
import { createKeytarSecrets, KEYCHAIN_SERVICE } from '../adapters/keytar-secrets';
import { systemClock } from '../adapters/system-clock';
import { createUndiciHttp } from '../adapters/undici-http';
import { createNodeFileSystem, nodeSha256 } from '../adapters/node-fs';
import { createResultDownload } from '../adapters/result-download';
import { openEngineInWorker } from '../adapters/remote-engine';
import { demoConfig, demoJobs } from '../composition/demo-mode';
import { desktopEnvironment } from '../composition/desktop-environment';
import { err, ok } from '../../src-shared/result';
import { GenwatchCore } from '../core/genwatch-core';
import { coreHandlers } from '../core/ipc-handlers';
import { createIpcRouter, makeSenderCheck } from '../core/ipc-router';
import { PROVIDERS } from '../core/providers/registry';
import { demoScenario, ScaledClock, startEmulator } from '../emulator';
import type { RunningEmulator } from '../emulator';
import { APP_ID, PROTOCOL_SCHEME, TOAST_ACTIVATOR_CLSID } from './app-identity';
import { Desktop } from './desktop';
import { registerIpc, sendEvent } from './ipc';
import { parseLaunchArgs, parseProtocolUrl, profileName } from './launch-args';
import type { AddRequest } from './launch-args';
import { openedAtLogin } from './login-item';
import { hardenSessions, hardenWebContents } from './security';
import { handlePreviews, registerPreviewScheme } from './preview-protocol';
import { installTestHooks } from './test-hooks';
import { createMainWindow, rendererUrl } from './window';

// Windows routes toasts by AppUserModelID and delivers clicks through a fixed
// activator CLSID: both must be set before anything can show a notification.
if (process.platform === 'win32') {
  app.setToastActivatorCLSID(TOAST_ACTIVATOR_CLSID);
  // In development the AUMID must be the Electron executable (pinned to Start) for toasts to appear.
  app.setAppUserModelId(app.isPackaged ? APP_ID : process.execPath);
}

const profile = profileName(process.env['GENWATCH_PROFILE']);
// Before anything reads userData (the single-instance lock included).
if (profile !== null) app.setPath('userData', join(app.getPath('appData'), `genwatch-${profile}`));

const launch = parseLaunchArgs(process.argv);
let mainWindow: BrowserWindow | null = null;
let emulator: RunningEmulator | null = null;
let core: GenwatchCore | null = null;
let desktop: Desktop | null = null;
let quitting = false;
/** Job ids handed over before the core was ready (argv, an early open-url). */
const pendingAdds: AddRequest[] = [...launch.add];

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // A second launch focuses this one and hands over the job ids on its command line.
  app.on('second-instance', (_event, argv) => {
    if (quitting) return;
    showWindow();
    addJobs(parseLaunchArgs(argv).add);
  });
  // macOS delivers genwatch:// links here (possibly before ready).
  app.on('open-url', (event, url) => {
    event.preventDefault();
    const request = parseProtocolUrl(url);
    if (request) addJobs([request]);
  });
  hardenWebContents(rendererUrl);
  registerPreviewScheme(); // before ready, as Electron requires
  void app.whenReady().then(start);
}

function windowShown(): boolean {
  return mainWindow !== null && !mainWindow.isDestroyed() && mainWindow.isVisible() && !mainWindow.isMinimized();
}

function openWindow(show: boolean): BrowserWindow {
  const userData = app.getPath('userData');
  const window = createMainWindow({ show, userData, hideOnClose: () => !quitting && (core?.getSettings().desktop.closeToTray ?? false) });
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  // Windows log-off / shutdown: no before-quit comes, and the process may end once this handler returns.
  // endSession() blocks (≤ ~2 s) until the download thread paused its transfers and wrote their
  // validators, then persists everything at once: the jobs, the queue and resumable partial files survive.
  window.on('session-end', () => {
    if (shutdown !== 'no') return;
    shutdown = 'done';
    desktop?.dispose();
    core?.endSession();
  });
  desktop?.attachWindow(window);
  return window;
}

function showWindow(): BrowserWindow {
  if (!mainWindow || mainWindow.isDestroyed()) mainWindow = openWindow(true);
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
  return mainWindow;
}

function addJobs(requests: readonly AddRequest[]): void {
  if (!core || !desktop) {
    pendingAdds.push(...requests);
    return;
  }
  for (const request of requests) {
    const result = core.addJobs(request.provider ?? 'apiframe', request.input);
    if (result.ok) consoleLogger.info('jobs handed over', { added: result.value.added.length, rejected: result.value.rejected.length });
    else consoleLogger.warn('handed-over jobs refused', { message: result.error.message });
  }
  if (requests.length > 0) desktop.navigator.go({ kind: 'view', view: 'jobs' });
}

async function start(): Promise<void> {
  hardenSessions(rendererUrl);
  const userData = app.getPath('userData');
  // Settings and accounts in one small file, jobs in their own (large, written often).
  const open = (name: string) =>
    openConfStore(() => new ElectronStore({ name, cwd: userData }) as unknown as ConfLike, { cwd: userData, name, logger: consoleLogger });
  const settingsStore = open('genwatch');
  const jobsStore = open('jobs');
  const warnings = [settingsStore.recovered, jobsStore.recovered].filter((w): w is string => w !== null);
  const http = createUndiciHttp({ logger: consoleLogger });
  const downloadFallback = { http: createResultDownload(), fs: createNodeFileSystem(), hasher: nodeSha256, clock: systemClock, random: Math.random, logger: consoleLogger };
  const ready = await GenwatchCore.create({
    http,
    clock: systemClock,
    random: Math.random,
    secrets: createKeytarSecrets(profile === null ? KEYCHAIN_SERVICE : `${KEYCHAIN_SERVICE}-${profile}`),
    kv: settingsStore.store,
    jobsKv: jobsStore.store,
    warnings,
    logger: consoleLogger,
    providers: PROVIDERS,
    environment: desktopEnvironment(process.env, app.isPackaged, PROVIDERS),
    version: app.getVersion(),
    platform: process.platform,
    openExternal: (url) => shell.openExternal(url),
    confirm: async ({ message, detail, confirmLabel }) => {
      const options = { type: 'warning' as const, message, detail, buttons: ['Cancel', confirmLabel], defaultId: 0, cancelId: 0, noLink: true };
      const answer = mainWindow ? await dialog.showMessageBox(mainWindow, options) : await dialog.showMessageBox(options);
      return answer.response === 1;
    },
    downloads: {
      // The download engine runs in a worker thread (adapters/engine-host.ts): this thread answers the
      // window and the tray. `engine` is what it runs on here should that thread fail to start.
      engine: downloadFallback,
      openEngine: (settings) => openEngineInWorker(new URL('./engine-host.js', import.meta.url), downloadFallback, settings, consoleLogger),
      pickFolder: async () => {
        const options = { title: 'Choose where genwatch saves results', properties: ['openDirectory', 'createDirectory'] as ('openDirectory' | 'createDirectory')[] };
        const picked = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
        return picked.canceled ? null : (picked.filePaths[0] ?? null);
      },
      reveal: (path) => shell.showItemInFolder(path),
      open: async (path) => {
        const failure = await shell.openPath(path);
        if (failure) consoleLogger.warn('could not open file', { failure });
        return failure || null;
      },
    },
  });
  core = ready;

  if (!PROVIDERS.some((provider) => ready.hasUserKey(provider.id))) {
    // Demo mode: no key yet, so show the app working against the built-in emulator.
    const clock = new ScaledClock(1);
    emulator = await startEmulator({ clock, scenario: demoScenario(clock.now()) });
    ready.enableDemo(demoConfig(emulator));
    for (const [provider, ids] of demoJobs(emulator)) ready.addJobs(provider, ids.join('\n'));
  }

  const handlers = coreHandlers(ready, { version: app.getVersion(), platform: process.platform });
  // A window created hidden (start in the tray, login item) can have its page report itself
  // visible; main's own view of the window has the last word (desktop.ts follows its events).
  handlers.setWindowVisible = ({ visible }) => ok(ready.setProgressWatched('window', visible && windowShown()));
  const router = createIpcRouter(handlers, {
    isTrustedSender: (sender) => makeSenderCheck(rendererUrl())(sender),
    logger: consoleLogger,
  });
  registerIpc(router);
  handlePreviews((relative) => ready.downloads?.previewFile(relative) ?? Promise.resolve(err('internal', 'Downloads are not available.')));
  ready.onJobsDelta((delta) => sendEvent(mainWindow, 'jobsDelta', delta));
  ready.onStatus((status) => sendEvent(mainWindow, 'appStatus', status));
  ready.onAccounts((accounts) => sendEvent(mainWindow, 'accounts', accounts));
  ready.onSettings((settings) => {
    sendEvent(mainWindow, 'settings', settings);
    desktop?.settingsChanged();
  });
  ready.downloads?.onState((state) => {
    sendEvent(mainWindow, 'downloads', state);
    desktop?.downloadsChanged(state);
  });

  desktop = new Desktop({
    core: ready,
    platform: process.platform,
    userData,
    roots: { packaged: app.isPackaged, resourcesPath: process.resourcesPath, appPath: app.getAppPath() },
    window: () => mainWindow,
    showWindow,
    quit: () => app.quit(),
    log: (message, fields) => consoleLogger.info(message, fields),
  });
  desktop.start();
  installTestHooks(desktop, (patch) => void ready.updateSettings(patch));

  powerMonitor.on('suspend', () => desktop?.suspend());
  powerMonitor.on('resume', () => desktop?.resume());
  if (app.isPackaged) app.setAsDefaultProtocolClient(PROTOCOL_SCHEME);

  const { desktop: prefs } = ready.getSettings();
  const hidden = launch.hidden || prefs.startHidden || openedAtLogin(process.platform);
  mainWindow = openWindow(!hidden);
  addJobs(pendingAdds.splice(0));
  app.on('activate', () => showWindow());
}

app.on('window-all-closed', () => {
  // With close-to-tray the window only hides, so this means "really closed".
  if (process.platform !== 'darwin') app.quit();
});

let shutdown: 'no' | 'running' | 'done' = 'no';
app.on('before-quit', (event) => {
  quitting = true;
  if (shutdown === 'done' || core === null) {
    desktop?.dispose();
    void emulator?.close();
    return;
  }
  // Quit once downloads have stopped cleanly (resumable, nothing pending unwritten): a few seconds at most.
  event.preventDefault();
  if (shutdown === 'running') return; // a second Cmd+Q, or the last window closing meanwhile
  shutdown = 'running';
  for (const window of BrowserWindow.getAllWindows()) window.hide();
  desktop?.dispose();
  desktop = null;
  void core
    .shutdown()
    .catch((e: unknown) => consoleLogger.warn('shutdown did not finish cleanly', { error: String(e) }))
    .finally(() => {
      shutdown = 'done';
      app.quit();
    });
});
