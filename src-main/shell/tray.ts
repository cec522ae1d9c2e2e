/**
 * The tray icon: applies a TrayModel. The Tray object is held at module
 * level so it is never garbage-collected (a collected tray icon vanishes).
 * The context menu is rebuilt and set again on every change — Linux
 * (StatusNotifierItem) only picks menu changes up that way — and every
 * action is in it, since tray clicks never arrive on some Linux desktops.
 */
import { Menu, nativeImage, Tray } from 'electron';
import type { NativeImage } from 'electron';
import type { TrayAction, TrayIconState, TrayModel } from '../core/presenters/tray-model';
import { trayIconFile } from './resource-paths';
import type { ResourceRoots } from './resource-paths';
import { trayMenuTemplate } from './tray-menu-template';

let tray: Tray | null = null;
let shownState: TrayIconState | null = null;
let shownMenu = '';
const images = new Map<TrayIconState, NativeImage>();

function imageFor(state: TrayIconState, roots: ResourceRoots, platform: string): NativeImage {
  const cached = images.get(state);
  if (cached) return cached;
  const image = nativeImage.createFromPath(trayIconFile(roots, state, platform));
  // The *Template name already marks it; set it explicitly too so dark menu bars invert it.
  if (platform === 'darwin') image.setTemplateImage(true);
  images.set(state, image);
  return image;
}

export interface TrayOptions {
  roots: ResourceRoots;
  platform: string;
  onAction: (action: TrayAction) => void;
}

export function renderTray(model: TrayModel, options: TrayOptions): void {
  const { platform } = options;
  if (!tray) {
    tray = new Tray(imageFor(model.iconState, options.roots, platform));
    shownState = model.iconState;
    // Windows/macOS deliver clicks; on Linux this may never fire (the menu has "Open genwatch").
    if (platform !== 'darwin') tray.on('click', () => options.onAction({ kind: 'open-window' }));
  } else if (shownState !== model.iconState) {
    tray.setImage(imageFor(model.iconState, options.roots, platform));
    shownState = model.iconState;
  }
  tray.setToolTip(model.tooltip);
  if (platform === 'darwin') tray.setTitle(model.title, { fontType: 'monospacedDigit' });
  // Rebuilding an unchanged menu makes an open menu flicker on some desktops; skip it.
  const menuKey = JSON.stringify(model.menu);
  if (menuKey !== shownMenu) {
    tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(model.menu, options.onAction)));
    shownMenu = menuKey;
  }
}

export function destroyTray(): void {
  tray?.destroy();
  tray = null;
  shownState = null;
  shownMenu = '';
}
