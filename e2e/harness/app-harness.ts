/**
 * The e2e stand-in for Electron's main process: the real core, IPC router and
 * handlers, real undici HTTP to the emulator on loopback, and the real built
 * preload evaluated in Chromium against a `require('electron')` that forwards
 * to this process. Only the transport differs from the app.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from '@playwright/test';
import type { Locator, Page } from '@playwright/test';
import { eventChannel } from '../../src-shared/channel-names';
import type { EventName } from '../../src-shared/channel-names';
import { systemClock } from '../../src-main/adapters/system-clock';
import { createUndiciHttp } from '../../src-main/adapters/undici-http';
import { createResultDownload } from '../../src-main/adapters/result-download';
import { createNodeFileSystem, nodeSha256 } from '../../src-main/adapters/node-fs';
import { openEngineInWorker } from '../../src-main/adapters/remote-engine';
import { GenwatchCore } from '../../src-main/core/genwatch-core';
import { coreHandlers } from '../../src-main/core/ipc-handlers';
import { createIpcRouter, makeSenderCheck } from '../../src-main/core/ipc-router';
import type { IpcRouter } from '../../src-main/core/ipc-router';
import { memoryStore } from '../../src-main/core/memory-store';
import type { SecretStore } from '../../src-main/core/ports';
import { silentLogger } from '../../src-main/core/ports';
import { PROVIDERS } from '../../src-main/core/providers/registry';
import { ManualClock, startEmulator } from '../../src-main/emulator';
import type { RunningEmulator, Scenario } from '../../src-main/emulator';
import { serveDirectory } from './static-server';

const ROOT = resolve(import.meta.dirname, '../..');
export const RENDERER_DIR = join(ROOT, 'out/renderer');
const PRELOAD_FILE = join(ROOT, 'out/preload/index.cjs');
/** As in the app (shell/main.ts): download bytes go through the built transfer worker. */
const ENGINE_HOST = join(ROOT, 'out/main/engine-host.js');

/** A keychain stand-in for the renderer suite (the real keychain has its own tests). */
export function memorySecrets(): SecretStore & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    availability: () => Promise.resolve({ available: true, message: null }),
    get: (account) => Promise.resolve(values.get(account) ?? null),
    set: (account, secret) => {
      values.set(account, secret);
      return Promise.resolve();
    },
    delete: (account) => Promise.resolve(values.delete(account)),
  };
}

/** Runs the built preload in the page, with ipcRenderer forwarding to exposed bindings. */
function preloadInitScript(preloadSource: string): string {
  return `(() => {
    const listeners = new Map();
    window.__genwatchEmit = (channel, payload) => {
      for (const listener of listeners.get(channel) ?? []) listener({}, payload);
    };
    const electron = {
      contextBridge: { exposeInMainWorld: (key, api) => { Object.defineProperty(window, key, { value: api, enumerable: true }); } },
      ipcRenderer: {
        invoke: (channel, payload) => window.__genwatchInvoke(channel, payload),
        on: (channel, listener) => { if (!listeners.has(channel)) listeners.set(channel, new Set()); listeners.get(channel).add(listener); },
        removeListener: (channel, listener) => { listeners.get(channel)?.delete(listener); },
      },
    };
    const require = (name) => { if (name === 'electron') return electron; throw new Error('sandboxed preload cannot require ' + name); };
    const module = { exports: {} };
    (function (require, module, exports) {
${preloadSource}
    })(require, module, module.exports);
  })();`;
}

