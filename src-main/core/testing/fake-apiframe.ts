/**
 * An in-memory Apiframe for unit tests: Get Job and List Jobs (status filter,
 * cursor pagination, the string-result quirk) answered from a job table the
 * test edits directly. Plug it into a ScriptedHttp with `http()`.
 */
import type { HttpRequest, HttpResponse } from '../ports';
import { apiframeBody } from './apiframe-fixtures';
import { jsonResponse, ScriptedHttp } from './fakes';

export type FakeRoute = 'list' | 'get';

export interface FakeRequest {
  route: FakeRoute;
  /** List: the query; Get: { id }. */
  query: Record<string, string>;
  key: string | undefined;
}

export class FakeApiframe {
  /** Newest first, like the real list. */
  private readonly order: string[] = [];
  private readonly jobs = new Map<string, Record<string, unknown>>();
  readonly keys = new Set<string>();
  readonly log: FakeRequest[] = [];
  private readonly overrides: { route: FakeRoute; reply: HttpResponse | Error; times: number; when: (query: Record<string, string>) => boolean }[] = [];

  constructor(keys: string[]) {
    for (const key of keys) this.keys.add(key);
  }

  /** Adds (or replaces) a job; new jobs go to the top of the list. */
  put(id: string, over: Record<string, unknown> = {}): void {
    if (!this.jobs.has(id)) this.order.unshift(id);
    this.jobs.set(id, apiframeBody(id, over));
  }

  /** Changes fields of a job that exists. */
  set(id: string, over: Record<string, unknown>): void {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`FakeApiframe: no job ${id}`);
    this.jobs.set(id, { ...job, ...over });
  }

  complete(id: string): void {
    this.set(id, {
      status: 'COMPLETED',
      progress: 100,
      result: { images: [1, 2, 3, 4].map((n) => `https://cdn.test/${id}-${n}.png`), gridUrl: `https://cdn.test/${id}-grid.png` },
      completedAt: '2026-03-15T10:05:00.000Z',
    });
  }

  /** The next `times` requests to `route` (matching `when`, if given) get `reply` instead of the real answer. */
  failNext(route: FakeRoute, reply: HttpResponse | Error, times = 1, when: (query: Record<string, string>) => boolean = () => true): void {
    this.overrides.push({ route, reply, times, when });
  }

  requests(route?: FakeRoute): FakeRequest[] {
    return route ? this.log.filter((r) => r.route === route) : this.log;
  }

  /** A ScriptedHttp answering from this fake. */
  http(): ScriptedHttp {
    return new ScriptedHttp((request) => this.answer(request));
  }

  answer(request: HttpRequest): HttpResponse | Error {
    const url = new URL(request.url);
    const isList = url.pathname.endsWith('/v2/jobs');
    const route: FakeRoute = isList ? 'list' : 'get';
    const id = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
    const query = isList ? Object.fromEntries(url.searchParams.entries()) : { id };
    const key = request.headers['x-api-key'];
    this.log.push({ route, query, key });
    const override = this.overrides.find((o) => o.route === route && o.times > 0 && o.when(query));
    if (override) {
      override.times--;
      return override.reply;
    }
    if (!key || !this.keys.has(key)) return jsonResponse(401, { error: 'Unauthorized' });
    if (!isList) {
      const job = this.jobs.get(id);
      return job ? jsonResponse(200, job) : jsonResponse(404, { error: 'Job not found' });
    }
    const limit = Number(query['limit'] ?? '20');
    const cursor = query['cursor'];
    const offset = cursor ? Number(cursor.replace(/^o/, '')) : 0;
    if (!Number.isInteger(offset)) return jsonResponse(400, { error: 'Invalid cursor' });
    const matching = this.order.map((i) => this.jobs.get(i) as Record<string, unknown>).filter((j) => !query['status'] || j['status'] === query['status']);
    const slice = matching.slice(offset, offset + limit).map((j) => ({ ...j, result: firstUrl(j['result']) }));
    const hasMore = offset + limit < matching.length;
    return jsonResponse(200, { jobs: slice, nextCursor: hasMore ? `o${offset + limit}` : null, hasMore });
  }
}

function firstUrl(result: unknown): string | null {
  if (result && typeof result === 'object' && 'images' in result && Array.isArray(result.images)) return (result.images[0] as string | undefined) ?? null;
  return typeof result === 'string' ? result : null;
}
