import { describe, expect, it } from 'vitest';
import { err, ok } from '../../src-shared/result';
import type { Result } from '../../src-shared/result';
import { walkPages } from './paging';
import type { PageWalk } from './paging';
import type { ListPage, ProviderJob } from './providers/provider';
import { ApiframeJobWire, normalizeApiframeJob } from './providers/apiframe';
import { apiframeBody, uuidFor } from './testing/apiframe-fixtures';

function jobs(from: number, count: number): ProviderJob[] {
  return Array.from({ length: count }, (_, i) => normalizeApiframeJob(ApiframeJobWire.parse(apiframeBody(uuidFor(from + i))), 'default'));
}

/** A scripted list: `pages[cursor ?? ''] = page`; records every cursor asked for. */
function scripted(pages: Record<string, ListPage | Result<ListPage>>): { fetch: (cursor: string | undefined) => Promise<Result<ListPage>>; asked: (string | undefined)[] } {
  const asked: (string | undefined)[] = [];
  return {
    asked,
    fetch: (cursor) => {
      asked.push(cursor);
      const page = pages[cursor ?? ''];
      if (page === undefined) return Promise.resolve(err('internal', `no page scripted for cursor ${String(cursor)}`));
      return Promise.resolve('ok' in page ? page : ok(page));
    },
  };
}

const page = (from: number, count: number, nextCursor: string | null, hasMore = nextCursor !== null): ListPage => ({ jobs: jobs(from, count), nextCursor, hasMore });

function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.kind}: ${result.error.message}`);
  return result.value;
}

describe('walkPages', () => {
  it('follows every page to the end, counting pages and jobs, and reports no resume cursor', async () => {
    const list = scripted({ '': page(0, 3, 'c1'), c1: page(3, 3, 'c2'), c2: page(6, 2, null) });
    const seen: string[] = [];
    const walk = value(await walkPages(list.fetch, { onPage: (p) => void seen.push(...p.jobs.map((j) => j.id)) }));
    expect(walk).toEqual({ pages: 3, jobs: 8, cursor: null });
    expect(list.asked).toEqual([undefined, 'c1', 'c2']);
    expect(seen).toEqual(Array.from({ length: 8 }, (_, i) => uuidFor(i)));
  });

  it('stops when hasMore is false even if the page still carries a cursor', async () => {
    const list = scripted({ '': page(0, 2, 'c1', false), c1: page(2, 2, null) });
    expect(value(await walkPages(list.fetch))).toEqual({ pages: 1, jobs: 2, cursor: null });
    expect(list.asked).toEqual([undefined]);
  });

  it('an empty first page is a walk of one page and no jobs', async () => {
    const list = scripted({ '': page(0, 0, null) });
    expect(value(await walkPages(list.fetch))).toEqual({ pages: 1, jobs: 0, cursor: null });
  });

  it('a page that hands back a cursor already followed is a malformed-response error, not a loop', async () => {
    const list = scripted({ '': page(0, 2, 'c1'), c1: page(2, 2, 'c2'), c2: page(4, 2, 'c1') });
    const result = await walkPages(list.fetch);
    expect(result.ok ? null : result.error.kind).toBe('malformed-response');
    expect(result.ok ? '' : result.error.message).toMatch(/same page twice/);
    expect(list.asked).toEqual([undefined, 'c1', 'c2']);
  });

  it('a page whose next cursor is the cursor just sent is a malformed-response error after one request', async () => {
    const list = scripted({ '': page(0, 2, 'c1'), c1: page(0, 2, 'c1') });
    const result = await walkPages(list.fetch);
    expect(result.ok ? null : result.error.kind).toBe('malformed-response');
    expect(list.asked).toEqual([undefined, 'c1']);
  });

  it('hasMore without a cursor is a malformed-response error that says the list stopped', async () => {
    const list = scripted({ '': page(0, 2, 'c1'), c1: page(2, 2, null, true) });
    const result = await walkPages(list.fetch);
    expect(result.ok ? null : result.error.kind).toBe('malformed-response');
    expect(result.ok ? '' : result.error.message).toMatch(/no cursor/);
    expect(list.asked).toEqual([undefined, 'c1']);
  });

  it('a failed page fetch ends the walk with that error', async () => {
    const list = scripted({ '': page(0, 2, 'c1'), c1: err('auth', 'key rejected') });
    const result = await walkPages(list.fetch);
    expect(result).toEqual({ ok: false, error: { kind: 'auth', message: 'key rejected' } });
  });

  it('cancellation stops before the next request and returns the cursor to resume from', async () => {
    const list = scripted({ '': page(0, 2, 'c1'), c1: page(2, 2, 'c2'), c2: page(4, 2, null) });
    let cancelled = false;
    const walk = value(
      await walkPages(list.fetch, {
        isCancelled: () => cancelled,
        onPage: (_p, w: PageWalk) => {
          if (w.pages === 2) cancelled = true;
        },
      }),
    );
    expect(walk).toEqual({ pages: 2, jobs: 4, cursor: 'c2' });
    expect(list.asked).toEqual([undefined, 'c1']);
  });

  it('cancelled before it starts: no request at all', async () => {
    const list = scripted({ '': page(0, 2, null) });
    expect(value(await walkPages(list.fetch, { isCancelled: () => true }))).toEqual({ pages: 0, jobs: 0, cursor: null });
    expect(list.asked).toEqual([]);
  });

  it('startCursor resumes: the first request carries it and earlier pages are never fetched', async () => {
    const list = scripted({ '': page(0, 2, 'c1'), c1: page(2, 2, 'c2'), c2: page(4, 2, null) });
    const walk = value(await walkPages(list.fetch, { startCursor: 'c1' }));
    expect(list.asked).toEqual(['c1', 'c2']);
    expect(walk).toEqual({ pages: 2, jobs: 4, cursor: null });
  });

  it('onPage returning false stops after that page and keeps the cursor of the next one', async () => {
    const list = scripted({ '': page(0, 2, 'c1'), c1: page(2, 2, 'c2'), c2: page(4, 2, null) });
    const walk = value(await walkPages(list.fetch, { onPage: () => false }));
    expect(walk).toEqual({ pages: 1, jobs: 2, cursor: 'c1' });
    expect(list.asked).toEqual([undefined]);
  });

  it('maxPages caps the walk and keeps the cursor of the next page', async () => {
    const list = scripted({ '': page(0, 1, 'c1'), c1: page(1, 1, 'c2'), c2: page(2, 1, null) });
    expect(value(await walkPages(list.fetch, { maxPages: 2 }))).toEqual({ pages: 2, jobs: 2, cursor: 'c2' });
    expect(list.asked).toEqual([undefined, 'c1']);
  });
});
