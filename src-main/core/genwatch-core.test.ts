import { describe, expect, it } from 'vitest';
import type { AppStatus, JobsDelta } from '../../src-shared/ipc-contract';
import { jobKey } from '../../src-shared/job';
import type { Job } from '../../src-shared/job';
import { DEFAULT_SETTINGS } from '../../src-shared/settings';
import { DEMO_ACCOUNT, DEFAULT_ACCOUNT, GenwatchCore } from './genwatch-core';
import type { CoreDeps } from './genwatch-core';
import type { HttpRequest } from './ports';
import { silentLogger } from './ports';
import { apiframe } from './providers/apiframe';
import { apiframeBody, uuidFor } from './testing/apiframe-fixtures';
import { FakeClock } from './testing/fake-clock';
import { fixedRandom, jsonResponse, MemorySecretStore, RecordingKv, ScriptedHttp } from './testing/fakes';

const USER_KEY = 'afk_user_secret_key_9f3a';
const DEMO_KEY = 'afk_demo_key_0001';
const DEMO_URL = 'http://127.0.0.1:9/apiframe';
const A = uuidFor(0xa);
const B = uuidFor(0xb);

function idOf(request: HttpRequest): string {
  return request.url.slice(request.url.lastIndexOf('/') + 1);
}

interface Setup {
  core: GenwatchCore;
  clock: FakeClock;
  http: ScriptedHttp;
  secrets: MemorySecretStore;
  kv: RecordingKv;
}

async function setup(over: Partial<CoreDeps> & { secrets?: MemorySecretStore; kv?: RecordingKv; clock?: FakeClock } = {}): Promise<Setup> {
  const clock = over.clock ?? new FakeClock();
  const http =
    over.http instanceof ScriptedHttp
      ? over.http
      : new ScriptedHttp((r) => jsonResponse(200, apiframeBody(idOf(r), { status: 'PROCESSING', progress: 30 })));
  const secrets = over.secrets ?? new MemorySecretStore();
  const kv = over.kv ?? new RecordingKv();
  const core = await GenwatchCore.create({
    random: fixedRandom(0.5),
    logger: silentLogger,
    providers: [apiframe],
    environment: {},
    version: '0.0.0-test',
    platform: 'test',
    ...over,
    http,
    clock,
    secrets,
    kv,
  });
  return { core, clock, http, secrets, kv };
}

function keyOf(id: string, account = DEFAULT_ACCOUNT): string {
  return jobKey('apiframe', account, id);
}

function find(core: GenwatchCore, key: string): Job {
  const job = core.listJobs().find((j) => j.key === key);
  if (!job) throw new Error(`no job ${key}`);
  return job;
}

