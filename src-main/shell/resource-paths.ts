/**
 * Where icon files are at run time: `<resources>/tray/…` in a packaged app
 * (electron-builder's extraResources, outside the asar so macOS finds the
 * Template/@2x siblings by name), `<project>/resources/tray/…` in development.
 */
import { join } from 'node:path';
import type { TrayIconState } from '../core/presenters/tray-model';

export interface ResourceRoots {
  packaged: boolean;
  /** process.resourcesPath */
  resourcesPath: string;
  /** app.getAppPath(): the project root in development. */
  appPath: string;
}

export function trayDir(roots: ResourceRoots): string {
  return roots.packaged ? join(roots.resourcesPath, 'tray') : join(roots.appPath, 'resources', 'tray');
}

/**
 * macOS: the black Template image (the menu bar inverts it); Windows: the
 * multi-size .ico; elsewhere the PNG (Electron loads its @1.25x…@2x siblings).
 */
export function trayIconFile(roots: ResourceRoots, state: TrayIconState, platform: string): string {
  const dir = trayDir(roots);
  if (platform === 'darwin') return join(dir, `${state}Template.png`);
  if (platform === 'win32') return join(dir, `${state}.ico`);
  return join(dir, `${state}.png`);
}

/** The app icon for notifications on Linux (elsewhere the OS uses the app's own). */
export function appIconFile(roots: ResourceRoots): string {
  return roots.packaged ? join(roots.resourcesPath, 'icon.png') : join(roots.appPath, 'resources', 'icon.png');
}
