import { describe, expect, it } from 'vitest';
import { muteEndsAt, mutedUntil, withMute } from './mute';

const PARIS_WINTER = -60;
const NEW_YORK_WINTER = 300;

describe('muteEndsAt', () => {
  it('for an hour: one hour from now', () => {
    const now = Date.parse('2026-03-15T10:00:00Z');
    expect(muteEndsAt('hour', now, 0)).toBe(now + 3_600_000);
  });

  it('until tomorrow: 08:00 local on the next local day', () => {
    // 23:30 in Paris (22:30 UTC) → 08:00 Paris next day = 07:00 UTC.
    expect(new Date(muteEndsAt('tomorrow', Date.parse('2026-01-10T22:30:00Z'), PARIS_WINTER)).toISOString()).toBe('2026-01-11T07:00:00.000Z');
    // 00:30 in Paris (23:30 UTC the day before) → still "tomorrow" from the local day: 08:00 on the 12th.
    expect(new Date(muteEndsAt('tomorrow', Date.parse('2026-01-10T23:30:00Z'), PARIS_WINTER)).toISOString()).toBe('2026-01-12T07:00:00.000Z');
    // 20:00 in New York (01:00 UTC next day) → 08:00 New York on the 11th = 13:00 UTC.
    expect(new Date(muteEndsAt('tomorrow', Date.parse('2026-01-11T01:00:00Z'), NEW_YORK_WINTER)).toISOString()).toBe('2026-01-11T13:00:00.000Z');
  });
});

describe('mutedUntil / withMute', () => {
  const now = Date.parse('2026-03-15T10:00:00Z');

  it('a mute counts until it expires, then not at all', () => {
    const settings = { mutedUntil: { 'apiframe:default': '2026-03-15T11:00:00.000Z' } };
    expect(mutedUntil(settings, 'apiframe:default', now)).toBe(Date.parse('2026-03-15T11:00:00Z'));
    expect(mutedUntil(settings, 'apiframe:default', Date.parse('2026-03-15T11:00:00Z'))).toBeNull();
    expect(mutedUntil(settings, 'useapi:default', now)).toBeNull();
    expect(mutedUntil({ mutedUntil: { x: 'garbage' } }, 'x', now)).toBeNull();
  });

  it('withMute sets, clears and prunes expired entries', () => {
    const settings = { mutedUntil: { old: '2026-03-14T00:00:00.000Z', other: '2026-03-16T00:00:00.000Z' } };
    expect(withMute(settings, 'apiframe:default', now + 3_600_000, now)).toEqual({ other: '2026-03-16T00:00:00.000Z', 'apiframe:default': '2026-03-15T11:00:00.000Z' });
    expect(withMute({ mutedUntil: { 'apiframe:default': '2026-03-16T00:00:00.000Z' } }, 'apiframe:default', null, now)).toEqual({});
  });
});
