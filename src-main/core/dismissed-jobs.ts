/**
 * Jobs the user removed from the list. An account that discovers jobs finds
 * them again in its next look at the provider's recent or running jobs: they
 * are remembered here (persisted, the most recent MAX_DISMISSED) so they stay
 * gone. Adding one again by id, or importing the history, brings it back
 * (the job is in the list again, which discovery checks first).
 */
import type { KeyValueStore } from './ports';

const STORE_KEY = 'dismissedJobs';
export const MAX_DISMISSED = 20_000;

export class DismissedJobs {
  /** Insertion-ordered: the oldest are forgotten first. */
  private readonly keys: Set<string>;

  constructor(private readonly kv: KeyValueStore) {
    const stored = kv.get(STORE_KEY);
    this.keys = new Set(Array.isArray(stored) ? stored.filter((k): k is string => typeof k === 'string').slice(-MAX_DISMISSED) : []);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(keys: readonly string[]): void {
    if (keys.length === 0) return;
    for (const key of keys) {
      this.keys.delete(key);
      this.keys.add(key);
    }
    for (const key of this.keys) {
      if (this.keys.size <= MAX_DISMISSED) break;
      this.keys.delete(key);
    }
    this.save();
  }

  private save(): void {
    this.kv.set(STORE_KEY, [...this.keys]);
  }
}
