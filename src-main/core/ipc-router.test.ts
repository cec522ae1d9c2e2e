import { describe, expect, it } from 'vitest';
import { INVOKE_METHODS, invokeChannel } from '../../src-shared/channel-names';
import type { DownloadsState } from '../../src-shared/downloads';
import type { AccountsState } from '../../src-shared/accounts';
import { AppStatusSchema } from '../../src-shared/ipc-contract';
import { err, ok } from '../../src-shared/result';
import { DEFAULT_SETTINGS } from '../../src-shared/settings';
import { checkedEvent, createIpcRouter, makeSenderCheck, senderFromFrame } from './ipc-router';
import type { IpcHandlers, IpcSender } from './ipc-router';
import type { InvokeMethod } from '../../src-shared/channel-names';
import { RecordingLogger } from './testing/fakes';

const APP_URL = 'file:///opt/genwatch/resources/app/out/renderer/index.html';
const TRUSTED: IpcSender = { url: `${APP_URL}#/jobs`, mainFrame: true };
const UNTRUSTED: IpcSender = { url: 'https://evil.example/index.html', mainFrame: true };

const DOWNLOADS: DownloadsState = {
  root: null,
  problem: 'Choose a download folder first.',
  files: [],
  aggregate: { files: { total: 0, queued: 0, active: 0, paused: 0, done: 0, skipped: 0, failed: 0, cancelled: 0 }, bytes: 0, totalBytes: 0, speed: 0, etaMs: null, hold: null },
  failedBatches: [],
  batches: [],
  atRisk: { count: 0, keys: [] },
};
const ACCOUNTS: AccountsState = { keychain: { available: true, message: null }, accounts: [] };
const STATUS = AppStatusSchema.parse({ demoMode: false, accounts: [], counts: { queued: 0, running: 0, completed: 0, failed: 0 }, warnings: [] });

/** A handler table that records each call (method and validated request). */
function recordingHandlers(over: Partial<IpcHandlers> = {}): { handlers: IpcHandlers; calls: { method: string; request: unknown }[] } {
  const calls: { method: string; request: unknown }[] = [];
  const record = (method: string, request: unknown): void => void calls.push({ method, request });
  const handlers: IpcHandlers = {
    getAppInfo: (r) => (record('getAppInfo', r), ok({ version: '1.0.0', platform: 'linux', status: STATUS })),
    listJobs: (r) => (record('listJobs', r), ok([])),
    addJobs: (r) => (record('addJobs', r), ok({ added: [], alreadyWatched: [], rejected: [] })),
    removeJobs: (r) => (record('removeJobs', r), ok({ removed: r.keys.length })),
    cancelJob: (r) => (record('cancelJob', r), ok(null)),
    setWindowVisible: (r) => (record('setWindowVisible', r), ok(null)),
    networkOnline: (r) => (record('networkOnline', r), ok(null)),
    getSettings: (r) => (record('getSettings', r), ok(DEFAULT_SETTINGS)),
    updateSettings: (r) => (record('updateSettings', r), ok(DEFAULT_SETTINGS)),
    setProviderBaseUrl: (r) => (record('setProviderBaseUrl', r), ok({ changed: true, settings: DEFAULT_SETTINGS })),
    listAccounts: (r) => (record('listAccounts', r), ok(ACCOUNTS)),
    saveAccount: (r) => (record('saveAccount', r), ok(ACCOUNTS)),
    removeAccount: (r) => (record('removeAccount', r), ok(ACCOUNTS)),
    importHistory: (r) => (record('importHistory', r), ok(ACCOUNTS)),
    cancelImport: (r) => (record('cancelImport', r), ok(ACCOUNTS)),
    resumeAccount: (r) => (record('resumeAccount', r), ok(ACCOUNTS)),
    openExternal: (r) => (record('openExternal', r), ok(null)),
    chooseDownloadFolder: (r) => (record('chooseDownloadFolder', r), ok({ root: null })),
    previewFileName: (r) => (record('previewFileName', r), ok({ path: 'apiframe/2026-03-15/x_image-1.png' })),
    downloadJobs: (r) => (record('downloadJobs', r), ok({ batchId: 'b1', files: 0, skipped: 0, failed: 0 })),
    getDownloads: (r) => (record('getDownloads', r), ok(DOWNLOADS)),
    controlDownloads: (r) => (record('controlDownloads', r), ok(DOWNLOADS)),
    retryFailedDownloads: (r) => (record('retryFailedDownloads', r), ok({ batchId: 'b2', files: 0, skipped: 0, failed: 0 })),
    revealFile: (r) => (record('revealFile', r), ok(null)),
    openFile: (r) => (record('openFile', r), ok(null)),
    ...over,
  };
  return { handlers, calls };
}

