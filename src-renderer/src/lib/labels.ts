/**
 * Display names for the shared word lists (src-shared/vocabulary.ts, zod-free).
 * The `Record<…>` types make the compiler fail if a provider, status or state
 * is added there and not here. Values from zod-based modules (accounts.ts,
 * settings.ts) are mirrored here so the renderer bundle never pulls in zod.
 */
import type { Account } from '../../../src-shared/accounts';
import type { DownloadFile, DownloadSettings } from '../../../src-shared/downloads';
import type { JobStatus, Modality, ProviderId } from '../../../src-shared/vocabulary';
import { DEFAULT_DOWNLOAD_TEMPLATE, TEMPLATE_VARIABLES as SHARED_TEMPLATE_VARIABLES, TEMPLATE_VARIABLE_DESCRIPTIONS } from '../../../src-shared/template-variables';

export { PROVIDER_IDS, PROVIDER_LABELS, JOB_STATUSES } from '../../../src-shared/vocabulary';

export const PROVIDER_SHORT: Record<ProviderId, string> = {
  apiframe: 'Apiframe',
  useapi: 'useapi',
};

export const STATUS_LABELS: Record<JobStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
};

export const MODALITY_LABELS: Record<Modality, string> = {
  image: 'Image',
  video: 'Video',
  music: 'Music',
  unknown: 'Other',
};

export type HealthState = Account['health']['state'];
export type Scope = Account['scope'];
export type KeySource = NonNullable<Account['key']['source']>;
export type HistoryState = Account['history']['state'];

/** Mirrors SCOPES in src-shared/accounts.ts. */
export const SCOPE_LABELS: Record<Scope, string> = {
  user: 'Only my jobs',
  team: 'All jobs of my team',
};
export const SCOPES = Object.keys(SCOPE_LABELS) as Scope[];

/** Mirrors STALLED_MINUTES in src-shared/settings.ts. */
export const STALLED_MINUTES = { min: 1, max: 24 * 60, default: 10 } as const;

/** "stored in the system keychain", etc.: where the key of an account lives. */
export const KEY_SOURCE_TEXT: Record<KeySource, (provider: ProviderId) => string> = {
  keychain: () => 'stored in the system keychain',
  environment: (p) => `from ${p === 'apiframe' ? 'APIFRAME_API_KEY' : 'USEAPI_TOKEN'}`,
  session: () => 'kept in memory for this session',
  demo: () => 'demo emulator',
};

/** Short account health, shown next to each account in Settings. */
export const HEALTH_SHORT: Record<HealthState, string> = {
  ok: 'Working',
  'key-missing': 'No key yet',
  'key-rejected': 'Key rejected',
  payment: 'Out of credits',
  'account-hold': 'Action needed at the provider',
  unreachable: 'Not reachable',
};

/**
 * Plain-words headline for an account problem. `who` is the provider name,
 * with the account label when the provider has several accounts.
 */
export const HEALTH_HEADLINES: Record<Exclude<HealthState, 'ok'>, (who: string) => string> = {
  'key-missing': (p) => `No ${p} key yet. Add it in Settings to watch your own jobs.`,
  'key-rejected': (p) => `${p} rejected the API key. Check or replace it in Settings.`,
  payment: (p) =>
    `Your ${p} account is out of credits or has no active plan. Your jobs are fine: watching resumes once the account is topped up.`,
  'account-hold': (p) =>
    `${p} put the account on hold until you acknowledge a notice (moderation warning or CAPTCHA) on the provider's site. Watching resumes after that.`,
  unreachable: (p) => `genwatch can't reach ${p} right now. It keeps retrying on its own.`,
};

// ---------------------------------------------------------------------------
// Downloads (mirrors of src-shared/downloads.ts, a zod module).

export type DownloadFileState = DownloadFile['state'];
export type ImagesMode = DownloadSettings['images'];

export { DEFAULT_DOWNLOAD_TEMPLATE };
/** Mirrors the concurrency bounds of DownloadSettingsSchema. */
export const DOWNLOAD_CONCURRENCY = { min: 1, max: 16, default: 6 } as const;
/** The speed-limit choices in settings, MB/s (0 = no limit). */
export const SPEED_LIMITS_MBPS = [0, 1, 2, 5, 10, 25, 50, 100] as const;
/** Mirrors DEFAULT_DOWNLOAD_SETTINGS in src-shared/downloads.ts. */
export const DEFAULT_DOWNLOAD_SETTINGS: DownloadSettings = {
  root: null,
  template: DEFAULT_DOWNLOAD_TEMPLATE,
  auto: true,
  autoModalities: { image: true, video: true, music: true },
  autoPerAccount: {},
  images: 'all',
  privacy: false,
  embedMetadata: true,
  sidecar: true,
  checksums: false,
  fsync: false,
  speedLimitMBps: 0,
  concurrency: DOWNLOAD_CONCURRENCY.default,
};

/** What each naming-template variable becomes (shown under the template field). */
export const TEMPLATE_VARIABLES: readonly { name: string; meaning: string }[] = SHARED_TEMPLATE_VARIABLES.map((name) => ({
  name,
  meaning: TEMPLATE_VARIABLE_DESCRIPTIONS[name],
}));

export const DOWNLOAD_STATE_LABELS: Record<DownloadFileState, string> = {
  queued: 'Waiting',
  active: 'Downloading',
  retrying: 'Retrying',
  paused: 'Paused',
  done: 'Done',
  skipped: 'Already on disk',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const SKIP_REASON_LABELS: Record<NonNullable<DownloadFile['skipReason']>, string> = {
  'already-downloaded': 'Already downloaded',
  'deleted-by-user': 'You deleted this file; not downloaded again',
};

export const IMAGES_MODE_LABELS: Record<ImagesMode, string> = {
  all: 'The grid and every single image',
  grid: 'Only the grid',
  individual: 'Only the single images',
};
