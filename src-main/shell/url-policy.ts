/** Pure URL decisions for the shell, unit-tested without Electron. */

/** Only the app's own page may be (re)loaded in the window. */
export function isAllowedNavigation(appUrl: string, target: string): boolean {
  try {
    const expected = new URL(appUrl);
    const actual = new URL(target);
    if (expected.protocol === 'file:') return actual.protocol === 'file:' && actual.pathname === expected.pathname;
    return actual.origin === expected.origin;
  } catch {
    return false;
  }
}

/** shell.openExternal is only ever given https URLs. */
export function isOpenableExternally(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

/** The CSP the app's page runs under (also set as a <meta> in index.html for file://). */
export function contentSecurityPolicy(devServerOrigin: string | null): string {
  const connect = devServerOrigin ? `'self' ${devServerOrigin} ${devServerOrigin.replace(/^http/, 'ws')}` : "'self'";
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self'${devServerOrigin ? " 'unsafe-inline'" : ''}`,
    "img-src 'self' data: https: http://127.0.0.1:* http://localhost:*",
    "media-src 'self' https: http://127.0.0.1:* http://localhost:*",
    `connect-src ${connect}`,
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
