/**
 * App settings: theme, provider addresses, the stalled threshold, downloads,
 * notifications and desktop behaviour. Accounts and their keys live in
 * AccountsState (accounts.svelte.ts).
 */
import { int } from './format';
import type { GenwatchApi } from '../../../src-shared/bridge';
import type { ProviderId } from '../../../src-shared/job';
import { isHttpsOrLoopbackUrl, UNSAFE_API_BASE } from '../../../src-shared/loopback';
import type { DownloadSettings } from '../../../src-shared/downloads';
import type { DesktopSettings, NotificationSettings, Settings, SettingsPatch } from '../../../src-shared/settings';
import { errorMessage, settle } from './ipc';
import { DEFAULT_DOWNLOAD_SETTINGS, STALLED_MINUTES } from './labels';

export type Theme = Settings['theme'];
export type Notice = { tone: 'ok' | 'error'; text: string };
type PerProvider<T> = Record<ProviderId, T>;
export type Section = 'downloads' | 'notifications' | 'desktop';
/** What the naming template makes of a sample job, or why it cannot be used. */
export type TemplatePreview = { template: string; path: string | null; error: string | null; pending: boolean };

export const PREVIEW_DEBOUNCE_MS = 250;

/** Mirrors the defaults of src-shared/settings.ts for a settings file written before these sections existed. */
const DEFAULT_NOTIFICATIONS: NotificationSettings = {
  enabled: true,
  onCompleted: true,
  onFailed: true,
  quietWhenFocused: true,
  perAccount: {},
  mutedUntil: {},
};
const DEFAULT_DESKTOP: DesktopSettings = { closeToTray: true, launchAtLogin: false, startHidden: false };

export class SettingsState {
  readonly #bridge: GenwatchApi;

  settings = $state<Settings | null>(null);
  loadError = $state<string | null>(null);

  baseUrlBusy = $state<PerProvider<boolean>>({ apiframe: false, useapi: false });
  baseUrlNotice = $state<PerProvider<Notice | null>>({ apiframe: null, useapi: null });
  themeError = $state<string | null>(null);
  stalledBusy = $state(false);
  stalledNotice = $state<Notice | null>(null);

  sectionBusy = $state<Record<Section, boolean>>({ downloads: false, notifications: false, desktop: false });
  sectionNotice = $state<Record<Section, Notice | null>>({ downloads: null, notifications: null, desktop: null });
  templatePreview = $state<TemplatePreview | null>(null);
  #previewTimer: ReturnType<typeof setTimeout> | null = null;
  #previewSeq = 0;

  constructor(bridge: GenwatchApi) {
    this.#bridge = bridge;
  }

  readonly downloads: DownloadSettings = $derived(this.settings?.downloads ?? DEFAULT_DOWNLOAD_SETTINGS);
  readonly notifications: NotificationSettings = $derived(this.settings?.notifications ?? DEFAULT_NOTIFICATIONS);
  readonly desktop: DesktopSettings = $derived(this.settings?.desktop ?? DEFAULT_DESKTOP);

  readonly theme: Theme = $derived(this.settings?.theme ?? 'system');
  readonly stalledAfterMinutes: number = $derived(this.settings?.stalledAfterMinutes ?? STALLED_MINUTES.default);

  baseUrl(provider: ProviderId): string | null {
    return this.settings?.providers[provider].baseUrl ?? null;
  }