describe('GenwatchCore.addJobs / removeJobs', () => {
  it('adds valid ids, reports invalid ones with a reason and already-watched ones separately', async () => {
    const { core } = await setup();
    const first = core.addJobs('apiframe', `${A}\nnot-an-id, ${A.toUpperCase()}\n${B}`);
    if (!first.ok) throw new Error(first.error.message);
    expect(first.value.added).toEqual([A, B]);
    expect(first.value.alreadyWatched).toEqual([]);
    expect(first.value.rejected).toHaveLength(1);
    expect(first.value.rejected[0]?.input).toBe('not-an-id');
    expect(first.value.rejected[0]?.reason).toMatch(/UUID/);

    const second = core.addJobs('apiframe', `${B} ${uuidFor(0xc)}`);
    if (!second.ok) throw new Error(second.error.message);
    expect(second.value).toEqual({ added: [uuidFor(0xc)], alreadyWatched: [B], rejected: [] });
    expect(core.listJobs().map((j) => j.id).sort()).toEqual([A, B, uuidFor(0xc)].sort());
    expect(core.poller.watchedCount).toBe(3);
  });

  it('an empty paste is an invalid-input error', async () => {
    const { core } = await setup();
    const result = core.addJobs('apiframe', ' \n ');
    expect(result.ok ? null : result.error.kind).toBe('invalid-input');
  });

  it('a provider the build does not know is an invalid-input error', async () => {
    const { core } = await setup();
    const result = core.addJobs('useapi', A);
    expect(result.ok ? null : result.error.kind).toBe('invalid-input');
  });

  it('a 10,000-id paste adds every id once and the store, poller and status agree', async () => {
    const { core } = await setup();
    const ids = Array.from({ length: 10_000 }, (_, i) => uuidFor(i));
    const result = core.addJobs('apiframe', ids.join('\n'));
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.added).toHaveLength(10_000);
    expect(new Set(result.value.added).size).toBe(10_000);
    expect(result.value.rejected).toEqual([]);
    expect(core.listJobs()).toHaveLength(10_000);
    expect(new Set(core.listJobs().map((j) => j.key)).size).toBe(10_000);
    expect(core.poller.watchedCount).toBe(10_000);
    expect(core.status().counts).toEqual({ queued: 10_000, running: 0, completed: 0, failed: 0 });
    const again = core.addJobs('apiframe', ids.join(','));
    if (!again.ok) throw new Error(again.error.message);
    expect(again.value.added).toHaveLength(0);
    expect(again.value.alreadyWatched).toHaveLength(10_000);
  });

  it('removeJobs removes known keys, stops watching them, and emits a removal delta', async () => {
    const { core, clock } = await setup();
    core.addJobs('apiframe', `${A} ${B}`);
    await clock.advanceAndSettle(100);
    const deltas: JobsDelta[] = [];
    core.onJobsDelta((d) => deltas.push(d));
    expect(core.removeJobs([keyOf(A), 'apiframe:default:unknown'])).toBe(1);
    expect(core.listJobs().map((j) => j.id)).toEqual([B]);
    expect(core.poller.watchedCount).toBe(1);
    await clock.advanceAndSettle(100);
    expect(deltas.flatMap((d) => d.removed)).toEqual([keyOf(A)]);
  });
});

