/**
 * Window hardening applied to every web contents: no navigation away from the
 * app, no new windows (https links go to the system browser), no webviews,
 * every permission denied but writing text to the clipboard from our own page.
 */
import { app, session, shell } from 'electron';
import type { WebContents } from 'electron';
import { isAllowedNavigation, isAllowedPermission, isOpenableExternally } from './url-policy';

export function hardenSessions(appUrl: () => string): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((contents, permission, callback, details) => callback(isAllowedPermission(appUrl(), permission, details.requestingUrl || contents.getURL())));
  // Checks carry an origin ('file://' for the packaged page): judge by the frame's full URL instead.
  ses.setPermissionCheckHandler((contents, permission, _origin, details) => isAllowedPermission(appUrl(), permission, details.requestingUrl ?? contents?.getURL() ?? ''));
}

export function hardenWebContents(appUrl: () => string): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAllowedNavigation(appUrl(), url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAllowedNavigation(appUrl(), url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isOpenableExternally(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}
