/**
 * Settings and key status. The key itself is passed straight through to main
 * and never stored here: the renderer only ever holds `last4`.
 */
import type { GenwatchApi } from '../../../src-shared/bridge';
import type { ProviderId } from '../../../src-shared/job';
import type { KeysStatus, KeyStatus, Settings, SettingsPatch } from '../../../src-shared/settings';
import { errorMessage, settle } from './ipc';

export type Theme = Settings['theme'];
export type Notice = { tone: 'ok' | 'error'; text: string };
type PerProvider<T> = Record<ProviderId, T>;

export class SettingsState {
  readonly #bridge: GenwatchApi;

  settings = $state<Settings | null>(null);
  keys = $state<KeysStatus | null>(null);
  loadError = $state<string | null>(null);

  keyBusy = $state<PerProvider<boolean>>({ apiframe: false, useapi: false });
  keyNotice = $state<PerProvider<Notice | null>>({ apiframe: null, useapi: null });
  baseUrlBusy = $state<PerProvider<boolean>>({ apiframe: false, useapi: false });
  baseUrlNotice = $state<PerProvider<Notice | null>>({ apiframe: null, useapi: null });
  themeError = $state<string | null>(null);

  constructor(bridge: GenwatchApi) {
    this.#bridge = bridge;
  }

  readonly theme: Theme = $derived(this.settings?.theme ?? 'system');

  keyStatus(provider: ProviderId): KeyStatus | null {
    return this.keys?.providers.find((k) => k.provider === provider) ?? null;
  }

  baseUrl(provider: ProviderId): string | null {
    return this.settings?.providers[provider].baseUrl ?? null;
  }

  async load(): Promise<void> {
    const [settings, keys] = await Promise.all([
      settle(() => this.#bridge.getSettings({})),
      settle(() => this.#bridge.getKeys({})),
    ]);
    if (settings.ok) this.settings = settings.value;
    if (keys.ok) this.keys = keys.value;
    const failed = !settings.ok ? settings.error : !keys.ok ? keys.error : null;
    this.loadError = failed ? errorMessage(failed) : null;
  }

  async setKey(provider: ProviderId, key: string): Promise<boolean> {
    const trimmed = key.trim();
    if (!trimmed) return false;
    this.keyBusy[provider] = true;
    this.keyNotice[provider] = null;
    try {
      const result = await settle(() => this.#bridge.setKey({ provider, key: trimmed }));
      if (!result.ok) {
        this.keyNotice[provider] = { tone: 'error', text: errorMessage(result.error) };
        return false;
      }
      this.keys = result.value;
      this.keyNotice[provider] = { tone: 'ok', text: 'Key saved.' };
      return true;
    } finally {
      this.keyBusy[provider] = false;
    }
  }

  async clearKey(provider: ProviderId): Promise<boolean> {
    this.keyBusy[provider] = true;
    this.keyNotice[provider] = null;
    try {
      const result = await settle(() => this.#bridge.clearKey({ provider }));
      if (!result.ok) {
        this.keyNotice[provider] = { tone: 'error', text: errorMessage(result.error) };
        return false;
      }
      this.keys = result.value;
      this.keyNotice[provider] = { tone: 'ok', text: 'Key removed.' };
      return true;
    } finally {
      this.keyBusy[provider] = false;
    }
  }

  async updateSettings(patch: SettingsPatch): Promise<{ ok: true } | { ok: false; message: string }> {
    const result = await settle(() => this.#bridge.updateSettings(patch));
    if (!result.ok) return { ok: false, message: errorMessage(result.error) };
    this.settings = result.value;
    return { ok: true };
  }

  /** Empty (or whitespace) means "use the provider's default". */
  async saveBaseUrl(provider: ProviderId, value: string): Promise<boolean> {
    const baseUrl = value.trim() === '' ? null : value.trim();
    this.baseUrlBusy[provider] = true;
    this.baseUrlNotice[provider] = null;
    try {
      const result = await this.updateSettings({ providers: { [provider]: { baseUrl } } });
      this.baseUrlNotice[provider] = result.ok
        ? { tone: 'ok', text: baseUrl === null ? 'Using the default address.' : 'Address saved.' }
        : { tone: 'error', text: result.message };
      return result.ok;
    } finally {
      this.baseUrlBusy[provider] = false;
    }
  }

  async setTheme(theme: Theme): Promise<void> {
    const previous = this.settings;
    // Apply at once; roll back if main refuses.
    if (previous) this.settings = { ...previous, theme };
    const result = await this.updateSettings({ theme });
    if (!result.ok) {
      this.settings = previous;
      this.themeError = result.message;
    } else {
      this.themeError = null;
    }
  }
}