describe('GenwatchCore keys', () => {
  it('keychain available: setKey stores the key in the SecretStore and status shows only the last 4 characters', async () => {
    const { core, secrets, kv } = await setup();
    const result = await core.setKey('apiframe', `  ${USER_KEY}  `);
    if (!result.ok) throw new Error(result.error.message);
    expect(secrets.secrets.get('apiframe:default')).toBe(USER_KEY);
    const status = core.getKeys();
    expect(status.keychain).toEqual({ available: true, message: null });
    expect(status.providers.find((p) => p.provider === 'apiframe')).toEqual({ provider: 'apiframe', isSet: true, last4: '9f3a', source: 'keychain' });
    expect(JSON.stringify(status)).not.toContain(USER_KEY);
    expect(JSON.stringify(result.value)).not.toContain(USER_KEY);
    expect(kv.everythingWritten()).not.toContain(USER_KEY);
  });

  it('a key already in the keychain is loaded at start-up', async () => {
    const secrets = new MemorySecretStore();
    await secrets.set('apiframe:default', USER_KEY);
    const { core } = await setup({ secrets });
    expect(core.getKeys().providers[0]).toMatchObject({ source: 'keychain', last4: '9f3a' });
    expect(core.keys.hasUserKey('apiframe')).toBe(true);
  });

  it('keychain unavailable: setKey keeps the key for the session only, says so, and never writes it to kv', async () => {
    const secrets = new MemorySecretStore({ available: false, message: 'No Secret Service is running.' });
    const { core, kv, clock } = await setup({ secrets });
    const result = await core.setKey('apiframe', USER_KEY);
    if (!result.ok) throw new Error(result.error.message);
    const status = core.getKeys();
    expect(status.keychain.available).toBe(false);
    expect(status.keychain.message).toBe('No Secret Service is running.');
    expect(status.providers[0]).toMatchObject({ isSet: true, source: 'session', last4: '9f3a' });
    expect(secrets.writes).toEqual([]);
    core.addJobs('apiframe', A);
    core.updateSettings({ theme: 'dark' });
    await clock.advanceAndSettle(5_000);
    core.dispose();
    expect(kv.history.length).toBeGreaterThan(0);
    expect(kv.everythingWritten()).not.toContain(USER_KEY);
  });

  it('a keychain that refuses the write is a keychain-unavailable error, and the key is not used', async () => {
    const { core } = await setup({ secrets: new MemorySecretStore({ failWrites: true }) });
    const result = await core.setKey('apiframe', USER_KEY);
    expect(result.ok ? null : result.error.kind).toBe('keychain-unavailable');
    expect(core.getKeys().providers[0]?.isSet).toBe(false);
  });

  it('an environment key is used, reported as environment, and polled with', async () => {
    const { core, clock, http } = await setup({ environment: { APIFRAME_API_KEY: 'afk_env_key_5678', GENWATCH_APIFRAME_URL: 'http://127.0.0.1:1/apiframe' } });
    expect(core.getKeys().providers[0]).toEqual({ provider: 'apiframe', isSet: true, last4: '5678', source: 'environment' });
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(0);
    expect(http.requests[0]?.headers['x-api-key']).toBe('afk_env_key_5678');
    expect(http.requests[0]?.url).toBe(`http://127.0.0.1:1/apiframe/v2/jobs/${A}`);
  });

  it('clearKey removes the keychain key; jobs of the account pause as key-missing', async () => {
    const { core, clock, secrets } = await setup();
    await core.setKey('apiframe', USER_KEY);
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(0);
    const cleared = await core.clearKey('apiframe');
    if (!cleared.ok) throw new Error(cleared.error.message);
    expect(secrets.secrets.has('apiframe:default')).toBe(false);
    expect(cleared.value.providers[0]).toMatchObject({ isSet: false, last4: null, source: null });
    await clock.advanceAndSettle(0);
    expect(find(core, keyOf(A)).watch.state).toBe('paused');
    expect(core.status().accounts).toContainEqual(expect.objectContaining({ accountId: DEFAULT_ACCOUNT, state: 'key-missing' }));
  });

  it('setKey after a rejected key clears the health warning and resumes the paused jobs', async () => {
    const http = new ScriptedHttp((r) =>
      r.headers['x-api-key'] === USER_KEY ? jsonResponse(200, apiframeBody(idOf(r), { status: 'PROCESSING' })) : jsonResponse(401, { error: 'Unauthorized' }),
    );
    const { core, clock } = await setup({ http });
    await core.setKey('apiframe', 'afk_wrong_key_0000');
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(0);
    expect(find(core, keyOf(A)).watch.state).toBe('paused');
    expect(core.status().accounts).toEqual([expect.objectContaining({ state: 'key-rejected' })]);
    await core.setKey('apiframe', USER_KEY);
    expect(core.status().accounts).toEqual([]);
    await clock.advanceAndSettle(0);
    expect(find(core, keyOf(A))).toMatchObject({ status: 'running', watch: { state: 'watching' } });
  });
});

describe('GenwatchCore demo mode', () => {
  it('enableDemo: demo mode on, new jobs go to the demo account and poll the emulator with the demo key', async () => {
    const { core, clock, http } = await setup();
    expect(core.demoMode).toBe(false);
    core.enableDemo({ providers: { apiframe: { baseUrl: DEMO_URL, apiKey: DEMO_KEY } } });
    expect(core.demoMode).toBe(true);
    expect(core.status().demoMode).toBe(true);
    expect(core.activeAccount('apiframe')).toBe(DEMO_ACCOUNT);
    expect(core.getKeys().providers[0]).toMatchObject({ source: 'demo', isSet: true });
    core.addJobs('apiframe', A);
    expect(core.listJobs()[0]?.accountId).toBe(DEMO_ACCOUNT);
    await clock.advanceAndSettle(0);
    expect(http.requests[0]?.url).toBe(`${DEMO_URL}/v2/jobs/${A}`);
    expect(http.requests[0]?.headers['x-api-key']).toBe(DEMO_KEY);
  });

  it('setting a real key turns demo mode off; new jobs go to the default account', async () => {
    const { core } = await setup();
    core.enableDemo({ providers: { apiframe: { baseUrl: DEMO_URL, apiKey: DEMO_KEY } } });
    const statuses: AppStatus[] = [];
    core.onStatus((s) => statuses.push(s));
    await core.setKey('apiframe', USER_KEY);
    expect(core.demoMode).toBe(false);
    expect(statuses.at(-1)?.demoMode).toBe(false);
    expect(core.activeAccount('apiframe')).toBe(DEFAULT_ACCOUNT);
    core.addJobs('apiframe', A);
    expect(core.listJobs()[0]?.accountId).toBe(DEFAULT_ACCOUNT);
  });

  it('the demo key is never used for the default account', async () => {
    const { core, clock, http } = await setup();
    core.enableDemo({ providers: { apiframe: { baseUrl: DEMO_URL, apiKey: DEMO_KEY } } });
    await core.setKey('apiframe', USER_KEY);
    core.addJobs('apiframe', A);
    await core.clearKey('apiframe'); // back to no user key: default-account jobs must not borrow the demo key
    await clock.advanceAndSettle(10_000);
    expect(http.requests.filter((r) => r.headers['x-api-key'] === DEMO_KEY && r.url.includes(A))).toEqual([]);
  });

  it('demo-account jobs are never persisted', async () => {
    const { core, clock, kv } = await setup();
    core.enableDemo({ providers: { apiframe: { baseUrl: DEMO_URL, apiKey: DEMO_KEY } } });
    core.addJobs('apiframe', `${A} ${B}`);
    await clock.advanceAndSettle(5_000);
    core.dispose();
    expect(kv.writesOf('jobs')).toBeGreaterThan(0);
    expect(kv.get('jobs')).toEqual([]);
    expect(kv.everythingWritten()).not.toContain(A);
  });
});