export interface Harness {
  appUrl: string;
  emulator: RunningEmulator;
  clock: ManualClock;
  core: GenwatchCore;
  router: IpcRouter;
  secrets: ReturnType<typeof memorySecrets>;
  /** Wires a page to this "main process" and opens the app in it. */
  open(page: Page): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  scenario: Scenario;
  /** 'key': the user's own key (from the environment); 'demo': no key, the emulator's demo account. */
  mode: 'key' | 'demo';
  /** Shortens provider intervals so the suite stays quick; the emulator clock is driven by the test. */
  intervalScale?: number;
  /** A real folder downloads go to; the folder picker "chooses" it. */
  downloadRoot?: string;
  /** The user's answer to main's questions (a new API address for a key); yes unless said. */
  confirm?: boolean;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const clock = new ManualClock(Date.parse('2026-03-15T10:00:00.000Z'));
  const emulator = await startEmulator({ clock, scenario: options.scenario });
  const site = await serveDirectory(RENDERER_DIR);
  const http = createUndiciHttp();
  const downloadHttp = createResultDownload();
  const { apiframe, useapi } = emulator.providers;
  const secrets = memorySecrets();
  const environment: Record<string, string> =
    options.mode === 'key'
      ? {
          APIFRAME_API_KEY: apiframe.apiKeys[0] ?? '',
          GENWATCH_APIFRAME_URL: apiframe.baseUrl,
          ...(useapi.apiKeys[0] ? { USEAPI_TOKEN: useapi.apiKeys[0], GENWATCH_USEAPI_URL: useapi.baseUrl } : {}),
        }
      : {};
  const fallback = { http: downloadHttp, fs: createNodeFileSystem(), hasher: nodeSha256, clock: systemClock, random: Math.random };
  const core = await GenwatchCore.create({
    http,
    clock: systemClock,
    random: Math.random,
    secrets,
    kv: memoryStore(),
    logger: silentLogger,
    providers: PROVIDERS,
    environment,
    version: '0.0.0-e2e',
    platform: process.platform,
    intervalScale: options.intervalScale ?? 0.04,
    confirm: () => Promise.resolve(options.confirm ?? true),
    downloads: {
      // As the app runs it: the engine in its worker thread (the built out/main/engine-host.js).
      engine: fallback,
      openEngine: (settings) => openEngineInWorker(ENGINE_HOST, fallback, settings),
      pickFolder: () => Promise.resolve(options.downloadRoot ?? null),
    },
  });
  if (options.downloadRoot) await core.updateSettings({ downloads: { root: options.downloadRoot } });
  if (options.mode === 'demo') {
    core.enableDemo({
      providers: {
        apiframe: { baseUrl: apiframe.baseUrl, apiKey: apiframe.apiKeys[0] ?? '' },
        ...(useapi.apiKeys[0] ? { useapi: { baseUrl: useapi.baseUrl, apiKey: useapi.apiKeys[0] } } : {}),
      },
    });
  }
  const appUrl = `${site.url}index.html`;
  const router = createIpcRouter(coreHandlers(core, { version: '0.0.0-e2e', platform: process.platform }), {
    isTrustedSender: makeSenderCheck(appUrl),
    logger: silentLogger,
  });
  const preloadSource = readFileSync(PRELOAD_FILE, 'utf8');
  const pages = new Set<Page>();
  const emit = <E extends EventName>(name: E, payload: unknown): void => {
    for (const page of pages) {
      void page
        .evaluate(([channel, data]) => (globalThis as unknown as { __genwatchEmit(c: string, d: unknown): void }).__genwatchEmit(channel, data), [
          eventChannel(name),
          payload,
        ] as const)
        .catch(() => pages.delete(page));
    }
  };
  core.onJobsDelta((delta) => emit('jobsDelta', delta));
  core.onStatus((status) => emit('appStatus', status));
  core.onAccounts((accounts) => emit('accounts', accounts));
  core.downloads?.onState((state) => emit('downloads', state));
  core.onSettings((settings) => emit('settings', settings));

  return {
    appUrl,
    emulator,
    clock,
    core,
    router,
    secrets,
    async open(page) {
      await page.exposeBinding('__genwatchInvoke', (source, channel: unknown, payload: unknown) =>
        router.dispatch(String(channel), { url: source.frame.url(), mainFrame: source.frame.parentFrame() === null }, payload),
      );
      await page.addInitScript({ content: preloadInitScript(preloadSource) });
      pages.add(page);
      await page.goto(appUrl);
    },
    async close() {
      pages.clear();
      await core.downloads?.shutdown();
      core.dispose();
      await http.close();
      await downloadHttp.close();
      await site.close();
      await emulator.close();
    },
  };
}

/** Settings → "Import history" on the default Apiframe account, until it says the import is done; returns that account's row. */
export async function importApiframeHistory(page: Page): Promise<Locator> {
  await page.getByTestId('nav-settings').click();
  const account = page.locator('[data-testid="account-row"][data-provider="apiframe"][data-account-id="default"]');
  await account.getByTestId('import-history').click();
  await expect(account.getByTestId('import-progress')).toContainText(/imported/i, { timeout: 20_000 });
  return account;
}