function router(over: Partial<IpcHandlers> = {}) {
  const { handlers, calls } = recordingHandlers(over);
  const logger = new RecordingLogger();
  return { router: createIpcRouter(handlers, { isTrustedSender: makeSenderCheck(APP_URL), logger }), calls, logger };
}

describe('createIpcRouter', () => {
  it('exposes one route per contract method on its namespaced channel', () => {
    const { router: r } = router();
    expect(r.routes.map((x) => x.method)).toEqual([...INVOKE_METHODS]);
    expect(r.routes.every((x) => x.channel === invokeChannel(x.method))).toBe(true);
  });

  it('dispatches a valid request to its handler with the validated payload', async () => {
    const { router: r, calls } = router();
    const result = await r.dispatch(invokeChannel('addJobs'), TRUSTED, { provider: 'apiframe', input: 'abc' });
    expect(result).toEqual({ ok: true, value: { added: [], alreadyWatched: [], rejected: [] } });
    expect(calls).toEqual([{ method: 'addJobs', request: { provider: 'apiframe', input: 'abc' } }]);
  });

  it('passes the schema-transformed payload (saveAccount trims the key and the label)', async () => {
    const { router: r, calls } = router();
    await r.dispatch(invokeChannel('saveAccount'), TRUSTED, { provider: 'apiframe', label: '  Studio  ', key: '   afk_12345678   ' });
    expect(calls[0]?.request).toEqual({ provider: 'apiframe', label: 'Studio', key: 'afk_12345678' });
  });

  it('addJobs accepts an optional account id and passes it on', async () => {
    const { router: r, calls } = router();
    const result = await r.dispatch(invokeChannel('addJobs'), TRUSTED, { provider: 'apiframe', accountId: 'studio-2', input: 'abc' });
    expect(result.ok).toBe(true);
    expect(calls).toEqual([{ method: 'addJobs', request: { provider: 'apiframe', accountId: 'studio-2', input: 'abc' } }]);
  });

  it('account methods dispatch with their validated account reference', async () => {
    const { router: r, calls } = router();
    for (const method of ['importHistory', 'cancelImport'] as const) {
      const result = await r.dispatch(invokeChannel(method), TRUSTED, { provider: 'apiframe', accountId: 'default' });
      expect(result).toEqual({ ok: true, value: ACCOUNTS });
    }
    await r.dispatch(invokeChannel('removeAccount'), TRUSTED, { provider: 'apiframe', accountId: 'default', forgetJobs: true });
    expect(calls.map((c) => c.method)).toEqual(['importHistory', 'cancelImport', 'removeAccount']);
    expect(calls[2]?.request).toEqual({ provider: 'apiframe', accountId: 'default', forgetJobs: true });
  });

  it('extra fields in a listAccounts response (e.g. a full key) are stripped by the response schema and never reach the renderer', async () => {
    const leaky = {
      keychain: { available: true, message: null },
      accounts: [
        {
          provider: 'apiframe',
          id: 'default',
          label: 'Apiframe',
          demo: false,
          key: { isSet: true, last4: 'WXYZ', source: 'keychain', value: 'afk_full_secret_WXYZ' },
          health: { state: 'ok', message: null },
          scope: 'user',
          discover: false,
          history: { state: 'never', pages: 0, jobs: 0, message: null, finishedAt: null },
          channels: [],
          apiKey: 'afk_full_secret_WXYZ',
        },
      ],
    };
    const { router: r } = router({ listAccounts: () => ok(leaky as unknown as AccountsState) });
    const result = await r.dispatch(invokeChannel('listAccounts'), TRUSTED, {});
    expect(result.ok).toBe(true);
    expect(JSON.stringify(result)).not.toContain('afk_full_secret');
  });

  it('an absent payload counts as {} for methods without parameters', async () => {
    const { router: r, calls } = router();
    const result = await r.dispatch(invokeChannel('listJobs'), TRUSTED, undefined);
    expect(result.ok).toBe(true);
    expect(calls).toHaveLength(1);
  });

  const invalidPayloads: [InvokeMethod, unknown][] = [
    ['addJobs', { provider: 'midjourney-direct', input: 'x' }],
    ['addJobs', { provider: 'apiframe', input: 'x', extra: true }],
    ['addJobs', { provider: 'apiframe', input: 'x'.repeat(2_000_001) }],
    ['removeJobs', { keys: 'apiframe:default:x' }],
    ['saveAccount', { provider: 'apiframe', key: 'short' }],
    ['saveAccount', { provider: 'apiframe', accountId: 'Not A Slug', key: 'afk_12345678' }],
    ['saveAccount', { provider: 'apiframe', key: 'afk_12345678', apiKey: 'extra' }],
    ['saveAccount', { provider: 'apiframe', scope: 'everyone' }],
    ['saveAccount', { provider: 'apiframe', key: 'afk_1234\u200b5678' }],
    ['saveAccount', { provider: 'apiframe', key: 'afk_1234 5678' }],
    ['addJobs', { provider: 'apiframe', accountId: '../etc', input: 'x' }],
    ['removeAccount', { provider: 'apiframe', accountId: 'default' }],
    ['importHistory', { provider: 'apiframe' }],
    ['cancelImport', { provider: 'apiframe', accountId: 'default', extra: 1 }],
    ['updateSettings', { stalledAfterMinutes: 0 }],
    ['updateSettings', { stalledAfterMinutes: 1.5 }],
    ['updateSettings', { theme: 'neon' }],
    // The page cannot move a key's server through settings: only setProviderBaseUrl, which asks the user in main.
    ['updateSettings', { providers: { apiframe: { baseUrl: 'https://evil.example' } } }],
    ['setProviderBaseUrl', { provider: 'apiframe', baseUrl: 'file:///etc/passwd' }],
    ['setProviderBaseUrl', { provider: 'apiframe', baseUrl: 'http://192.168.1.5/api' }],
    ['setProviderBaseUrl', { provider: 'midjourney', baseUrl: null }],
    ['openExternal', { url: 'http://example.com' }],
    ['openExternal', { url: 'javascript:alert(1)' }],
    ['listJobs', { anything: 1 }],
    ['listAccounts', 'not an object'],
    ['cancelJob', { key: 'x'.repeat(401) }],
    ['cancelJob', {}],
  ];
  for (const [method, payload] of invalidPayloads) {
    it(`rejects an invalid ${method} payload as invalid-input without calling the handler (${JSON.stringify(payload).slice(0, 50)})`, async () => {
      const { router: r, calls } = router();
      const result = await r.dispatch(invokeChannel(method), TRUSTED, payload);
      expect(result.ok ? null : result.error.kind).toBe('invalid-input');
      expect(calls).toEqual([]);
    });
  }

  it('refuses an unknown channel as forbidden', async () => {
    const { router: r, calls } = router();
    for (const channel of ['genwatch:invoke:deleteEverything', 'genwatch:invoke:getKeys', 'genwatch:invoke:setKey', 'listAccounts', 'genwatch:event:accounts', '']) {
      const result = await r.dispatch(channel, TRUSTED, {});
      expect(result.ok ? null : result.error.kind).toBe('forbidden');
    }
    expect(calls).toEqual([]);
  });

  it('refuses an untrusted sender as forbidden without calling the handler, and logs it', async () => {
    const { router: r, calls, logger } = router();
    for (const sender of [UNTRUSTED, { url: null, mainFrame: true }, { url: 'file:///tmp/other.html', mainFrame: true }, { url: 'not a url', mainFrame: true }, { url: APP_URL, mainFrame: false }]) {
      const result = await r.dispatch(invokeChannel('saveAccount'), sender, { provider: 'apiframe', key: 'afk_12345678' });
      expect(result.ok ? null : result.error.kind).toBe('forbidden');
    }
    expect(calls).toEqual([]);
    expect(logger.entries.filter((e) => e.level === 'warn')).toHaveLength(5);
  });

  it('a handler that throws yields an internal envelope (and the message does not leak the exception)', async () => {
    const { router: r, logger } = router({
      listAccounts: () => {
        throw new Error('secret internals at /home/user/.config');
      },
    });
    const result = await r.dispatch(invokeChannel('listAccounts'), TRUSTED, {});
    expect(result.ok ? null : result.error.kind).toBe('internal');
    expect(JSON.stringify(result)).not.toContain('/home/user');
    expect(logger.entries.some((e) => e.level === 'error')).toBe(true);
  });

  it('a handler whose promise rejects yields an internal envelope', async () => {
    const { router: r } = router({ removeAccount: () => Promise.reject(new Error('boom')) });
    const result = await r.dispatch(invokeChannel('removeAccount'), TRUSTED, { provider: 'apiframe', accountId: 'default', forgetJobs: false });
    expect(result.ok ? null : result.error.kind).toBe('internal');
  });

  it('a response that fails its schema becomes an internal error instead of reaching the renderer', async () => {
    const { router: r } = router({ removeJobs: () => ok({ removed: 1.5 }) });
    const result = await r.dispatch(invokeChannel('removeJobs'), TRUSTED, { keys: [] });
    expect(result.ok ? null : result.error.kind).toBe('internal');
  });

  it('a handler error envelope is passed through unchanged', async () => {
    const { router: r } = router({ addJobs: () => err('invalid-input', 'Paste at least one job id.') });
    const result = await r.dispatch(invokeChannel('addJobs'), TRUSTED, { provider: 'apiframe', input: '' });
    expect(result).toEqual({ ok: false, error: { kind: 'invalid-input', message: 'Paste at least one job id.' } });
  });
});

