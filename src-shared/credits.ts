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

/** `from`/`to` are ISO dates (inclusive, by the job's creation day in UTC). */
export function summarizeCredits(jobs: readonly CostedJob[], range: { from?: string; to?: string } = {}): CreditSummary {
  const byDay = new Map<string, CreditBucket>();
  const byModel = new Map<string, CreditBucket>();
  const byAccount = new Map<string, CreditBucket>();
  let total = 0;
  let refunded = 0;
  let count = 0;
  for (const job of jobs) {
    if (!job.cost) continue;
    const day = job.createdAt ? job.createdAt.slice(0, 10) : 'unknown';
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
