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
import { loginItemNotice } from './login-item-notice';

export function autostartFile(env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env['XDG_CONFIG_HOME'] || join(homedir(), '.config');
  return join(configHome, 'autostart', 'genwatch.desktop');
}

/** Sets the login item as the switch says; returns what to tell the user when that did not happen (see login-item-notice.ts). */
export function applyLoginItem(enabled: boolean, platform: string, log: (message: string, fields?: Record<string, unknown>) => void): string | null {
  if (!app.isPackaged) return loginItemNotice({ enabled, packaged: false });
  try {
    if (platform === 'linux') {
      const file = autostartFile();
      if (enabled) {
        mkdirSync(join(file, '..'), { recursive: true });
        // An AppImage runs from a temporary mount: autostart must point at the AppImage file itself.
        writeFileSync(file, autostartDesktopEntry(process.env['APPIMAGE'] ?? process.execPath));
      } else if (existsSync(file)) rmSync(file);
      return null;
    }
    app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_FLAG] });
    const status = platform === 'darwin' && enabled ? app.getLoginItemSettings().status : undefined;
    const notice = loginItemNotice({ enabled, packaged: true, ...(status === undefined ? {} : { status }) });
    if (notice !== null) log('launch at login not in effect', { status });
    return notice;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log('could not change the login item', { error: message });
    return loginItemNotice({ enabled, packaged: true, error: message });
  }
}

/** Whether this launch came from the login item (macOS has no args to tell us). */
export function openedAtLogin(platform: string): boolean {
  return platform === 'darwin' && app.isPackaged && app.getLoginItemSettings().wasOpenedAtLogin;
}
