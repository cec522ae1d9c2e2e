/**
 * Applies a TaskbarModel: the progress bar on the window's taskbar button /
 * dock icon, and the unseen-completions badge — app.setBadgeCount on macOS
 * and Linux (LauncherEntry, Electron 44+), an overlay icon with the number
 * on Windows, where setBadgeCount does nothing.
 */
import { app, nativeImage } from 'electron';
import type { BrowserWindow, NativeImage } from 'electron';
import { badgeBitmap, badgeText } from '../core/presenters/badge-bitmap';
import type { TaskbarModel } from '../core/presenters/taskbar-progress';

/** Overlay images by their text ("1"…"9", "9+"): at most ten, made once each. */
const overlays = new Map<string, NativeImage>();
let shown = '';

function overlayFor(count: number): NativeImage | null {
  const text = badgeText(count);
  if (text === null) return null;
  let image = overlays.get(text);
  if (!image) {
    const bitmap = badgeBitmap(count, 32);
    if (!bitmap) return null;
    // 32 px at scale 2 is the 16-DIP overlay Windows draws, sharp on high-DPI screens.
    image = nativeImage.createFromBitmap(Buffer.from(bitmap.bgra), { width: bitmap.width, height: bitmap.height, scaleFactor: 2 });
    overlays.set(text, image);
  }
  return image;
}

export function applyTaskbar(window: BrowserWindow | null, model: TaskbarModel, options: { platform: string }): void {
  const key = JSON.stringify(model);
  if (key === shown) return;
  shown = key;
  if (window && !window.isDestroyed()) {
    window.setProgressBar(model.progress, { mode: model.mode });
    if (options.platform === 'win32') {
      const description = `${model.badgeCount} new result${model.badgeCount === 1 ? '' : 's'}`;
      window.setOverlayIcon(overlayFor(model.badgeCount), model.badgeCount > 0 ? description : '');
    }
  }
  if (options.platform !== 'win32') app.setBadgeCount(model.badgeCount);
}

/** The window was recreated: apply the next model even if unchanged. */
export function resetTaskbar(): void {
  shown = '';
}
