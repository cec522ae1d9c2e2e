/**
 * Remembers the main window's bounds and maximised state in
 * userData/window-state.json. Saved bounds are only reused when they still
 * land on a connected display (a monitor may have been unplugged since), and
 * are clamped to it; otherwise the window opens at its default size.
 */
import { join } from 'node:path';
import { readJsonFile, writeJsonFile } from './json-file';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  bounds: Rect;
  maximized: boolean;
}

export const MIN_SIZE = { width: 760, height: 480 } as const;
/** At least this much of the title bar must be on a display to count as visible. */
const MIN_VISIBLE = 64;

function isRect(value: unknown): value is Rect {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return ['x', 'y', 'width', 'height'].every((k) => typeof r[k] === 'number' && Number.isFinite(r[k]));
}

export function parseWindowState(value: unknown): WindowState | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (!isRect(v['bounds'])) return null;
  return { bounds: v['bounds'], maximized: v['maximized'] === true };
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x),
    height: Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y),
  };
}

/**
 * The bounds to open with: the saved ones if their top strip is on one of
 * `workAreas`, shrunk to fit that display; null (use defaults) otherwise.
 */
export function restoreBounds(saved: WindowState | null, workAreas: readonly Rect[]): WindowState | null {
  if (!saved) return null;
  const { bounds } = saved;
  const titleStrip = { x: bounds.x, y: bounds.y, width: bounds.width, height: 32 };
  const area = workAreas.find((a) => {
    const o = overlap(titleStrip, a);
    return o.width >= Math.min(MIN_VISIBLE, bounds.width) && o.height > 0;
  });
  if (!area) return null;
  const width = Math.max(MIN_SIZE.width, Math.min(bounds.width, area.width));
  const height = Math.max(MIN_SIZE.height, Math.min(bounds.height, area.height));
  const x = Math.min(Math.max(bounds.x, area.x), area.x + area.width - width);
  const y = Math.min(Math.max(bounds.y, area.y), area.y + area.height - height);
  return { bounds: { x, y, width, height }, maximized: saved.maximized };
}

export function windowStatePath(userData: string): string {
  return join(userData, 'window-state.json');
}

export function loadWindowState(userData: string): WindowState | null {
  return parseWindowState(readJsonFile(windowStatePath(userData)));
}

export function saveWindowState(userData: string, state: WindowState): void {
  writeJsonFile(windowStatePath(userData), state);
}
