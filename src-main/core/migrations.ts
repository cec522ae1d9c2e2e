/**
 * Store schema versions and the idempotent steps between them. We run our
 * own steps (electron-store's `migrations` option is unsupported upstream).
 *   1: the foundation layout (settings, jobs; keys per provider)
 *   2: accounts (several per provider); jobs and keychain entries keyed by account
 */
import { PROVIDER_IDS } from '../../src-shared/job';
import { newAccountRecord } from './account-book';
import type { KeyValueStore, Logger } from './ports';

export const CURRENT_SCHEMA = 2;
const VERSION_KEY = 'schemaVersion';

const steps: Record<number, (kv: KeyValueStore) => void> = {
  2: (kv) => {
    // Version 2 added watch.progressAt (when progress last moved) to every job.
    const stored = kv.get('jobs');
    if (Array.isArray(stored)) {
      kv.set(
        'jobs',
        stored.map((job: unknown) => {
          if (!job || typeof job !== 'object' || !('watch' in job)) return job;
          const watch = (job as { watch: unknown }).watch;
          return watch && typeof watch === 'object' && !('progressAt' in watch) ? { ...job, watch: { ...watch, progressAt: null } } : job;
        }),
      );
    }
    // Version 1 had one implicit account per provider: make it explicit.
    const jobs = kv.get('jobs');
    const providersWithJobs = new Set<string>();
    if (Array.isArray(jobs)) {
      for (const job of jobs) {
        if (job && typeof job === 'object' && 'provider' in job) providersWithJobs.add(String((job as { provider: unknown }).provider));
      }
    }
    const existing = kv.get('accounts');
    if (Array.isArray(existing) && existing.length > 0) return;
    kv.set(
      'accounts',
      PROVIDER_IDS.filter((p) => providersWithJobs.has(p)).map((p) => newAccountRecord(p, 'default')),
    );
  },
};

/**
 * Jobs moved out of the settings store into a file of their own (large and
 * written often); a store from before that keeps them under `jobs`.
 */
export function moveJobsToOwnStore(kv: KeyValueStore, jobsKv: KeyValueStore): void {
  if (kv === jobsKv) return;
  const legacy = kv.get('jobs');
  if (legacy === undefined) return;
  if (jobsKv.get('jobs') === undefined) jobsKv.set('jobs', legacy);
  kv.delete('jobs');
}

/** Brings a store up to CURRENT_SCHEMA. A store from a newer genwatch is left untouched (and reported). */
export function migrate(kv: KeyValueStore, logger: Logger): { from: number; to: number; warning: string | null } {
  const raw = kv.get(VERSION_KEY);
  const from = typeof raw === 'number' && Number.isInteger(raw) ? raw : kv.get('settings') === undefined && kv.get('jobs') === undefined ? CURRENT_SCHEMA : 1;
  if (from > CURRENT_SCHEMA) {
    return { from, to: from, warning: `Your saved data comes from a newer genwatch (schema ${from}); some of it may be ignored.` };
  }
  for (let version = from + 1; version <= CURRENT_SCHEMA; version++) {
    steps[version]?.(kv);
    kv.set(VERSION_KEY, version);
    logger.info('store migrated', { to: version });
  }
  if (raw === undefined) kv.set(VERSION_KEY, CURRENT_SCHEMA);
  return { from, to: CURRENT_SCHEMA, warning: null };
}