describe('makeSenderCheck', () => {
  it('file:// app: only the same file path is trusted (hash and query allowed)', () => {
    const check = makeSenderCheck(APP_URL);
    expect(check({ url: APP_URL, mainFrame: true })).toBe(true);
    expect(check({ url: `${APP_URL}?x=1#/settings`, mainFrame: true })).toBe(true);
    expect(check({ url: 'file:///opt/genwatch/resources/app/out/renderer/other.html', mainFrame: true })).toBe(false);
    expect(check({ url: 'file:///tmp/index.html', mainFrame: true })).toBe(false);
    expect(check({ url: 'https://opt/genwatch/resources/app/out/renderer/index.html', mainFrame: true })).toBe(false);
    // The same path on another host (a Windows network share) is another file.
    expect(check({ url: 'file://server/opt/genwatch/resources/app/out/renderer/index.html', mainFrame: true })).toBe(false);
    // The app's page inside a frame of itself (or an iframe it was made to load) is not the app.
    expect(check({ url: APP_URL, mainFrame: false })).toBe(false);
  });

  it('an install path with # or ? in it: the URL loadFile makes (escaped) is trusted', async () => {
    const { pathToFileURL } = await import('node:url');
    const page = '/home/bob#1/genwatch?/resources/app/out/renderer/index.html';
    const url = pathToFileURL(page).href;
    expect(url).toContain('%23');
    const check = makeSenderCheck(url);
    expect(check({ url: `${url}#/settings`, mainFrame: true })).toBe(true);
    expect(check({ url: 'file:///home/bob', mainFrame: true })).toBe(false);
  });

  it('http dev-server app: same origin only (scheme, host and port)', () => {
    const check = makeSenderCheck('http://localhost:5173/');
    expect(check({ url: 'http://localhost:5173/', mainFrame: true })).toBe(true);
    expect(check({ url: 'http://localhost:5173/deep/page?x=1', mainFrame: true })).toBe(true);
    expect(check({ url: 'http://localhost:5174/', mainFrame: true })).toBe(false);
    expect(check({ url: 'https://localhost:5173/', mainFrame: true })).toBe(false);
    expect(check({ url: 'http://127.0.0.1:5173/', mainFrame: true })).toBe(false);
    expect(check({ url: 'http://localhost.evil.example:5173/', mainFrame: true })).toBe(false);
  });

  it('no URL or an unparsable one is never trusted', () => {
    const check = makeSenderCheck('http://localhost:5173/');
    expect(check({ url: null, mainFrame: true })).toBe(false);
    expect(check({ url: '', mainFrame: true })).toBe(false);
    expect(check({ url: '::::', mainFrame: true })).toBe(false);
  });
});

