import { z } from 'zod';
import { PROVIDER_IDS, ProviderIdSchema } from './job';

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

export const SettingsSchema = z.object({
  theme: z.enum(THEMES),
  providers: z.object({
    apiframe: ProviderSettingsSchema,
    useapi: ProviderSettingsSchema,
  }),
});
export type Settings = z.infer<typeof SettingsSchema>;

export const SettingsPatchSchema = z
  .object({
    theme: z.enum(THEMES).optional(),
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
  providers: { apiframe: { baseUrl: null }, useapi: { baseUrl: null } },
};

export const KEY_SOURCES = ['keychain', 'environment', 'session', 'demo'] as const;
export const KeyStatusSchema = z.object({
  provider: ProviderIdSchema,
  isSet: z.boolean(),
  /** The last four characters only: the key itself never reaches the renderer. */
  last4: z.string().max(4).nullable(),
  source: z.enum(KEY_SOURCES).nullable(),
});
export type KeyStatus = z.infer<typeof KeyStatusSchema>;

export const KeysStatusSchema = z.object({
  keychain: z.object({ available: z.boolean(), message: z.string().nullable() }),
  providers: z.array(KeyStatusSchema).length(PROVIDER_IDS.length),
});
export type KeysStatus = z.infer<typeof KeysStatusSchema>;
