import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../src-shared/csp';
import { isAllowedNavigation, isAllowedPermission, isOpenableExternally, secureWebPreferences } from './url-policy';

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name ?? '', values]),
  );
}

describe('isAllowedNavigation', () => {
  const FILE_APP = 'file:///opt/genwatch/out/renderer/index.html';

  it('file:// app: the same page (any hash/query) only', () => {
    expect(isAllowedNavigation(FILE_APP, `${FILE_APP}#/settings`)).toBe(true);
    expect(isAllowedNavigation(FILE_APP, 'file:///etc/passwd')).toBe(false);
    expect(isAllowedNavigation(FILE_APP, 'https://example.com/')).toBe(false);
  });

  it('dev server: same origin only', () => {
    expect(isAllowedNavigation('http://localhost:5173/', 'http://localhost:5173/x')).toBe(true);
    expect(isAllowedNavigation('http://localhost:5173/', 'http://localhost:5174/')).toBe(false);
    expect(isAllowedNavigation('http://localhost:5173/', 'https://evil.example/')).toBe(false);
  });

  it('unparsable targets are refused', () => {
    expect(isAllowedNavigation(FILE_APP, 'not a url')).toBe(false);
    expect(isAllowedNavigation('not a url', FILE_APP)).toBe(false);
  });
});

describe('isOpenableExternally', () => {
  it('https only', () => {
    expect(isOpenableExternally('https://apiframe.ai/docs')).toBe(true);
    expect(isOpenableExternally('HTTPS://apiframe.ai/')).toBe(true);
    for (const url of ['http://apiframe.ai', 'file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,<script>1</script>', 'smb://host/share', 'ms-settings:', 'not a url', '']) {
      expect(isOpenableExternally(url), url).toBe(false);
    }
  });
});

describe('contentSecurityPolicy (src-shared/csp.ts, the policy the shell applies)', () => {
  const variants = [
    { name: 'production header', options: {} },
    { name: 'production <meta>', options: { asMeta: true } },
    { name: 'dev-server header', options: { devServerOrigin: 'http://localhost:5173' } },
  ];
  for (const { name, options } of variants) {
    it(`script-src is 'self' only, never inline or eval (${name})`, () => {
      const csp = directives(contentSecurityPolicy(options));
      expect(csp.get('script-src')).toEqual(["'self'"]);
      expect(contentSecurityPolicy(options)).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
      expect(csp.get('default-src')).toEqual(["'none'"]);
      expect(csp.get('base-uri')).toEqual(["'none'"]);
    });
  }

  it('production allows no inline styles and connects to itself only', () => {
    const csp = directives(contentSecurityPolicy());
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('images and media: https, loopback (the demo emulator) and genwatch-file: previews of saved files, never file:', () => {
    const csp = directives(contentSecurityPolicy());
    for (const name of ['img-src', 'media-src']) {
      expect(csp.get(name), name).toContain('genwatch-file:');
      expect(csp.get(name), name).toContain('https:');
      expect((csp.get(name) ?? []).some((source) => source.startsWith('file:')), name).toBe(false);
    }
  });

  it('the <meta> form leaves out frame-ancestors (ignored by browsers there)', () => {
    expect(directives(contentSecurityPolicy({ asMeta: true })).has('frame-ancestors')).toBe(false);
  });

  it('dev mode adds the dev server (http + ws) to connect-src', () => {
    const csp = directives(contentSecurityPolicy({ devServerOrigin: 'http://localhost:5173' }));
    expect(csp.get('connect-src')).toEqual(["'self'", 'http://localhost:5173', 'ws://localhost:5173']);
  });
});

describe('isAllowedPermission', () => {
  const app = 'file:///opt/genwatch/resources/app.asar/out/renderer/index.html';
  it('our own page may write text to the clipboard', () => {
    expect(isAllowedPermission(app, 'clipboard-sanitized-write', app)).toBe(true);
    expect(isAllowedPermission('http://localhost:5173/', 'clipboard-sanitized-write', 'http://localhost:5173/#/jobs')).toBe(true);
  });
  it('nothing else, and nobody else', () => {
    for (const permission of ['clipboard-read', 'notifications', 'media', 'geolocation', 'openExternal', 'fullscreen']) expect(isAllowedPermission(app, permission, app), permission).toBe(false);
    expect(isAllowedPermission(app, 'clipboard-sanitized-write', 'https://evil.example/')).toBe(false);
    expect(isAllowedPermission(app, 'clipboard-sanitized-write', 'file:///tmp/other.html')).toBe(false);
    expect(isAllowedPermission(app, 'clipboard-sanitized-write', '')).toBe(false);
  });
});

describe('secureWebPreferences', () => {
  it('the window is sandboxed and isolated, with no Node (page or workers), no webview tag and web security on', () => {
    expect(secureWebPreferences('/app/preload.cjs')).toMatchObject({ preload: '/app/preload.cjs', sandbox: true, contextIsolation: true, nodeIntegration: false, nodeIntegrationInWorker: false, webviewTag: false, webSecurity: true });
  });
});
