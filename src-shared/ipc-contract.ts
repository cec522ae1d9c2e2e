/**
 * The IPC contract: one runtime schema per method request/response and per
 * pushed event. Static types are inferred from these, and main validates every
 * payload against them before a handler sees it.
 */
import { z } from 'zod';
import type { EventName, InvokeMethod } from './channel-names';
import { JobSchema, ProviderIdSchema } from './job';
import { AccountIdSchema, AccountRefSchema, AccountsStateSchema, HEALTH_STATES, SaveAccountSchema } from './accounts';
import { DownloadsStateSchema } from './downloads';
import { BaseUrlSchema, SettingsSchema, WindowSettingsPatchSchema } from './settings';

const Empty = z.object({}).strict();

export const AccountHealthSchema = z.object({
  provider: ProviderIdSchema,
  accountId: z.string(),
  state: z.enum(HEALTH_STATES),
  message: z.string().nullable(),
});
export type AccountHealth = z.infer<typeof AccountHealthSchema>;

export const AppStatusSchema = z.object({
  demoMode: z.boolean(),
  accounts: z.array(AccountHealthSchema),
  counts: z.object({ queued: z.number(), running: z.number(), completed: z.number(), failed: z.number() }),
  /** Start-up notices in plain words (a store moved aside, jobs that could not be read). */
  warnings: z.array(z.string()),
});
export type AppStatus = z.infer<typeof AppStatusSchema>;

export const AppInfoSchema = z.object({
  version: z.string(),
  platform: z.string(),
  status: AppStatusSchema,
});

/** Largest paste we accept in one call: 10,000 ids of ~80 chars plus separators. */
export const MAX_ADD_INPUT_CHARS = 2_000_000;

export const AddJobsResultSchema = z.object({
  added: z.array(z.string()),
  alreadyWatched: z.array(z.string()),
  rejected: z.array(z.object({ input: z.string(), reason: z.string() })),
});
export type AddJobsResult = z.infer<typeof AddJobsResultSchema>;

