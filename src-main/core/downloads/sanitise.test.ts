import { describe, expect, it } from 'vitest';
import { isInsideRoot, joinInsideRoot, lexicalNormalise, normalisePath } from './sanitise';

/** Every string over `alphabet` up to `max` characters. */
function* strings(alphabet: readonly string[], max: number): Generator<string> {
  yield '';
  let layer = [''];
  for (let n = 1; n <= max; n++) {
    const next: string[] = [];
    for (const prefix of layer) for (const ch of alphabet) next.push(prefix + ch);
    yield* next;
    layer = next;
  }
}

describe('normalisePath', () => {
  it('answers exactly as the full lexical normalisation for every short path of separators, dots, a drive and names', () => {
    // 8^6 + … ≈ 300k paths: every way the shortcut's pattern could miss a segment the full walk would change.
    let checked = 0;
    for (const p of strings(['a', '/', '\\', '.', 'C', ':', 'b', ' '], 6)) {
      expect(normalisePath(p), JSON.stringify(p)).toBe(lexicalNormalise(p));
      checked++;
    }
    expect(checked).toBeGreaterThan(290_000);
  });

  it('leaves normal paths as they are and normalises the rest', () => {
    expect(normalisePath('/home/u/Pictures/genwatch/apiframe/2026-03-14/x_1.png')).toBe('/home/u/Pictures/genwatch/apiframe/2026-03-14/x_1.png');
    expect(normalisePath('C:/Users/u/x')).toBe('C:/Users/u/x');
    expect(normalisePath('C:\\Users\\u\\..\\x\\')).toBe('C:/Users/x');
    expect(normalisePath('C:./x')).toBe('C:x');
    expect(normalisePath('/a/./b//c/../d/')).toBe('/a/b/d');
    expect(normalisePath('../a/..')).toBe('..');
  });
});

describe('joinInsideRoot and isInsideRoot', () => {
  it('joins below the root and refuses the root itself or anything outside', () => {
    expect(joinInsideRoot('/data/gw', 'a/b.png')).toEqual({ ok: true, value: { path: '/data/gw/a/b.png', relative: 'a/b.png' } });
    expect(joinInsideRoot('/data/gw/', '../../etc/passwd')).toMatchObject({ ok: true, value: { path: '/data/gw/_/_/etc/passwd' } });
    expect(joinInsideRoot('', 'x')).toMatchObject({ ok: false });
    expect(isInsideRoot('/data/gw', '/data/gw')).toBe(true);
    expect(isInsideRoot('/data/gw', '/data/gw2/x')).toBe(false);
    expect(isInsideRoot('/data/gw', '/data/gw/../gw2')).toBe(false);
    // Paths on a drive letter compare case-insensitively (as Windows does).
    expect(isInsideRoot('C:\\Data\\GW', 'c:/data/gw/x')).toBe(true);
    expect(isInsideRoot('C:\\Data\\GW', 'c:/data/gw2/x')).toBe(false);
    expect(isInsideRoot('/', '/anything')).toBe(true);
  });
});
