import { z } from 'zod';

/** Per-account maps in settings: far more accounts than anyone has, but not unbounded (they are stored as sent). */
export const MAX_ACCOUNT_ENTRIES = 500;

export function boundedRecord<K extends z.ZodType<string>, V extends z.ZodTypeAny>(key: K, value: V) {
  return z.record(key, value).refine((r) => Object.keys(r).length <= MAX_ACCOUNT_ENTRIES, `at most ${MAX_ACCOUNT_ENTRIES} accounts`);
}
