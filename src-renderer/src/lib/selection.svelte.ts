/**
 * The job list's bulk selection. Kept as one immutable Set in `$state`, so a
 * "select all 10,000 matching" is one assignment, and each row reads
 * `has(key)` (a Set lookup) without subscribing to anything per key.
 */
import { anchoredAt, clickSelection, extendSelection, emptySelection, pruneSelection, selectionOf, type ClickKind, type SelectionModel } from './selection';

export class SelectionState {
  #model = $state.raw<SelectionModel>(emptySelection());

  readonly size: number = $derived(this.#model.keys.size);
  readonly keys: readonly string[] = $derived([...this.#model.keys]);

  get anchor(): string | null {
    return this.#model.anchor;
  }

  has(key: string): boolean {
    return this.#model.keys.has(key);
  }

  /** A click on `key` with `ordered` the keys as shown (see clickSelection). */
  click(key: string, ordered: readonly string[], kind: ClickKind): void {
    this.#model = clickSelection(this.#model, ordered, key, kind);
  }

  /** Shift+arrow from `from` to `to` (see extendSelection). */
  extend(ordered: readonly string[], from: string, to: string): void {
    this.#model = extendSelection(this.#model, ordered, from, to);
  }

  /** Selects `key` (keeping the rest) and makes it where the next range starts (Shift+arrows with no anchor yet). */
  anchorAt(key: string): void {
    this.#model = anchoredAt(this.#model, key);
  }

  /** Selects exactly these keys (the current filter's matches). */
  selectAll(keys: readonly string[]): void {
    this.#model = selectionOf(keys);
  }

  /** True when every one of `keys` is selected (and there is at least one). */
  covers(keys: readonly string[]): boolean {
    if (keys.length === 0 || keys.length > this.#model.keys.size) return false;
    return keys.every((k) => this.#model.keys.has(k));
  }

  /** How many of `keys` are selected. */
  countIn(keys: readonly string[]): number {
    if (this.#model.keys.size === 0) return 0;
    let n = 0;
    for (const k of keys) if (this.#model.keys.has(k)) n += 1;
    return n;
  }

  clear(): void {
    if (this.#model.keys.size === 0 && this.#model.anchor === null) return;
    this.#model = emptySelection();
  }

  prune(exists: (key: string) => boolean): void {
    const next = pruneSelection(this.#model, exists);
    if (next !== this.#model) this.#model = next;
  }
}
