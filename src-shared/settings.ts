import { z } from 'zod';

export const THEMES = ['system', 'light', 'dark'] as const;

const BaseUrlSchema = z
  .string()
  .max(2048)
  .refine((value) => /^https?:\/\//i.test(value), 'must start with https:// or http://')
  .nullable();

export const ProviderSettingsSchema = z.object({
  /** null: the provider's public API. Set to point at a proxy or the emulator. */
  baseUrl: BaseUrlSchema,
});

/** Progress unchanged for this long: the job is flagged "stalled" (still watched). */
export const STALLED_MINUTES = { min: 1, max: 24 * 60, default: 10 } as const;

export const SettingsSchema = z.object({
  theme: z.enum(THEMES),
  stalledAfterMinutes: z.number().int().min(STALLED_MINUTES.min).max(STALLED_MINUTES.max),
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
    providers: z
      .object({
        apiframe: ProviderSettingsSchema.optional(),
        useapi: ProviderSettingsSchema.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export const DEFAULT_SETTINGS: Settings = {
  theme: 'system',
  stalledAfterMinutes: STALLED_MINUTES.default,
  providers: { apiframe: { baseUrl: null }, useapi: { baseUrl: null } },
};
