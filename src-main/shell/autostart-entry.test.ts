import { describe, expect, it } from 'vitest';
import { autostartDesktopEntry, quoteExecArg } from './autostart-entry';

describe('autostartDesktopEntry', () => {
  it('starts hidden, with the executable quoted when needed', () => {
    const entry = autostartDesktopEntry('/opt/genwatch/genwatch');
    expect(entry).toContain('[Desktop Entry]\nType=Application\n');
    expect(entry).toContain('Exec=/opt/genwatch/genwatch --hidden\n');
    expect(autostartDesktopEntry('/home/me/Apps/genwatch 0.1.AppImage')).toContain('Exec="/home/me/Apps/genwatch 0.1.AppImage" --hidden');
  });

  it('escapes the characters the spec reserves inside quotes', () => {
    expect(quoteExecArg('/a/$HOME"x')).toBe('"/a/\\$HOME\\"x"');
  });
});
