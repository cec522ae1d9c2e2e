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
  for (const provider of ['apiframe', 'useapi'] as const) await secrets.delete(keychainAccount(provider, 'default'));
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

  it('a key set through the KeyRing survives into a fresh KeyRing (a restart) and only its last 4 characters are reported', async () => {
    const first = new KeyRing(secrets, {});
    await first.load();
    const result = await first.set('apiframe', 'afk_persisted_key_WXYZ');
    expect(result.ok).toBe(true);

    const second = new KeyRing(createKeytarSecrets(service), {});
    await second.load();
    expect(second.resolve('apiframe')).toEqual({ key: 'afk_persisted_key_WXYZ', source: 'keychain' });
    const status = second.status();
    expect(status.keychain.available).toBe(true);
    expect(status.providers.find((p) => p.provider === 'apiframe')).toEqual({ provider: 'apiframe', isSet: true, last4: 'WXYZ', source: 'keychain' });
    expect(JSON.stringify(status)).not.toContain('afk_persisted_key_WXYZ');

    await second.clear('apiframe');
    const third = new KeyRing(createKeytarSecrets(service), {});
    await third.load();
    expect(third.resolve('apiframe')).toBeNull();
  });
});
