import { describe, expect, it } from 'vitest';
import type { Account, AccountsState, SaveAccount } from '../../src-shared/accounts';
import type { AppStatus, JobsDelta } from '../../src-shared/ipc-contract';
import { jobKey } from '../../src-shared/job';
import type { Job, ProviderId } from '../../src-shared/job';
import { DEFAULT_SETTINGS, STALLED_MINUTES } from '../../src-shared/settings';
import { DEMO_ACCOUNT, DEFAULT_ACCOUNT, GenwatchCore } from './genwatch-core';
import type { CoreDeps } from './genwatch-core';
import { placeholderJob } from './job-merge';
import { CURRENT_SCHEMA } from './migrations';
import { EMPTY_AGGREGATE } from './downloads';
import type { DownloadDeps, DownloadEngineApi, DownloadItem } from './downloads';
import { ok } from '../../src-shared/result';
import type { HttpRequest } from './ports';
import { silentLogger } from './ports';
import { apiframe } from './providers/apiframe';
import { apiframeBody, isListRequest, listBody, uuidFor } from './testing/apiframe-fixtures';
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

function accountOf(state: AccountsState, id: string, provider: ProviderId = 'apiframe'): Account {
  const account = state.accounts.find((a) => a.provider === provider && a.id === id);
  if (!account) throw new Error(`no account ${provider}:${id} in ${JSON.stringify(state.accounts.map((a) => a.id))}`);
  return account;
}

