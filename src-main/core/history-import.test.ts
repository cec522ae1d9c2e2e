/**
 * History import through the core (core.importHistory / cancelImport) against
 * an in-memory Apiframe: every page, progress on the account, cancel, resume
 * from the stored cursor, retries, errors.
 */
import { describe, expect, it } from 'vitest';
import type { Account, AccountsState } from '../../src-shared/accounts';
import { GenwatchCore } from './genwatch-core';
import type { CoreDeps } from './genwatch-core';
import { newAccountRecord } from './account-book';
import { startHistoryImport, IMPORT_PAGE_SIZE } from './history-import';
import { silentLogger } from './ports';
import { apiframe } from './providers/apiframe';
import { uuidFor } from './testing/apiframe-fixtures';
import { FakeApiframe } from './testing/fake-apiframe';
import { FakeClock } from './testing/fake-clock';
import { fixedRandom, jsonResponse, MemorySecretStore, RecordingKv } from './testing/fakes';

const KEY = 'afk_history_key_0001';
const T0 = Date.parse('2026-03-15T10:00:00.000Z');

interface World {
  core: GenwatchCore;
  clock: FakeClock;
  api: FakeApiframe;
  kv: RecordingKv;
  states: AccountsState[];
}

async function world(options: { jobs?: number; running?: number; kv?: RecordingKv; secrets?: MemorySecretStore; saveKey?: boolean; deps?: Partial<CoreDeps> } = {}): Promise<World> {
  const clock = new FakeClock(T0);
  const api = new FakeApiframe([KEY]);
  // Created oldest first, so the list (newest first) starts with the last one.
  const total = options.jobs ?? 0;
  for (let i = 0; i < total; i++) {
    const running = i >= total - (options.running ?? 0);
    api.put(uuidFor(i), running ? { status: 'PROCESSING', progress: 20 } : { status: 'COMPLETED', progress: 100, result: { images: [`https://cdn.test/${i}.png`] } });
  }
  const kv = options.kv ?? new RecordingKv();
  const secrets = options.secrets ?? new MemorySecretStore();
  const core = await GenwatchCore.create({
    http: api.http(),
    clock,
    random: fixedRandom(0.5),
    secrets,
    kv,
    logger: silentLogger,
    providers: [apiframe],
    environment: { GENWATCH_APIFRAME_URL: 'https://api.apiframe.test' },
    version: '0.0.0-test',
    platform: 'test',
    ...options.deps,
  });
  if (options.saveKey !== false && !core.hasUserKey('apiframe')) {
    const saved = await core.saveAccount({ provider: 'apiframe', key: KEY });
    if (!saved.ok) throw new Error(saved.error.message);
  }
  const states: AccountsState[] = [];
  core.onAccounts((s) => states.push(s));
  return { core, clock, api, kv, states };
}

function account(w: World, id = 'default'): Account {
  const found = w.core.accountsState().accounts.find((a) => a.id === id);
  if (!found) throw new Error(`no account ${id}`);
  return found;
}

/** Advances fake time until the import is no longer running (retries sleep on the clock). */
async function untilSettled(w: World, id = 'default', limitMs = 60 * 60_000): Promise<void> {
  const deadline = w.clock.now() + limitMs;
  await w.clock.advanceAndSettle(0);
  while (account(w, id).history.state === 'running') {
    if (w.clock.now() > deadline) throw new Error('import did not settle');
    await w.clock.advanceAndSettle(1_000);
  }
}

function listCursors(w: World): (string | null)[] {
  return w.api.requests('list').map((r) => r.query['cursor'] ?? null);
}

