/**
 * Where each provider's key comes from, in order: the OS keychain, the
 * environment (headless use), a key kept in memory for this session only
 * (when no keychain exists, and the UI says so), then the demo emulator's key.
 * Keys are cached in main's memory so polling never touches the keychain.
 */
import { PROVIDER_IDS } from '../../src-shared/job';
import type { ProviderId } from '../../src-shared/job';
import type { KeyStatus, KeysStatus } from '../../src-shared/settings';
import { err, ok } from '../../src-shared/result';
import type { Result } from '../../src-shared/result';
import type { SecretStore } from './ports';

export type KeySource = NonNullable<KeyStatus['source']>;
interface ResolvedKey {
  key: string;
  source: KeySource;
}

export const keychainAccount = (provider: ProviderId, accountId: string): string => `${provider}:${accountId}`;

export class KeyRing {
  private readonly keychain = new Map<ProviderId, string>();
  private readonly session = new Map<ProviderId, string>();
  private readonly demo = new Map<ProviderId, string>();
  private availability: { available: boolean; message: string | null } = { available: false, message: null };

  constructor(
    private readonly secrets: SecretStore,
    private readonly environment: Partial<Record<ProviderId, string>>,
  ) {}

  /** Reads the keychain once at start-up. */
  async load(): Promise<void> {
    this.availability = await this.secrets.availability();
    if (!this.availability.available) return;
    for (const provider of PROVIDER_IDS) {
      try {
        const key = await this.secrets.get(keychainAccount(provider, 'default'));
        if (key) this.keychain.set(provider, key);
      } catch (error) {
        this.availability = { available: false, message: `The system keychain could not be read: ${String(error)}` };
        return;
      }
    }
  }

  setDemoKey(provider: ProviderId, key: string | null): void {
    if (key === null) this.demo.delete(provider);
    else this.demo.set(provider, key);
  }

  resolve(provider: ProviderId): ResolvedKey | null {
    const candidates: [string | undefined, KeySource][] = [
      [this.keychain.get(provider), 'keychain'],
      [this.environment[provider], 'environment'],
      [this.session.get(provider), 'session'],
      [this.demo.get(provider), 'demo'],
    ];
    for (const [key, source] of candidates) if (key) return { key, source };
    return null;
  }

  /** True when a real (non-demo) key is configured for the provider. */
  hasUserKey(provider: ProviderId): boolean {
    const resolved = this.resolve(provider);
    return resolved !== null && resolved.source !== 'demo';
  }

  async set(provider: ProviderId, key: string): Promise<Result<KeysStatus>> {
    const trimmed = key.trim();
    if (!this.availability.available) {
      // Never a silent plaintext fallback: memory only, and the status says so.
      this.session.set(provider, trimmed);
      return ok(this.status());
    }
    try {
      await this.secrets.set(keychainAccount(provider, 'default'), trimmed);
    } catch (error) {
      return err('keychain-unavailable', `The system keychain refused to store the key: ${String(error)}`);
    }
    this.keychain.set(provider, trimmed);
    this.session.delete(provider);
    return ok(this.status());
  }

  async clear(provider: ProviderId): Promise<Result<KeysStatus>> {
    this.session.delete(provider);
    if (this.keychain.has(provider)) {
      try {
        await this.secrets.delete(keychainAccount(provider, 'default'));
      } catch (error) {
        return err('keychain-unavailable', `The system keychain refused to delete the key: ${String(error)}`);
      }
      this.keychain.delete(provider);
    }
    return ok(this.status());
  }

  status(): KeysStatus {
    return {
      keychain: {
        available: this.availability.available,
        message: this.availability.available
          ? null
          : (this.availability.message ??
            'No system keychain is available, so keys cannot be stored securely; a key entered here is kept in memory until genwatch quits.'),
      },
      providers: PROVIDER_IDS.map((provider) => {
        const resolved = this.resolve(provider);
        return {
          provider,
          isSet: resolved !== null,
          last4: resolved ? resolved.key.slice(-4) : null,
          source: resolved ? resolved.source : null,
        };
      }),
    };
  }
}
