/**
 * A tiny router. Each provider module (apiframe now; a list endpoint or
 * useapi.net later) contributes `Route`s; the server owns transport concerns
 * (faults, logging, HEAD, truncation) so handlers just return a `Reply`.
 */
import type { IncomingMessage } from 'node:http';
import type { EmulatorClock } from './clock';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A body produced chunk by chunk, so huge assets never sit in memory at once. */
export interface StreamBody {
  readonly length: number;
  chunks(): Iterable<Buffer>;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string | StreamBody;
}

export interface RouteContext {
  req: IncomingMessage;
  /** Decoded `:name` params; the `*` wildcard is under key '*'. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Decoded request path (no query). */
  path: string;
  /** The emulator's own origin, e.g. http://127.0.0.1:40123 (for absolute URLs). */
  origin: string;
  clock: EmulatorClock;
  /** Request body (already read), empty for GET/HEAD. */
  body: Buffer;
}

export interface Route {
  /** Stable name used by fault rules and the request log, e.g. 'apiframe.getJob'. */
  name: string;
  /** GET routes also answer HEAD (body dropped by the server). */
  method: Method;
  /** '/apiframe/v2/jobs/:id'; a final '*' segment matches the rest of the path. */
  pattern: string;
  handler(ctx: RouteContext): Reply | Promise<Reply>;
}

export type RouteMatch =
  | { kind: 'match'; route: Route; params: Record<string, string> }
  | { kind: 'method-not-allowed'; name: string; allow: string[] }
  | { kind: 'not-found' };

function splitPath(p: string): string[] {
  return p.split('/').filter((s) => s.length > 0);
}

function matchPattern(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = splitPath(pattern);
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part === undefined) return undefined;
    if (part === '*' && i === parts.length - 1) {
      if (i >= segments.length) return undefined;
      params['*'] = segments.slice(i).join('/');
      return params;
    }
    const seg = segments[i];
    if (seg === undefined) return undefined;
    if (part.startsWith(':')) params[part.slice(1)] = seg;
    else if (part !== seg) return undefined;
  }
  return segments.length === parts.length ? params : undefined;
}

export class Router {
  private readonly routes: Route[] = [];

  add(...routes: Route[]): void {
    this.routes.push(...routes);
  }

  /** `segments` are already percent-decoded path segments. */
  match(method: string, segments: string[]): RouteMatch {
    const allow = new Set<string>();
    let name = 'unknown';
    for (const route of this.routes) {
      const params = matchPattern(route.pattern, segments);
      if (params === undefined) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        return { kind: 'match', route, params };
      }
      if (allow.size === 0) name = route.name;
      allow.add(route.method);
      if (route.method === 'GET') allow.add('HEAD');
    }
    return allow.size > 0 ? { kind: 'method-not-allowed', name, allow: [...allow] } : { kind: 'not-found' };
  }
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  };
}