async function saved(core: GenwatchCore, request: SaveAccount): Promise<AccountsState> {
  const result = await core.saveAccount(request);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe('GenwatchCore.cancelJob', () => {
  it('an unknown job is not-found; an Apiframe job cannot be cancelled (invalid-input) and nothing is sent', async () => {
    const { core, http } = await setup();
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    const unknown = await core.cancelJob(keyOf(A));
    expect(unknown.ok ? null : unknown.error.kind).toBe('not-found');
    core.addJobs('apiframe', A);
    const count = http.requests.length;
    const refused = await core.cancelJob(keyOf(A));
    expect(refused.ok ? null : refused.error.kind).toBe('invalid-input');
    expect(http.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(http.requests).toHaveLength(count);
  });
});

describe('GenwatchCore accounts and keys', () => {
  it('keychain available: saveAccount stores the key in the SecretStore under the default account and shows only the last 4 characters', async () => {
    const { core, secrets, kv } = await setup();
    const state = await saved(core, { provider: 'apiframe', key: `  ${USER_KEY}  ` });
    expect(secrets.secrets.get('apiframe:default')).toBe(USER_KEY);
    expect(state.keychain).toEqual({ available: true, message: null });
    expect(accountOf(state, DEFAULT_ACCOUNT)).toMatchObject({ demo: false, key: { isSet: true, last4: '9f3a', source: 'keychain' }, health: { state: 'ok', message: null } });
    expect(JSON.stringify(state)).not.toContain(USER_KEY);
    expect(JSON.stringify(core.accountsState())).not.toContain(USER_KEY);
    expect(JSON.stringify(core.status())).not.toContain(USER_KEY);
    expect(kv.everythingWritten()).not.toContain(USER_KEY);
    expect(core.hasUserKey('apiframe')).toBe(true);
  });

  it('a key already in the keychain is loaded at start-up, even on a store that has no account record yet', async () => {
    const secrets = new MemorySecretStore();
    await secrets.set('apiframe:default', USER_KEY);
    const { core } = await setup({ secrets });
    expect(accountOf(core.accountsState(), DEFAULT_ACCOUNT).key).toEqual({ isSet: true, last4: '9f3a', source: 'keychain' });
    expect(core.hasUserKey('apiframe')).toBe(true);
  });

  it('the key of a second stored account is loaded at start-up from its own keychain entry', async () => {
    const kv = new RecordingKv();
    const secrets = new MemorySecretStore();
    const first = await setup({ kv, secrets });
    await saved(first.core, { provider: 'apiframe', key: USER_KEY });
    await saved(first.core, { provider: 'apiframe', label: 'Client Work', key: 'afk_client_key_7777' });
    first.core.dispose();
    const { core } = await setup({ kv, secrets });
    expect(accountOf(core.accountsState(), 'client-work')).toMatchObject({ label: 'Client Work', key: { isSet: true, last4: '7777', source: 'keychain' } });
  });

  it('keychain unavailable: saveAccount keeps the key for the session only, says so, and never writes it to kv', async () => {
    const secrets = new MemorySecretStore({ available: false, message: 'No Secret Service is running.' });
    const { core, kv, clock } = await setup({ secrets });
    const state = await saved(core, { provider: 'apiframe', key: USER_KEY });
    expect(state.keychain).toEqual({ available: false, message: 'No Secret Service is running.' });
    expect(accountOf(state, DEFAULT_ACCOUNT).key).toEqual({ isSet: true, source: 'session', last4: '9f3a' });
    expect(secrets.writes).toEqual([]);
    core.addJobs('apiframe', A);
    core.updateSettings({ theme: 'dark' });
    await clock.advanceAndSettle(5_000);
    core.dispose();
    expect(kv.history.length).toBeGreaterThan(0);
    expect(kv.everythingWritten()).not.toContain(USER_KEY);
  });

  it('a keychain that refuses the write is a keychain-unavailable error, and the key is not used', async () => {
    const { core, clock, http } = await setup({ secrets: new MemorySecretStore({ failWrites: true }) });
    const result = await core.saveAccount({ provider: 'apiframe', key: USER_KEY });
    expect(result.ok ? null : result.error.kind).toBe('keychain-unavailable');
    expect(core.hasUserKey('apiframe')).toBe(false);
    expect(core.accountsState().accounts.every((a) => !a.key.isSet)).toBe(true);
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(10_000);
    expect(http.requests.filter((r) => r.headers['x-api-key'] === USER_KEY)).toEqual([]);
  });

  it('an environment key belongs to the default account, is reported as environment, and is polled with', async () => {
    const { core, clock, http } = await setup({ environment: { APIFRAME_API_KEY: 'afk_env_key_5678', GENWATCH_APIFRAME_URL: 'http://127.0.0.1:1/apiframe' } });
    expect(accountOf(core.accountsState(), DEFAULT_ACCOUNT).key).toEqual({ isSet: true, last4: '5678', source: 'environment' });
    expect(core.hasUserKey('apiframe')).toBe(true);
    core.addJobs('apiframe', A);
    expect(core.listJobs()[0]?.accountId).toBe(DEFAULT_ACCOUNT);
    await clock.advanceAndSettle(0);
    expect(http.requests[0]?.headers['x-api-key']).toBe('afk_env_key_5678');
    expect(http.requests[0]?.url).toBe(`http://127.0.0.1:1/apiframe/v2/jobs/${A}`);
  });

  it('a key is never sent over plain http to another machine, even when the environment names such a base URL', async () => {
    const { core, clock, http } = await setup({ environment: { APIFRAME_API_KEY: 'afk_env_key_5678', GENWATCH_APIFRAME_URL: 'http://192.0.2.2/apiframe' } });
    expect(core.credentials('apiframe', DEFAULT_ACCOUNT)).toBeNull();
    expect(core.credentialsProblem('apiframe', DEFAULT_ACCOUNT)).toMatch(/^GENWATCH_APIFRAME_URL \(http:\/\/192\.0\.2\.2\/apiframe\) must be https:\/\//);
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(0);
    expect(http.requests.filter((r) => r.headers['x-api-key'] !== undefined)).toEqual([]);
  });

  it('the environment key is not used for any other account', async () => {
    const { core } = await setup({ environment: { APIFRAME_API_KEY: 'afk_env_key_5678' }, secrets: new MemorySecretStore({ available: false }) });
    await saved(core, { provider: 'apiframe', label: 'Second', key: 'afk_second_key_2222' });
    expect(core.credentials('apiframe', 'second')?.apiKey).toBe('afk_second_key_2222');
    expect(core.keys.resolve('apiframe', 'other')).toBeNull();
  });

  it('a second account gets a slug id from its label, its own key, and its jobs are polled with that key', async () => {
    const http = new ScriptedHttp((r) => jsonResponse(200, apiframeBody(idOf(r), { status: 'PROCESSING' })));
    const { core, clock } = await setup({ http });
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    const state = await saved(core, { provider: 'apiframe', label: 'Studio Team!', key: 'afk_studio_key_1111' });
    expect(state.accounts.map((a) => a.id).sort()).toEqual([DEFAULT_ACCOUNT, 'studio-team']);
    const again = await saved(core, { provider: 'apiframe', label: 'Studio Team!', key: 'afk_studio_key_2222' });
    expect(again.accounts.map((a) => a.id).sort()).toEqual([DEFAULT_ACCOUNT, 'studio-team', 'studio-team-2']);
    core.addJobs('apiframe', A);
    core.addJobs('apiframe', B, 'studio-team');
    expect(find(core, keyOf(A)).accountId).toBe(DEFAULT_ACCOUNT);
    expect(find(core, keyOf(B, 'studio-team')).accountId).toBe('studio-team');
    await clock.advanceAndSettle(0);
    expect(http.requestsFor(A).map((r) => r.headers['x-api-key'])).toEqual([USER_KEY]);
    expect(http.requestsFor(B).map((r) => r.headers['x-api-key'])).toEqual(['afk_studio_key_1111']);
  });

  it('saveAccount without a key keeps the stored key and updates label, scope and discover', async () => {
    const { core, secrets } = await setup();
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    const state = await saved(core, { provider: 'apiframe', accountId: DEFAULT_ACCOUNT, label: 'Main', scope: 'team', discover: false });
    expect(accountOf(state, DEFAULT_ACCOUNT)).toMatchObject({ label: 'Main', scope: 'team', discover: false, key: { isSet: true, last4: '9f3a' } });
    expect(secrets.writes.filter((w) => w.op === 'set')).toHaveLength(1);
  });

  it('refuses: a new account without a key, changing or removing the demo account, removing an unknown account', async () => {
    const { core } = await setup();
    const noKey = await core.saveAccount({ provider: 'apiframe', label: 'Empty' });
    expect(noKey.ok ? null : noKey.error.kind).toBe('invalid-input');
    const demo = await core.saveAccount({ provider: 'apiframe', accountId: DEMO_ACCOUNT, key: USER_KEY });
    expect(demo.ok ? null : demo.error.kind).toBe('invalid-input');
    const removeDemo = await core.removeAccount('apiframe', DEMO_ACCOUNT, false);
    expect(removeDemo.ok ? null : removeDemo.error.kind).toBe('invalid-input');
    const unknown = await core.removeAccount('apiframe', 'nobody', false);
    expect(unknown.ok ? null : unknown.error.kind).toBe('not-found');
    expect(core.accountsState().accounts).toEqual([]);
  });

  it('removeAccount deletes the keychain key and the account; forgetJobs removes its jobs', async () => {
    const { core, clock, secrets, http } = await setup();
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    core.addJobs('apiframe', `${A} ${B}`);
    await clock.advanceAndSettle(0);
    const result = await core.removeAccount('apiframe', DEFAULT_ACCOUNT, true);
    if (!result.ok) throw new Error(result.error.message);
    expect(secrets.secrets.has('apiframe:default')).toBe(false);
    expect(result.value.accounts.map((a) => a.id)).toEqual([]);
    expect(core.listJobs()).toEqual([]);
    expect(core.poller.watchedCount).toBe(0);
    const count = http.requests.length;
    await clock.advanceAndSettle(60_000);
    expect(http.requests).toHaveLength(count);
  });

  it('removeAccount without forgetJobs keeps the jobs but stops polling them', async () => {
    const { core, clock, http } = await setup();
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(0);
    const result = await core.removeAccount('apiframe', DEFAULT_ACCOUNT, false);
    expect(result.ok).toBe(true);
    expect(core.listJobs().map((j) => j.id)).toEqual([A]);
    expect(core.poller.watchedCount).toBe(0);
    const count = http.requests.length;
    await clock.advanceAndSettle(60_000);
    expect(http.requests).toHaveLength(count);
  });

  it('jobs of an account without a key pause as key-missing without any request', async () => {
    const { core, clock, http } = await setup();
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(10_000);
    expect(http.requests).toEqual([]);
    expect(find(core, keyOf(A)).watch.state).toBe('paused');
    expect(core.status().accounts).toContainEqual(expect.objectContaining({ accountId: DEFAULT_ACCOUNT, state: 'key-missing' }));
    expect(accountOf(core.accountsState(), DEFAULT_ACCOUNT).health.state).toBe('key-missing');
  });

  it('saveAccount with a new key after a rejected key clears the health warning and resumes the paused jobs', async () => {
    const http = new ScriptedHttp((r) =>
      r.headers['x-api-key'] === USER_KEY ? jsonResponse(200, apiframeBody(idOf(r), { status: 'PROCESSING' })) : jsonResponse(401, { error: 'Unauthorized' }),
    );
    const { core, clock } = await setup({ http });
    await saved(core, { provider: 'apiframe', key: 'afk_wrong_key_0000' });
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(0);
    expect(find(core, keyOf(A)).watch.state).toBe('paused');
    expect(core.status().accounts).toEqual([expect.objectContaining({ state: 'key-rejected' })]);
    expect(accountOf(core.accountsState(), DEFAULT_ACCOUNT).health.state).toBe('key-rejected');
    await saved(core, { provider: 'apiframe', accountId: DEFAULT_ACCOUNT, key: USER_KEY });
    expect(core.status().accounts).toEqual([]);
    expect(accountOf(core.accountsState(), DEFAULT_ACCOUNT).health).toEqual({ state: 'ok', message: null });
    await clock.advanceAndSettle(0);
    expect(find(core, keyOf(A))).toMatchObject({ status: 'running', watch: { state: 'watching' } });
  });

  it('onAccounts listeners hear every account change, and stop hearing after unsubscribing', async () => {
    const { core } = await setup();
    const seen: AccountsState[] = [];
    const off = core.onAccounts((state) => seen.push(state));
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    expect(seen.at(-1)?.accounts.map((a) => a.id)).toEqual([DEFAULT_ACCOUNT]);
    expect(JSON.stringify(seen)).not.toContain(USER_KEY);
    off();
    const count = seen.length;
    await core.removeAccount('apiframe', DEFAULT_ACCOUNT, false);
    expect(seen).toHaveLength(count);
  });

  it('addJobs to an account that does not exist is invalid-input and adds nothing', async () => {
    const { core } = await setup();
    const result = core.addJobs('apiframe', A, 'nobody');
    expect(result.ok ? null : result.error.kind).toBe('invalid-input');
    expect(result.ok ? '' : result.error.message).toContain('nobody');
    expect(core.listJobs()).toEqual([]);
    expect(core.accountsState().accounts).toEqual([]);
  });
});

describe('GenwatchCore demo mode', () => {
  it('enableDemo: demo mode on, the demo account is listed, new jobs go to it and poll the emulator with the demo key', async () => {
    const { core, clock, http } = await setup();
    expect(core.demoMode).toBe(false);
    core.enableDemo({ providers: { apiframe: { baseUrl: DEMO_URL, apiKey: DEMO_KEY } } });
    expect(core.demoMode).toBe(true);
    expect(core.status().demoMode).toBe(true);
    expect(core.activeAccount('apiframe')).toBe(DEMO_ACCOUNT);
    expect(accountOf(core.accountsState(), DEMO_ACCOUNT)).toMatchObject({ demo: true, key: { source: 'demo', isSet: true } });
    expect(core.hasUserKey('apiframe')).toBe(false);
    core.addJobs('apiframe', A);
    expect(core.listJobs()[0]?.accountId).toBe(DEMO_ACCOUNT);
    await clock.advanceAndSettle(0);
    expect(http.requests[0]?.url).toBe(`${DEMO_URL}/v2/jobs/${A}`);
    expect(http.requests[0]?.headers['x-api-key']).toBe(DEMO_KEY);
  });

  it('saving a real key turns demo mode off; new jobs go to the default account', async () => {
    const { core } = await setup();
    core.enableDemo({ providers: { apiframe: { baseUrl: DEMO_URL, apiKey: DEMO_KEY } } });
    const statuses: AppStatus[] = [];
    core.onStatus((s) => statuses.push(s));
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    expect(core.demoMode).toBe(false);
    expect(statuses.at(-1)?.demoMode).toBe(false);
    expect(core.activeAccount('apiframe')).toBe(DEFAULT_ACCOUNT);
    core.addJobs('apiframe', A);
    expect(core.listJobs()[0]?.accountId).toBe(DEFAULT_ACCOUNT);
  });

  it('the demo key is never used for a real account without a key', async () => {
    const kv = new RecordingKv();
    const first = await setup({ kv });
    first.core.addJobs('apiframe', A); // default account, no key
    first.core.dispose();
    const { core, clock, http } = await setup({ kv });
    core.enableDemo({ providers: { apiframe: { baseUrl: DEMO_URL, apiKey: DEMO_KEY } } });
    await clock.advanceAndSettle(10_000);
    expect(http.requests.filter((r) => r.headers['x-api-key'] === DEMO_KEY)).toEqual([]);
    expect(find(core, keyOf(A)).watch.state).toBe('paused');
    expect(core.credentials('apiframe', DEFAULT_ACCOUNT)).toBeNull();
  });

  it('demo-account jobs and the demo account itself are never persisted', async () => {
    const { core, clock, kv } = await setup();
    core.enableDemo({ providers: { apiframe: { baseUrl: DEMO_URL, apiKey: DEMO_KEY } } });
    core.addJobs('apiframe', `${A} ${B}`);
    await clock.advanceAndSettle(5_000);
    core.dispose();
    expect(kv.writesOf('jobs')).toBeGreaterThan(0);
    expect(kv.get('jobs')).toEqual([]);
    expect(kv.everythingWritten()).not.toContain(A);
    expect(kv.everythingWritten()).not.toContain(DEMO_KEY);
    const accounts = kv.get('accounts');
    expect(Array.isArray(accounts) ? accounts.map((a: { id?: unknown }) => a.id) : accounts).toEqual([]);
  });
});

describe('GenwatchCore settings and persistence', () => {
  it('a settings patch is applied, persisted to kv, and read back by a new core', async () => {
    const kv = new RecordingKv();
    const { core } = await setup({ kv });
    expect(core.getSettings()).toEqual(DEFAULT_SETTINGS);
    const result = await core.updateSettings({ theme: 'dark', providers: { apiframe: { baseUrl: 'http://127.0.0.1:4010/apiframe' } } });
    if (!result.ok) throw new Error(result.error.message);
    const updated = result.value;
    expect(updated.theme).toBe('dark');
    expect(updated.providers.apiframe.baseUrl).toBe('http://127.0.0.1:4010/apiframe');
    expect(updated.providers.useapi).toEqual(DEFAULT_SETTINGS.providers.useapi);
    expect(kv.get('settings')).toEqual(updated);
    const { core: second } = await setup({ kv });
    expect(second.getSettings()).toEqual(updated);
  });

  it('the settings base URL is where jobs are polled', async () => {
    const { core, clock, http } = await setup();
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    core.updateSettings({ providers: { apiframe: { baseUrl: 'http://127.0.0.1:4010/apiframe' } } });
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(0);
    expect(http.requests[0]?.url).toBe(`http://127.0.0.1:4010/apiframe/v2/jobs/${A}`);
  });

  it('a key goes to a new server only when the user says yes in main: asked once per new server, not for the provider\'s own address, not without a key', async () => {
    const questions: string[] = [];
    let answer = false;
    const { core, clock, http } = await setup({ confirm: (q) => (questions.push(q.message), Promise.resolve(answer)) });
    // No key yet: nothing to protect, nothing asked…
    expect(await core.setProviderBaseUrl('apiframe', 'https://first.example/api')).toMatchObject({ ok: true, value: { changed: true } });
    expect(questions).toEqual([]);
    // …until the first key would go there: asked then; declined, the key is not stored.
    const refusedKey = await core.saveAccount({ provider: 'apiframe', key: USER_KEY });
    expect(refusedKey.ok ? null : refusedKey.error.message).toBe('The key was not saved: it would go to first.example, which you did not confirm.');
    expect(questions).toEqual(['Send your Apiframe API key to first.example?']);
    expect(core.hasUserKey('apiframe')).toBe(false);
    answer = true;
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    expect(questions).toHaveLength(2);
    answer = false;
    questions.length = 0;
    // Another path on the server already set, or back to the provider's own: no question.
    expect(await core.setProviderBaseUrl('apiframe', 'https://first.example/other')).toMatchObject({ ok: true, value: { changed: true } });
    expect(await core.setProviderBaseUrl('apiframe', null)).toMatchObject({ ok: true, value: { changed: true } });
    expect(questions).toEqual([]);
    // A new server with a key stored: asked; declined, nothing changes and nothing is sent there.
    const declined = await core.setProviderBaseUrl('apiframe', 'https://evil.example/api');
    expect(declined).toMatchObject({ ok: true, value: { changed: false } });
    expect(questions).toEqual(['Send your Apiframe API key to evil.example?']);
    expect(core.getSettings().providers.apiframe.baseUrl).toBeNull();
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(0);
    expect(http.requests.some((r) => r.url.includes('evil.example'))).toBe(false);
    answer = true;
    expect(await core.setProviderBaseUrl('apiframe', 'https://proxy.example:8443/api')).toMatchObject({ ok: true, value: { changed: true } });
    expect(questions.at(-1)).toBe('Send your Apiframe API key to proxy.example:8443?');
    expect(core.getSettings().providers.apiframe.baseUrl).toBe('https://proxy.example:8443/api');
  });

  it('without a way to ask the user (no confirm port), a key never goes to a new server', async () => {
    const { core } = await setup();
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    const refused = await core.setProviderBaseUrl('apiframe', 'https://evil.example/api');
    expect(refused.ok ? null : refused.error).toEqual({ kind: 'forbidden', message: 'A new address for the API can only be confirmed in the desktop app.' });
    expect(core.getSettings().providers.apiframe.baseUrl).toBeNull();
  });

  it("the shell's notices (start at login needing approval) join the status warnings, are pushed once when they change, and clear", async () => {
    const { core } = await setup();
    const pushed: string[][] = [];
    core.onStatus((status) => pushed.push(status.warnings));
    core.setNotice('login-item', 'To start genwatch at login, allow it in System Settings › General › Login Items.');
    core.setNotice('login-item', 'To start genwatch at login, allow it in System Settings › General › Login Items.');
    expect(core.status().warnings).toEqual(['To start genwatch at login, allow it in System Settings › General › Login Items.']);
    expect(pushed).toHaveLength(1);
    core.setNotice('login-item', null);
    expect(core.status().warnings).toEqual([]);
    expect(pushed).toEqual([['To start genwatch at login, allow it in System Settings › General › Login Items.'], []]);
  });

  it('unreadable stored settings fall back to the defaults', async () => {
    const kv = new RecordingKv();
    kv.set('settings', { theme: 'neon', providers: 42 });
    const { core } = await setup({ kv });
    expect(core.getSettings()).toEqual(DEFAULT_SETTINGS);
  });

  it('jobs are persisted after a debounce (one write for a burst of changes)', async () => {
    const { core, clock, kv } = await setup();
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    core.addJobs('apiframe', A);
    core.addJobs('apiframe', B);
    await clock.advanceAndSettle(1_500);
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
    await saved(first.core, { provider: 'apiframe', key: USER_KEY });
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

describe('GenwatchCore settings: stalledAfterMinutes', () => {
  it('is persisted and read back by a new core', async () => {
    const kv = new RecordingKv();
    const { core } = await setup({ kv });
    expect(core.getSettings().stalledAfterMinutes).toBe(STALLED_MINUTES.default);
    expect(await core.updateSettings({ stalledAfterMinutes: 30 })).toMatchObject({ ok: true, value: { stalledAfterMinutes: 30 } });
    expect(kv.get('settings')).toMatchObject({ stalledAfterMinutes: 30 });
    const { core: second } = await setup({ kv });
    expect(second.getSettings().stalledAfterMinutes).toBe(30);
  });

  it('an old settings object without it loads with the default and keeps its other values', async () => {
    const kv = new RecordingKv();
    kv.set('schemaVersion', 2);
    kv.set('settings', { theme: 'dark', providers: { apiframe: { baseUrl: 'http://127.0.0.1:4010/apiframe' }, useapi: { baseUrl: null } } });
    const { core } = await setup({ kv });
    expect(core.getSettings()).toEqual({
      ...DEFAULT_SETTINGS,
      theme: 'dark',
      providers: { apiframe: { baseUrl: 'http://127.0.0.1:4010/apiframe' }, useapi: { baseUrl: null } },
    });
    expect(core.getSettings().stalledAfterMinutes).toBe(STALLED_MINUTES.default);
  });

  it('drives the stalled flag: a job whose progress does not move for that many minutes shows as stalled', async () => {
    const { core, clock } = await setup();
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    core.updateSettings({ stalledAfterMinutes: 1 });
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(0);
    expect(find(core, keyOf(A)).watch.state).toBe('watching');
    await clock.advanceAndSettle(60_000);
    expect(find(core, keyOf(A)).watch).toMatchObject({ state: 'stalled', message: 'No progress for 1 min; still watching.' });
    expect(core.poller.watchedCount).toBe(1);
  });

  it('a patch without it keeps the current value', async () => {
    const { core } = await setup();
    await core.updateSettings({ stalledAfterMinutes: 5 });
    expect(await core.updateSettings({ theme: 'light' })).toMatchObject({ ok: true, value: { stalledAfterMinutes: 5 } });
  });
});

describe('GenwatchCore stores: jobsKv, migration and warnings', () => {
  it('with jobsKv, jobs are written there (not to the settings kv) and restored from there', async () => {
    const kv = new RecordingKv();
    const jobsKv = new RecordingKv();
    const first = await setup({ kv, jobsKv });
    first.core.addJobs('apiframe', A);
    await first.clock.advanceAndSettle(5_000);
    first.core.dispose();
    expect(kv.writesOf('jobs')).toBe(0);
    expect(jobsKv.writesOf('jobs')).toBeGreaterThan(0);
    const { core } = await setup({ kv, jobsKv });
    expect(core.listJobs().map((j) => j.id)).toEqual([A]);
  });

  it('a fresh store is stamped with the current schema version', async () => {
    const kv = new RecordingKv();
    await setup({ kv });
    expect(kv.get('schemaVersion')).toBe(CURRENT_SCHEMA);
  });

  it('a v1 store (one file, no accounts, no schemaVersion) gets a default account and schema 2, settings kept', async () => {
    const kv = new RecordingKv();
    kv.set('settings', { ...DEFAULT_SETTINGS, theme: 'dark' });
    kv.set('jobs', [{ ...placeholderJob({ key: keyOf(A), provider: 'apiframe', accountId: DEFAULT_ACCOUNT, id: A }), status: 'completed' }]);
    const { core } = await setup({ kv });
    expect(kv.get('schemaVersion')).toBe(CURRENT_SCHEMA);
    expect(core.accountsState().accounts.map((a) => a.id)).toEqual([DEFAULT_ACCOUNT]);
    expect(core.getSettings().theme).toBe('dark');
    expect(core.listJobs().map((j) => j.id)).toEqual([A]);
  });

  it('a v1 job stored without watch.progressAt is restored after the upgrade', async () => {
    const kv = new RecordingKv();
    kv.set('settings', DEFAULT_SETTINGS);
    const v1Job = { ...placeholderJob({ key: keyOf(A), provider: 'apiframe', accountId: DEFAULT_ACCOUNT, id: A }), status: 'completed' as const };
    const { progressAt: _notInV1, ...v1Watch } = v1Job.watch;
    kv.set('jobs', [{ ...v1Job, watch: v1Watch }]);
    const { core } = await setup({ kv });
    expect(core.status().warnings).toEqual([]);
    expect(core.listJobs().map((j) => j.id)).toEqual([A]);
  });

  it('a v1 store upgraded with a separate jobsKv keeps its jobs (they move to the jobs store)', async () => {
    const kv = new RecordingKv();
    const jobsKv = new RecordingKv();
    kv.set('settings', DEFAULT_SETTINGS);
    const v1Job = { ...placeholderJob({ key: keyOf(A), provider: 'apiframe', accountId: DEFAULT_ACCOUNT, id: A }), status: 'completed' as const };
    kv.set('jobs', [v1Job]);
    const { core } = await setup({ kv, jobsKv });
    expect(core.listJobs().map((j) => j.id)).toEqual([A]);
  });

  it('a store from a newer genwatch is left untouched and reported in status().warnings', async () => {
    const kv = new RecordingKv();
    kv.set('schemaVersion', 99);
    const { core } = await setup({ kv });
    expect(kv.get('schemaVersion')).toBe(99);
    expect(core.status().warnings).toEqual([expect.stringMatching(/newer genwatch/)]);
  });

  it('start-up warnings passed in and unreadable stored jobs both appear in status().warnings', async () => {
    const kv = new RecordingKv();
    kv.set('schemaVersion', 2);
    kv.set('jobs', [{ key: 'garbage' }, 42]);
    const { core } = await setup({ kv, warnings: ['The store was moved aside.'] });
    expect(core.status().warnings).toEqual(['The store was moved aside.', '2 saved jobs are not shown: written by a newer genwatch or damaged; they stay in the jobs file.']);
  });

  it('saved jobs this version cannot read (a newer status value) are kept in the jobs file when the others are saved, not dropped', async () => {
    const kv = new RecordingKv();
    const { core: first, clock } = await setup({ kv });
    first.addJobs('apiframe', A);
    first.dispose();
    const stored = kv.get('jobs') as Record<string, unknown>[];
    const future = { ...stored[0], key: 'apiframe:default:b1b2c3d4-e5f6-7890-abcd-ef1234567890', id: 'b1b2c3d4-e5f6-7890-abcd-ef1234567890', status: 'archived' };
    kv.set('jobs', [...stored, future]);
    const { core } = await setup({ kv, clock });
    expect(core.status().warnings).toEqual(['1 saved job is not shown: written by a newer genwatch or damaged; it stays in the jobs file.']);
    core.addJobs('apiframe', B);
    core.dispose();
    const saved = kv.get('jobs') as { key: string }[];
    expect(saved.map((j) => j.key)).toEqual(expect.arrayContaining([future.key, stored[0]?.['key']]));
    expect(saved).toContainEqual(future);
  });
});

describe('GenwatchCore status', () => {
  it('counts jobs by status and lists unhealthy accounts', async () => {
    // Five running jobs: the account is polled through the running list (empty here), then by id.
    const http = new ScriptedHttp((r) => {
      if (isListRequest(r)) return jsonResponse(200, listBody([]));
      const id = idOf(r);
      if (id === uuidFor(1)) return jsonResponse(200, apiframeBody(id, { status: 'COMPLETED' }));
      if (id === uuidFor(2)) return jsonResponse(200, apiframeBody(id, { status: 'FAILED', error: 'nope' }));
      if (id === uuidFor(3)) return jsonResponse(200, apiframeBody(id, { status: 'PROCESSING' }));
      return jsonResponse(200, apiframeBody(id, { status: 'QUEUED' }));
    });
    const { core, clock } = await setup({ http });
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    core.addJobs('apiframe', [1, 2, 3, 4, 5].map(uuidFor).join(' '));
    await clock.advanceAndSettle(0);
    expect(core.status()).toEqual({ demoMode: false, accounts: [], counts: { queued: 2, running: 1, completed: 1, failed: 1 }, warnings: [] });
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
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    core.addJobs('apiframe', `${A} ${B}`);
    await clock.advanceAndSettle(0);
    core.dispose();
    expect(clock.pendingTimers).toBe(0);
  });
});

/** A download engine that only records what it is asked to download (no files, no network). */
class RecordingEngine {
  readonly batches: DownloadItem[][] = [];
  private readonly api: DownloadEngineApi = {
    configure: () => ok(undefined),
    onEvent: () => () => undefined,
    isDownloaded: () => false,
    enqueue: (items) => {
      this.batches.push([...items]);
      return Promise.resolve(ok({ batchId: `batch-${this.batches.length}`, files: [], done: new Promise(() => undefined) }));
    },
    retryFailed: () => Promise.resolve(ok({ batchId: 'retry', files: [], done: new Promise(() => undefined) })),
    batchCounts: () => [],
    snapshot: () => [],
    aggregate: () => EMPTY_AGGREGATE,
    clearFinished: () => undefined,
    pause: () => false,
    resume: () => false,
    cancel: () => false,
    pauseAll: () => undefined,
    resumeAll: () => undefined,
    cancelAll: () => undefined,
    stop: () => Promise.resolve(),
  };

  /** The core's `downloads` port: the engine opens over this recorder (the engine deps are never used). */
  deps(): NonNullable<CoreDeps['downloads']> {
    return { engine: {} as DownloadDeps, openEngine: () => Promise.resolve(ok(this.api)) };
  }

  /** Job ids of every item asked for, batch by batch. */
  jobIds(): string[][] {
    return this.batches.map((items) => [...new Set(items.map((item) => item.job.id))]);
  }
}

function fullResult(id: string): Record<string, unknown> {
  return { status: 'COMPLETED', progress: 100, result: { images: [1, 2, 3, 4].map((n) => `https://cdn/${id}-${n}.png`), gridUrl: `https://cdn/${id}-grid.png` }, completedAt: '2026-03-15T10:05:00.000Z' };
}

/** A history-list item of a finished job: the list gives one bare URL as its result. */
function listItem(id: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return apiframeBody(id, { ...fullResult(id), result: `https://cdn/${id}-1.png`, ...over });
}

function getsOf(http: ScriptedHttp, id?: string): HttpRequest[] {
  return http.requests.filter((r) => !isListRequest(r) && (id === undefined || idOf(r) === id));
}

describe('GenwatchCore: a history page older than what is known', () => {
  it('a job that finished (and was downloaded) is not watched again nor downloaded twice when a page fetched before it finished is imported', async () => {
    let answer: Record<string, unknown> = { status: 'PROCESSING', progress: 40 };
    const http = new ScriptedHttp((r) =>
      isListRequest(r) ? jsonResponse(200, listBody([apiframeBody(A, { status: 'PROCESSING', progress: 40 })])) : jsonResponse(200, apiframeBody(idOf(r), answer)),
    );
    const engine = new RecordingEngine();
    const { core, clock } = await setup({ http, downloads: engine.deps() });
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    expect((await core.updateSettings({ downloads: { root: '/downloads' } })).ok).toBe(true);
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(0);
    expect(find(core, keyOf(A)).status).toBe('running');
    answer = fullResult(A);
    await clock.advanceAndSettle(5_000);
    expect(find(core, keyOf(A)).status).toBe('completed');
    expect(engine.jobIds()).toEqual([[A]]);
    const gets = getsOf(http, A).length;

    expect(core.importHistory('apiframe', DEFAULT_ACCOUNT).ok).toBe(true);
    await clock.advanceAndSettle(60_000);
    expect(http.requests.filter(isListRequest)).toHaveLength(1);
    expect(find(core, keyOf(A))).toMatchObject({ status: 'completed', progress: 100, watch: { state: 'done' } });
    expect(find(core, keyOf(A)).assets).toHaveLength(5);
    expect(core.poller.watchedCount).toBe(0);
    expect(getsOf(http, A)).toHaveLength(gets);
    expect(engine.jobIds()).toEqual([[A]]);
  });
});

describe('GenwatchCore: jobs whose watch ended in an error can be watched again', () => {
  it('pasting again a job that hit an error (404) watches it again and counts it as added', async () => {
    let visible = false;
    const http = new ScriptedHttp((r) => (visible ? jsonResponse(200, apiframeBody(idOf(r), { status: 'PROCESSING', progress: 30 })) : jsonResponse(404, { error: 'Job not found' })));
    const { core, clock } = await setup({ http });
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    core.addJobs('apiframe', A);
    await clock.advanceAndSettle(0);
    expect(find(core, keyOf(A)).watch.state).toBe('error');
    expect(core.poller.watchedCount).toBe(0);
    core.addJobs('apiframe', B);
    visible = true;

    const again = core.addJobs('apiframe', `${A} ${B}`);
    if (!again.ok) throw new Error(again.error.message);
    expect(again.value).toEqual({ added: [A], alreadyWatched: [B], rejected: [] });
    expect(find(core, keyOf(A)).watch).toMatchObject({ state: 'watching', message: null });
    expect(core.poller.watchedCount).toBe(2);
    await clock.advanceAndSettle(0);
    expect(find(core, keyOf(A))).toMatchObject({ status: 'running', progress: 30, watch: { state: 'watching' } });
  });

  it('saving a new key for an account watches again its jobs that hit an error (ids pasted under the wrong key all 404), not other accounts\' ones', async () => {
    const http = new ScriptedHttp((r) =>
      r.headers['x-api-key'] === USER_KEY ? jsonResponse(200, apiframeBody(idOf(r), { status: 'PROCESSING', progress: 30 })) : jsonResponse(404, { error: 'Job not found' }),
    );
    const { core, clock } = await setup({ http });
    await saved(core, { provider: 'apiframe', key: 'afk_wrong_key_0000' });
    await saved(core, { provider: 'apiframe', label: 'Studio', key: 'afk_other_wrong_1111' });
    const C = uuidFor(0xc);
    core.addJobs('apiframe', `${A} ${B}`, DEFAULT_ACCOUNT);
    core.addJobs('apiframe', C, 'studio');
    await clock.advanceAndSettle(0);
    expect(core.listJobs().map((j) => j.watch.state)).toEqual(['error', 'error', 'error']);

    await saved(core, { provider: 'apiframe', accountId: DEFAULT_ACCOUNT, key: USER_KEY });
    await clock.advanceAndSettle(0);
    expect(find(core, keyOf(A))).toMatchObject({ status: 'running', watch: { state: 'watching', message: null } });
    expect(find(core, keyOf(B))).toMatchObject({ status: 'running', watch: { state: 'watching', message: null } });
    expect(find(core, keyOf(C, 'studio')).watch.state).toBe('error');
    expect(getsOf(http, C)).toHaveLength(1);
    expect(core.poller.watchedCount).toBe(2);
  });
});

describe('GenwatchCore.downloadJobs: full results under a rate limit', () => {
  async function importedHistory(ids: string[], get: (request: HttpRequest, n: number) => ReturnType<typeof jsonResponse>) {
    const clock = new FakeClock();
    const started: { id: string; at: number }[] = [];
    const http = new ScriptedHttp((r) => {
      if (isListRequest(r)) return jsonResponse(200, listBody(ids.map((id) => listItem(id))));
      started.push({ id: idOf(r), at: clock.now() });
      return get(r, started.length);
    });
    const engine = new RecordingEngine();
    const { core } = await setup({ http, clock, downloads: engine.deps() });
    await saved(core, { provider: 'apiframe', key: USER_KEY });
    expect((await core.updateSettings({ downloads: { root: '/downloads' } })).ok).toBe(true);
    core.importHistory('apiframe', DEFAULT_ACCOUNT);
    await clock.advanceAndSettle(0);
    expect(core.listJobs().every((j) => j.status === 'completed' && j.assets.every((a) => a.meta['fromList'] === true))).toBe(true);
    return { core, clock, http, engine, started };
  }

  it('a 429 with Retry-After mid-way: no new look-up starts during the wait, the rest (and the refused one) are fetched after it', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => uuidFor(0x100 + i));
    const { core, clock, engine, started } = await importedHistory(ids, (r, n) =>
      n === 6 ? jsonResponse(429, { error: 'Too many requests' }, { 'retry-after': '30' }) : jsonResponse(200, apiframeBody(idOf(r), fullResult(idOf(r)))),
    );
    const t0 = clock.now();
    let settled = false;
    const pending = core.downloadJobs(core.listJobs().map((j) => j.key), false).finally(() => (settled = true));
    await clock.advanceAndSettle(0);
    const duringWait = started.length;
    expect(duringWait).toBeLessThan(ids.length);
    await clock.advanceAndSettle(29_000);
    expect(started).toHaveLength(duringWait);
    expect(settled).toBe(false);
    await clock.advanceAndSettle(1_000);
    const result = await pending;
    expect(result.ok).toBe(true);
    expect(started).toHaveLength(ids.length + 1);
    expect(started.slice(duringWait).every((s) => s.at >= t0 + 30_000)).toBe(true);
    expect(new Set(started.map((s) => s.id))).toEqual(new Set(ids));
    // Every job went to the download with its full result: none is left with only the list's asset.
    const items = engine.batches[0] ?? [];
    expect(new Set(items.map((item) => item.job.id))).toEqual(new Set(ids));
    expect(items.some((item) => item.asset.meta['fromList'] === true)).toBe(false);
    expect(items).toHaveLength(ids.length * 5);
    expect(core.listJobs().every((j) => j.assets.length === 5)).toBe(true);
  });

  it('a very long Retry-After is waited out for at most a minute; other failures keep the list asset without waiting', async () => {
    const ids = [uuidFor(0x200), uuidFor(0x201), uuidFor(0x202)];
    const { core, clock, engine, started } = await importedHistory(ids, (r, n) => {
      if (n === 1) return jsonResponse(429, { error: 'Too many requests' }, { 'retry-after': '3600' });
      if (idOf(r) === ids[2]) return jsonResponse(503, { error: 'down' });
      return jsonResponse(200, apiframeBody(idOf(r), fullResult(idOf(r))));
    });
    const t0 = clock.now();
    const pending = core.downloadJobs(core.listJobs().map((j) => j.key), false);
    await clock.advanceAndSettle(0);
    await clock.advanceAndSettle(60_000);
    const result = await pending;
    expect(result.ok).toBe(true);
    expect(Math.max(...started.map((s) => s.at))).toBe(t0 + 60_000);
    expect(started.filter((s) => s.id === ids[2])).toHaveLength(1);
    const byJob = new Map<string, number>();
    for (const item of engine.batches[0] ?? []) byJob.set(item.job.id, (byJob.get(item.job.id) ?? 0) + 1);
    expect(Object.fromEntries(byJob)).toEqual({ [ids[0] as string]: 5, [ids[1] as string]: 5, [ids[2] as string]: 1 });
  });
});
