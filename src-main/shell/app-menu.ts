/** Installs the application menu built by app-menu-template.ts. */
import { Menu } from 'electron';
import { appMenuTemplate } from './app-menu-template';
import type { AppMenuHandlers } from './app-menu-template';

export function installAppMenu(platform: string, handlers: AppMenuHandlers, state: { pollingPaused: boolean }): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(platform, handlers, state)));
}
