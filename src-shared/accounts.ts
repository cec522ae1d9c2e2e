/**
 * Accounts: one API key of one provider, with its own health, history import
 * and discovery state. Several accounts per provider are allowed; the key
 * itself never leaves main (only `isSet` and the last 4 characters do).
 */
import { z } from 'zod';
import { ProviderIdSchema } from './job';

/** Slug used in job keys, keychain entries and file paths. */
export const AccountIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes');

export const KEY_SOURCES = ['keychain', 'environment', 'session', 'demo'] as const;
export const HEALTH_STATES = ['ok', 'key-missing', 'key-rejected', 'payment', 'account-hold', 'unreachable'] as const;
export const HISTORY_STATES = ['never', 'running', 'done', 'cancelled', 'error'] as const;
export const SCOPES = ['user', 'team'] as const;

export const AccountSchema = z.object({
  provider: ProviderIdSchema,
  id: AccountIdSchema,
  label: z.string().max(80),
  /** The built-in emulator's account (demo mode). */
  demo: z.boolean(),
  key: z.object({
    isSet: z.boolean(),
    last4: z.string().max(4).nullable(),
    source: z.enum(KEY_SOURCES).nullable(),
  }),
  health: z.object({ state: z.enum(HEALTH_STATES), message: z.string().nullable() }),
  /** Apiframe list scope: only my jobs, or every job of my team. */
  scope: z.enum(SCOPES),
  /** Keep fresh: jobs started elsewhere (scripts, other apps) appear on their own. */
  discover: z.boolean(),
  history: z.object({
    state: z.enum(HISTORY_STATES),
    pages: z.number().int().nonnegative(),
    jobs: z.number().int().nonnegative(),
    message: z.string().nullable(),
    finishedAt: z.string().nullable(),
  }),
  /** Per-channel load (useapi.net): running jobs out of maxJobs. Empty where the provider has none. */
  channels: z.array(z.object({ id: z.string(), running: z.number().int(), maxJobs: z.number().int().nullable() })),
});
export type Account = z.infer<typeof AccountSchema>;

export const AccountsStateSchema = z.object({
  keychain: z.object({ available: z.boolean(), message: z.string().nullable() }),
  accounts: z.array(AccountSchema),
});
export type AccountsState = z.infer<typeof AccountsStateSchema>;

export const SaveAccountSchema = z
  .object({
    provider: ProviderIdSchema,
    /** Omit to create a new account (its id is derived from the label). */
    accountId: AccountIdSchema.optional(),
    label: z.string().trim().min(1).max(80).optional(),
    /** A new key; omit to keep the current one. */
    key: z
      .string()
      .trim()
      .min(8)
      .max(512)
      .regex(/^[\x21-\x7e]+$/, 'The key contains a character that cannot be sent (a space, a line break or a non-ASCII character copied with it).')
      .optional(),
    scope: z.enum(SCOPES).optional(),
    discover: z.boolean().optional(),
  })
  .strict();
export type SaveAccount = z.infer<typeof SaveAccountSchema>;

export const AccountRefSchema = z.object({ provider: ProviderIdSchema, accountId: AccountIdSchema }).strict();
