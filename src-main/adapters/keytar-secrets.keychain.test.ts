/**
 * The real OS keychain through keytar. Runs inside scripts/with-keyring.sh
 * (a private D-Bus session with an unlocked gnome-keyring); CI does that.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing, keychainAccount } from '../core/keys';
import { createKeytarSecrets } from './keytar-secrets';

const service = `genwatch-test-${randomUUID()}`;
const secrets = createKeytarSecrets(service);

afterEach(async () => {
  for (const provider of ['apiframe', 'useapi'] as const) {
    for (const account of ['default', 'studio']) await secrets.delete(keychainAccount(provider, account));
  }
});

describe('keytar SecretStore against a real Secret Service', () => {
  it('reports the keychain as available', async () => {
    expect(await secrets.availability()).toEqual({ available: true, message: null });
  });

  it('stores, reads back and deletes a key', async () => {
    await secrets.set('apiframe:default', 'afk_roundtrip_1234');
    expect(await secrets.get('apiframe:default')).toBe('afk_roundtrip_1234');
    expect(await secrets.delete('apiframe:default')).toBe(true);
    expect(await secrets.get('apiframe:default')).toBeNull();
  });

  it('a key set through the KeyRing survives into a fresh KeyRing (a restart) and only its last 4 characters are described', async () => {
    const first = new KeyRing(secrets, {});
    await first.load([]);
    expect(first.keychainStatus()).toEqual({ available: true, message: null });
    const result = await first.set('apiframe', 'default', 'afk_persisted_key_WXYZ');
    expect(result.ok).toBe(true);

    const second = new KeyRing(createKeytarSecrets(service), {});
    await second.load([{ provider: 'apiframe', id: 'default' }]);
    expect(second.resolve('apiframe', 'default')).toEqual({ key: 'afk_persisted_key_WXYZ', source: 'keychain' });
    const described = second.describe('apiframe', 'default');
    expect(described).toEqual({ isSet: true, last4: 'WXYZ', source: 'keychain' });
    expect(JSON.stringify(described)).not.toContain('afk_persisted_key_WXYZ');

    const cleared = await second.clear('apiframe', 'default');
    expect(cleared.ok).toBe(true);
    const third = new KeyRing(createKeytarSecrets(service), {});
    await third.load([{ provider: 'apiframe', id: 'default' }]);
    expect(third.resolve('apiframe', 'default')).toBeNull();
  });

  it('each account has its own keychain entry: two accounts of one provider keep separate keys', async () => {
    const ring = new KeyRing(secrets, {});
    await ring.load([]);
    expect((await ring.set('apiframe', 'default', 'afk_first_account_1111')).ok).toBe(true);
    expect((await ring.set('apiframe', 'studio', 'afk_second_account_2222')).ok).toBe(true);
    expect(await secrets.get(keychainAccount('apiframe', 'studio'))).toBe('afk_second_account_2222');

    const fresh = new KeyRing(createKeytarSecrets(service), {});
    await fresh.load([
      { provider: 'apiframe', id: 'default' },
      { provider: 'apiframe', id: 'studio' },
    ]);
    expect(fresh.resolve('apiframe', 'default')?.key).toBe('afk_first_account_1111');
    expect(fresh.resolve('apiframe', 'studio')?.key).toBe('afk_second_account_2222');
    await fresh.clear('apiframe', 'studio');
    expect(await secrets.get(keychainAccount('apiframe', 'studio'))).toBeNull();
    expect(await secrets.get(keychainAccount('apiframe', 'default'))).toBe('afk_first_account_1111');
  });
});
