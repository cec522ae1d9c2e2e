/**
 * DownloadHttpPort over Node's own sockets: GET over HTTP/1.1 (https through
 * node:tls with Node's certificate checks, http through node:net), a
 * small keep-alive pool per origin, and the response read by
 * http1-response.ts. Provider API calls keep going through undici; this
 * carries only result files, where every cycle per byte counts.
 *
 * Why not undici here (measured, scripts/bench/download.ts and the notes in
 * the README): for 400 × 2 MiB on loopback undici's dispatch alone costs
 * 1.3–1.6 × curl's wall time on a 2-core machine, a bare node:net socket
 * 0.9–1.0 ×. The difference is per piece of body: undici reads the socket as
 * a Readable (a 64 KiB buffer allocated per read, stream bookkeeping,
 * concatenation when several are buffered), copies every piece into its wasm
 * parser's memory and calls back out of wasm for it. Here a plain-http socket
 * reads into 256 KiB buffers it hands out as they are (`onread`: no stream in
 * between), the parser only looks at the head and chunk sizes (body bytes are
 * never copied), and a buffer is read into again once the engine has written
 * its pieces (ReadBuffers): 400 × 2 MiB at 0.9–1.1 × curl, 4 × 256 MiB at
 * 0.6–1.0 ×, a third less memory than with undici.
 *
 * Behaviour the engine relies on, as with any DownloadHttpPort: redirects are
 * returned, not followed; `request` rejects only when no response head came
 * (refused, reset, timeout, abort); a body cut short throws mid-iteration; a
 * stalled head or body fails after its timeout; leaving the body early
 * aborts the request.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { DownloadHttpPort, DownloadResponse } from '../core/downloads/ports';
import { BodyQueue } from './body-queue';
import { HttpResponseError, ResponseReader, TOKEN } from './http1-response';
import type { ResponseHead } from './http1-response';

export interface Http1DownloadOptions {
  /** Connections per origin (requests beyond wait for one); at least the engine's per-host concurrency. */
  connections?: number;
  headersTimeoutMs?: number;
  /** Longest silence allowed between two pieces of a body. */
  idleTimeoutMs?: number;
  /** How long an unused connection stays open for the next file. */
  keepAliveMs?: number;
  /** Certificates to trust for https instead of Node's bundled roots: for tests against a local server. */
  ca?: string;
}

/**
 * Bytes one read of a plain-http socket may take: fewer, larger reads mean
 * fewer trips through JavaScript per file. A read that fills little of its
 * buffer is copied out and the buffer used again, so a slow server never
 * pins 256 KiB per small piece.
 */
const READ_BYTES = 256 * 1024;
const SMALL_READ_BYTES = READ_BYTES / 8;
/** A request line + headers larger than this is refused before it is sent. */
const MAX_REQUEST_HEAD = 16 * 1024;
/** Field values may not carry line breaks or NUL (header injection). */
const UNSAFE_FIELD = /[\r\n\0]/;

/** An error with a Node-style code: the engine classifies errors by code and names it in its message. */
function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const timeoutError = (what: 'head' | 'body', ms: number): Error => {
  const span = ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
  return codedError(what === 'head' ? `The server sent no answer within ${span}.` : `The download stalled: nothing arrived for ${span}.`, 'ETIMEDOUT');
};

const abortReasonOf = (signal: AbortSignal): Error => (signal.reason instanceof Error ? signal.reason : new Error('The download was stopped.'));

/** Free read buffers kept for the next reads (~4 per busy connection: one being read into, a queued body, a write batch). */
const MAX_FREE_READ_BUFFERS = 64;
/** …and for this long once no request is under way (up to 16 MiB otherwise held for nothing). */
const FREE_BUFFERS_IDLE_MS = 10_000;

/**
 * The plain-http sockets' read buffers, read into again once nothing uses
 * them: a buffer counts one hold while its socket reads into it and one per
 * body piece cut from it, and goes back to the free list when the reader
 * has given back every piece (DownloadResponse.release) and the socket is
 * done with it. A piece that is never given back (a body discarded or
 * broken, a reader that does not release) just leaves its buffer to the
 * garbage collector. Why: a fresh 256 KiB buffer per read is new memory for
 * the kernel to fault in and for V8 to collect; a large file went through
 * ~1,000 of them.
 */
class ReadBuffers {
  private readonly free: Buffer[] = [];
  private readonly holds = new WeakMap<ArrayBufferLike, number>();
  /** Pieces out with a reader: a repeated or stray release finds nothing here and changes nothing. */
  private readonly lent = new WeakSet<Uint8Array>();

