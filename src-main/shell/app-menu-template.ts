/**
 * The application menu as data: standard roles (so Copy/Paste, Hide, window
 * management and the macOS app menu behave natively) plus genwatch's own
 * views and actions with shortcuts. Only Electron *types* are imported, so it
 * is unit-tested without Electron; app-menu.ts installs it.
 */
import type { MenuItemConstructorOptions } from 'electron';
import { PRODUCT_NAME } from './app-identity';

export type AppView = 'jobs' | 'downloads' | 'credits' | 'settings';

export interface AppMenuHandlers {
  showView: (view: AppView) => void;
  /** Focuses the add-jobs box of the Jobs view. */
  addJobs: () => void;
  togglePolling: () => void;
  acknowledgeFailures: () => void;
}

export function appMenuTemplate(platform: string, handlers: AppMenuHandlers, state: { pollingPaused: boolean }): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const settings: MenuItemConstructorOptions = { label: mac ? 'Settings…' : 'Settings', accelerator: 'CmdOrCtrl+,', click: () => handlers.showView('settings') };
  const appMenu: MenuItemConstructorOptions[] = mac
    ? [
        {
          label: PRODUCT_NAME,
          submenu: [{ role: 'about' }, { type: 'separator' }, settings, { type: 'separator' }, { role: 'services' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }],
        },
      ]
    : [];
  const file: MenuItemConstructorOptions = {
    label: mac ? 'File' : '&File',
    submenu: [
      { label: 'Add Jobs…', accelerator: 'CmdOrCtrl+N', click: () => handlers.addJobs() },
      { type: 'separator' },
      ...(mac ? [] : [settings, { type: 'separator' } as const]),
      mac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: mac ? 'View' : '&View',
    submenu: [
      { label: 'Jobs', accelerator: 'CmdOrCtrl+1', click: () => handlers.showView('jobs') },
      { label: 'Downloads', accelerator: 'CmdOrCtrl+2', click: () => handlers.showView('downloads') },
      { label: 'Credits', accelerator: 'CmdOrCtrl+3', click: () => handlers.showView('credits') },
      { label: 'Settings', accelerator: 'CmdOrCtrl+4', click: () => handlers.showView('settings') },
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const watch: MenuItemConstructorOptions = {
    label: mac ? 'Watch' : '&Watch',
    submenu: [
      { label: state.pollingPaused ? 'Resume Polling' : 'Pause Polling', accelerator: 'CmdOrCtrl+Shift+P', click: () => handlers.togglePolling() },
      { label: 'Acknowledge Failures', accelerator: 'CmdOrCtrl+Shift+A', click: () => handlers.acknowledgeFailures() },
    ],
  };
  return [...appMenu, file, { role: 'editMenu' }, view, watch, { role: 'windowMenu' }];
}
