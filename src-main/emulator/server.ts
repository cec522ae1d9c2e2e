/**
 * The loopback HTTP server: routing, fault injection, request log and
 * response writing (HEAD, streaming with backpressure, truncation). Provider
 * modules only produce `Reply`s, so every provider gets every fault for free.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ApiframeProvider } from './apiframe';
import type { ApiframeJobScript, ApiframeListQuirk } from './apiframe';
import { AssetStore, assetRoutes } from './assets';
import { ScaledClock } from './clock';
import type { EmulatorClock } from './clock';
import { controlRoutes } from './control';
import { defaultFaultBody, FaultTable } from './faults';
import type { Fault, FaultInjector } from './faults';
import { json, Router } from './router';
import type { Reply, RouteMatch } from './router';
import { demoScenario } from './scenarios';
import type { Scenario } from './scenarios';
import { UseapiProvider } from './useapi';
import type { UseapiAccountState, UseapiJobScript } from './useapi-view';

export interface RequestRecord {
  route: string;
  method: string;
  path: string;
  /** 0 when the connection was reset before a response was sent. */
  status: number;
  /** Emulator-clock ms when the request arrived. */
  at: number;
}

export interface RunningEmulator {
  /** http://127.0.0.1:PORT */
  url: string;
  providers: {
    apiframe: { baseUrl: string; apiKeys: string[]; jobIds: string[] };
    /** base URL is `${url}/useapi`: the app calls `${baseUrl}/v3/midjourney/jobs/{jobid}`. */
    useapi: { baseUrl: string; apiKeys: string[]; jobIds: string[] };
  };
  clock: EmulatorClock;
  faults: FaultInjector;
  apiframe: {
    addJob(job: ApiframeJobScript): void;
    revokeKey(key: string): void;
    addKey(key: string): void;
    /** One-shot list pagination misbehaviour for client tests (see ApiframeProvider.setListQuirk). */
    setListQuirk(q: ApiframeListQuirk): void;
    /** Emulator ms when the job becomes COMPLETED/FAILED. */
    finishAt(jobId: string): number;
    jobCount(): number;
  };
  useapi: {
    addJob(job: UseapiJobScript): void;
    setAccountState(token: string, state: UseapiAccountState, pendingModMessage?: string): void;
    addToken(token: string): void;
    revokeToken(token: string): void;
    /** Lifetime of Discord attachment URLs minted by each Get Job (default 10 min emulator time). */
    setAttachmentTtl(ms: number): void;
    /** Emulator ms when the job becomes terminal (or was cancelled). */
    finishAt(jobid: string): number;
  };
  /** Most recent requests (capped at REQUEST_LOG_CAP). */
  requests: RequestRecord[];
  /** Closes the server and destroys every open socket. */
  close(): Promise<void>;
}

export interface StartEmulatorOptions {
  /** 0 = ephemeral (default). */
  port?: number;
  /** Default '127.0.0.1' (loopback only). */
  host?: string;
  /** Default ScaledClock(1). */
  clock?: EmulatorClock;
  /** Default demoScenario(clock.now()). */
  scenario?: Scenario;
}

export const REQUEST_LOG_CAP = 100_000;
const MAX_REQUEST_BODY = 1024 * 1024;
const CONTROL_PREFIX = '__emulator';

function bodyLength(body: Reply['body']): number {
  if (body === undefined) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (Buffer.isBuffer(body)) return body.length;
  return body.length;
}

function* bodyChunks(body: Reply['body']): Iterable<Buffer> {
  if (body === undefined) return;
  if (typeof body === 'string') yield Buffer.from(body);
  else if (Buffer.isBuffer(body)) yield body;
  else yield* body.chunks();
}

/** Resolves once the response can take more data, or when it is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes up to `limit` body bytes with backpressure; returns false if the client went away. */
async function writeChunks(res: ServerResponse, body: Reply['body'], limit: number): Promise<boolean> {
  let sent = 0;
  for (const chunk of bodyChunks(body)) {
    if (res.destroyed) return false;
    if (sent >= limit) break;
    const piece = sent + chunk.length > limit ? chunk.subarray(0, limit - sent) : chunk;
    sent += piece.length;
    if (!res.write(piece)) await drained(res);
  }
  return !res.destroyed;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_REQUEST_BODY) parts.push(c);
    });
    req.on('end', () => resolve(size <= MAX_REQUEST_BODY ? Buffer.concat(parts) : undefined));
    req.on('error', () => resolve(undefined));
  });
}

