import { z } from 'zod';
import { boundedRecord } from './bounded';
import { DEFAULT_DOWNLOAD_SETTINGS, DownloadSettingsSchema } from './downloads';
import { isHttpsOrLoopbackUrl, UNSAFE_API_BASE } from './loopback';

export const THEMES = ['system', 'light', 'dark'] as const;

/** As the user sets it: https, or plain http only to this computer (the key goes with every request). */
export const BaseUrlSchema = z.string().max(2048).refine(isHttpsOrLoopbackUrl, UNSAFE_API_BASE).nullable();
/**
 * As stored: any http(s) URL. Earlier versions took plain http anywhere, and
 * one refused value would reset every setting; such a URL is refused where
 * a key would be sent instead (GenwatchCore.credentials).
 */
const StoredBaseUrlSchema = z
  .string()
  .max(2048)
  .refine((value) => /^https?:\/\//i.test(value), 'must start with https:// or http://')
  .nullable();

export const ProviderSettingsSchema = z.object({
  /** null: the provider's public API. Set to point at a proxy or the emulator. */
  baseUrl: StoredBaseUrlSchema,
});
const ProviderSettingsPatchSchema = z.object({ baseUrl: BaseUrlSchema });

/** Progress unchanged for this long: the job is flagged "stalled" (still watched). */
export const STALLED_MINUTES = { min: 1, max: 24 * 60, default: 10 } as const;

/** Account reference used in per-account settings: `${provider}:${accountId}`. */
const AccountRefKey = z.string().max(100);

export const NotificationSettingsSchema = z.object({
  enabled: z.boolean(),
  onCompleted: z.boolean(),
  onFailed: z.boolean(),
  /** No popups while the genwatch window has focus (the list already shows it). */
  quietWhenFocused: z.boolean(),
  /** Per-account overrides of onCompleted/onFailed. */
  perAccount: boundedRecord(AccountRefKey, z.object({ onCompleted: z.boolean(), onFailed: z.boolean() })),
  /** Accounts muted until an ISO time ("for an hour", "until tomorrow"). */
  mutedUntil: boundedRecord(AccountRefKey, z.string().max(64)),
});
export type NotificationSettings = z.infer<typeof NotificationSettingsSchema>;

export const DesktopSettingsSchema = z.object({
  /** Closing the window keeps genwatch running in the tray. */
  closeToTray: z.boolean(),
  launchAtLogin: z.boolean(),
  startHidden: z.boolean(),
});
export type DesktopSettings = z.infer<typeof DesktopSettingsSchema>;

export const SettingsSchema = z.object({
  theme: z.enum(THEMES),
  stalledAfterMinutes: z.number().int().min(STALLED_MINUTES.min).max(STALLED_MINUTES.max),
  notifications: NotificationSettingsSchema,
  desktop: DesktopSettingsSchema,
  downloads: DownloadSettingsSchema,
  providers: z.object({
    apiframe: ProviderSettingsSchema,
    useapi: ProviderSettingsSchema,
  }),
});
export type Settings = z.infer<typeof SettingsSchema>;

export const SettingsPatchSchema = z
  .object({
    theme: z.enum(THEMES).optional(),
    stalledAfterMinutes: z.number().int().min(STALLED_MINUTES.min).max(STALLED_MINUTES.max).optional(),
    notifications: NotificationSettingsSchema.partial().strict().optional(),
    desktop: DesktopSettingsSchema.partial().strict().optional(),
    downloads: DownloadSettingsSchema.partial().strict().optional(),
    providers: z
      .object({
        apiframe: ProviderSettingsPatchSchema.optional(),
        useapi: ProviderSettingsPatchSchema.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

/**
 * What the window may change (the updateSettings request): everything but
 * the download folder, which only main's folder picker sets ("open" and
 * "show in folder" are confined to that folder, so a page that could move
 * it could open any file on the disk), and the providers' addresses, which
 * go through setProviderBaseUrl (main asks the user before a key goes to a
 * new server: a page that could set them could send the keys anywhere).
 */
export const WindowSettingsPatchSchema = SettingsPatchSchema.extend({
  downloads: DownloadSettingsSchema.omit({ root: true }).partial().strict().optional(),
})
  .omit({ providers: true })
  .strict();

export const DEFAULT_SETTINGS: Settings = {
  theme: 'system',
  stalledAfterMinutes: STALLED_MINUTES.default,
  notifications: { enabled: true, onCompleted: true, onFailed: true, quietWhenFocused: true, perAccount: {}, mutedUntil: {} },
  desktop: { closeToTray: true, launchAtLogin: false, startHidden: false },
  downloads: DEFAULT_DOWNLOAD_SETTINGS,
  providers: { apiframe: { baseUrl: null }, useapi: { baseUrl: null } },
};
