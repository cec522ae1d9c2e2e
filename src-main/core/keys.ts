/**
 * Where each account's key comes from, in order: the OS keychain, the
 * environment (headless use; the provider's 'default' account), a key kept in
 * memory for this session only (when no keychain exists, and the UI says so),
 * then the demo emulator's key (the 'demo' account). Keys are cached in main's
 * memory so polling never touches the keychain.
 */
import type { Account } from '../../src-shared/accounts';
import type { ProviderId } from '../../src-shared/job';
import { err, ok } from '../../src-shared/result';
import type { Result } from '../../src-shared/result';
import type { SecretStore } from './ports';

export type KeySource = NonNullable<Account['key']['source']>;
export interface ResolvedKey {
  key: string;
  source: KeySource;
}
export interface KeychainStatus {
  available: boolean;
  message: string | null;
}

export const DEFAULT_ACCOUNT = 'default';
export const DEMO_ACCOUNT = 'demo';

export const keychainAccount = (provider: ProviderId, accountId: string): string => `${provider}:${accountId}`;

const NO_KEYCHAIN =
  'No system keychain is available, so keys cannot be stored securely; a key entered here is kept in memory until genwatch quits.';

export class KeyRing {
  private readonly keychain = new Map<string, string>();
  private readonly session = new Map<string, string>();
  private readonly demo = new Map<ProviderId, string>();
  private availability: KeychainStatus = { available: false, message: null };

  constructor(
    private readonly secrets: SecretStore,
    private readonly environment: Partial<Record<ProviderId, string>>,
  ) {}

  /** Reads the keychain once at start-up for the accounts we know of. */
  async load(accounts: readonly { provider: ProviderId; id: string }[]): Promise<void> {
    this.availability = await this.secrets.availability();
    if (!this.availability.available) return;
    for (const account of accounts) {
      const name = keychainAccount(account.provider, account.id);
      try {
        const key = await this.secrets.get(name);
        if (key) this.keychain.set(name, key);
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

  resolve(provider: ProviderId, accountId: string): ResolvedKey | null {
    const name = keychainAccount(provider, accountId);
    const candidates: [string | undefined, KeySource][] = [
      [this.keychain.get(name), 'keychain'],
      [accountId === DEFAULT_ACCOUNT ? this.environment[provider] : undefined, 'environment'],
      [this.session.get(name), 'session'],
      [accountId === DEMO_ACCOUNT ? this.demo.get(provider) : undefined, 'demo'],
    ];
    for (const [key, source] of candidates) if (key) return { key, source };
    return null;
  }

  hasEnvironmentKey(provider: ProviderId): boolean {
    return !!this.environment[provider];
  }

  async set(provider: ProviderId, accountId: string, key: string): Promise<Result<null>> {
    const name = keychainAccount(provider, accountId);
    const trimmed = key.trim();
    if (!this.availability.available) {
      // Never a silent plaintext fallback: memory only, and the status says so.
      this.session.set(name, trimmed);
      return ok(null);
    }
    try {
      await this.secrets.set(name, trimmed);
    } catch (error) {
      return err('keychain-unavailable', `The system keychain refused to store the key: ${String(error)}`);
    }
    this.keychain.set(name, trimmed);
    this.session.delete(name);
    return ok(null);
  }

  async clear(provider: ProviderId, accountId: string): Promise<Result<null>> {
    const name = keychainAccount(provider, accountId);
    this.session.delete(name);
    if (this.keychain.has(name)) {
      try {
        await this.secrets.delete(name);
      } catch (error) {
        return err('keychain-unavailable', `The system keychain refused to delete the key: ${String(error)}`);
      }
      this.keychain.delete(name);
    }
    return ok(null);
  }

  /** What the renderer may know about a key: whether it is set, its last 4 characters, where it lives. */
  describe(provider: ProviderId, accountId: string): Account['key'] {
    const resolved = this.resolve(provider, accountId);
    return { isSet: resolved !== null, last4: resolved ? resolved.key.slice(-4) : null, source: resolved ? resolved.source : null };
  }

  keychainStatus(): KeychainStatus {
    return this.availability.available ? { available: true, message: null } : { available: false, message: this.availability.message ?? NO_KEYCHAIN };
  }
}