  private trimTimer: NodeJS.Timeout | null = null;

  /** A buffer to read into, held by the caller until settle(). */
  take(): Buffer {
    if (this.trimTimer !== null) clearTimeout(this.trimTimer);
    this.trimTimer = null;
    const buf = this.free.pop() ?? Buffer.allocUnsafeSlow(READ_BYTES);
    this.holds.set(buf.buffer, 1);
    return buf;
  }

  /** `piece` goes to a reader (only pieces of buffers from take() are counted). */
  lend(piece: Uint8Array): void {
    const n = this.holds.get(piece.buffer);
    if (n === undefined || this.lent.has(piece)) return;
    this.lent.add(piece);
    this.holds.set(piece.buffer, n + 1);
  }

  /** The reader is done with `piece`. */
  release(piece: Uint8Array): void {
    if (this.lent.delete(piece)) this.drop(piece.buffer);
  }

  /** The socket is done reading into `buf`. */
  settle(buf: Buffer): void {
    this.drop(buf.buffer);
  }

  /** Empties the free list a while after the last request ended, unless reads start again meanwhile. */
  trimWhenIdle(): void {
    if (this.trimTimer !== null) clearTimeout(this.trimTimer);
    this.trimTimer = setTimeout(() => {
      this.trimTimer = null;
      this.free.length = 0;
    }, FREE_BUFFERS_IDLE_MS);
    this.trimTimer.unref();
  }

  private drop(memory: ArrayBufferLike): void {
    const held = this.holds.get(memory);
    if (held === undefined) return;
    if (held > 1) return void this.holds.set(memory, held - 1);
    this.holds.delete(memory);
    if (this.free.length < MAX_FREE_READ_BUFFERS) this.free.push(Buffer.from(memory as ArrayBuffer, 0, READ_BYTES));
  }
}

/** What a connection is doing for the request it carries. */
interface Exchange {
  data(bytes: Buffer): void;
  /** The connection ended or broke; `error` is null for a clean end of stream. */
  ended(error: Error | null): void;
}

class Connection {
  readonly socket: net.Socket;
  exchange: Exchange | null = null;
  /** Responses read on this connection so far (0: a new one). */
  uses = 0;
  private spare: Buffer | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private dead = false;

  constructor(url: URL, buffers: ReadBuffers, ca: string | undefined, onGone: (c: Connection) => void) {
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const https = url.protocol === 'https:';
    const port = url.port === '' ? (https ? 443 : 80) : Number(url.port);
    if (https) {
      // Certificates checked against Node's bundled root certificates (as undici does); SNI only for names.
      this.socket = tls.connect({ host, port, servername: net.isIP(host) === 0 ? host : '', ALPNProtocols: ['http/1.1'], ...(ca === undefined ? {} : { ca }) });
      this.socket.on('data', (chunk: Buffer) => {
        if (this.exchange === null) this.unsolicited();
        else this.exchange.data(chunk);
      });
    } else {
      this.socket = net.connect({
        host,
        port,
        onread: {
          // Node asks for the next buffer right after each callback.
          buffer: () => this.spare ?? buffers.take(),
          callback: (n: number, buf: Uint8Array): boolean => {
            const bytes = buf as Buffer;
            // A small read is copied out and its buffer kept for the next one; a large one is handed out
            // as it is (no copy) and read into again once its pieces are given back.
            const small = n < SMALL_READ_BYTES;
            const piece = small ? Buffer.from(bytes.subarray(0, n)) : bytes.subarray(0, n);
            this.spare = small ? bytes : null;
            if (this.exchange === null) this.unsolicited();
            else this.exchange.data(piece);
            if (!small) buffers.settle(bytes);
            return true; // pausing is the body queue's call (socket.pause)
          },
        },
      });
    }
    this.socket.setNoDelay(true);
    const gone = (error: Error | null): void => {
      if (this.dead) return;
      this.dead = true;
      this.clearIdle();
      onGone(this);
      const ex = this.exchange;
      this.exchange = null;
      ex?.ended(error);
    };
    this.socket.on('end', () => gone(null));
    this.socket.on('close', () => gone(null));
    this.socket.on('error', (e: Error) => gone(e));
  }

  get usable(): boolean {
    return !this.dead && !this.socket.destroyed;
  }

  /** Bytes nobody asked for (after a complete response): the connection cannot be trusted any more. */
  private unsolicited(): void {
    this.destroy();
  }

  park(keepAliveMs: number, onExpire: () => void): void {
    this.socket.unref();
    this.idleTimer = setTimeout(onExpire, keepAliveMs);
    this.idleTimer.unref();
  }

