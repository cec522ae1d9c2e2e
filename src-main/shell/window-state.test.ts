import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadWindowState, parseWindowState, restoreBounds, saveWindowState, windowStatePath } from './window-state';

const MAIN = { x: 0, y: 0, width: 1920, height: 1040 };
const RIGHT = { x: 1920, y: 0, width: 1280, height: 1024 };

describe('restoreBounds', () => {
  it('keeps bounds that are on a display', () => {
    const saved = { bounds: { x: 100, y: 80, width: 1200, height: 780 }, maximized: false };
    expect(restoreBounds(saved, [MAIN])).toEqual(saved);
  });

  it('a window on an unplugged monitor opens at the defaults', () => {
    expect(restoreBounds({ bounds: { x: 2000, y: 100, width: 1200, height: 780 }, maximized: true }, [MAIN])).toBeNull();
  });

  it('bounds larger than the display are shrunk and pulled onto it', () => {
    expect(restoreBounds({ bounds: { x: 1900, y: -5, width: 3000, height: 2000 }, maximized: false }, [MAIN, RIGHT])).toEqual({
      bounds: { x: 1920, y: 0, width: 1280, height: 1024 },
      maximized: false,
    });
  });

  it('never below the minimum size', () => {
    expect(restoreBounds({ bounds: { x: 10, y: 10, width: 100, height: 50 }, maximized: false }, [MAIN])?.bounds).toEqual({ x: 10, y: 10, width: 760, height: 480 });
  });

  it('nothing saved: defaults', () => {
    expect(restoreBounds(null, [MAIN])).toBeNull();
  });
});

describe('window-state.json', () => {
  it('round-trips and tolerates garbage', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genwatch-ws-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    expect(loadWindowState(dir)).toBeNull();
    saveWindowState(dir, { bounds: { x: 1, y: 2, width: 900, height: 600 }, maximized: true });
    expect(loadWindowState(dir)).toEqual({ bounds: { x: 1, y: 2, width: 900, height: 600 }, maximized: true });
    writeFileSync(windowStatePath(dir), '{not json');
    expect(loadWindowState(dir)).toBeNull();
    expect(parseWindowState({ bounds: { x: 'a', y: 0, width: 1, height: 1 } })).toBeNull();
  });
});
