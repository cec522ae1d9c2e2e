import { join } from 'node:path';
import { BrowserWindow, session } from 'electron';
import { contentSecurityPolicy } from '../../src-shared/csp';

const PRELOAD = join(import.meta.dirname, '../preload/index.cjs');
const RENDERER_HTML = join(import.meta.dirname, '../renderer/index.html');

/** The dev server URL electron-vite provides in `dev`; absent in builds. */
export function rendererUrl(): string {
  return process.env['ELECTRON_RENDERER_URL'] ?? new URL(`file://${RENDERER_HTML}`).href;
}

export function createMainWindow(): BrowserWindow {
  const devUrl = process.env['ELECTRON_RENDERER_URL'] ?? null;
  if (devUrl) {
    // The dev server sends no CSP of its own; apply the same policy (plus HMR) as a header.
    const origin = new URL(devUrl).origin;
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy({ devServerOrigin: origin })] } });
    });
  }
  const window = new BrowserWindow({
    width: 1200,
    height: 780,
    minWidth: 760,
    minHeight: 480,
    show: false,
    title: 'genwatch',
    backgroundColor: '#101114',
    autoHideMenuBar: true,
    webPreferences: {
      preload: PRELOAD,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  if (devUrl) void window.loadURL(devUrl);
  else void window.loadFile(RENDERER_HTML);
  return window;
}
