import { describe, expect, it } from 'vitest';
import { flushSync } from 'svelte';
import { createIpcDouble, makeJob, sampleJobs } from './ipc-double';
import { JobsState, compareJobs } from './jobs.svelte';

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
    expect(state.counts).toEqual({ all: 8, queued: 1, running: 2, completed: 3, failed: 2 });
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

  it('filters by status and searches id, model and prompt', async () => {
    const { state } = setup();
    state.start();
    await tick();
    state.filter = 'failed';
    expect(state.visible.every((j) => j.status === 'failed')).toBe(true);
    expect(state.visible).toHaveLength(2);
    state.filter = 'all';
    state.query = 'LIGHTHOUSE';
    expect(state.visible.map((j) => j.id)).toEqual(['3f2a9c1e-7b4d-4e21-9a0c-5d8e6f1b2c34']);
    state.query = 'suno';
    expect(state.visible).toHaveLength(2);
    state.query = '9b1c7d22';
    expect(state.visible).toHaveLength(1);
    state.clearFilters();
    expect(state.visible).toHaveLength(8);
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

  it('turns a thrown bridge call into an error value', async () => {
    const { double } = setup();
    const api = { ...double.api, addJobs: () => Promise.reject(new Error('boom')) };
    const broken = new JobsState(api);
    await broken.add('useapi', 'abcdefgh');
    expect(broken.addError).toContain('boom');
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
