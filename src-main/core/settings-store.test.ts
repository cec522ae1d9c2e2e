import { describe, expect, it } from 'vitest';
import { MAX_ACCOUNT_ENTRIES } from '../../src-shared/bounded';
import { DEFAULT_SETTINGS, SettingsPatchSchema, WindowSettingsPatchSchema } from '../../src-shared/settings';
import { memoryStore } from './memory-store';
import { silentLogger } from './ports';
import { loadSettings, saveSettings } from './settings-store';

describe('loadSettings', () => {
  it('nothing stored: the defaults', () => {
    expect(loadSettings(memoryStore(), silentLogger)).toEqual(DEFAULT_SETTINGS);
  });

  it('a field added inside a section by a later version takes its default; every stored value is kept', () => {
    const kv = memoryStore();
    // What an older version saved: the downloads section without `checksums`.
    const { checksums: _added, ...olderDownloads } = { ...DEFAULT_SETTINGS.downloads, root: '/home/me/AI', concurrency: 3 };
    kv.set('settings', { ...DEFAULT_SETTINGS, theme: 'dark', stalledAfterMinutes: 42, downloads: olderDownloads });
    const loaded = loadSettings(kv, silentLogger);
    expect(loaded.theme).toBe('dark');
    expect(loaded.stalledAfterMinutes).toBe(42);
    expect(loaded.downloads.root).toBe('/home/me/AI');
    expect(loaded.downloads.concurrency).toBe(3);
    expect(loaded.downloads.checksums).toBe(DEFAULT_SETTINGS.downloads.checksums);
  });

  it('a field added deeper down (a new modality in autoModalities) takes its default too; the stored siblings stay', () => {
    const kv = memoryStore();
    const { music: _added, ...olderModalities } = { ...DEFAULT_SETTINGS.downloads.autoModalities, video: false };
    kv.set('settings', { ...DEFAULT_SETTINGS, theme: 'light', downloads: { ...DEFAULT_SETTINGS.downloads, root: '/data/ai', autoModalities: olderModalities } });
    const loaded = loadSettings(kv, silentLogger);
    expect(loaded.theme).toBe('light');
    expect(loaded.downloads.root).toBe('/data/ai');
    expect(loaded.downloads.autoModalities).toEqual({ ...DEFAULT_SETTINGS.downloads.autoModalities, video: false });
  });

  it('an invalid stored value falls back to the defaults (never a half-valid object)', () => {
    const kv = memoryStore();
    kv.set('settings', { ...DEFAULT_SETTINGS, downloads: { ...DEFAULT_SETTINGS.downloads, concurrency: 'many' } });
    expect(loadSettings(kv, silentLogger)).toEqual(DEFAULT_SETTINGS);
  });

  it('round-trips what was saved', () => {
    const kv = memoryStore();
    const settings = { ...DEFAULT_SETTINGS, downloads: { ...DEFAULT_SETTINGS.downloads, checksums: true } };
    saveSettings(kv, settings);
    expect(loadSettings(kv, silentLogger)).toEqual(settings);
  });
});

describe('provider base URLs', () => {
  it('take https anywhere and plain http only to this computer: elsewhere the key would travel in clear text', () => {
    const patch = (baseUrl: string) => SettingsPatchSchema.safeParse({ providers: { apiframe: { baseUrl } } }).success;
    for (const url of ['https://api.example.com/v2', 'http://127.0.0.1:8787/apiframe', 'http://localhost:9/x', 'http://[::1]:9/x']) expect(patch(url), url).toBe(true);
    for (const url of ['http://192.0.2.2/apiframe', 'http://api.example.com', 'https://user:pw@api.example.com', 'ftp://127.0.0.1/', 'javascript:alert(1)']) expect(patch(url), url).toBe(false);
  });
});

describe('a stored plain-http base URL to another machine (taken by earlier versions)', () => {
  it('loads with every other setting kept (not a reset to defaults)', () => {
    const kv = memoryStore();
    saveSettings(kv, { ...DEFAULT_SETTINGS, theme: 'dark', providers: { ...DEFAULT_SETTINGS.providers, apiframe: { baseUrl: 'http://192.0.2.2/apiframe' } } });
    const loaded = loadSettings(kv, silentLogger);
    expect(loaded.theme).toBe('dark');
    expect(loaded.providers.apiframe.baseUrl).toBe('http://192.0.2.2/apiframe');
  });
});

describe('what the window may change', () => {
  it('everything but the download folder, which only the folder picker in main sets', () => {
    expect(WindowSettingsPatchSchema.safeParse({ downloads: { template: '{jobId}.{ext}' } }).success).toBe(true);
    expect(WindowSettingsPatchSchema.safeParse({ downloads: { root: '/tmp' } }).success).toBe(false);
    expect(SettingsPatchSchema.safeParse({ downloads: { root: '/tmp' } }).success).toBe(true); // main's own use
  });
});

describe('per-account maps in settings', () => {
  it('are bounded (the window cannot make the stored settings grow without limit)', () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`apiframe:a${i}`, true]));
    expect(WindowSettingsPatchSchema.safeParse({ downloads: { autoPerAccount: many(MAX_ACCOUNT_ENTRIES) } }).success).toBe(true);
    expect(WindowSettingsPatchSchema.safeParse({ downloads: { autoPerAccount: many(MAX_ACCOUNT_ENTRIES + 1) } }).success).toBe(false);
    expect(WindowSettingsPatchSchema.safeParse({ notifications: { mutedUntil: { 'apiframe:a': 'x'.repeat(65) } } }).success).toBe(false);
  });
});