  unpark(): void {
    this.clearIdle();
    this.socket.ref();
  }

  private clearIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  destroy(error?: Error): void {
    this.socket.destroy(error);
  }
}

/** Connections of one origin: at most `limit` carry requests at once; the rest wait in order. */
class OriginPool {
  readonly idle: Connection[] = [];
  busy = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {}

  /** Resolves when a slot is free; rejects when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<void> {
    if (this.busy < this.limit) {
      this.busy++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.busy++;
        resolve();
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(grant);
        if (i !== -1) this.waiting.splice(i, 1);
        reject(abortReasonOf(signal));
      };
      this.waiting.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    this.busy--;
    this.waiting.shift()?.();
  }

  /** Nothing uses it: no request, none waiting, no connection parked. */
  get unused(): boolean {
    return this.busy === 0 && this.waiting.length === 0 && this.idle.length === 0;
  }
}

function requestHead(url: URL, headers: Record<string, string>): string {
  let head = `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  const names = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    // Framing headers are ours to write (a GET has no body); host comes from the URL.
    if (lower === 'host' || lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue;
    if (!TOKEN.test(name) || UNSAFE_FIELD.test(value)) throw new TypeError(`Invalid request header ${JSON.stringify(name)}.`);
    names.add(lower);
    head += `${name}: ${value}\r\n`;
  }
  if (!names.has('user-agent')) head += 'user-agent: genwatch\r\n';
  head += 'connection: keep-alive\r\n\r\n';
  if (head.length > MAX_REQUEST_HEAD) throw new TypeError('The request headers are too large.');
  return head;
}

export function createHttp1Download(options: Http1DownloadOptions = {}): DownloadHttpPort & { close(): Promise<void> } {
  const limit = Math.max(1, options.connections ?? 16);
  const headersTimeoutMs = options.headersTimeoutMs ?? 30_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const keepAliveMs = options.keepAliveMs ?? 4_000;
  const pools = new Map<string, OriginPool>();
  const buffers = new ReadBuffers();
  let closed = false;
  /** Requests holding a slot (a retry keeps its slot); close() waits until none is left. */
  let active = 0;
  let drained: (() => void) | null = null;

  const poolOf = (origin: string): OriginPool => {
    let pool = pools.get(origin);
    if (pool === undefined) {
      pool = new OriginPool(limit);
      pools.set(origin, pool);
    }
    return pool;
  };

  /** Origins seen once are not kept forever (a long history touches many CDN hosts). */
  const forgetIfUnused = (origin: string, pool: OriginPool): void => {
    if (pool.unused && pools.get(origin) === pool) pools.delete(origin);
  };
  const releaseSlot = (origin: string, pool: OriginPool): void => {
    pool.release();
    forgetIfUnused(origin, pool);
    if (--active > 0) return;
    // Nothing under way: spare read buffers go back to the system after a while (a download tomorrow makes new ones).
    buffers.trimWhenIdle();
    drained?.();
  };

  /** A parked connection of the origin, or a new one (always, with `fresh`). */
  const connectionFor = (url: URL, pool: OriginPool, fresh: boolean): Connection => {
    for (let c = fresh ? undefined : pool.idle.pop(); c !== undefined; c = pool.idle.pop()) {
      if (c.usable) {
        c.unpark();
        return c;
      }
    }
    return new Connection(url, buffers, options.ca, (gone) => {
      const i = pool.idle.indexOf(gone);
      if (i !== -1) pool.idle.splice(i, 1);
      forgetIfUnused(url.origin, pool);
    });
  };

  const park = (c: Connection, pool: OriginPool): void => {
    if (closed || !c.usable) return c.destroy();
    pool.idle.push(c);
    c.park(keepAliveMs, () => c.destroy());
  };

  /**
   * One request on one connection. `retry` is called instead of failing when
   * a reused connection broke before a single byte came back: the server had
   * closed it while it sat unused, so the request is made again on a new one.
   */
  const exchange = (url: URL, head: string, req: { signal: AbortSignal }, pool: OriginPool, retry: (() => void) | null, settle: { resolve(r: DownloadResponse): void; reject(e: Error): void; release(): void }): void => {
    // The second try after a broken reused connection takes a new one: another parked one may be just as stale.
    const c = connectionFor(url, pool, retry === null);
    const reused = c.uses > 0;
    const signal = req.signal;
    let body: BodyQueue | null = null;
    let gotBytes = false;
    let finished = false;
    let paused = false;
    let timer: NodeJS.Timeout | null = null;

    const abortReason = (): Error => abortReasonOf(signal);
    /**
     * Ends this exchange once: the connection goes back to the pool only after
     * a clean, complete response; the slot is kept when the request is made again.
     */
    const finish = (reusable: boolean, keepSlot = false): void => {
      if (finished) return;
      finished = true;
      if (timer !== null) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      c.exchange = null;
      c.uses++;
      if (paused) c.socket.resume();
      if (reusable) park(c, pool);
      else c.destroy();
      if (!keepSlot) settle.release();
    };
    const fail = (error: Error, timedOut = false): void => {
      if (finished) return;
      // Only a connection that broke (not one that went silent: a second wait would double the timeout).
      const again = body === null && retry !== null && reused && !gotBytes && !signal.aborted && !timedOut && !closed;
      finish(false, again);
      if (again) retry?.();
      else if (body === null) settle.reject(error);
      else body.fail(error);
    };
    const onAbort = (): void => fail(abortReason());
    const arm = (what: 'head' | 'body'): void => {
      const ms = what === 'head' ? headersTimeoutMs : idleTimeoutMs;
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => fail(timeoutError(what, ms), true), ms);
    };

    const reader = new ResponseReader({
      head: (h: ResponseHead) => {
        arm('body');
        body = new BodyQueue({
          // Silence while the reader holds the body back is not a stalled server: no idle timeout meanwhile.
          pause: () => {
            paused = true;
            if (timer !== null) clearTimeout(timer);
            timer = null;
            c.socket.pause();
          },
          resume: () => {
            paused = false;
            if (!finished) arm('body');
            c.socket.resume();
          },
          abort: (reason) => fail(reason),
          get paused() {
            return paused;
          },
        });
        const b = body;
        settle.resolve({ status: h.status, headers: h.headers, body: b.iterable(), discard: () => b.discard(), release: (chunk) => buffers.release(chunk) });
      },
      data: (chunk) => {
        timer?.refresh();
        if (body === null) return;
        buffers.lend(chunk);
        body.push(chunk);
      },
      end: (reusable) => {
        const b = body;
        finish(reusable);
        b?.end();
      },
    });

    c.exchange = {
      data(bytes) {
        gotBytes = true;
        try {
          const used = reader.feed(bytes);
          // Bytes past the end of a complete response: the connection is not reused (finish already parked it, so drop it now).
          if (used < bytes.length) c.destroy();
        } catch (e) {
          fail(e instanceof HttpResponseError ? Object.assign(e, { code: 'EPROTO' }) : (e as Error));
        }
      },
      ended(error) {
        if (finished) return;
        if (error !== null) return fail(error);
        try {
          reader.close();
        } catch (e) {
          fail(Object.assign(e as Error, { code: 'ECONNRESET' }));
        }
      },
    };
    signal.addEventListener('abort', onAbort, { once: true });
    arm('head');
    c.socket.write(head);
  };

  return {
    request(req): Promise<DownloadResponse> {
      const signal = req.signal;
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      if (closed) return Promise.reject(codedError('The downloader is closed.', 'ECANCELED'));
      let url: URL;
      let head: string;
      try {
        url = new URL(req.url);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`Only http and https links can be downloaded, not ${url.protocol}`);
        head = requestHead(url, req.headers);
      } catch (e) {
        return Promise.reject(e as Error);
      }
      const pool = poolOf(url.origin);
      return pool.acquire(signal).then(
        () =>
          new Promise<DownloadResponse>((resolve, reject) => {
            active++;
            const settle = { resolve, reject, release: () => releaseSlot(url.origin, pool) };
            if (closed || signal.aborted) {
              // Aborted while waiting for a slot, or a moment after asking (a listener added now would never fire): nothing is sent.
              settle.release();
              return reject(closed ? codedError('The downloader is closed.', 'ECANCELED') : abortReasonOf(signal));
            }
            const start = (retry: (() => void) | null): void => {
              try {
                exchange(url, head, req, pool, retry, settle);
              } catch (e) {
                settle.release();
                reject(e as Error);
              }
            };
            // A parked connection the server closed meanwhile: once more, on a new one, in the same slot.
            start(() => start(null));
          }),
      );
    },
    /** Stops taking requests and drops unused connections; resolves once the requests under way have ended. */
    close(): Promise<void> {
      closed = true;
      for (const pool of pools.values()) for (const c of pool.idle.splice(0)) c.destroy();
      if (active === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const before = drained;
        drained = () => {
          before?.();
          resolve();
        };
      });
    },
  };
}
