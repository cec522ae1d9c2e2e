/** Pure URL and window decisions for the shell, unit-tested without Electron. */
import type { WebPreferences } from 'electron';
import { isAppPage } from '../core/ipc-router';

/** The window's web preferences: sandboxed, isolated, no Node, no webviews, web security on. */
export function secureWebPreferences(preload: string): WebPreferences {
  return { preload, sandbox: true, contextIsolation: true, nodeIntegration: false, nodeIntegrationInWorker: false, webviewTag: false, webSecurity: true, spellcheck: false };
}

/** Only the app's own page may be (re)loaded in the window. */
export function isAllowedNavigation(appUrl: string, target: string): boolean {
  return isAppPage(appUrl, target);
}

/** shell.openExternal is only ever given https URLs. */
export function isOpenableExternally(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * The one permission the app's own page gets: writing plain text to the
 * clipboard ("Copy job id", "Copy prompt"). Reading it, and everything else
 * (camera, notifications from the page, geolocation…), stays denied.
 */
export function isAllowedPermission(appUrl: string, permission: string, requestingUrl: string): boolean {
  return permission === 'clipboard-sanitized-write' && isAllowedNavigation(appUrl, requestingUrl);
}