export const invokeContract = {
  getAppInfo: { request: Empty, response: AppInfoSchema },
  listJobs: { request: Empty, response: z.array(JobSchema) },
  addJobs: {
    request: z
      .object({
        provider: ProviderIdSchema,
        /** Omit for the provider's active account (the first with a key, else the demo one). */
        accountId: AccountIdSchema.optional(),
        input: z.string().max(MAX_ADD_INPUT_CHARS),
      })
      .strict(),
    response: AddJobsResultSchema,
  },
  removeJobs: {
    request: z.object({ keys: z.array(z.string().max(400)).max(100_000) }).strict(),
    response: z.object({ removed: z.number().int() }),
  },
  /** Cancels a running job at the provider (where the API allows it: useapi.net). */
  cancelJob: { request: z.object({ key: z.string().max(400) }).strict(), response: z.null() },
  /** The window shows (or stops showing) live progress: providers whose lists carry none refresh it only then. */
  setWindowVisible: { request: z.object({ visible: z.boolean() }).strict(), response: z.null() },
  /** The page saw the network come back (`online` event): accounts in backoff are retried at once. */
  networkOnline: { request: z.object({}).strict(), response: z.null() },
  getSettings: { request: Empty, response: SettingsSchema },
  updateSettings: { request: WindowSettingsPatchSchema, response: SettingsSchema },
  /**
   * A provider's API address (null: its public API). Before an account's key goes to a server
   * other than the provider's own or the one already set, main asks the user (a native dialog
   * the page cannot answer); `changed: false` when they said no.
   */
  setProviderBaseUrl: {
    request: z.object({ provider: ProviderIdSchema, baseUrl: BaseUrlSchema }).strict(),
    response: z.object({ changed: z.boolean(), settings: SettingsSchema }),
  },
  listAccounts: { request: Empty, response: AccountsStateSchema },
  saveAccount: { request: SaveAccountSchema, response: AccountsStateSchema },
  removeAccount: {
    request: AccountRefSchema.extend({ forgetJobs: z.boolean() }).strict(),
    response: AccountsStateSchema,
  },
  /** Imports the account's whole job history (all pages); progress arrives as `accounts` events. */
  importHistory: { request: AccountRefSchema, response: AccountsStateSchema },
  cancelImport: { request: AccountRefSchema, response: AccountsStateSchema },
  /** "Check again": a paused account (no credits, moderation hold) is polled again at once. */
  resumeAccount: { request: AccountRefSchema, response: AccountsStateSchema },
  openExternal: {
    request: z.object({ url: z.url({ protocol: /^https$/ }).max(4096) }).strict(),
    response: z.null(),
  },
  /** Opens the system folder picker; the chosen folder becomes the download root. */
  chooseDownloadFolder: { request: Empty, response: z.object({ root: z.string().nullable() }) },
  /** What a naming template makes of a sample job (live preview in settings). */
  previewFileName: { request: z.object({ template: z.string().max(300) }).strict(), response: z.object({ path: z.string() }) },
  /** Downloads every asset of these jobs (skipping what is already on disk unless `force`). */
  downloadJobs: {
    request: z.object({ keys: z.array(z.string().max(400)).min(1).max(100_000), force: z.boolean().optional() }).strict(),
    response: z.object({ batchId: z.string(), files: z.number().int(), skipped: z.number().int(), failed: z.number().int() }),
  },
  getDownloads: { request: Empty, response: DownloadsStateSchema },
  /** Pause, resume or cancel one file (`id`) or everything (no id); `clear` drops finished rows. */
  controlDownloads: {
    request: z.object({ action: z.enum(['pause', 'resume', 'cancel', 'clear']), id: z.string().max(200).optional() }).strict(),
    response: DownloadsStateSchema,
  },
  retryFailedDownloads: {
    request: z.object({ batchId: z.string().max(200) }).strict(),
    response: z.object({ batchId: z.string(), files: z.number().int(), skipped: z.number().int(), failed: z.number().int() }),
  },
  /** Shows a downloaded file in the system file manager (only files inside the download folder). */
  revealFile: { request: z.object({ path: z.string().max(4096) }).strict(), response: z.null() },
  /** Opens a downloaded file with its default app (only files inside the download folder). */
  openFile: { request: z.object({ path: z.string().max(4096) }).strict(), response: z.null() },
} as const satisfies Record<InvokeMethod, { request: z.ZodType; response: z.ZodType }>;

export const JobsDeltaSchema = z.object({
  upserted: z.array(JobSchema),
  removed: z.array(z.string()),
});
export type JobsDelta = z.infer<typeof JobsDeltaSchema>;

/** Main asks the window to show something (a notification or tray click, a menu shortcut). */
export const NavigationRequestSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('view'), view: z.enum(['jobs', 'downloads', 'credits', 'settings']) }),
  z.object({ kind: z.literal('job'), key: z.string() }),
  z.object({ kind: z.literal('jobs'), keys: z.array(z.string()) }),
  z.object({ kind: z.literal('add-jobs') }),
]);
export type NavigationRequest = z.infer<typeof NavigationRequestSchema>;

export const eventContract = {
  jobsDelta: JobsDeltaSchema,
  appStatus: AppStatusSchema,
  accounts: AccountsStateSchema,
  downloads: DownloadsStateSchema,
  /** Settings changed outside the window (tray mutes, test hooks): the window re-reads them. */
  settings: SettingsSchema,
  navigate: NavigationRequestSchema,
} as const satisfies Record<EventName, z.ZodType>;

export type InvokeContract = typeof invokeContract;
export type Request<M extends InvokeMethod> = z.input<InvokeContract[M]['request']>;
export type Response<M extends InvokeMethod> = z.infer<InvokeContract[M]['response']>;
export type EventPayload<E extends EventName> = z.infer<(typeof eventContract)[E]>;
