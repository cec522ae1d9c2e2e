/**
 * Applies a TaskbarModel: the progress bar on the window's taskbar button /
 * dock icon, and the unseen-completions badge — app.setBadgeCount on macOS
 * and Linux (LauncherEntry, Electron 44+), an overlay icon on Windows where
 * setBadgeCount is unreliable.
 */
import { app, nativeImage } from 'electron';
import type { BrowserWindow, NativeImage } from 'electron';
import type { TaskbarModel } from '../core/presenters/taskbar-progress';

let badge: NativeImage | null = null;
let shown = '';

export function applyTaskbar(window: BrowserWindow | null, model: TaskbarModel, options: { platform: string; badgePath: string }): void {
  const key = JSON.stringify(model);
  if (key === shown) return;
  shown = key;
  if (window && !window.isDestroyed()) {
    window.setProgressBar(model.progress, { mode: model.mode });
    if (options.platform === 'win32') {
      badge ??= nativeImage.createFromPath(options.badgePath);
      const description = `${model.badgeCount} new result${model.badgeCount === 1 ? '' : 's'}`;
      window.setOverlayIcon(model.badgeCount > 0 ? badge : null, model.badgeCount > 0 ? description : '');
    }
  }
  if (options.platform !== 'win32') app.setBadgeCount(model.badgeCount);
}

/** The window was recreated: apply the next model even if unchanged. */
export function resetTaskbar(): void {
  shown = '';
}
