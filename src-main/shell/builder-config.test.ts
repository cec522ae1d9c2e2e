/**
 * The electron-builder configuration, checked without building anything
 * (installers need an Electron download this machine cannot make): it is
 * loaded and validated by electron-builder's own loader and JSON schema, then
 * the things genwatch depends on are asserted one by one, and every file it
 * references must exist.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, matchesGlob, resolve } from 'node:path';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, PRODUCT_NAME, PROTOCOL_SCHEME } from './app-identity';

const ROOT = resolve(import.meta.dirname, '../..');
const CONFIG_FILE = 'electron-builder.yml';

type Config = Awaited<ReturnType<typeof getConfig>>;
let config: Config;

/** electron-builder accepts a target as a name, an object, or a list of either. */
function targets(value: unknown): { target: string; arch: string[] }[] {
  const list = Array.isArray(value) ? (value as unknown[]) : value === undefined || value === null ? [] : [value];
  return list.map((entry) => {
    if (typeof entry === 'string') return { target: entry, arch: [] };
    const { target, arch } = entry as { target: string; arch?: string | string[] };
    return { target, arch: arch === undefined ? [] : Array.isArray(arch) ? arch : [arch] };
  });
}

function asList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

function file(path: string): string {
  return join(ROOT, path);
}

beforeAll(async () => {
  config = await getConfig(ROOT, CONFIG_FILE, null);
});

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema validation (offline)", async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('the validator is live: it rejects a broken config', async () => {
    await expect(validateConfiguration({ ...config, mac: { notAnOption: true } as never }, new DebugLogger(false))).rejects.toThrow(/configuration/i);
  });

  it('identity matches what main uses (AppUserModelID, protocol)', () => {
    expect(config.appId).toBe(APP_ID);
    expect(config.productName).toBe(PRODUCT_NAME);
    const protocols = Array.isArray(config.protocols) ? config.protocols : config.protocols ? [config.protocols] : [];
    expect(protocols.flatMap((p) => p.schemes)).toEqual([PROTOCOL_SCHEME]);
  });

  it('ships the built app (out/) and nothing from the sources', () => {
    const files = JSON.stringify(config.files);
    expect(files).toContain('out/**');
    expect(files).not.toContain('src-');
  });

  it("keytar's native module is unpacked from the asar", () => {
    expect(config.asar).not.toBe(false);
    const patterns = asList(config.asarUnpack);
    const keytarNode = 'node_modules/keytar/build/Release/keytar.node';
    expect(patterns.some((p) => matchesGlob(keytarNode, p))).toBe(true);
    // The pattern must not unpack all of node_modules.
    expect(patterns.some((p) => matchesGlob('node_modules/zod/index.js', p))).toBe(false);
  });

  it('the packaged binary cannot be made to run other code as genwatch (fuses: no run-as-node, NODE_OPTIONS, --inspect; the asar checked and the only app loaded)', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
    });
  });

  it('macOS: dmg for Intel and Apple silicon (or universal with keytar allowed as x64), hardened runtime, entitlements, notarisation', () => {
    const mac = config.mac;
    expect(mac).toBeTruthy();
    if (!mac) return;
    const dmg = targets(mac.target).filter((t) => t.target === 'dmg');
    expect(dmg).toHaveLength(1);
    const arch = dmg[0]?.arch ?? [];
    expect(arch.includes('universal') || (arch.includes('x64') && arch.includes('arm64'))).toBe(true);
    // Ready for `--universal`: lipo cannot always merge keytar.node.
    expect(matchesGlob('Contents/Resources/app.asar.unpacked/node_modules/keytar/build/Release/keytar.node', mac.x64ArchFiles ?? '')).toBe(true);
    expect(mac.hardenedRuntime).toBe(true);
    expect(mac.notarize).toBe(true);
    expect(mac.entitlements).toBeTruthy();
    expect(mac.entitlementsInherit).toBe(mac.entitlements);
  });

  it('macOS entitlements: allow-jit, never allow-unsigned-executable-memory', () => {
    const path = file(config.mac?.entitlements ?? 'missing');
    expect(existsSync(path)).toBe(true);
    // Keys only: the file's comment explains the missing ones by name.
    const plist = readFileSync(path, 'utf8').replace(/<!--[\s\S]*?-->/g, '');
    expect(plist).toMatch(/<key>com\.apple\.security\.cs\.allow-jit<\/key>\s*<true\/>/);
    expect(plist).not.toContain('<key>com.apple.security.cs.allow-unsigned-executable-memory</key>');
    expect(plist).not.toContain('<key>com.apple.security.app-sandbox</key>');
  });

  it('Windows: NSIS, assisted installer defaulting to a per-user install', () => {
    expect(targets(config.win?.target).map((t) => t.target)).toEqual(['nsis']);
    expect(config.nsis?.oneClick).toBe(false);
    expect(config.nsis?.perMachine).toBe(false);
  });

  it('Linux: AppImage and deb; the deb depends on libsecret (keytar) and libnotify (notifications)', () => {
    expect(targets(config.linux?.target).map((t) => t.target).sort()).toEqual(['AppImage', 'deb']);
    const depends = asList(config.deb?.depends);
    expect(depends).toEqual(expect.arrayContaining(['libsecret-1-0', 'libnotify4', 'libnss3', 'libgtk-3-0']));
  });

  it('Linux sandbox on Ubuntu 24.04: the deb installs an AppArmor profile granting userns; --no-sandbox is never used', () => {
    const profile = config.deb?.appArmorProfile;
    expect(profile).toBeTruthy();
    const text = readFileSync(file(profile ?? 'missing'), 'utf8');
    expect(text).toMatch(/^abi <abi\/4\.0>,/m);
    expect(text).toMatch(/profile "\$\{executable\}" "\/opt\/\$\{sanitizedProductName\}\/\$\{executable\}"/);
    expect(text).toMatch(/^\s*userns,/m);
    expect(JSON.stringify(config)).not.toContain('no-sandbox');
  });

  it('Linux badge/progress and window association: desktopName matches the installed .desktop file', () => {
    const pkg = JSON.parse(readFileSync(file('package.json'), 'utf8')) as { desktopName?: string };
    expect(config.linux?.syncDesktopName).toBe(true);
    expect(pkg.desktopName).toBe(`${config.linux?.executableName ?? ''}.desktop`);
    expect(config.linux?.desktop?.entry?.['MimeType']).toContain(`x-scheme-handler/${PROTOCOL_SCHEME}`);
  });

  it('every icon and resource it references exists', () => {
    const icons = [config.mac?.icon, config.win?.icon].filter((p): p is string => typeof p === 'string');
    expect(icons).toHaveLength(2);
    for (const icon of icons) expect(statSync(file(icon)).size, icon).toBeGreaterThan(1000);
    const linuxIcons = config.linux?.icon ?? '';
    for (const size of [16, 32, 48, 128, 256, 512]) expect(existsSync(file(join(linuxIcons, `${size}x${size}.png`))), `${size}`).toBe(true);
    const extra = Array.isArray(config.extraResources) ? config.extraResources : [];
    expect(extra.length).toBeGreaterThan(0);
    for (const entry of extra) {
      const from = typeof entry === 'string' ? entry : entry.from;
      expect(existsSync(file(from ?? 'missing')), from).toBe(true);
    }
  });

  it('tray images are shipped outside the asar under the name resource-paths.ts reads (tray/)', () => {
    const extra = Array.isArray(config.extraResources) ? config.extraResources : [];
    expect(extra).toContainEqual({ from: 'resources/tray', to: 'tray' });
    expect(extra).toContainEqual({ from: 'resources/icon.png', to: 'icon.png' });
  });

  it('package.json has the dist scripts this config is used by', () => {
    const pkg = JSON.parse(readFileSync(file('package.json'), 'utf8')) as { scripts: Record<string, string>; main: string };
    expect(pkg.scripts['dist']).toMatch(/electron-vite build && electron-builder/);
    expect(pkg.scripts['dist:mac']).toMatch(/--mac/);
    expect(pkg.scripts['dist:win']).toMatch(/--win/);
    expect(pkg.scripts['dist:linux']).toMatch(/--linux/);
    expect(pkg.main).toBe('./out/main/index.js');
  });
});
