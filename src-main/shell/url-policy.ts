/** Pure URL decisions for the shell, unit-tested without Electron. */
import { isAppPage } from '../core/ipc-router';

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
