import { describe, expect, it } from 'vitest';
import { FailureAcknowledgement } from './failure-acknowledgement';
import { done, failed } from './test-jobs';

describe('FailureAcknowledgement', () => {
  const jobs = [failed('a', '2026-03-15T09:00:00Z'), failed('b', '2026-03-15T11:00:00Z'), done('c', '2026-03-15T11:00:00Z')];

  it('never acknowledged: every failure counts, completions never do', () => {
    expect(new FailureAcknowledgement(null).unacknowledged(jobs).map((j) => j.id)).toEqual(['a', 'b']);
  });

  it('failures before the acknowledgement are calm; later ones count again', () => {
    const acks = new FailureAcknowledgement(Date.parse('2026-03-15T10:00:00Z'));
    expect(acks.unacknowledged(jobs).map((j) => j.id)).toEqual(['b']);
    acks.acknowledge(Date.parse('2026-03-15T12:00:00Z'));
    expect(acks.unacknowledged(jobs)).toEqual([]);
    expect(acks.acknowledgedAt).toBe(Date.parse('2026-03-15T12:00:00Z'));
  });

  it('a failure observed in this session counts from when it was seen (provider time may lag)', () => {
    const acks = new FailureAcknowledgement(Date.parse('2026-03-15T10:00:00Z'));
    const lagging = failed('d', '2026-03-15T09:59:00Z');
    expect(acks.isUnacknowledged(lagging)).toBe(false);
    acks.observe(lagging.key, Date.parse('2026-03-15T10:05:00Z'));
    expect(acks.isUnacknowledged(lagging)).toBe(true);
    acks.forget(lagging.key);
    expect(acks.isUnacknowledged(lagging)).toBe(false);
  });

  it('a failure with no time at all is treated as older than any acknowledgement', () => {
    const untimed = failed('e', '2026-03-15T10:00:00Z', { completedAt: null, updatedAt: null, watch: { state: 'done', message: null, lastCheckedAt: null, progressAt: null } });
    expect(new FailureAcknowledgement(0).isUnacknowledged(untimed)).toBe(false);
    expect(new FailureAcknowledgement(null).isUnacknowledged(untimed)).toBe(true);
  });
});