  /** Follows settings changed outside the window (tray mutes). Returns the unsubscribe function. */
  follow(): () => void {
    return this.#bridge.on('settings', (settings) => {
      this.settings = settings;
    });
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
    // Said here in plain words (main refuses it too): a key must not cross the network in clear text.
    if (baseUrl !== null && !isHttpsOrLoopbackUrl(baseUrl)) {
      this.baseUrlNotice[provider] = { tone: 'error', text: `The address ${UNSAFE_API_BASE}.` };
      return false;
    }
    this.baseUrlBusy[provider] = true;
    this.baseUrlNotice[provider] = null;
    try {
      // Main asks the user (a dialog this page cannot answer) before a key goes to a new server.
      const result = await settle(() => this.#bridge.setProviderBaseUrl({ provider, baseUrl }));
      if (!result.ok) {
        this.baseUrlNotice[provider] = { tone: 'error', text: errorMessage(result.error) };
        return false;
      }
      this.settings = result.value.settings;
      this.baseUrlNotice[provider] = !result.value.changed
        ? { tone: 'error', text: 'Not changed: the key stays with the address it had.' }
        : { tone: 'ok', text: baseUrl === null ? 'Using the default address.' : 'Address saved.' };
      return result.value.changed;
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
        text: `Enter whole minutes from ${STALLED_MINUTES.min} to ${int(STALLED_MINUTES.max)}.`,
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

  /**
   * Saves part of one section. Applied at once so switches respond, rolled
   * back (with the reason) if main refuses.
   */
  async saveSection<S extends Section>(section: S, patch: Partial<Settings[S]>, okText: string | null = null): Promise<boolean> {
    const previous = this.settings;
    if (previous) this.settings = { ...previous, [section]: { ...previous[section], ...patch } };
    this.sectionBusy[section] = true;
    this.sectionNotice[section] = null;
    try {
      const result = await this.updateSettings({ [section]: patch } as SettingsPatch);
      if (!result.ok) {
        this.settings = previous;
        this.sectionNotice[section] = { tone: 'error', text: result.message };
        return false;
      }
      if (okText) this.sectionNotice[section] = { tone: 'ok', text: okText };
      return true;
    } finally {
      this.sectionBusy[section] = false;
    }
  }

  /** The folder picked in the system dialog (main saved it already). */
  setDownloadRoot(root: string): void {
    if (this.settings) this.settings = { ...this.settings, downloads: { ...this.settings.downloads, root } };
  }

  /** Asks main what `template` makes of a sample job, PREVIEW_DEBOUNCE_MS after the last call. */
  previewTemplate(template: string, delayMs = PREVIEW_DEBOUNCE_MS): void {
    if (this.#previewTimer !== null) clearTimeout(this.#previewTimer);
    const seq = ++this.#previewSeq;
    const previous = this.templatePreview;
    this.templatePreview = { template, path: previous?.path ?? null, error: null, pending: true };
    if (!template.trim()) {
      this.#previewTimer = null;
      this.templatePreview = { template, path: null, error: 'Enter a template, for example {provider}/{date}/{jobId}_{index}.{ext}', pending: false };
      return;
    }
    this.#previewTimer = setTimeout(() => {
      this.#previewTimer = null;
      void this.#runPreview(template, seq);
    }, delayMs);
  }

  async #runPreview(template: string, seq: number): Promise<void> {
    const result = await settle(() => this.#bridge.previewFileName({ template }));
    if (seq !== this.#previewSeq) return; // a newer keystroke owns the preview
    this.templatePreview = result.ok
      ? { template, path: result.value.path, error: null, pending: false }
      : { template, path: null, error: errorMessage(result.error), pending: false };
  }

  /** Saves the naming template unless its preview showed it cannot be used. */
  async saveTemplate(template: string): Promise<boolean> {
    const trimmed = template.trim();
    const preview = this.templatePreview;
    if (!trimmed) {
      this.sectionNotice.downloads = { tone: 'error', text: 'The naming template cannot be empty.' };
      return false;
    }
    if (preview && preview.template === template && preview.error) {
      this.sectionNotice.downloads = { tone: 'error', text: preview.error };
      return false;
    }
    return this.saveSection('downloads', { template: trimmed }, 'Naming template saved. New downloads use it.');
  }

  stop(): void {
    if (this.#previewTimer !== null) clearTimeout(this.#previewTimer);
    this.#previewTimer = null;
  }
}