describe('GenwatchCore settings and persistence', () => {
  it('a settings patch is applied, persisted to kv, and read back by a new core', async () => {
    const kv = new RecordingKv();
    const { core } = await setup({ kv });
    expect(core.getSettings()).toEqual(DEFAULT_SETTINGS);
    const updated = core.updateSettings({ theme: 'dark', providers: { apiframe: { baseUrl: 'http://127.0.0.1:4010/apiframe' } } });
    expect(updated.theme).toBe('dark');
    expect(updated.providers.apiframe.baseUrl).toBe('http://127.0.0.1:4010/apiframe');
    expect(updated.providers.useapi).toEqual(DEFAULT_SETTINGS.providers.useapi);
    expect(kv.get('settings')).toEqual(updated);
    const { core: second } = await setup({ kv });
    expect(second.getSettings()).toEqual(updated);
  });

  it('the settings base URL is where jobs are polled', async () => {
    const { core, clock, http } = await setup();
    await core.setKey('apiframe', USER_KEY);
    core.updateSettings({ providers: { apiframe: { baseUrl: 'http://127.0.0.1:4010/apiframe' } } });
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(0);
    expect(http.requests[0]?.url).toBe(`http://127.0.0.1:4010/apiframe/v2/jobs/${A}`);
  });

  it('unreadable stored settings fall back to the defaults', async () => {
    const kv = new RecordingKv();
    kv.set('settings', { theme: 'neon', providers: 42 });
    const { core } = await setup({ kv });
    expect(core.getSettings()).toEqual(DEFAULT_SETTINGS);
  });

  it('jobs are persisted after a debounce (one write for a burst of changes)', async () => {
    const { core, clock, kv } = await setup();
    await core.setKey('apiframe', USER_KEY);
    core.addJobs('apiframe', A);
    core.addJobs('apiframe', B);
    await clock.advanceAndSettle(500);
    expect(kv.writesOf('jobs')).toBe(0);
    await clock.advanceAndSettle(1_000);
    expect(kv.writesOf('jobs')).toBe(1);
    const stored = kv.get('jobs');
    expect(Array.isArray(stored) ? stored.map((j: { id?: unknown }) => j.id).sort() : stored).toEqual([A, B].sort());
  });

  it('a new core on the same kv restores the jobs and re-watches only the unfinished ones', async () => {
    const kv = new RecordingKv();
    const secrets = new MemorySecretStore();
    const http = new ScriptedHttp((r) =>
      jsonResponse(200, apiframeBody(idOf(r), idOf(r) === A ? { status: 'COMPLETED', progress: 100, result: { images: ['https://cdn/a.png'] } } : { status: 'PROCESSING', progress: 30 })),
    );
    const first = await setup({ kv, secrets, http });
    await first.core.setKey('apiframe', USER_KEY);
    first.core.addJobs('apiframe', `${A} ${B}`);
    await first.clock.advanceAndSettle(2_000);
    first.core.dispose();

    const http2 = new ScriptedHttp((r) => jsonResponse(200, apiframeBody(idOf(r), { status: 'PROCESSING', progress: 60 })));
    const second = await setup({ kv, secrets, http: http2 });
    expect(second.core.listJobs().map((j) => [j.id, j.status]).sort()).toEqual(
      [
        [A, 'completed'],
        [B, 'running'],
      ].sort(),
    );
    expect(find(second.core, keyOf(A)).assets.map((a) => a.url)).toEqual(['https://cdn/a.png']);
    expect(second.core.poller.watchedCount).toBe(1);
    await second.clock.advanceAndSettle(0);
    expect(http2.requests.map((r) => idOf(r))).toEqual([B]);
    expect(find(second.core, keyOf(B)).progress).toBe(60);
  });

  it('unreadable stored jobs are skipped, readable ones kept', async () => {
    const kv = new RecordingKv();
    const first = await setup({ kv });
    first.core.addJobs('apiframe', A);
    first.core.dispose();
    const stored = kv.get('jobs');
    kv.set('jobs', [...(Array.isArray(stored) ? stored : []), { key: 'garbage' }, 42]);
    const { core } = await setup({ kv });
    expect(core.listJobs().map((j) => j.id)).toEqual([A]);
  });

  it('stored jobs that are not an array are ignored', async () => {
    const kv = new RecordingKv();
    kv.set('jobs', { not: 'an array' });
    const { core } = await setup({ kv });
    expect(core.listJobs()).toEqual([]);
  });
});

