/**
 * App settings: theme, provider addresses, the stalled threshold. Accounts and
 * their keys live in AccountsState (accounts.svelte.ts).
 */
import type { GenwatchApi } from '../../../src-shared/bridge';
import type { ProviderId } from '../../../src-shared/job';
import type { Settings, SettingsPatch } from '../../../src-shared/settings';
import { errorMessage, settle } from './ipc';
import { STALLED_MINUTES } from './labels';

export type Theme = Settings['theme'];
export type Notice = { tone: 'ok' | 'error'; text: string };
type PerProvider<T> = Record<ProviderId, T>;

export class SettingsState {
  readonly #bridge: GenwatchApi;

  settings = $state<Settings | null>(null);
  loadError = $state<string | null>(null);

  baseUrlBusy = $state<PerProvider<boolean>>({ apiframe: false, useapi: false });
  baseUrlNotice = $state<PerProvider<Notice | null>>({ apiframe: null, useapi: null });
  themeError = $state<string | null>(null);
  stalledBusy = $state(false);
  stalledNotice = $state<Notice | null>(null);

  constructor(bridge: GenwatchApi) {
    this.#bridge = bridge;
  }

  readonly theme: Theme = $derived(this.settings?.theme ?? 'system');
  readonly stalledAfterMinutes: number = $derived(this.settings?.stalledAfterMinutes ?? STALLED_MINUTES.default);

  baseUrl(provider: ProviderId): string | null {
    return this.settings?.providers[provider].baseUrl ?? null;
  }

  async load(): Promise<void> {
    const settings = await settle(() => this.#bridge.getSettings({}));
    if (settings.ok) this.settings = settings.value;
    this.loadError = settings.ok ? null : errorMessage(settings.error);
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

  /** Whole minutes within the allowed range; anything else is explained, not sent. */
  async saveStalledMinutes(value: number | string): Promise<boolean> {
    const minutes = typeof value === 'number' ? value : Number(String(value).trim());
    if (!Number.isInteger(minutes) || minutes < STALLED_MINUTES.min || minutes > STALLED_MINUTES.max) {
      this.stalledNotice = {
        tone: 'error',
        text: `Enter whole minutes from ${STALLED_MINUTES.min} to ${STALLED_MINUTES.max.toLocaleString('en-US')}.`,
      };
      return false;
    }
    this.stalledBusy = true;
    this.stalledNotice = null;
    try {
      const result = await this.updateSettings({ stalledAfterMinutes: minutes });
      this.stalledNotice = result.ok
        ? { tone: 'ok', text: `Jobs without progress for ${minutes} min are flagged as stalled.` }
        : { tone: 'error', text: result.message };
      return result.ok;
    } finally {
      this.stalledBusy = false;
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
