/**
 * Small JSON files in userData (window bounds, failure acknowledgement):
 * written atomically (temp file + rename) and read leniently — a missing or
 * corrupt file just means "no saved state", never a crash at start-up.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return null;
  }
}

export function writeJsonFile(path: string, value: unknown): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(temp, path);
  } catch (error) {
    // Losing window bounds is not worth interrupting anyone for.
    console.warn(`could not write ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