describe('senderFromFrame', () => {
  it("Electron's senderFrame as the router judges it: a top frame, an embedded one, or a frame already gone (never trusted)", () => {
    expect(senderFromFrame({ url: APP_URL, parent: null })).toEqual({ url: APP_URL, mainFrame: true });
    expect(senderFromFrame({ url: APP_URL, parent: { url: APP_URL } })).toEqual({ url: APP_URL, mainFrame: false });
    expect(senderFromFrame(null)).toEqual({ url: null, mainFrame: false });
    expect(senderFromFrame(undefined)).toEqual({ url: null, mainFrame: false });
    const check = makeSenderCheck(APP_URL);
    expect(check(senderFromFrame({ url: APP_URL, parent: null }))).toBe(true);
    expect(check(senderFromFrame({ url: APP_URL, parent: {} }))).toBe(false);
    expect(check(senderFromFrame(null))).toBe(false);
  });
});

describe('checkedEvent', () => {
  it('strips fields the contract does not name (nothing reaches the page by accident) and refuses a payload that breaks it', () => {
    const account: AccountsState['accounts'][number] = {
      provider: 'apiframe',
      id: 'default',
      label: 'Apiframe',
      demo: false,
      key: { isSet: true, last4: 'wxyz', source: 'keychain' },
      health: { state: 'ok', message: null },
      scope: 'user',
      discover: false,
      history: { state: 'never', pages: 0, jobs: 0, message: null, finishedAt: null },
      channels: [],
    };
    const state: AccountsState = { ...ACCOUNTS, accounts: [account] };
    const withExtra = { ...state, apiKey: 'afk_secret', accounts: [{ ...account, secret: 'afk_secret', key: { ...account.key, value: 'afk_secret' } }] };
    const sent = checkedEvent('accounts', withExtra as unknown as AccountsState);
    expect(JSON.stringify(sent)).not.toContain('afk_secret');
    expect(sent).toEqual(state);
    expect(() => checkedEvent('navigate', { kind: 'view', view: 'nowhere' } as never)).toThrow();
  });
});

