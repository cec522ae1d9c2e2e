/**
 * Window hardening applied to every web contents: no navigation away from the
 * app, no new windows (https links go to the system browser), no webviews,
 * every permission request denied.
 */
import { app, session, shell } from 'electron';
import type { WebContents } from 'electron';
import { isAllowedNavigation, isOpenableExternally } from './url-policy';

export function hardenSessions(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
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