describe('history import', () => {
  it('imports every page into the store; the account shows pages, jobs, done and finishedAt', async () => {
    const w = await world({ jobs: 250 });
    const started = w.core.importHistory('apiframe', 'default');
    expect(started.ok).toBe(true);
    expect(account(w).history.state).toBe('running');
    await untilSettled(w);
    expect(w.core.listJobs()).toHaveLength(250);
    expect(new Set(w.core.listJobs().map((j) => j.id)).size).toBe(250);
    expect(account(w).history).toEqual({ state: 'done', pages: 3, jobs: 250, message: null, finishedAt: expect.any(String) });
    expect(Date.parse(account(w).history.finishedAt ?? '')).toBeGreaterThanOrEqual(T0);
    expect(listCursors(w)).toEqual([null, 'o100', 'o200']);
    expect(w.api.requests('list').every((r) => r.query['limit'] === String(IMPORT_PAGE_SIZE) && r.query['status'] === undefined)).toBe(true);
    // Progress was published page by page.
    const pages = w.states.map((s) => s.accounts.find((a) => a.id === 'default')?.history.pages);
    expect(pages).toContain(1);
    expect(pages).toContain(2);
    expect(w.core.listJobs().every((j) => j.status === 'completed' && j.watch.state === 'done')).toBe(true);
  });

  it('finished jobs from the list keep the list result as a fromList asset', async () => {
    const w = await world({ jobs: 1 });
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(w.core.listJobs()[0]?.assets).toEqual([expect.objectContaining({ url: 'https://cdn.test/0.png', meta: { fromList: true } })]);
  });

  it('running jobs found in the history are watched until they finish', async () => {
    const w = await world({ jobs: 10, running: 2 });
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(w.core.poller.watchedCount).toBe(2);
    w.api.complete(uuidFor(8));
    w.api.complete(uuidFor(9));
    await w.clock.advanceAndSettle(10_000);
    expect(w.core.listJobs().filter((j) => j.status !== 'completed')).toEqual([]);
    expect(w.core.poller.watchedCount).toBe(0);
    expect(w.core.listJobs().find((j) => j.id === uuidFor(9))?.assets).toHaveLength(5);
  });

  it('cancel → cancelled with the cursor kept; importing again resumes there and no page is fetched twice', async () => {
    const w = await world({ jobs: 250 });
    let cancelled = false;
    w.core.onAccounts((s) => {
      if (!cancelled && s.accounts.find((a) => a.id === 'default')?.history.pages === 1) {
        cancelled = true;
        w.core.cancelImport('apiframe', 'default');
      }
    });
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(account(w).history).toMatchObject({ state: 'cancelled', pages: 1, jobs: 100, finishedAt: null });
    expect(account(w).history.message).toMatch(/resumes/);
    expect(w.core.listJobs()).toHaveLength(100);
    expect(listCursors(w)).toEqual([null]);
    const stored = (w.kv.get('accounts') as { id: string; history: { cursor: string | null } }[]).find((r) => r.id === 'default');
    expect(stored?.history.cursor).toBe('o100');

    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(listCursors(w)).toEqual([null, 'o100', 'o200']);
    expect(account(w).history).toMatchObject({ state: 'done', pages: 3, jobs: 250 });
    expect(w.core.listJobs()).toHaveLength(250);
  });

  it('an import left running by a previous process resumes from its stored cursor at start-up', async () => {
    const kv = new RecordingKv();
    const secrets = new MemorySecretStore();
    await secrets.set('apiframe:default', KEY);
    kv.set('schemaVersion', 2);
    kv.set('accounts', [{ ...newAccountRecord('apiframe', 'default'), history: { state: 'running', pages: 1, jobs: 100, message: null, finishedAt: null, cursor: 'o100' } }]);
    const w = await world({ jobs: 250, kv, secrets });
    await untilSettled(w);
    expect(listCursors(w)).toEqual(['o100', 'o200']);
    expect(account(w).history).toMatchObject({ state: 'done', pages: 3, jobs: 250 });
  });

  it('a finished import started again begins from the first page', async () => {
    const w = await world({ jobs: 150 });
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(listCursors(w)).toEqual([null, 'o100', null, 'o100']);
    expect(account(w).history).toMatchObject({ state: 'done', pages: 2, jobs: 150 });
    expect(w.core.listJobs()).toHaveLength(150);
  });

  it('transient errors (503, 429, reset, malformed JSON) retry the same page and the import completes', async () => {
    const w = await world({ jobs: 250 });
    w.api.failNext('list', jsonResponse(503, { error: 'down' }), 1, (q) => q['cursor'] === 'o100');
    w.api.failNext('list', jsonResponse(429, { error: 'slow down' }, { 'retry-after': '30' }), 1, (q) => q['cursor'] === 'o100');
    w.api.failNext('list', new Error('ECONNRESET'), 1, (q) => q['cursor'] === 'o200');
    w.api.failNext('list', { status: 200, headers: {}, body: '{"jobs": [' }, 1, (q) => q['cursor'] === 'o200');
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(account(w).history).toMatchObject({ state: 'done', pages: 3, jobs: 250, message: null });
    expect(listCursors(w)).toEqual([null, 'o100', 'o100', 'o100', 'o200', 'o200', 'o200']);
    expect(w.core.listJobs()).toHaveLength(250);
  });

  it('a non-retryable error ends in state error with the message; jobs imported so far are kept', async () => {
    const w = await world({ jobs: 250 });
    w.api.failNext('list', jsonResponse(401, { error: 'Unauthorized' }), 1, (q) => q['cursor'] === 'o100');
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(account(w).history.state).toBe('error');
    expect(account(w).history.message).toMatch(/key was rejected/);
    expect(account(w).history.pages).toBe(1);
    expect(w.core.listJobs()).toHaveLength(100);
    expect(listCursors(w)).toEqual([null, 'o100']);
    // Importing again resumes at the failed page.
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(listCursors(w)).toEqual([null, 'o100', 'o100', 'o200']);
    expect(account(w).history).toMatchObject({ state: 'done', pages: 3, jobs: 250 });
  });

  it('a repeated page is a clear error, not an endless loop', async () => {
    const w = await world({ jobs: 250 });
    w.api.failNext('list', jsonResponse(200, { jobs: [], nextCursor: 'o100', hasMore: true }), 1, (q) => q['cursor'] === 'o100');
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(account(w).history.state).toBe('error');
    expect(account(w).history.message).toMatch(/same page twice/);
    expect(w.core.listJobs()).toHaveLength(100);
  });

  it('a saved cursor the provider refuses (400) is dropped: the error says so and the next import starts from the beginning', async () => {
    const kv = new RecordingKv();
    const secrets = new MemorySecretStore();
    await secrets.set('apiframe:default', KEY);
    kv.set('schemaVersion', 2);
    // A failed import left a cursor the provider no longer accepts (FakeApiframe answers 400 to a non-numeric one).
    kv.set('accounts', [{ ...newAccountRecord('apiframe', 'default'), history: { state: 'error', pages: 1, jobs: 100, message: 'down', finishedAt: null, cursor: 'stale' } }]);
    const w = await world({ jobs: 250, kv, secrets });
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(listCursors(w)).toEqual(['stale']);
    expect(account(w).history.state).toBe('error');
    expect(account(w).history.message).toMatch(/Invalid cursor.*The next import starts from the beginning\.$/);
    const stored = (w.kv.get('accounts') as { id: string; history: { cursor: string | null } }[]).find((r) => r.id === 'default');
    expect(stored?.history.cursor).toBeNull();

    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(listCursors(w)).toEqual(['stale', null, 'o100', 'o200']);
    expect(account(w).history).toMatchObject({ state: 'done', pages: 3, jobs: 250, message: null });
  });

  it('a cursor refused (400) in the middle of an import is not resumed from either', async () => {
    const w = await world({ jobs: 250 });
    w.api.failNext('list', jsonResponse(400, { error: 'Invalid cursor' }), 100, (q) => q['cursor'] === 'o100');
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(account(w).history.state).toBe('error');
    expect(account(w).history.message).toMatch(/The next import starts from the beginning\.$/);
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(listCursors(w)).toEqual([null, 'o100', null, 'o100']);
  });

  it('a page sent twice drops the cursor too: the next import starts from the beginning', async () => {
    const w = await world({ jobs: 250 });
    w.api.failNext('list', jsonResponse(200, { jobs: [], nextCursor: 'o100', hasMore: true }), 1, (q) => q['cursor'] === 'o100');
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(account(w).history.message).toMatch(/same page twice.*The next import starts from the beginning\.$/);
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(listCursors(w)).toEqual([null, 'o100', null, 'o100', 'o200']);
    expect(account(w).history).toMatchObject({ state: 'done', pages: 3, jobs: 250 });
  });

  it('refuses: an unknown account (not-found), an account without a key (auth)', async () => {
    const w = await world({ jobs: 1, saveKey: false });
    const unknown = w.core.importHistory('apiframe', 'nobody');
    expect(unknown.ok ? null : unknown.error.kind).toBe('not-found');
    w.core.accounts.ensure('apiframe', 'default');
    const noKey = w.core.importHistory('apiframe', 'default');
    expect(noKey.ok ? null : noKey.error.kind).toBe('auth');
    expect(w.api.log).toEqual([]);
  });

  it('importing twice while one runs starts no second walk', async () => {
    const w = await world({ jobs: 250 });
    w.core.importHistory('apiframe', 'default');
    w.core.importHistory('apiframe', 'default');
    await untilSettled(w);
    expect(listCursors(w)).toEqual([null, 'o100', 'o200']);
  });

  it('removing the account cancels its import', async () => {
    const w = await world({ jobs: 250 });
    w.core.importHistory('apiframe', 'default');
    const removed = await w.core.removeAccount('apiframe', 'default', true);
    expect(removed.ok).toBe(true);
    await w.clock.advanceAndSettle(60_000);
    expect(w.api.requests('list').length).toBeLessThanOrEqual(1);
    expect(w.core.accountsState().accounts).toEqual([]);
    // The page that was on its way when the account (and its jobs) went is dropped, not added orphaned.
    expect(w.core.listJobs()).toEqual([]);
  });

  it('a cancel during a retry wait ends the import at once, not when the wait is over', async () => {
    const w = await world({ jobs: 250 });
    w.api.failNext('list', jsonResponse(503, { error: 'down' }, { 'retry-after': '30' }));
    w.core.importHistory('apiframe', 'default');
    await w.clock.advanceAndSettle(100);
    expect(account(w).history.state).toBe('running');
    w.core.cancelImport('apiframe', 'default');
    await w.clock.advanceAndSettle(0);
    expect(account(w).history.state).toBe('cancelled');
    expect(w.api.requests('list')).toHaveLength(1);
  });
});

describe('startHistoryImport (unit)', () => {
  it('gives up on a page after its retries and reports the last error', async () => {
    const clock = new FakeClock(T0);
    const api = new FakeApiframe([KEY]);
    api.failNext('list', jsonResponse(503, { error: 'down' }), 100);
    const run = startHistoryImport({
      provider: apiframe,
      context: { http: api.http(), clock, baseUrl: 'https://api.apiframe.test', apiKey: KEY, accountId: 'default' },
      scope: 'team',
      clock,
      random: fixedRandom(0),
      resumeFrom: null,
      onJobs: () => {},
      onProgress: () => {},
    });
    let settled = false;
    void run.done.then(() => (settled = true));
    while (!settled) await clock.advanceAndSettle(60_000);
    const result = await run.done;
    expect(result.ok ? null : result.error.kind).toBe('transient');
    expect(api.requests('list')).toHaveLength(7);
    expect(api.requests('list').every((r) => r.query['scope'] === 'team')).toBe(true);
  });
});
