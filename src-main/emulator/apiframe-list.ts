/**
 * Apiframe `GET /v2/jobs` building blocks: the list ordering, per-account
 * sorted indexes, the cursor codec and query validation. Kept apart from
 * apiframe.ts so the Get Job module stays small.
 *
 * Ordering is newest `createdAt` (= startAt) first, ties by lower-cased id.
 * A cursor is the (createdAt, id) of the last item returned, so paging is a
 * binary search plus a forward scan: jobs created after page 1 sort *before*
 * the cursor and can never shift later pages, and status changes cannot
 * move a job (the sort key never changes).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiframeJobScript, ApiframeStatus } from './apiframe';

export interface Entry {
  job: ApiframeJobScript;
  /** Lower-cased id: the tie-break key and the map key. */
  lid: string;
}

export interface Position {
  createdAt: number;
  lid: string;
}

/** Negative when `a` comes before `b` in list order. */
export function compareEntries(a: Entry, b: Entry): number {
  if (a.job.startAt !== b.job.startAt) return b.job.startAt - a.job.startAt;
  return a.lid < b.lid ? -1 : a.lid > b.lid ? 1 : 0;
}

/** True when `e` comes strictly after `p` in list order. */
function after(e: Entry, p: Position): boolean {
  if (e.job.startAt !== p.createdAt) return e.job.startAt < p.createdAt;
  return e.lid > p.lid;
}

/** First index in sorted `arr` whose entry is strictly after `p`. */
export function indexAfter(arr: readonly Entry[], p: Position): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = arr[mid];
    if (e !== undefined && after(e, p)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** First index in sorted `arr` whose job exists at `now` (startAt <= now); newer ones sort first. */
export function firstVisible(arr: readonly Entry[], now: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = arr[mid];
    if (e !== undefined && e.job.startAt <= now) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Per-account job index. Each account's jobs are kept sorted lazily: the
 * sort runs once after a batch of mutations (e.g. a 10,000-job scenario),
 * and a single addJob into an already-sorted index is a binary-search splice.
 */
export class JobIndex {
  private readonly byOwner = new Map<string, Map<string, Entry>>();
  private readonly sorted = new Map<string, Entry[]>();

  add(entry: Entry, replaced: Entry | undefined): void {
    if (replaced !== undefined) {
      this.byOwner.get(replaced.job.apiKey)?.delete(replaced.lid);
      this.sorted.delete(replaced.job.apiKey); // rare: just re-sort later
    }
    const owner = entry.job.apiKey;
    let map = this.byOwner.get(owner);
    if (map === undefined) {
      map = new Map();
      this.byOwner.set(owner, map);
    }
    map.set(entry.lid, entry);
    const arr = this.sorted.get(owner);
    if (arr !== undefined) {
      let lo = 0;
      let hi = arr.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const e = arr[mid];
        if (e !== undefined && compareEntries(e, entry) < 0) lo = mid + 1;
        else hi = mid;
      }
      arr.splice(lo, 0, entry);
    }
  }

  /** The owner's jobs in list order (cached until the next mutation that needs a re-sort). */
  forOwner(owner: string): readonly Entry[] {
    let arr = this.sorted.get(owner);
    if (arr === undefined) {
      arr = [...(this.byOwner.get(owner)?.values() ?? [])].sort(compareEntries);
      this.sorted.set(owner, arr);
    }
    return arr;
  }
}

/**
 * Walks several sorted arrays (one per team member) as one list, starting
 * strictly after `from` (or at the first visible job), in list order.
 * k is the team size, so picking the smallest head linearly is fine.
 */
export function* mergeAfter(arrays: readonly (readonly Entry[])[], now: number, from: Position | undefined): Generator<Entry> {
  const idx = arrays.map((arr) => Math.max(firstVisible(arr, now), from === undefined ? 0 : indexAfter(arr, from)));
  for (;;) {
    let best = -1;
    let bestEntry: Entry | undefined;
    for (let k = 0; k < arrays.length; k++) {
      const e = arrays[k]?.[idx[k] ?? 0];
      if (e !== undefined && (bestEntry === undefined || compareEntries(e, bestEntry) < 0)) {
        best = k;
        bestEntry = e;
      }
    }
    if (bestEntry === undefined) return;
    idx[best] = (idx[best] ?? 0) + 1;
    yield bestEntry;
  }
}

/**
 * Opaque cursors: base64url(JSON {c, i, s}) where s is an HMAC over the
 * position with a per-emulator secret, so a tampered cursor or one minted by
 * another emulator instance is rejected (400 "Invalid cursor") instead of
 * silently starting somewhere else.
 */
export class CursorCodec {
  private readonly secret = randomBytes(16);

  private sign(c: number, i: string): string {
    return createHmac('sha256', this.secret).update(`${c}|${i}`).digest('base64url').slice(0, 16);
  }

  encode(p: Position): string {
    return Buffer.from(JSON.stringify({ c: p.createdAt, i: p.lid, s: this.sign(p.createdAt, p.lid) })).toString('base64url');
  }

  decode(cursor: string): Position | undefined {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
    let v: unknown;
    try {
      v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (typeof v !== 'object' || v === null) return undefined;
    const { c, i, s } = v as Record<string, unknown>;
    if (typeof c !== 'number' || !Number.isSafeInteger(c) || typeof i !== 'string' || typeof s !== 'string') return undefined;
    const expected = Buffer.from(this.sign(c, i));
    const got = Buffer.from(s);
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) return undefined;
    return { createdAt: c, lid: i };
  }
}

export interface ListQuery {
  status: ApiframeStatus | undefined;
  model: string | undefined;
  limit: number;
  cursor: Position | undefined;
  /** The raw cursor string as sent (for the repeat-page quirk). */
  rawCursor: string | undefined;
  scope: 'user' | 'team';
  /** Lower-cased UUID. */
  search: string | undefined;
}

const STATUSES: readonly string[] = ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED'];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates the query; returns the error message for a 400 or the parsed query. */
export function parseListQuery(q: URLSearchParams, codec: CursorCodec): ListQuery | string {
  const status = q.get('status');
  if (status !== null && !STATUSES.includes(status)) return 'Invalid status';
  const limitRaw = q.get('limit');
  let limit = 20;
  if (limitRaw !== null) {
    limit = Number(limitRaw);
    if (!/^\d{1,3}$/.test(limitRaw) || limit < 1 || limit > 100) return 'Invalid limit';
  }
  const scope = q.get('scope') ?? 'user';
  if (scope !== 'user' && scope !== 'team') return 'Invalid scope';
  const search = q.get('search');
  if (search !== null && !UUID_RE.test(search)) return 'Invalid search';
  // An empty `cursor=` is what naive clients send for page 1: treat as absent.
  const rawCursor = q.get('cursor') || null;
  let cursor: Position | undefined;
  if (rawCursor !== null) {
    cursor = codec.decode(rawCursor);
    if (cursor === undefined) return 'Invalid cursor';
  }
  const model = q.get('model');
  return {
    status: status === null ? undefined : (status as ApiframeStatus),
    model: model === null ? undefined : model,
    limit,
    cursor,
    rawCursor: rawCursor ?? undefined,
    scope,
    search: search === null ? undefined : search.toLowerCase(),
  };
}
