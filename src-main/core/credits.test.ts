import { describe, expect, it } from 'vitest';
import { localDay, summarizeCredits } from '../../src-shared/credits';
import type { Job, ProviderId } from '../../src-shared/job';

type Costed = Pick<Job, 'provider' | 'accountId' | 'model' | 'createdAt' | 'cost'>;

function job(createdAt: string | null, credits: number | null, over: { refunded?: boolean; model?: string | null; accountId?: string; provider?: ProviderId } = {}): Costed {
  return {
    provider: over.provider ?? 'apiframe',
    accountId: over.accountId ?? 'default',
    model: over.model === undefined ? 'midjourney' : over.model,
    createdAt,
    cost: credits === null ? null : { credits, refunded: over.refunded ?? false },
  };
}

describe('summarizeCredits', () => {
  it('sums spent credits per UTC day (newest day first), per model and per account', () => {
    const summary = summarizeCredits([
      job('2026-03-14T23:59:59.000Z', 10),
      job('2026-03-15T00:00:00.000Z', 4, { model: 'flux-pro' }),
      job('2026-03-15T12:00:00.000Z', 10, { accountId: 'studio' }),
      job('2026-03-16T08:00:00.000Z', 40, { model: 'kling-2.6', accountId: 'studio' }),
    ]);
    expect(summary.total).toBe(64);
    expect(summary.refunded).toBe(0);
    expect(summary.jobs).toBe(4);
    expect(summary.byDay).toEqual([
      { key: '2026-03-16', credits: 40, refunded: 0, jobs: 1 },
      { key: '2026-03-15', credits: 14, refunded: 0, jobs: 2 },
      { key: '2026-03-14', credits: 10, refunded: 0, jobs: 1 },
    ]);
    expect(summary.byModel).toEqual([
      { key: 'kling-2.6', credits: 40, refunded: 0, jobs: 1 },
      { key: 'midjourney', credits: 20, refunded: 0, jobs: 2 },
      { key: 'flux-pro', credits: 4, refunded: 0, jobs: 1 },
    ]);
    expect(summary.byAccount).toEqual([
      { key: 'apiframe:studio', credits: 50, refunded: 0, jobs: 2 },
      { key: 'apiframe:default', credits: 14, refunded: 0, jobs: 2 },
    ]);
  });

  it('a refunded job counts as refunded, not spent, in the totals and in every bucket', () => {
    const summary = summarizeCredits([job('2026-03-15T10:00:00.000Z', 10), job('2026-03-15T11:00:00.000Z', 10, { refunded: true })]);
    expect(summary.total).toBe(10);
    expect(summary.refunded).toBe(10);
    expect(summary.jobs).toBe(2);
    expect(summary.byDay).toEqual([{ key: '2026-03-15', credits: 10, refunded: 10, jobs: 2 }]);
    expect(summary.byModel).toEqual([{ key: 'midjourney', credits: 10, refunded: 10, jobs: 2 }]);
    expect(summary.byAccount).toEqual([{ key: 'apiframe:default', credits: 10, refunded: 10, jobs: 2 }]);
  });

  it('the date range is inclusive at both ends, by creation day in UTC', () => {
    const jobs = [
      job('2026-03-13T23:59:59.999Z', 1),
      job('2026-03-14T00:00:00.000Z', 2),
      job('2026-03-15T12:00:00.000Z', 4),
      job('2026-03-16T23:59:59.999Z', 8),
      job('2026-03-17T00:00:00.000Z', 16),
    ];
    const summary = summarizeCredits(jobs, { from: '2026-03-14', to: '2026-03-16' });
    expect(summary.total).toBe(2 + 4 + 8);
    expect(summary.byDay.map((d) => d.key)).toEqual(['2026-03-16', '2026-03-15', '2026-03-14']);
    expect(summarizeCredits(jobs, { from: '2026-03-14T18:00:00.000Z', to: '2026-03-14T01:00:00.000Z' }).total).toBe(2);
    expect(summarizeCredits(jobs, { from: '2026-03-16' }).total).toBe(8 + 16);
    expect(summarizeCredits(jobs, { to: '2026-03-13' }).total).toBe(1);
  });

  it('with a day function, jobs are bucketed and ranged by that day (the window uses this computer\'s calendar day)', () => {
    const late = job('2026-03-15T23:30:00.000Z', 5);
    // A day function that moves every time two hours east (a UTC+2 calendar): 23:30 UTC is the next day there.
    const plus2 = (iso: string): string => new Date(Date.parse(iso) + 2 * 3_600_000).toISOString().slice(0, 10);
    expect(summarizeCredits([late]).byDay.map((b) => b.key)).toEqual(['2026-03-15']);
    expect(summarizeCredits([late], {}, plus2).byDay.map((b) => b.key)).toEqual(['2026-03-16']);
    expect(summarizeCredits([late], { from: '2026-03-16' }, plus2).total).toBe(5);
    expect(summarizeCredits([late], { to: '2026-03-15' }, plus2).total).toBe(0);
  });

  it('localDay is the calendar day on this computer, zero-padded', () => {
    const t = new Date(2026, 0, 5, 23, 59).getTime();
    expect(localDay(t)).toBe('2026-01-05');
  });

  it('jobs without a cost are left out; jobs without a date or model land in "unknown"', () => {
    const summary = summarizeCredits([job('2026-03-15T10:00:00.000Z', null), job(null, 3, { model: null })]);
    expect(summary.jobs).toBe(1);
    expect(summary.total).toBe(3);
    expect(summary.byDay).toEqual([{ key: 'unknown', credits: 3, refunded: 0, jobs: 1 }]);
    expect(summary.byModel).toEqual([{ key: 'unknown', credits: 3, refunded: 0, jobs: 1 }]);
  });

  it('no jobs: all zero and empty buckets', () => {
    expect(summarizeCredits([])).toEqual({ total: 0, refunded: 0, jobs: 0, byDay: [], byModel: [], byAccount: [] });
  });

  it('ties in spend are ordered by key so the order is stable', () => {
    const summary = summarizeCredits([job('2026-03-15T10:00:00.000Z', 5, { model: 'b-model' }), job('2026-03-15T10:00:00.000Z', 5, { model: 'a-model' })]);
    expect(summary.byModel.map((b) => b.key)).toEqual(['a-model', 'b-model']);
  });
});
