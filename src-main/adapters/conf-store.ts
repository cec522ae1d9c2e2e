/**
 * KeyValueStore over conf (plain Node) or electron-store (the app): the same
 * file format and schema version either way. A corrupt file is moved aside and
 * a fresh one started, with a warning the UI can show, never a crash.
 */
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyValueStore, Logger } from '../core/ports';

export const STORE_NAME = 'genwatch';

/** The part of the conf / electron-store API we use. */
export interface ConfLike {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
  readonly path: string;
}

export interface OpenedStore {
  store: KeyValueStore;
  /** Set when the previous file could not be read and was moved aside. */
  recovered: string | null;
}

export function openConfStore(create: () => ConfLike, options: { cwd: string; name?: string; logger: Logger }): OpenedStore {
  let conf: ConfLike;
  let recovered: string | null = null;
  try {
    conf = create();
  } catch (error) {
    const file = join(options.cwd, `${options.name ?? STORE_NAME}.json`);
    const aside = `${file}.corrupt-${Date.now()}`;
    if (existsSync(file)) renameSync(file, aside);
    recovered = `Your saved genwatch data could not be read and was moved to ${aside}; starting fresh.`;
    options.logger.warn('store unreadable; moved aside', { aside, error: String(error) });
    conf = create();
  }
  return {
    recovered,
    store: {
      get: (key) => conf.get(key),
      set: (key, value) => conf.set(key, value),
      delete: (key) => conf.delete(key),
    },
  };
}

export const consoleLogger: Logger = {
  info: (message, fields) => console.error(`[genwatch] ${message}`, fields ?? ''),
  warn: (message, fields) => console.error(`[genwatch] warning: ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`[genwatch] error: ${message}`, fields ?? ''),
};
