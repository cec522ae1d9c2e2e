/**
 * Small pure helpers the tray, notification and taskbar presenters share:
 * how a job is named in one line, when it finished, which account it belongs
 * to, and local-day arithmetic (done with an explicit offset so tests do not
 * depend on the machine's time zone).
 */
import { PROVIDER_LABELS } from '../../../src-shared/vocabulary';
import type { Job } from '../../../src-shared/job';
import type { AccountHealth } from '../../../src-shared/ipc-contract';

/** The key used by `settings.notifications.perAccount` / `mutedUntil`. */
export function accountRef(provider: string, accountId: string): string {
  return `${provider}:${accountId}`;
}

/** Health states that need the user to act on the account (not just wait). */
export const KEY_PROBLEM_STATES: ReadonlySet<AccountHealth['state']> = new Set(['key-rejected', 'payment', 'account-hold']);

export function hasKeyProblem(accounts: readonly AccountHealth[]): boolean {
  return accounts.some((a) => KEY_PROBLEM_STATES.has(a.state));
}

/** Cuts to `max` characters on a word boundary where one is near, with an ellipsis. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** One line naming a job: its prompt when known, else provider, modality and a short id. */
export function jobTitle(job: Job, max = 48): string {
  if (job.prompt && job.prompt.trim()) return truncate(job.prompt, max);
  const kind = job.modality === 'unknown' ? 'job' : job.modality;
  const shortId = job.id.length > 10 ? `${job.id.slice(0, 8)}…` : job.id;
  return `${PROVIDER_LABELS[job.provider]} ${kind} ${shortId}`;
}

function parseTime(value: string | null): number | null {
  if (value === null) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** When a terminal job finished, as far as anyone knows (null when nothing says). */
export function finishedAt(job: Job): number | null {
  return parseTime(job.completedAt) ?? parseTime(job.updatedAt) ?? parseTime(job.watch.lastCheckedAt);
}

/**
 * Local midnight at or before `now`. `tzOffsetMinutes` has Date#getTimezoneOffset
 * semantics (UTC minus local, e.g. -60 in Paris in winter).
 */
export function startOfLocalDay(now: number, tzOffsetMinutes: number): number {
  const shifted = now - tzOffsetMinutes * 60_000;
  const day = Math.floor(shifted / 86_400_000) * 86_400_000;
  return day + tzOffsetMinutes * 60_000;
}

/** Local HH:MM of an instant, for labels like "muted until 14:05". */
export function localClock(at: number, tzOffsetMinutes: number): string {
  const d = new Date(at - tzOffsetMinutes * 60_000);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
