import { describe, expect, it } from 'vitest';
import { anchoredAt, clickSelection, emptySelection, extendSelection, pruneSelection, rangeBetween } from './selection';
import { SelectionState } from './selection.svelte';

const ORDER = ['a', 'b', 'c', 'd', 'e', 'f'];
const keys = (m: { keys: ReadonlySet<string> }) => [...m.keys].sort();

describe('rangeBetween', () => {
  it('is inclusive in either direction', () => {
    expect(rangeBetween(ORDER, 'b', 'e')).toEqual(['b', 'c', 'd', 'e']);
    expect(rangeBetween(ORDER, 'e', 'b')).toEqual(['b', 'c', 'd', 'e']);
    expect(rangeBetween(ORDER, 'c', 'c')).toEqual(['c']);
  });

  it('falls back to the clicked key when the anchor is not shown, and to nothing when the key is not', () => {
    expect(rangeBetween(ORDER, 'zz', 'c')).toEqual(['c']);
    expect(rangeBetween(ORDER, null, 'c')).toEqual(['c']);
    expect(rangeBetween(ORDER, 'a', 'zz')).toEqual([]);
  });
});

describe('clickSelection', () => {
  it('toggles a key and makes it the anchor', () => {
    let m = clickSelection(emptySelection(), ORDER, 'b', 'toggle');
    expect(keys(m)).toEqual(['b']);
    expect(m.anchor).toBe('b');
    m = clickSelection(m, ORDER, 'b', 'toggle');
    expect(keys(m)).toEqual([]);
    expect(m.anchor).toBe('b');
  });

  it('shift-click selects from the anchor to the key and keeps what was selected elsewhere', () => {
    let m = clickSelection(emptySelection(), ORDER, 'f', 'toggle');
    m = clickSelection(m, ORDER, 'b', 'toggle');
    m = clickSelection(m, ORDER, 'd', 'range');
    expect(keys(m)).toEqual(['b', 'c', 'd', 'f']);
    expect(m.anchor).toBe('b');
    // Extending the other way from the same anchor.
    m = clickSelection(m, ORDER, 'a', 'range');
    expect(keys(m)).toEqual(['a', 'b', 'c', 'd', 'f']);
  });

  it('a range from an unselected anchor clears the range', () => {
    let m = clickSelection(emptySelection(), ORDER, 'a', 'range'); // no anchor: behaves like a toggle
    m = clickSelection(m, ORDER, 'e', 'range');
    expect(keys(m)).toEqual(['a', 'b', 'c', 'd', 'e']);
    m = clickSelection(m, ORDER, 'c', 'toggle'); // c off, anchor c
    m = clickSelection(m, ORDER, 'e', 'range');
    expect(keys(m)).toEqual(['a', 'b']);
  });

  it('a shift-click whose anchor was filtered away starts a new anchor', () => {
    let m = clickSelection(emptySelection(), ['x', ...ORDER], 'x', 'toggle');
    m = clickSelection(m, ORDER, 'c', 'range');
    expect(keys(m)).toEqual(['c', 'x']);
    expect(m.anchor).toBe('c');
  });

  it('never mutates its input', () => {
    const start = clickSelection(emptySelection(), ORDER, 'a', 'toggle');
    const before = keys(start);
    clickSelection(start, ORDER, 'd', 'range');
    expect(keys(start)).toEqual(before);
  });
});

describe('pruneSelection', () => {
  it('drops missing keys and an orphaned anchor; returns the same model when nothing is missing', () => {
    const m = clickSelection(clickSelection(emptySelection(), ORDER, 'a', 'toggle'), ORDER, 'c', 'toggle');
    expect(pruneSelection(m, () => true)).toBe(m);
    const pruned = pruneSelection(m, (k) => k !== 'c');
    expect(keys(pruned)).toEqual(['a']);
    expect(pruned.anchor).toBeNull();
  });
});

describe('SelectionState', () => {
  it('selects all matching, counts within a list, and clears', () => {
    const s = new SelectionState();
    s.selectAll(['b', 'c', 'd']);
    expect(s.size).toBe(3);
    expect(s.covers(['b', 'c'])).toBe(true);
    expect(s.covers(['a', 'b'])).toBe(false);
    expect(s.countIn(ORDER)).toBe(3);
    s.click('d', ORDER, 'toggle');
    expect(s.has('d')).toBe(false);
    s.click('f', ORDER, 'range');
    expect([...s.keys].sort()).toEqual(['b', 'c']);
    s.clear();
    expect(s.size).toBe(0);
    expect(s.anchor).toBeNull();
  });
});

describe('extendSelection (Shift+arrows)', () => {
  const ordered = ['a', 'b', 'c', 'd', 'e'];
  const keys = (m: { keys: ReadonlySet<string> }): string[] => [...m.keys].sort();
  it('away from the anchor adds the rows passed; back toward it takes off the rows left; across it, a range from the anchor', () => {
    let m = anchoredAt(emptySelection(), 'b');
    m = extendSelection(m, ordered, 'b', 'c');
    m = extendSelection(m, ordered, 'c', 'e');
    expect(keys(m)).toEqual(['b', 'c', 'd', 'e']);
    m = extendSelection(m, ordered, 'e', 'd');
    expect(keys(m)).toEqual(['b', 'c', 'd']);
    m = extendSelection(m, ordered, 'd', 'b');
    expect(keys(m)).toEqual(['b']);
    m = extendSelection(m, ordered, 'b', 'a');
    expect(keys(m)).toEqual(['a', 'b']);
    expect(m.anchor).toBe('b');
  });

  it('a jump across the anchor (Shift+PageUp/PageDown) takes off the side it left: the range runs from the anchor to the new row only', () => {
    let m = anchoredAt(emptySelection(), 'c');
    m = extendSelection(m, ordered, 'c', 'e');
    expect(keys(m)).toEqual(['c', 'd', 'e']);
    m = extendSelection(m, ordered, 'e', 'a');
    expect(keys(m)).toEqual(['a', 'b', 'c']);
    m = extendSelection(m, ordered, 'a', 'd');
    expect(keys(m)).toEqual(['c', 'd']);
    expect(m.anchor).toBe('c');
  });

  it('rows selected apart from the range (ctrl-clicks) stay when the range crosses the anchor', () => {
    let m = clickSelection(emptySelection(), ordered, 'a', 'toggle');
    m = anchoredAt(m, 'c');
    m = extendSelection(m, ordered, 'c', 'd');
    m = extendSelection(m, ordered, 'd', 'b');
    expect(keys(m)).toEqual(['a', 'b', 'c']);
  });
});

