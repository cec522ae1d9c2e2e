import { describe, expect, it, vi } from 'vitest';
import { flushSync } from 'svelte';
import { createIpcDouble, generateJobs, makeJob, sampleJobs } from './ipc-double';
import { JobsState, compareJobs, sortJobs } from './jobs.svelte';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function setup(jobs = sampleJobs(Date.parse('2025-11-25T12:00:00Z'))) {
  const double = createIpcDouble({ jobs });
  const state = new JobsState(double.api);
  return { double, state };
}

describe('JobsState', () => {
  it('loads the snapshot sorted newest first and counts by status', async () => {
    const { state } = setup();
    const stop = state.start();
    await tick();
    expect(state.loaded).toBe(true);
    expect(state.all).toHaveLength(8);
    const created = state.all.map((j) => Date.parse(j.createdAt ?? ''));
    expect([...created].sort((a, b) => b - a)).toEqual(created);
    expect(state.counts).toEqual({ all: 8, queued: 1, running: 2, completed: 3, failed: 2, attention: 1 });
    stop();
  });

  it('applies deltas by key without replacing untouched jobs', async () => {
    const { double, state } = setup();
    state.start();
    await tick();
    const before = state.all;
    const running = before.find((j) => j.status === 'running');
    const untouched = before.find((j) => j.status === 'completed');
    if (!running || !untouched) throw new Error('fixture');
    double.upsert([{ ...running, progress: 90 }]);
    flushSync();
    expect(state.get(running.key)?.progress).toBe(90);
    expect(state.all.find((j) => j.key === untouched.key)).toBe(untouched);
    double.remove([untouched.key]);
    expect(state.get(untouched.key)).toBeUndefined();
    expect(state.counts.completed).toBe(2);
  });

  it('filters by status and searches id, model and prompt (debounced)', async () => {
    const { state } = setup();
    state.start();
    await tick();
    state.filter = 'failed';
    expect(state.visible.every((j) => j.status === 'failed')).toBe(true);
    expect(state.visible).toHaveLength(2);
    state.filter = 'all';
    state.query = 'LIGHTHOUSE';
    expect(state.visible).toHaveLength(8); // not applied yet
    await new Promise((resolve) => setTimeout(resolve, 130));
    expect(state.visible.map((j) => j.id)).toEqual(['3f2a9c1e-7b4d-4e21-9a0c-5d8e6f1b2c34']);
    state.query = 'suno';
    state.flushQuery();
    expect(state.visible).toHaveLength(2);
    state.query = '9b1c7d22';
    state.flushQuery();
    expect(state.visible).toHaveLength(1);
    expect(state.filteredCounts.all).toBe(1);
    state.query = '';
    expect(state.visible).toHaveLength(8); // clearing applies at once
    state.clearFilters();
    expect(state.visible).toHaveLength(8);
  });

  it('jobs seen running that finish are announced in one sentence per update (for screen readers); jobs arriving finished are not', async () => {
    const running = makeJob({ key: 'apiframe:default:r1', id: 'r1', status: 'running' });
    const running2 = makeJob({ key: 'apiframe:default:r2', id: 'r2', status: 'running' });
    const running3 = makeJob({ key: 'apiframe:default:r3', id: 'r3', status: 'queued' });
    const { state } = setup([running, running2, running3]);
    await state.load();
    expect(state.announcement).toBe('');
    state.applyDelta({ upserted: [makeJob({ key: 'apiframe:default:old', id: 'old', status: 'completed' })], removed: [] });
    expect(state.announcement).toBe('');
    state.applyDelta({ upserted: [{ ...running, status: 'completed' }, { ...running2, status: 'completed' }, { ...running3, status: 'failed' }], removed: [] });
    expect(state.announcement).toBe('2 jobs completed, 1 failed.');
    state.applyDelta({ upserted: [{ ...running3, status: 'failed' }], removed: [] }); // no change: nothing new to say
    expect(state.announcement).toBe('2 jobs completed, 1 failed.');
  });

  it("'Needs attention' shows the jobs genwatch cannot follow now (stalled, account paused, an error about them), whatever their status", async () => {
    const jobs = [
      makeJob({ id: 'ok', status: 'running' }),
      makeJob({ id: 'stalled', status: 'running', watch: { state: 'stalled', message: null, lastCheckedAt: null, progressAt: null } }),
      makeJob({ id: 'paused', status: 'queued', watch: { state: 'paused', message: 'The key was refused.', lastCheckedAt: null, progressAt: null } }),
      makeJob({ id: 'gone', status: 'queued', watch: { state: 'error', message: 'No such job.', lastCheckedAt: null, progressAt: null } }),
      makeJob({ id: 'done', status: 'completed', watch: { state: 'done', message: null, lastCheckedAt: null, progressAt: null } }),
    ];
    const { state } = setup(jobs);
    await state.load();
    expect(state.filteredCounts.attention).toBe(3);
    state.filter = 'attention';
    expect(state.visible.map((j) => j.id).sort()).toEqual(['gone', 'paused', 'stalled']);
  });

  it("a notification's jobs (showOnly): the status tabs count only those, and showAll goes back to the whole list keeping the other filters", async () => {
    const { state } = setup();
    await state.load();
    const two = state.visible.slice(0, 2).map((j) => j.key);
    state.showOnly(two);
    expect(state.visible.map((j) => j.key)).toEqual(two);
    expect(state.filteredCounts.all).toBe(2);
    state.provider = 'useapi';
    state.showAll();
    expect(state.onlyKeys).toBeNull();
    expect(state.provider).toBe('useapi');
    expect(state.filteredCounts.all).toBe(state.visible.length);
    expect(state.visible.every((j) => j.provider === 'useapi')).toBe(true);
  });

  it('filters by provider, model, account and creation date', async () => {
    const now = Date.parse('2025-11-25T12:00:00Z');
    const jobs = [
      ...sampleJobs(now),
      makeJob({ id: 'other-acct-1', accountId: 'team', model: 'midjourney', createdAt: '2025-11-20T12:00:00Z' }),
    ];
    const { state } = setup(jobs);
    state.start();
    await tick();
    expect(state.facets.providers).toEqual(['apiframe', 'useapi']);
    expect(state.facets.accounts).toEqual(['apiframe:default', 'apiframe:team', 'useapi:default']);
    expect(state.facets.models).toContain('suno');
    state.provider = 'useapi';
    expect(state.visible.every((j) => j.provider === 'useapi')).toBe(true);
    expect(state.visible).toHaveLength(2);
    state.provider = 'all';
    state.model = 'suno';
    expect(state.visible).toHaveLength(2);
    state.model = '';
    state.account = 'apiframe:team';
    expect(state.visible.map((j) => j.id)).toEqual(['other-acct-1']);
    state.account = '';
    const local = (t: string) => {
      const d = new Date(t);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    };
    state.createdFrom = local('2025-11-20T12:00:00Z');
    state.createdTo = local('2025-11-20T12:00:00Z');
    expect(state.visible.map((j) => j.id)).toEqual(['other-acct-1']);
    expect(state.filtering).toBe(true);
    state.clearFilters();
    expect(state.filtering).toBe(false);
    expect(state.visible).toHaveLength(9);
  });

  it("filters by the ledger's downloaded mark: downloaded, not downloaded (partly counts as not), cleared with the rest", async () => {
    const jobs = sampleJobs(Date.parse('2025-11-25T12:00:00Z'));
    const completed = jobs.filter((j) => j.status === 'completed');
    const [all, some] = completed;
    if (!all || !some) throw new Error('fixture');
    all.downloaded = 'all';
    some.downloaded = 'some';
    const { state } = setup(jobs);
    state.start();
    await tick();
    state.downloaded = 'yes';
    expect(state.visible.map((j) => j.key)).toEqual([all.key]);
    expect(state.filtering).toBe(true);
    state.downloaded = 'no';
    expect(state.visible).toHaveLength(jobs.length - 1);
    expect(state.visible.some((j) => j.key === some.key)).toBe(true);
    state.clearFilters();
    expect(state.downloaded).toBe('');
    expect(state.visible).toHaveLength(jobs.length);
  });

  it('sorts by any column, clicking twice reverses, missing values last', async () => {
    const { state } = setup();
    state.start();
    await tick();
    state.sortBy('cost');
    expect(state.sortDir).toBe('desc');
    const costs = state.visible.map((j) => (j.cost ? (j.cost.refunded ? 0 : j.cost.credits) : null));
    expect(costs).toEqual([25, 10, 8, 0, null, null, null, null]);
    state.sortBy('cost');
    expect(state.sortDir).toBe('asc');
    expect(state.visible.map((j) => (j.cost ? (j.cost.refunded ? 0 : j.cost.credits) : null)).slice(0, 4)).toEqual([0, 8, 10, 25]);
    state.sortBy('status');
    expect(state.visible.map((j) => j.status).slice(0, 3)).toEqual(['running', 'running', 'queued']);
    state.sortBy('progress');
    expect(state.visible[0]?.progress).toBe(100);
    state.sortBy('model');
    expect(state.visible[0]?.model).toBe('kling');
    state.sortBy('completed');
    expect(state.visible.at(-1)?.completedAt).toBeNull();
  });

  it('handles 10,000 jobs and 500-job deltas without replacing the list', async () => {
    const jobs = generateJobs(10_000, { now: Date.parse('2025-11-25T12:00:00Z') });
    const { double, state } = setup(jobs);
    state.start();
    await tick();
    expect(state.visible).toHaveLength(10_000);
    const sorted = sortJobs(jobs, 'created', 'desc');
    expect(state.visible[0]?.key).toBe(sorted[0]?.key);
    const changed = jobs.slice(0, 500).map((j) => ({ ...j, progress: 50, status: 'running' as const }));
    double.upsert(changed);
    expect(state.counts.all).toBe(10_000);
    expect(state.get(changed[0]?.key ?? null)?.progress).toBe(50);
    expect(state.accountCounts.get('apiframe:default')).toBeGreaterThan(0);
  });

  it('adds jobs and summarises the result', async () => {
    const { double, state } = setup();
    state.start();
    await tick();
    const outcome = await state.add('apiframe', 'aaaaaaaa-1111\n3f2a9c1e-7b4d-4e21-9a0c-5d8e6f1b2c34, bad!');
    expect(outcome).toEqual({ ok: true, rejectedInputs: ['bad!'] });
    expect(state.addSummary).toBe('Added 1, 1 already watched, 1 rejected: “bad!” is not a valid job id');
    await tick();
    expect(state.size).toBe(9);
    expect(double.calls.filter((c) => c.method === 'addJobs')).toHaveLength(1);
    expect(double.calls.at(-1)?.request).toEqual({ provider: 'apiframe', input: expect.any(String) });
    await state.add('apiframe', 'bbbbbbbb-2222', 'team');
    expect(double.calls.at(-1)?.request).toEqual({ provider: 'apiframe', accountId: 'team', input: 'bbbbbbbb-2222' });
    await tick();
    expect(state.get('apiframe:team:bbbbbbbb-2222')?.accountId).toBe('team');
  });

  it('shows the error message when adding fails', async () => {
    const { double, state } = setup([]);
    double.failNext('addJobs', { kind: 'auth', message: 'Add your Apiframe key in Settings first.' });
    const outcome = await state.add('apiframe', 'abcdefgh');
    expect(outcome.ok).toBe(false);
    expect(state.addError).toBe('Add your Apiframe key in Settings first.');
    expect(state.addSummary).toBeNull();
    expect(state.adding).toBe(false);
  });

  it('reports a load failure and recovers on retry', async () => {
    const { double, state } = setup();
    double.failNext('listJobs', { kind: 'internal', message: 'Store is locked.' });
    state.start();
    await tick();
    expect(state.loaded).toBe(false);
    expect(state.loadError).toBe('Store is locked.');
    await state.load();
    expect(state.loaded).toBe(true);
    expect(state.loadError).toBeNull();
  });

  it('turns a thrown bridge call into an error value: one plain sentence, not the exception text', async () => {
    const { double } = setup();
    const api = { ...double.api, addJobs: () => Promise.reject(new Error('boom')) };
    const broken = new JobsState(api);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await broken.add('useapi', 'abcdefgh');
    warn.mockRestore();
    expect(broken.addError).toBe('genwatch could not do that just now; try again, and restart it if this keeps happening.');
  });

  it('removes jobs through the bridge', async () => {
    const { double, state } = setup();
    state.start();
    await tick();
    const key = state.all[0]?.key ?? '';
    expect(await state.remove([key])).toBe(true);
    expect(state.get(key)).toBeUndefined();
    expect(double.jobs().some((j) => j.key === key)).toBe(false);
  });

  it('sorts jobs without createdAt first', () => {
    const a = makeJob({ id: 'aaaaaaa1', createdAt: '2025-01-01T00:00:00Z' });
    const b = makeJob({ id: 'aaaaaaa2', createdAt: null });
    expect([a, b].sort(compareJobs).map((j) => j.id)).toEqual(['aaaaaaa2', 'aaaaaaa1']);
  });
});
