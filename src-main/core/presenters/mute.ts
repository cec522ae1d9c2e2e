/**
 * "Mute this account for an hour / until tomorrow": the instant a mute ends,
 * and whether an account is muted now. Mutes live in
 * settings.notifications.mutedUntil as ISO strings; expired entries are
 * simply ignored (and pruned when the next mute is written).
 */
import type { NotificationSettings } from '../../../src-shared/settings';
import { startOfLocalDay } from './job-text';

export type MuteChoice = 'hour' | 'tomorrow';

/** Tomorrow's mute ends at 08:00 local: muting at 23:50 should not ring at 00:00. */
export const TOMORROW_HOUR = 8;

export function muteEndsAt(choice: MuteChoice, now: number, tzOffsetMinutes: number): number {
  if (choice === 'hour') return now + 3_600_000;
  return startOfLocalDay(now, tzOffsetMinutes) + 86_400_000 + TOMORROW_HOUR * 3_600_000;
}

/** When the account's mute ends, or null when it is not muted at `now`. */
export function mutedUntil(settings: Pick<NotificationSettings, 'mutedUntil'>, ref: string, now: number): number | null {
  const raw = settings.mutedUntil[ref];
  if (raw === undefined) return null;
  const until = Date.parse(raw);
  return Number.isFinite(until) && until > now ? until : null;
}

/**
 * The new `mutedUntil` record after muting (until = ISO) or unmuting (null)
 * one account; expired entries are dropped so the record does not grow forever.
 */
export function withMute(settings: Pick<NotificationSettings, 'mutedUntil'>, ref: string, until: number | null, now: number): Record<string, string> {
  const next: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings.mutedUntil)) {
    const at = Date.parse(value);
    if (key !== ref && Number.isFinite(at) && at > now) next[key] = value;
  }
  if (until !== null) next[ref] = new Date(until).toISOString();
  return next;
}
