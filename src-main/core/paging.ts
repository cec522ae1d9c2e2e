/**
 * Follows cursor pagination to the end, defensively: a page that repeats a
 * cursor, or says "more" without a cursor, stops the walk with a clear error
 * instead of looping forever or silently dropping the rest.
 */
import { err } from '../../src-shared/result';
import type { Result } from '../../src-shared/result';
import type { ListPage } from './providers/provider';

export interface PageWalk {
  pages: number;
  jobs: number;
  /** The cursor to resume from (null when the walk reached the end). */
  cursor: string | null;
}

export async function walkPages(
  fetchPage: (cursor: string | undefined) => Promise<Result<ListPage>>,
  options: {
    startCursor?: string | null;
    maxPages?: number;
    /** Return false to stop after this page. */
    onPage?: (page: ListPage, walk: PageWalk) => unknown;
    isCancelled?: () => boolean;
  } = {},
): Promise<Result<PageWalk>> {
  const seen = new Set<string>();
  const walk: PageWalk = { pages: 0, jobs: 0, cursor: options.startCursor ?? null };
  const maxPages = options.maxPages ?? 100_000;
  for (;;) {
    if (options.isCancelled?.()) return { ok: true, value: walk };
    const result = await fetchPage(walk.cursor ?? undefined);
    if (!result.ok) return result;
    const page = result.value;
    // A repeated page is detected before it is counted or handed on: its jobs were seen already.
    if (page.hasMore && page.nextCursor && (seen.has(page.nextCursor) || page.nextCursor === walk.cursor)) {
      return err('malformed-response', 'The provider sent the same page twice; the list stopped there to avoid a loop.');
    }
    walk.pages++;
    walk.jobs += page.jobs.length;
    const stop = options.onPage?.(page, walk) === false;
    if (!page.hasMore) {
      walk.cursor = null;
      return { ok: true, value: walk };
    }
    if (!page.nextCursor) {
      return err('malformed-response', 'The provider said more jobs follow but gave no cursor to fetch them; the list stopped there.');
    }
    seen.add(page.nextCursor);
    walk.cursor = page.nextCursor;
    if (stop || walk.pages >= maxPages) return { ok: true, value: walk };
  }
}
