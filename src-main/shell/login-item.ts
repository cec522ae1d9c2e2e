/**
 * Launch at login. macOS and Windows: the OS login item (on macOS 13+ via
 * SMAppService; `args` only reach Windows, so macOS "start hidden" is decided
 * from wasOpenedAtLogin). Linux: setLoginItemSettings does nothing there, so
 * an XDG autostart entry is written or removed instead. Development runs are
 * never registered (it would start a bare Electron at every login).
 */
import { app } from 'electron';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HIDDEN_FLAG } from './app-identity';
import { autostartDesktopEntry } from './autostart-entry';

export function autostartFile(env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env['XDG_CONFIG_HOME'] || join(homedir(), '.config');
  return join(configHome, 'autostart', 'genwatch.desktop');
}

export function applyLoginItem(enabled: boolean, platform: string, log: (message: string, fields?: Record<string, unknown>) => void): void {
  if (!app.isPackaged) return;
  try {
    if (platform === 'linux') {
      const file = autostartFile();
      if (enabled) {
        mkdirSync(join(file, '..'), { recursive: true });
        // An AppImage runs from a temporary mount: autostart must point at the AppImage file itself.
        writeFileSync(file, autostartDesktopEntry(process.env['APPIMAGE'] ?? process.execPath));
      } else if (existsSync(file)) rmSync(file);
      return;
    }
    app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_FLAG] });
    if (platform === 'darwin' && enabled && app.getLoginItemSettings().status === 'requires-approval') {
      log('launch at login needs approval in System Settings › General › Login Items');
    }
  } catch (error) {
    log('could not change the login item', { error: error instanceof Error ? error.message : String(error) });
  }
}

/** Whether this launch came from the login item (macOS has no args to tell us). */
export function openedAtLogin(platform: string): boolean {
  return platform === 'darwin' && app.isPackaged && app.getLoginItemSettings().wasOpenedAtLogin;
}
