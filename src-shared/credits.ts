/**
 * Credit spend from the job list: per day, model and account, with refunds
 * (Apiframe refunds failed jobs). Zod-free and pure, so the renderer computes
 * it locally from the jobs it already has.
 */
import type { Job } from './job';

export interface CreditBucket {
  key: string;
  credits: number;
  refunded: number;
  jobs: number;
}

export interface CreditSummary {
  total: number;
  refunded: number;
  jobs: number;
  byDay: CreditBucket[];
  byModel: CreditBucket[];
  byAccount: CreditBucket[];
}

type CostedJob = Pick<Job, 'provider' | 'accountId' | 'model' | 'createdAt' | 'cost'>;

function add(map: Map<string, CreditBucket>, key: string, credits: number, refunded: number): void {
  const bucket = map.get(key) ?? { key, credits: 0, refunded: 0, jobs: 0 };
  bucket.credits += credits;
  bucket.refunded += refunded;
  bucket.jobs += 1;
  map.set(key, bucket);
}

/** A timestamp's calendar day on this computer, YYYY-MM-DD (the day the user lived it, as the job list's date filter counts). */
export function localDay(t: number): string {
  const d = new Date(t);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The creation day of an ISO time: the UTC date written in it, unless `dayOf` says otherwise. */
const utcDayOf = (iso: string): string => iso.slice(0, 10);

/**
 * `from`/`to` are YYYY-MM-DD (inclusive), compared with each job's creation
 * day: `dayOf` (the window passes localDay; the default is the UTC date).
 */
export function summarizeCredits(jobs: readonly CostedJob[], range: { from?: string; to?: string } = {}, dayOf: (iso: string) => string = utcDayOf): CreditSummary {
  const byDay = new Map<string, CreditBucket>();
  const byModel = new Map<string, CreditBucket>();
  const byAccount = new Map<string, CreditBucket>();
  let total = 0;
  let refunded = 0;
  let count = 0;
  for (const job of jobs) {
    if (!job.cost) continue;
    const created = job.createdAt ? Date.parse(job.createdAt) : Number.NaN;
    const day = job.createdAt && !Number.isNaN(created) ? dayOf(job.createdAt) : 'unknown';
    if (range.from && day < range.from.slice(0, 10)) continue;
    if (range.to && day > range.to.slice(0, 10)) continue;
    // A refunded job cost nothing; its original cost is shown as refunded.
    const spent = job.cost.refunded ? 0 : job.cost.credits;
    const back = job.cost.refunded ? job.cost.credits : 0;
    total += spent;
    refunded += back;
    count++;
    add(byDay, day, spent, back);
    add(byModel, job.model ?? 'unknown', spent, back);
    add(byAccount, `${job.provider}:${job.accountId}`, spent, back);
  }
  const sorted = (map: Map<string, CreditBucket>, byKey: boolean): CreditBucket[] =>
    [...map.values()].sort((a, b) => (byKey ? b.key.localeCompare(a.key) : b.credits - a.credits || a.key.localeCompare(b.key)));
  return { total, refunded, jobs: count, byDay: sorted(byDay, true), byModel: sorted(byModel, false), byAccount: sorted(byAccount, false) };
}
