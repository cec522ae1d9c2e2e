/** Settings on top of the KeyValueStore port, validated on the way in and out. */
import { DEFAULT_SETTINGS, SettingsSchema } from '../../src-shared/settings';
import type { Settings, SettingsPatch } from '../../src-shared/settings';
import type { KeyValueStore, Logger } from './ports';

const KEY = 'settings';

export function loadSettings(kv: KeyValueStore, logger: Logger): Settings {
  const stored = kv.get(KEY);
  if (stored === undefined) return structuredClone(DEFAULT_SETTINGS);
  // Fields added by later versions take their defaults at any depth (a new download
  // option must not make the whole stored object invalid and reset every setting).
  const parsed = SettingsSchema.safeParse(withDefaults(structuredClone(DEFAULT_SETTINGS), stored));
  if (parsed.success) return parsed.data;
  logger.warn('stored settings were invalid; using defaults');
  return structuredClone(DEFAULT_SETTINGS);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `stored` over `defaults`, at every depth (objects within objects; arrays and values are taken as stored). */
function withDefaults(defaults: unknown, stored: unknown): unknown {
  if (!isRecord(defaults) || !isRecord(stored)) return stored;
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(stored)) merged[key] = withDefaults(defaults[key], value);
  return merged;
}

export function applySettingsPatch(current: Settings, patch: SettingsPatch): Settings {
  return {
    theme: patch.theme ?? current.theme,
    stalledAfterMinutes: patch.stalledAfterMinutes ?? current.stalledAfterMinutes,
    notifications: { ...current.notifications, ...patch.notifications },
    desktop: { ...current.desktop, ...patch.desktop },
    downloads: { ...current.downloads, ...patch.downloads },
    providers: {
      apiframe: patch.providers?.apiframe ?? current.providers.apiframe,
      useapi: patch.providers?.useapi ?? current.providers.useapi,
    },
  };
}

export function saveSettings(kv: KeyValueStore, settings: Settings): void {
  kv.set(KEY, settings);
}
