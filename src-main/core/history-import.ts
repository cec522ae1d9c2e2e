/**
 * Imports an account's whole job history from its list endpoint: every page,
 * progress reported as it goes, cancellable, and resumable from the last
 * cursor after a restart. Transient errors retry the same page with backoff.
 */
import { isRetryable } from '../../src-shared/result';
import type { Result } from '../../src-shared/result';
import { backoffDelay } from './backoff';
import { walkPages } from './paging';
import type { PageWalk } from './paging';
import type { Clock, Random } from './ports';
import type { ListPage, ProviderAdapter, ProviderContext, ProviderJob } from './providers/provider';

export const IMPORT_PAGE_SIZE = 100;
const MAX_PAGE_RETRIES = 6;

export interface ImportProgress {
  pages: number;
  jobs: number;
  cursor: string | null;
}

export interface ImportRun {
  cancel(): void;
  /**
   * `startOver`: the import failed in a way resuming from its cursor would only repeat (the provider
   * refused the cursor, or sent the same page twice), so the saved cursor must be dropped.
   */
  done: Promise<Result<ImportProgress> & { cancelled: boolean; startOver: boolean }>;
}

/** Said after the error when the saved cursor is dropped. */
export const STARTS_OVER = 'The next import starts from the beginning.';

export function startHistoryImport(options: {
  provider: ProviderAdapter;
  context: ProviderContext;
  scope: 'user' | 'team';
  clock: Clock;
  random: Random;
  resumeFrom: ImportProgress | null;
  onJobs(jobs: ProviderJob[]): void;
  onProgress(progress: ImportProgress): void;
}): ImportRun {
  let cancelled = false;
  const base = options.resumeFrom ?? { pages: 0, jobs: 0, cursor: null };
  // A backoff wait ends at once when the import is cancelled (it can be half a minute).
  let wake: (() => void) | null = null;
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = options.clock.setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        options.clock.clearTimeout(timer);
        wake = null;
        resolve();
      };
    });

  // What the last request asked and whether it was answered: tells a refused cursor and the walk's own
  // checks (a repeated page) apart from a failure that resuming may get past.
  const last: { cursor: string | undefined; ok: boolean } = { cursor: undefined, ok: false };
  const fetchPage = async (cursor: string | undefined): Promise<Result<ListPage>> => {
    const page = await fetchWithRetries(cursor);
    last.cursor = cursor;
    last.ok = page.ok;
    return page;
  };
  const fetchWithRetries = async (cursor: string | undefined): Promise<Result<ListPage>> => {
    const listJobs = options.provider.listJobs;
    if (!listJobs) return { ok: false, error: { kind: 'invalid-input', message: `${options.provider.label} has no job history list.` } };
    for (let attempt = 0; ; attempt++) {
      const page = await listJobs(options.context, { limit: IMPORT_PAGE_SIZE, scope: options.scope, ...(cursor ? { cursor } : {}) });
      if (page.ok || !isRetryable(page.error.kind) || attempt >= MAX_PAGE_RETRIES || cancelled) return page;
      await sleep(backoffDelay(1_000, attempt, options.random, page.error.retryAfterMs));
      if (cancelled) return page;
    }
  };

  const done = (async () => {
    const walk = await walkPages(fetchPage, {
      startCursor: base.cursor,
      isCancelled: () => cancelled,
      onPage: (page: ListPage, progress: PageWalk) => {
        // A page that arrived after the cancel (the account may be gone, its jobs forgotten) is dropped.
        if (cancelled) return;
        options.onJobs(page.jobs);
        options.onProgress({ pages: base.pages + progress.pages, jobs: base.jobs + progress.jobs, cursor: page.hasMore ? page.nextCursor : null });
      },
    });
    if (!walk.ok) {
      // A cursor the provider refuses (400: stale or invalid) or a list that repeats a page fails the
      // same way from the same cursor every time: resuming there would make every later import fail too.
      const startOver = !cancelled && last.cursor !== undefined && (walk.error.kind === 'invalid-input' || last.ok);
      return startOver
        ? { ok: false as const, error: { ...walk.error, message: `${walk.error.message} ${STARTS_OVER}` }, cancelled, startOver }
        : { ...walk, cancelled, startOver };
    }
    return { ok: true as const, value: { pages: base.pages + walk.value.pages, jobs: base.jobs + walk.value.jobs, cursor: walk.value.cursor }, cancelled, startOver: false };
  })();

  return {
    cancel: () => {
      cancelled = true;
      wake?.();
    },
    done,
  };
}
