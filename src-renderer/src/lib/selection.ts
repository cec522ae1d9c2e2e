/**
 * Pure selection logic of the job list: plain click, shift-click ranges and
 * ctrl/cmd toggles over the keys in display order. The SelectionState class
 * (selection.svelte.ts) holds the result; this file holds the rules.
 */

export type ClickKind = 'toggle' | 'range';

export type SelectionModel = { keys: ReadonlySet<string>; anchor: string | null };

export function emptySelection(): SelectionModel {
  return { keys: new Set(), anchor: null };
}

/** Exactly these keys, no anchor ("select all matching"). */
export function selectionOf(keys: Iterable<string>): SelectionModel {
  return { keys: new Set(keys), anchor: null };
}

/** Keys from `a` to `b` inclusive, in display order; [b] alone when `a` is not shown. */
export function rangeBetween(ordered: readonly string[], a: string | null, b: string): string[] {
  const end = ordered.indexOf(b);
  if (end < 0) return [];
  const start = a === null ? -1 : ordered.indexOf(a);
  if (start < 0) return [b];
  const [lo, hi] = start <= end ? [start, end] : [end, start];
  return ordered.slice(lo, hi + 1);
}

/**
 * The next selection after clicking `key`:
 * - 'toggle' (a checkbox click, or ctrl/cmd-click on a row): flips `key`, which becomes the anchor;
 * - 'range' (shift-click): every key between the anchor and `key` takes the anchor's state
 *   (selected when the anchor is selected or there is none), other keys are kept; the anchor stays.
 */
export function clickSelection(model: SelectionModel, ordered: readonly string[], key: string, kind: ClickKind): SelectionModel {
  const keys = new Set(model.keys);
  if (kind === 'toggle' || model.anchor === null || !ordered.includes(model.anchor)) {
    if (keys.has(key)) keys.delete(key);
    else keys.add(key);
    return { keys, anchor: key };
  }
  const select = model.keys.has(model.anchor);
  for (const k of rangeBetween(ordered, model.anchor, key)) {
    if (select) keys.add(k);
    else keys.delete(k);
  }
  return { keys, anchor: model.anchor };
}

/**
 * Shift+arrow from `from` to `to` in `ordered`: away from the anchor it adds
 * the rows passed (a range from the anchor); back toward it, it takes off the
 * rows left behind, as file managers do; across it, the side left behind
 * is taken off too. The anchor stays.
 */
export function extendSelection(model: SelectionModel, ordered: readonly string[], from: string, to: string): SelectionModel {
  const anchorAt = model.anchor === null ? -1 : ordered.indexOf(model.anchor);
  const fromAt = ordered.indexOf(from);
  const toAt = ordered.indexOf(to);
  if (anchorAt < 0 || fromAt < 0 || toAt < 0) return clickSelection(model, ordered, to, 'range');
  if (Math.sign(toAt - anchorAt) * Math.sign(fromAt - anchorAt) < 0) {
    // Across the anchor (a page at a time): the side left behind is taken off, then the range runs to `to`.
    const keys = new Set(model.keys);
    for (const k of rangeBetween(ordered, model.anchor ?? from, from)) if (k !== model.anchor) keys.delete(k);
    return clickSelection({ keys, anchor: model.anchor }, ordered, to, 'range');
  }
  if (Math.abs(toAt - anchorAt) >= Math.abs(fromAt - anchorAt)) return clickSelection(model, ordered, to, 'range');
  const keys = new Set(model.keys);
  for (const k of rangeBetween(ordered, from, to)) if (k !== to) keys.delete(k);
  return { keys, anchor: model.anchor };
}

/** `key` selected (the rest kept) and the anchor of the next range. */
export function anchoredAt(model: SelectionModel, key: string): SelectionModel {
  return { keys: new Set([...model.keys, key]), anchor: key };
}

/** Drops keys that no longer exist (removed jobs). Returns the same model when nothing changed. */
export function pruneSelection(model: SelectionModel, exists: (key: string) => boolean): SelectionModel {
  let changed = false;
  const keys = new Set<string>();
  for (const k of model.keys) {
    if (exists(k)) keys.add(k);
    else changed = true;
  }
  if (!changed) return model;
  return { keys, anchor: model.anchor !== null && exists(model.anchor) ? model.anchor : null };
}
