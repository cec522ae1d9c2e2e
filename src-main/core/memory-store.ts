import type { KeyValueStore } from './ports';

/** For tests and one-shot CLI commands: nothing touches the disk. */
export function memoryStore(): KeyValueStore {
  const map = new Map<string, unknown>();
  return {
    get: (key) => structuredClone(map.get(key)),
    set: (key, value) => void map.set(key, structuredClone(value)),
    delete: (key) => void map.delete(key),
  };
}

