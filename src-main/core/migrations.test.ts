import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src-shared/settings';
import { AccountRecordSchema } from './account-book';
import { CURRENT_SCHEMA, migrate } from './migrations';
import { RecordingKv, RecordingLogger } from './testing/fakes';

const V1_JOB = { key: 'apiframe:default:x', provider: 'apiframe', accountId: 'default', id: 'x' };

function v1Store(jobs: unknown[] = [V1_JOB]): RecordingKv {
  const kv = new RecordingKv();
  kv.set('settings', { theme: 'dark', providers: DEFAULT_SETTINGS.providers });
  kv.set('jobs', jobs);
  return kv;
}

describe('migrate', () => {
  it('v1 store (settings + apiframe jobs, no accounts, no schemaVersion): a default apiframe account, schema 2, the rest untouched', () => {
    const kv = v1Store();
    const result = migrate(kv, new RecordingLogger());
    expect(result).toEqual({ from: 1, to: 2, warning: null });
    expect(CURRENT_SCHEMA).toBe(2);
    expect(kv.get('schemaVersion')).toBe(2);
    const accounts = kv.get('accounts');
    expect(Array.isArray(accounts)).toBe(true);
    expect(accounts).toHaveLength(1);
    const record = AccountRecordSchema.parse((accounts as unknown[])[0]);
    expect(record).toMatchObject({ provider: 'apiframe', id: 'default', scope: 'user', discover: false, history: { state: 'never', pages: 0, jobs: 0, cursor: null } });
    expect(kv.get('jobs')).toEqual([V1_JOB]);
    expect(kv.get('settings')).toEqual({ theme: 'dark', providers: DEFAULT_SETTINGS.providers });
  });

  it('v1 store with settings but no jobs: schema 2 and no account records', () => {
    const kv = new RecordingKv();
    kv.set('settings', DEFAULT_SETTINGS);
    expect(migrate(kv, new RecordingLogger()).from).toBe(1);
    expect(kv.get('accounts')).toEqual([]);
    expect(kv.get('schemaVersion')).toBe(2);
  });

  it('an explicit schemaVersion 1 is migrated the same way', () => {
    const kv = v1Store();
    kv.set('schemaVersion', 1);
    expect(migrate(kv, new RecordingLogger())).toEqual({ from: 1, to: 2, warning: null });
    expect(kv.get('accounts')).toHaveLength(1);
  });

  it('a fresh store goes to schema 2 directly, with no migration step and no accounts written', () => {
    const kv = new RecordingKv();
    const logger = new RecordingLogger();
    expect(migrate(kv, logger)).toEqual({ from: 2, to: 2, warning: null });
    expect(kv.get('schemaVersion')).toBe(2);
    expect(kv.writesOf('accounts')).toBe(0);
    expect(logger.entries.filter((e) => e.message === 'store migrated')).toEqual([]);
  });

  it('a store from a newer genwatch is left untouched and produces a warning', () => {
    const kv = v1Store();
    kv.set('schemaVersion', 7);
    const before = kv.history.length;
    const result = migrate(kv, new RecordingLogger());
    expect(result.from).toBe(7);
    expect(result.to).toBe(7);
    expect(result.warning).toMatch(/newer genwatch \(schema 7\)/);
    expect(kv.history).toHaveLength(before);
    expect(kv.get('accounts')).toBeUndefined();
  });

  it('is idempotent: running it again changes nothing', () => {
    const kv = v1Store();
    migrate(kv, new RecordingLogger());
    const snapshot = { accounts: kv.get('accounts'), jobs: kv.get('jobs'), settings: kv.get('settings'), schemaVersion: kv.get('schemaVersion') };
    const writes = kv.history.length;
    expect(migrate(kv, new RecordingLogger())).toEqual({ from: 2, to: 2, warning: null });
    expect(kv.history).toHaveLength(writes);
    expect({ accounts: kv.get('accounts'), jobs: kv.get('jobs'), settings: kv.get('settings'), schemaVersion: kv.get('schemaVersion') }).toEqual(snapshot);
  });

  it('the 1→2 step keeps accounts that already exist (a half-finished earlier run)', () => {
    const kv = v1Store();
    const existing = [{ provider: 'apiframe', id: 'studio' }];
    kv.set('accounts', existing);
    migrate(kv, new RecordingLogger());
    expect(kv.get('accounts')).toEqual(existing);
    expect(kv.get('schemaVersion')).toBe(2);
  });

  it('ignores malformed job entries when deciding which providers had jobs', () => {
    const kv = v1Store([null, 42, 'x', { provider: 'unknown-provider' }]);
    migrate(kv, new RecordingLogger());
    expect(kv.get('accounts')).toEqual([]);
  });
});
