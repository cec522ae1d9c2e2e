import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, nativeTheme, screen, session } from 'electron';
import { contentSecurityPolicy } from '../../src-shared/csp';
import { secureWebPreferences } from './url-policy';
import { loadWindowState, MIN_SIZE, restoreBounds, saveWindowState } from './window-state';

const PRELOAD = join(import.meta.dirname, '../preload/index.cjs');
const RENDERER_HTML = join(import.meta.dirname, '../renderer/index.html');
const SAVE_DELAY_MS = 500;

/**
 * electron-vite's dev server (`npm run dev`), never in a packaged app: there
 * the variable would let anyone who sets the environment of a launch put
 * their own page in the window, with the bridge and main's trust.
 */
function devServerUrl(): string | null {
  return app.isPackaged ? null : (process.env['ELECTRON_RENDERER_URL'] ?? null);
}

/** The page the window shows: the dev server's, or the built file's URL exactly as loadFile makes it (# and ? in the install path escaped). */
export function rendererUrl(): string {
  return devServerUrl() ?? pathToFileURL(RENDERER_HTML).href;
}

let devCspInstalled = false;

export interface MainWindowOptions {
  /** false: load in the background and stay in the tray (start hidden). */
  show: boolean;
  /** Where bounds are remembered (userData). */
  userData: string;
  /** Closing hides the window instead (close to tray) while this says so. */
  hideOnClose: () => boolean;
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const devUrl = devServerUrl();
  if (devUrl && !devCspInstalled) {
    // The dev server sends no CSP of its own; apply the same policy (plus HMR) as a header.
    devCspInstalled = true;
    const origin = new URL(devUrl).origin;
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy({ devServerOrigin: origin })] } });
    });
  }
  const restored = restoreBounds(
    loadWindowState(options.userData),
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const window = new BrowserWindow({
    ...(restored ? restored.bounds : { width: 1200, height: 780 }),
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    show: false,
    title: 'genwatch',
    // Matches the renderer's background so there is no white flash in dark mode.
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#101114' : '#f7f7f8',
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(PRELOAD),
  });
  if (restored?.maximized) window.maximize();
  if (options.show) window.once('ready-to-show', () => window.show());
  rememberBounds(window, options.userData);
  window.on('close', (event) => {
    if (!options.hideOnClose()) return;
    event.preventDefault();
    window.hide();
  });
  if (devUrl) void window.loadURL(devUrl);
  else void window.loadFile(RENDERER_HTML);
  return window;
}

function rememberBounds(window: BrowserWindow, userData: string): void {
  let timer: NodeJS.Timeout | null = null;
  const save = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (window.isDestroyed() || window.isMinimized()) return;
    // Normal bounds, so un-maximising later returns to the size the user chose.
    saveWindowState(userData, { bounds: window.getNormalBounds(), maximized: window.isMaximized() });
  };
  const later = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, SAVE_DELAY_MS);
  };
  window.on('resize', later);
  window.on('move', later);
  window.on('maximize', save);
  window.on('unmaximize', save);
  window.on('close', save);
}
