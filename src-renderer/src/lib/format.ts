/** Pure display helpers: no state, no bridge. */
import type { Job, JobStatus } from '../../../src-shared/job';
import type { AddJobsResult } from '../../../src-shared/ipc-contract';

// Intl formatters are costly to build: make them once, not per row per update.
const DATE = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/**
 * How far ahead a time may be and still have just happened: the shared clock
 * ticks every 15 s (its `now` lags behind), and providers' clocks drift.
 */
const SKEW_SECONDS = 120;

export function relativeTime(iso: string | null | undefined, now: number): string {
  const t = parseTime(iso);
  if (t === null) return '—';
  const diff = Math.round((now - t) / 1000);
  if (diff < 45 && diff > -SKEW_SECONDS) return 'just now';
  const future = diff < 0;
  const s = Math.abs(diff);
  let text: string;
  if (s < 90) text = '1 min';
  else if (s < 3600) text = `${Math.round(s / 60)} min`;
  else if (s < 5400) text = '1 hr';
  else if (s < 86_400) text = `${Math.round(s / 3600)} hr`;
  else if (s < 172_800) return future ? 'tomorrow' : 'yesterday';
  else if (s < 30 * 86_400) text = `${Math.round(s / 86_400)} days`;
  else return DATE.format(t);
  return future ? `in ${text}` : `${text} ago`;
}

export function dateTime(iso: string | null | undefined): string {
  const t = parseTime(iso);
  if (t === null) return '—';
  return DATE_TIME.format(t);
}

export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

/** Whole percent shown for a job: 100 only once it completed (99.6 % of a running job reads 99, not a false 100). */
export function progressInt(progress: number, status: JobStatus): number {
  if (status === 'completed') return 100;
  if (!Number.isFinite(progress)) return 0;
  return Math.max(0, Math.min(99, Math.floor(progress)));
}

export function costLabel(cost: Job['cost']): string {
  if (!cost) return '—';
  if (cost.refunded) return 'refunded';
  const n = Number.isInteger(cost.credits) ? String(cost.credits) : cost.credits.toFixed(2);
  return `${n} ${cost.credits === 1 ? 'credit' : 'credits'}`;
}

export function bytes(size: number | null): string {
  if (size === null) return '';
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(0)} KB`;
  if (size < 1024 * 1024 * 1024) return `${(size / 1024 / 1024).toFixed(1)} MB`;
  return `${(size / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

/** "Added 3, 1 already watched, 1 rejected: <reason>" */
export function addSummary(result: AddJobsResult): string {
  const parts = [`Added ${result.added.length}`];
  if (result.alreadyWatched.length > 0) parts.push(`${result.alreadyWatched.length} already watched`);
  const first = result.rejected[0];
  if (first) {
    const more = result.rejected.length > 1 ? ` (and ${result.rejected.length - 1} more)` : '';
    parts.push(`${result.rejected.length} rejected: “${first.input}” is ${first.reason}${more}`);
  }
  return parts.join(', ');
}

export function isHttpsUrl(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

export function prettyJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Whole minutes since `iso` (the last progress), or null when unknown. */
export function stalledMinutes(iso: string | null | undefined, now: number): number | null {
  const t = parseTime(iso);
  if (t === null) return null;
  return Math.max(0, Math.round((now - t) / 60_000));
}

/** The system's number format (1,180 · 1.180 · 1 180), like the dates beside them. */
const INT = new Intl.NumberFormat();
/** 1180 → "1,180" */
export function int(n: number): string {
  return INT.format(n);
}

/** Credits with at most 2 decimals, grouped: 1180.5 → "1,180.5" */
export function credits(n: number): string {
  return Number.isInteger(n) ? INT.format(n) : n.toLocaleString(undefined, { maximumFractionDigits: 2 });
}

/**
 * True when `detail` says something `headline` does not: some word of four
 * letters or more in it is missing from the headline. Main's health messages
 * often restate what the banner's headline already says ("Apiframe: The API
 * key was rejected: check or replace it in Settings.").
 */
export function addsDetail(headline: string, detail: string | null): boolean {
  if (!detail) return false;
  const words = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}]{4,}/gu) ?? [];
  const said = new Set(words(headline));
  return words(detail).some((w) => !said.has(w));
}

/** A copy of `record` without `key` (settings records such as per-account overrides). */
export function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));
}