describe('GenwatchCore status', () => {
  it('counts jobs by status and lists unhealthy accounts', async () => {
    const http = new ScriptedHttp((r) => {
      const id = idOf(r);
      if (id === uuidFor(1)) return jsonResponse(200, apiframeBody(id, { status: 'COMPLETED' }));
      if (id === uuidFor(2)) return jsonResponse(200, apiframeBody(id, { status: 'FAILED', error: 'nope' }));
      if (id === uuidFor(3)) return jsonResponse(200, apiframeBody(id, { status: 'PROCESSING' }));
      return jsonResponse(200, apiframeBody(id, { status: 'QUEUED' }));
    });
    const { core, clock } = await setup({ http });
    await core.setKey('apiframe', USER_KEY);
    core.addJobs('apiframe', [1, 2, 3, 4, 5].map(uuidFor).join(' '));
    await clock.advanceAndSettle(0);
    expect(core.status()).toEqual({ demoMode: false, accounts: [], counts: { queued: 2, running: 1, completed: 1, failed: 1 } });
  });

  it('emits appStatus to listeners when jobs change', async () => {
    const { core, clock } = await setup();
    const seen: AppStatus[] = [];
    const off = core.onStatus((s) => seen.push(s));
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(100);
    expect(seen.at(-1)?.counts.queued).toBe(1);
    off();
    const count = seen.length;
    core.addJobs('apiframe', B);
    await clock.advanceAndSettle(100);
    expect(seen).toHaveLength(count);
  });

  it('openExternal only accepts https and needs the port', async () => {
    const opened: string[] = [];
    const { core } = await setup({ openExternal: (url) => Promise.resolve(void opened.push(url)) });
    expect((await core.openExternal('http://example.com')).ok).toBe(false);
    expect((await core.openExternal('https://example.com/x')).ok).toBe(true);
    expect(opened).toEqual(['https://example.com/x']);
    const { core: bare } = await setup();
    const result = await bare.openExternal('https://example.com');
    expect(result.ok ? null : result.error.kind).toBe('internal');
  });

  it('dispose() leaves no timer behind', async () => {
    const { core, clock } = await setup();
    await core.setKey('apiframe', USER_KEY);
    core.addJobs('apiframe', `${A} ${B}`);
    await clock.advanceAndSettle(0);
    core.dispose();
    expect(clock.pendingTimers).toBe(0);
  });
});
