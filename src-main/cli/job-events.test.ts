import { describe, expect, it } from 'vitest';
import { JOB_STATUSES } from '../../src-shared/job';
import type { Job } from '../../src-shared/job';
import { placeholderJob } from '../core/job-merge';
import { eventSignature, humanLine, isSettled, jobEvent, progressBar } from './job-events';

const ID = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';

function job(over: Partial<Job> = {}): Job {
  return { ...placeholderJob({ key: `apiframe:default:${ID}`, provider: 'apiframe', accountId: 'default', id: ID }), ...over };
}

const completed = job({
  status: 'completed',
  rawStatus: 'COMPLETED',
  progress: 100,
  model: 'midjourney',
  modality: 'image',
  assets: [
    { kind: 'image', url: 'https://cdn/1.png', index: 0, filename: null, contentType: null, size: null, width: null, height: null, meta: {} },
    { kind: 'grid', url: 'https://cdn/g.png', index: 0, filename: null, contentType: null, size: null, width: null, height: null, meta: {} },
  ],
  cost: { credits: 10, refunded: false },
  watch: { state: 'done', message: null, lastCheckedAt: null, progressAt: null },
});

describe('jobEvent', () => {
  it('carries provider, id, the common status, the raw status and progress', () => {
    const event = jobEvent(job({ status: 'running', rawStatus: 'PROCESSING', progress: 65 }));
    expect(event).toMatchObject({ type: 'job', provider: 'apiframe', accountId: 'default', id: ID, status: 'running', rawStatus: 'PROCESSING', progress: 65 });
    expect(JOB_STATUSES).toContain(event.status);
  });

  it('lists assets as kind + url and includes the error message and cost', () => {
    expect(jobEvent(completed).assets).toEqual([
      { kind: 'image', url: 'https://cdn/1.png' },
      { kind: 'grid', url: 'https://cdn/g.png' },
    ]);
    const failed = jobEvent(job({ status: 'failed', rawStatus: 'FAILED', error: { message: 'content policy', code: null, details: null }, cost: { credits: 10, refunded: true } }));
    expect(failed.error).toBe('content policy');
    expect(failed.cost).toEqual({ credits: 10, refunded: true });
  });

  it('round-trips through JSON (one line per event) without the raw payload', () => {
    const line = JSON.stringify(jobEvent(job({ raw: { secret: 'provider internals' } })));
    expect(line).not.toContain('\n');
    expect(line).not.toContain('provider internals');
    expect(JSON.parse(line)).toMatchObject({ id: ID, status: 'queued' });
  });
});

describe('humanLine', () => {
  it('shows the id, raw status, a bar and the percentage', () => {
    const line = humanLine(job({ status: 'running', rawStatus: 'PROCESSING', progress: 50, model: 'midjourney' }));
    expect(line).toContain(ID);
    expect(line).toContain('PROCESSING');
    expect(line).toContain(' 50%');
    expect(line).toContain(progressBar(50, 20));
    expect(line).toContain('midjourney');
  });

  it('completed shows the asset count; failed shows the reason; paused shows the watch message', () => {
    expect(humanLine(completed)).toMatch(/2 assets$/);
    expect(humanLine({ ...completed, assets: completed.assets.slice(0, 1) })).toMatch(/1 asset$/);
    expect(humanLine(job({ status: 'failed', rawStatus: 'FAILED', error: { message: 'content policy violation', code: null, details: null } }))).toContain('content policy violation');
    expect(humanLine(job({ watch: { state: 'paused', message: 'The API key was rejected.', lastCheckedAt: null, progressAt: null } }))).toContain('The API key was rejected.');
  });
});

describe('progressBar', () => {
  it('fills proportionally and clamps out-of-range values', () => {
    expect(progressBar(0, 10)).toBe('[----------]');
    expect(progressBar(50, 10)).toBe('[#####-----]');
    expect(progressBar(100, 10)).toBe('[##########]');
    expect(progressBar(250, 10)).toBe('[##########]');
    expect(progressBar(-5, 10)).toBe('[----------]');
  });
});

describe('isSettled', () => {
  it('is true for completed, failed, watch error and paused; false while still watching', () => {
    expect(isSettled(completed)).toBe(true);
    expect(isSettled(job({ status: 'failed' }))).toBe(true);
    expect(isSettled(job({ watch: { state: 'error', message: 'not found', lastCheckedAt: null, progressAt: null } }))).toBe(true);
    expect(isSettled(job({ watch: { state: 'paused', message: 'key', lastCheckedAt: null, progressAt: null } }))).toBe(true);
    expect(isSettled(job())).toBe(false);
    expect(isSettled(job({ status: 'running', watch: { state: 'stalled', message: 'No progress for 10 min; still watching.', lastCheckedAt: null, progressAt: null } }))).toBe(false);
    expect(isSettled(job({ status: 'running', progress: 99 }))).toBe(false);
  });
});

describe('eventSignature', () => {
  it('changes with progress, status and watch state, and not with unrelated fields', () => {
    const base = job({ status: 'running', rawStatus: 'PROCESSING', progress: 10 });
    expect(eventSignature({ ...base, progress: 11 })).not.toBe(eventSignature(base));
    expect(eventSignature({ ...base, watch: { ...base.watch, state: 'paused' } })).not.toBe(eventSignature(base));
    expect(eventSignature({ ...base, watch: { ...base.watch, message: 'retrying' } })).not.toBe(eventSignature(base));
    expect(eventSignature({ ...base, watch: { ...base.watch, lastCheckedAt: '2026-01-01T00:00:00.000Z' } })).toBe(eventSignature(base));
  });
});
