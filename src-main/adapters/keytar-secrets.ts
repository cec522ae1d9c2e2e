/**
 * SecretStore over keytar (macOS Keychain, Windows Credential Vault, Linux
 * Secret Service). keytar is loaded lazily: on a Linux box without libsecret
 * or without a running Secret Service it must not crash the app, only make
 * `availability()` say why keys cannot be stored.
 */
import type { SecretStore } from '../core/ports';

export const KEYCHAIN_SERVICE = 'genwatch';

interface KeytarModule {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<{ account: string; password: string }[]>;
}

function explain(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/libsecret/i.test(text)) return 'libsecret is not installed, so the system keychain cannot be used.';
  if (/dbus|autolaunch|org\.freedesktop\.secrets|secret service/i.test(text)) {
    return 'No Secret Service (gnome-keyring or KWallet) is running, so keys cannot be stored securely.';
  }
  return `The system keychain is not available (${text.slice(0, 200)}).`;
}

export function createKeytarSecrets(service = KEYCHAIN_SERVICE): SecretStore {
  let loaded: Promise<KeytarModule> | null = null;
  const load = (): Promise<KeytarModule> => {
    loaded ??= import('keytar').then((module) => {
      const candidate = (module as { default?: KeytarModule }).default ?? (module as unknown as KeytarModule);
      return candidate;
    });
    return loaded;
  };
  return {
    async availability() {
      try {
        const keytar = await load();
        // A real round trip: findCredentials fails fast when no Secret Service answers.
        await keytar.findCredentials(service);
        return { available: true, message: null };
      } catch (error) {
        return { available: false, message: explain(error) };
      }
    },
    async get(account) {
      return (await load()).getPassword(service, account);
    },
    async set(account, secret) {
      await (await load()).setPassword(service, account, secret);
    },
    async delete(account) {
      return (await load()).deletePassword(service, account);
    },
  };
}