function decodeSegments(pathname: string): string[] | undefined {
  try {
    return pathname
      .split('/')
      .filter((s) => s.length > 0)
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const clock = opts.clock ?? new ScaledClock(1);
  const scenario = opts.scenario ?? demoScenario(clock.now());
  const host = opts.host ?? '127.0.0.1';
  const faults = new FaultTable();
  const requests: RequestRecord[] = [];
  const apiframe = new ApiframeProvider(clock, scenario.apiframe);
  const assets = new AssetStore();
  const useapi = new UseapiProvider(clock, assets, scenario.useapi);

  const router = new Router();
  router.add(...apiframe.routes(), ...useapi.routes(), ...assetRoutes(assets));
  const control = new Router();
  control.add(...controlRoutes({ clock, faults, apiframe, useapi, requests }));

  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let origin = '';

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const log = (rec: RequestRecord): void => {
    requests.push(rec);
    // Trim in batches so the common push stays O(1).
    if (requests.length > REQUEST_LOG_CAP + 1000) requests.splice(0, requests.length - REQUEST_LOG_CAP);
  };

  /** `cut`: deliver about half the body, then close the connection cleanly or reset it (TCP RST). */
  async function send(req: IncomingMessage, res: ServerResponse, reply: Reply, cut: 'close' | 'reset' | null): Promise<void> {
    const length = bodyLength(reply.body);
    const headers: Record<string, string | number> = { ...(reply.headers ?? {}) };
    const noBody = reply.status === 204 || reply.status === 304;
    if (cut !== null && noBody) {
      // Nothing to cut short: the request was handled and its answer is lost with the connection.
      req.socket.destroy();
      return;
    }
    if (!noBody) headers['content-length'] = length;
    res.writeHead(reply.status, headers);
    if (req.method === 'HEAD' || noBody) {
      res.end();
      return;
    }
    if (cut !== null) {
      // Promise the full length, deliver about half, then cut the connection.
      const ok = await writeChunks(res, reply.body, Math.floor(length / 2));
      if (!ok) return;
      res.write(Buffer.alloc(0), () => (cut === 'reset' ? res.socket?.resetAndDestroy() : res.socket?.destroy()));
      return;
    }
    if (await writeChunks(res, reply.body, Infinity)) res.end();
  }

  function routeReply(match: RouteMatch): Reply | undefined {
    if (match.kind === 'not-found') return json(404, { error: 'Not found' });
    if (match.kind === 'method-not-allowed') return json(405, { error: 'Method not allowed' }, { allow: match.allow.join(', ') });
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const segments = decodeSegments(url.pathname);
    const body = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
    if (segments === undefined || body === undefined) {
      await send(req, res, json(400, { error: 'Bad request' }), null);
      return;
    }

    if (segments[0] === CONTROL_PREFIX) {
      const m = control.match(method, segments);
      const reply = routeReply(m) ?? (m.kind === 'match' ? await m.route.handler({ req, params: m.params, query: url.searchParams, path: url.pathname, origin, clock, body }) : undefined);
      if (reply !== undefined) await send(req, res, reply, null);
      return;
    }

    const match = router.match(method, segments);
    const routeName = match.kind === 'match' ? match.route.name : match.kind === 'method-not-allowed' ? match.name : 'notFound';
    const record: RequestRecord = { route: routeName, method, path: url.pathname, status: 0, at: clock.now() };
    res.on('close', () => {
      record.status = res.headersSent ? res.statusCode : 0;
      log(record);
    });

    let fault: Fault | undefined = faults.take(routeName, req.url ?? '');
    if (fault?.kind === 'latency') {
      await sleep(fault.ms);
      if (res.destroyed) return;
      fault = undefined;
    }
    if (fault !== undefined) {
      switch (fault.kind) {
        case 'reset':
          req.socket.destroy();
          return;
        case 'status': {
          const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...(fault.headers ?? {}) };
          if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
          await send(req, res, { status: fault.status, headers, body: fault.body ?? defaultFaultBody(fault.status) }, null);
          return;
        }
        case 'malformed-json':
          await send(req, res, { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"id":"a1b2c3d4","status":"PROC' }, null);
          return;
        case 'truncate':
        case 'reset-mid-body':
          break; // handled when sending the real reply
      }
    }

    let reply = routeReply(match);
    if (reply === undefined && match.kind === 'match') {
      reply = await match.route.handler({ req, params: match.params, query: url.searchParams, path: url.pathname, origin, clock, body });
    }
    if (reply === undefined) reply = json(500, { error: 'Internal server error' });
    await send(req, res, reply, fault?.kind === 'truncate' ? 'close' : fault?.kind === 'reset-mid-body' ? 'reset' : null);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'Internal server error', detail: message }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  origin = `http://${hostForUrl}:${addr.port}`;

  let closing: Promise<void> | undefined;
  return {
    url: origin,
    providers: {
      apiframe: {
        baseUrl: origin + ApiframeProvider.prefix,
        get apiKeys() {
          return apiframe.apiKeys;
        },
        get jobIds() {
          return apiframe.jobIds;
        },
      },
      useapi: {
        baseUrl: origin + UseapiProvider.prefix,
        get apiKeys() {
          return useapi.tokens;
        },
        get jobIds() {
          return useapi.jobIds;
        },
      },
    },
    clock,
    faults,
    apiframe: {
      addJob: (job) => apiframe.addJob(job),
      revokeKey: (key) => apiframe.revokeKey(key),
      addKey: (key) => apiframe.addKey(key),
      setListQuirk: (q) => apiframe.setListQuirk(q),
      finishAt: (jobId) => apiframe.finishAt(jobId),
      jobCount: () => apiframe.jobCount(),
    },
    useapi: {
      addJob: (job) => useapi.addJob(job),
      setAccountState: (token, state, message) => useapi.setAccountState(token, state, message),
      addToken: (token) => useapi.addToken(token),
      revokeToken: (token) => useapi.revokeToken(token),
      setAttachmentTtl: (ms) => useapi.setAttachmentTtl(ms),
      finishAt: (jobid) => useapi.finishAt(jobid),
    },
    requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
