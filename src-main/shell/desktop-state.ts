/** userData/desktop-state.json: what the desktop shell remembers besides window bounds. */
import { join } from 'node:path';
import { readJsonFile, writeJsonFile } from './json-file';

export interface DesktopState {
  /** When failures were last acknowledged (ms since epoch). */
  failuresAcknowledgedAt: number | null;
}

function path(userData: string): string {
  return join(userData, 'desktop-state.json');
}

export function loadDesktopState(userData: string): DesktopState | null {
  const raw = readJsonFile(path(userData));
  if (typeof raw !== 'object' || raw === null) return null;
  const at = (raw as Record<string, unknown>)['failuresAcknowledgedAt'];
  return { failuresAcknowledgedAt: typeof at === 'number' && Number.isFinite(at) ? at : null };
}

export function saveDesktopState(userData: string, state: DesktopState): void {
  writeJsonFile(path(userData), state);
}
