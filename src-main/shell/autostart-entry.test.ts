import { describe, expect, it } from 'vitest';
import { autostartDesktopEntry, quoteExecArg } from './autostart-entry';

describe('autostartDesktopEntry', () => {
  it('starts hidden, with the executable quoted when needed', () => {
    const entry = autostartDesktopEntry('/opt/genwatch/genwatch');
    expect(entry).toContain('[Desktop Entry]\nType=Application\n');
    expect(entry).toContain('Exec=/opt/genwatch/genwatch --hidden\n');
    expect(autostartDesktopEntry('/home/me/Apps/genwatch 0.1.AppImage')).toContain('Exec="/home/me/Apps/genwatch 0.1.AppImage" --hidden');
  });

  /** How a reader following the spec gets the argument back: string escapes first, then the Exec quoting, then %%. */
  function readBack(value: string): string {
    const unescaped = value.replace(/\\(.)/g, (_all, c: string) => ({ s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' })[c] ?? `\u0000${c}`);
    if (unescaped.includes('\u0000')) throw new Error(`invalid string escape in ${value}`);
    const unquoted = unescaped.startsWith('"') ? unescaped.slice(1, -1).replace(/\\(["`$\\])/g, '$1') : unescaped;
    return unquoted.replace(/%%/g, '%');
  }

  it('escapes what the spec reserves, so the path reads back exactly (GLib refuses unknown string escapes)', () => {
    expect(quoteExecArg('/a/$HOME"x')).toBe('"/a/\\\\$HOME\\\\"x"');
    expect(quoteExecArg('/home/u/50%off/genwatch')).toBe('/home/u/50%%off/genwatch');
    for (const path of ['/a/$HOME"x', '/home/u/50%off/genwatch.AppImage', '/home/u/back\\slash/g', "/home/o'neil/my apps/`x`/g", '/opt/genwatch/genwatch', '~/Apps/g']) {
      expect(readBack(quoteExecArg(path)), path).toBe(path);
    }
  });
});
