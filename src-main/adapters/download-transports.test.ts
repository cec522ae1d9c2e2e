/**
 * The download HTTP adapters: their body queue on its own, then each
 * transport (genwatch's own HTTP/1.1 client, the one result files go
 * through; undici's, GENWATCH_DOWNLOAD_TRANSPORT=undici) over real loopback
 * HTTP, held to the same behaviour, and which one the environment selects.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { binaryBytes, startLocalServer } from '../core/downloads/testing/local-server';
import type { LocalServer } from '../core/downloads/testing/local-server';
import { TEST_TLS_CERT, TEST_TLS_KEY } from '../core/downloads/testing/tls-fixture';
import { BodyQueue } from './body-queue';
import { createHttp1Download } from './http1-download';
import { createUndiciDownload } from './undici-download';
import { resultTransportName } from './result-download';

function controls() {
  const log: string[] = [];
  let paused = false;
  return {
    log,
    pause: () => (log.push('pause'), (paused = true)),
    resume: () => (log.push('resume'), (paused = false)),
    abort: (reason: Error) => void log.push(`abort:${reason.message}`),
    get paused() {
      return paused;
    },
  };
}

const chunk = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts);
}

describe('BodyQueue', () => {
  it('pauses the response above its limit and resumes once the reader has taken it below half', async () => {
    const c = controls();
    const q = new BodyQueue(c, 100);
    q.push(chunk(60));
    expect(c.log).toEqual([]);
    q.push(chunk(60));
    expect(c.log).toEqual(['pause']);
    const it = q.iterable()[Symbol.asyncIterator]();
    await it.next(); // 60 left: not below half yet
    expect(c.log).toEqual(['pause']);
    await it.next();
    expect(c.log).toEqual(['pause', 'resume']);
  });

  it('one chunk of exactly the limit does not pause: the reader takes it before the next read', async () => {
    const c = controls();
    const q = new BodyQueue(c, 100);
    const it = q.iterable()[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) {
      q.push(chunk(100));
      await it.next();
    }
    expect(c.log).toEqual([]);
    q.push(chunk(100));
    q.push(chunk(1));
    expect(c.log).toEqual(['pause']);
  });

  it('delivers what was queued before an error, then throws it; a reader waiting is woken', async () => {
    const q = new BodyQueue(controls(), 1000);
    q.push(chunk(10, 7));
    q.fail(new Error('reset'));
    const it = q.iterable()[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual(chunk(10, 7));
    await expect(it.next()).rejects.toThrow('reset');
    const q2 = new BodyQueue(controls(), 1000);
    const waiting = q2.iterable()[Symbol.asyncIterator]().next();
    q2.end();
    expect((await waiting).done).toBe(true);
  });

  it('can be read once; leaving the loop early aborts the response', async () => {
    const c = controls();
    const q = new BodyQueue(c, 1000);
    q.push(chunk(5));
    for await (const _ of q.iterable()) break;
    expect(c.log.some((l) => l.startsWith('abort:'))).toBe(true);
    expect(() => q.iterable()[Symbol.asyncIterator]()).toThrow(/only once/);
  });

  it('discard reads a short body to its end (the connection stays usable) and cuts a long one', async () => {
    const short = controls();
    const q = new BodyQueue(short, 1000);
    q.push(chunk(100));
    q.end();
    await q.discard();
    expect(short.log).toEqual([]);
    const long = controls();
    const big = new BodyQueue(long, 1_000_000);
    for (let i = 0; i < 3; i++) big.push(chunk(40 * 1024));
    await big.discard();
    expect(long.log.some((l) => l.startsWith('abort:'))).toBe(true);
  });
});

const TRANSPORTS = [
  { name: 'createUndiciDownload', create: createUndiciDownload, timeoutCode: 'UND_ERR_BODY_TIMEOUT', retriesBrokenReuse: false },
  { name: 'createHttp1Download', create: createHttp1Download, timeoutCode: 'ETIMEDOUT', retriesBrokenReuse: true },
] as const;

describe.each(TRANSPORTS)('$name over loopback', ({ create, timeoutCode, retriesBrokenReuse }) => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  async function server(handler: Parameters<typeof startLocalServer>[0]): Promise<LocalServer> {
    const s = await startLocalServer(handler);
    closers.push(() => s.close());
    return s;
  }

  it('streams the body, flattens headers and reuses the connection after a discarded redirect', async () => {
    const sockets = new Set<Socket>();
    const s = await server((req, res) => {
      sockets.add(req.socket);
      if (req.url === '/moved') {
        res.writeHead(302, { location: '/file', 'x-multi': ['a', 'b'] });
        return void res.end('<html>moved</html>');
      }
      res.writeHead(200, { 'content-length': '300000', 'Content-Type': 'application/octet-stream' });
      res.end(Buffer.alloc(300_000, 3));
    });
    const http = create({ connections: 1 });
    closers.push(() => http.close());
    const signal = new AbortController().signal;
    const moved = await http.request({ url: `${s.url}/moved`, headers: {}, signal });
    expect(moved.status).toBe(302);
    expect(moved.headers['x-multi']).toBe('a, b');
    await moved.discard();
    const file = await http.request({ url: `${s.url}/file`, headers: { accept: '*/*' }, signal });
    expect(file.headers['content-type']).toBe('application/octet-stream');
    let bytes = 0;
    for await (const c of file.body) bytes += c.length;
    expect(bytes).toBe(300_000);
    expect(sockets.size).toBe(1);
  });

  it('an abort mid-body ends the reading with the abort; before the head, the request rejects', async () => {
    const s = await server(async (_req, res) => {
      res.writeHead(200, { 'content-length': '10000000' });
      for (let i = 0; i < 100 && !res.destroyed; i++) {
        res.write(Buffer.alloc(64 * 1024));
        await new Promise((r) => setTimeout(r, 20));
      }
      res.end();
    });
    const http = create();
    closers.push(() => http.close());
    const ac = new AbortController();
    const response = await http.request({ url: `${s.url}/slow`, headers: {}, signal: ac.signal });
    let got = 0;
    await expect(
      (async () => {
        for await (const c of response.body) {
          got += c.length;
          if (got > 100_000) ac.abort(new Error('paused by the user'));
        }
      })(),
    ).rejects.toThrow('paused by the user');
    const early = new AbortController();
    early.abort(new Error('cancelled'));
    await expect(http.request({ url: `${s.url}/slow`, headers: {}, signal: early.signal })).rejects.toThrow('cancelled');
  });

  it('a 103 Early Hints before the answer is skipped: the real response and its body come through', async () => {
    const s = await server((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.writeHead(200, { 'content-length': '5' });
      res.end('hello');
    });
    const http = create();
    closers.push(() => http.close());
    const response = await http.request({ url: `${s.url}/hints`, headers: {}, signal: new AbortController().signal });
    expect(response.status).toBe(200);
    let text = '';
    for await (const c of response.body) text += Buffer.from(c).toString();
    expect(text).toBe('hello');
  });

  it('an abort while the request waits for a free connection rejects at once, not when the connection frees up', async () => {
    let holdEnded = false;
    const s = await server(async (req, res) => {
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.alloc(1000));
      if (req.url === '/hold') await new Promise((r) => setTimeout(r, 3_000));
      if (req.url === '/hold') holdEnded = true;
      res.end(Buffer.alloc(999_000));
    });
    const http = create({ connections: 1 });
    closers.push(() => http.close());
    const holder = new AbortController();
    const holding = await http.request({ url: `${s.url}/hold`, headers: {}, signal: holder.signal });
    const ac = new AbortController();
    const queued = http.request({ url: `${s.url}/next`, headers: {}, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('cancelled while queued')), 50);
    await expect(queued).rejects.toThrow('cancelled while queued');
    expect(holdEnded).toBe(false);
    holder.abort(new Error('done'));
    await expect(holding.discard()).resolves.toBeUndefined();
  });

  it('a body that goes silent longer than the idle timeout fails with a timeout code', async () => {
    const s = await server(async (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(10));
      await new Promise((r) => setTimeout(r, 2_000));
      res.end(Buffer.alloc(990));
    });
    const http = create({ idleTimeoutMs: 1000 });
    closers.push(() => http.close());
    const response = await http.request({ url: `${s.url}/stall`, headers: {}, signal: new AbortController().signal });
    await expect(
      (async () => {
        for await (const _ of response.body) void _;
      })(),
    ).rejects.toMatchObject({ code: timeoutCode });
  });

  it('a chunked body arrives whole and in order', async () => {
    const s = await server(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' }); // no length: Node sends it chunked
      for (let i = 0; i < 20; i++) {
        res.write(Buffer.alloc(10_000 + i, i));
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    });
    const http = create();
    closers.push(() => http.close());
    const response = await http.request({ url: `${s.url}/chunked`, headers: {}, signal: new AbortController().signal });
    const body = await readAll(response.body);
    expect(body.length).toBe(Array.from({ length: 20 }, (_, i) => 10_000 + i).reduce((a, b) => a + b, 0));
    expect(body[0]).toBe(0);
    expect(body[body.length - 1]).toBe(19);
  });

  it('a body cut short by the server fails mid-iteration (after every byte that came)', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write(Buffer.alloc(40_000, 7), () => res.destroy());
    });
    const http = create();
    closers.push(() => http.close());
    const response = await http.request({ url: `${s.url}/cut`, headers: {}, signal: new AbortController().signal });
    let got = 0;
    await expect(
      (async () => {
        for await (const c of response.body) got += c.length;
      })(),
    ).rejects.toThrow();
    expect(got).toBe(40_000);
  });

  /** A server answering "x" that counts the requests it got, and a transport to it. */
  async function countingServer() {
    let requests = 0;
    const s = await server((_req, res) => {
      requests++;
      res.end('x');
    });
    const http = create();
    closers.push(() => http.close());
    return { s, http, requests: () => requests };
  }

  it('an abort a moment after asking: the request rejects with it and nothing is sent', async () => {
    const { s, http, requests } = await countingServer();
    const ac = new AbortController();
    const asked = http.request({ url: `${s.url}/x`, headers: {}, signal: ac.signal });
    ac.abort(new Error('paused by the user'));
    await expect(asked).rejects.toThrow('paused by the user');
    // A later request on the same transport still goes through, so the server was reachable all along.
    await readAll((await http.request({ url: `${s.url}/y`, headers: {}, signal: new AbortController().signal })).body);
    expect(requests()).toBe(1);
  });

  it('a reader that holds the body back longer than the idle timeout is not a stalled server: the body completes', async () => {
    const body = binaryBytes(4 * 1024 * 1024, 5);
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
    });
    const http = create({ idleTimeoutMs: 1000 });
    closers.push(() => http.close());
    const response = await http.request({ url: `${s.url}/big`, headers: {}, signal: new AbortController().signal });
    const got: Buffer[] = [];
    for await (const c of response.body) {
      // The first piece makes the reader wait (a rate limit, a slow disk) well past the idle timeout, with the socket paused.
      if (got.length === 0) await new Promise((r) => setTimeout(r, 2500));
      got.push(Buffer.from(c));
    }
    expect(Buffer.concat(got).equals(body)).toBe(true);
  });

  it('a kept-alive connection the server closed while unused is replaced: the next file still downloads', async () => {
    const sockets = new Set<Socket>();
    const s = await server((req, res) => {
      sockets.add(req.socket);
      res.writeHead(200, { 'content-length': '5' });
      res.end('hello');
    });
    const http = create({ connections: 1 });
    closers.push(() => http.close());
    const signal = new AbortController().signal;
    expect((await readAll((await http.request({ url: `${s.url}/a`, headers: {}, signal })).body)).toString()).toBe('hello');
    // The server drops its idle keep-alive connection (as CDNs do after a few seconds).
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect((await readAll((await http.request({ url: `${s.url}/b`, headers: {}, signal })).body)).toString()).toBe('hello');
    expect(sockets.size).toBe(2);
  });

  it('a kept-alive connection that breaks just as the next request goes out: made again on a new connection', async () => {
    const served = new Map<Socket, number>();
    let dropped = 0;
    const s = await server((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      // The race a keep-alive pool lives with: the server closes the connection as the request arrives.
      if (n === 2 && dropped === 0) {
        dropped++;
        return void req.socket.destroy();
      }
      res.writeHead(200, { 'content-length': '5' });
      res.end('hello');
    });
    const http = create({ connections: 1 });
    closers.push(() => http.close());
    const signal = new AbortController().signal;
    await readAll((await http.request({ url: `${s.url}/a`, headers: {}, signal })).body);
    const second = http.request({ url: `${s.url}/b`, headers: {}, signal });
    if (retriesBrokenReuse) expect((await readAll((await second).body)).toString()).toBe('hello');
    else await expect(second).rejects.toThrow(); // undici leaves it to the engine, which retries a network failure after a backoff
    expect(dropped).toBe(1);
  });

  it('close() refuses new requests and resolves only once the download under way has ended, without cutting it', async () => {
    let sentAll = false;
    const s = await server(async (_req, res) => {
      res.writeHead(200, { 'content-length': String(5 * 1000) });
      for (let i = 0; i < 4; i++) {
        res.write(Buffer.alloc(1000, 1));
        await new Promise((r) => setTimeout(r, 30));
      }
      sentAll = true;
      res.end(Buffer.alloc(1000, 1));
    });
    const http = create();
    const signal = new AbortController().signal;
    const response = await http.request({ url: `${s.url}/slow`, headers: {}, signal });
    const closing = http.close();
    await expect(http.request({ url: `${s.url}/slow`, headers: {}, signal })).rejects.toThrow();
    await closing;
    expect(sentAll).toBe(true);
    let bytes = 0;
    for await (const c of response.body) bytes += c.length;
    expect(bytes).toBe(5000);
  });

  it('a header value with a line break is refused before anything is sent', async () => {
    const { s, http, requests } = await countingServer();
    await expect(http.request({ url: `${s.url}/x`, headers: { 'x-evil': 'a\r\nhost: other' }, signal: new AbortController().signal })).rejects.toThrow();
    expect(requests()).toBe(0);
  });
});

describe('createHttp1Download: broken kept-alive connections', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('the second try takes a new connection, not another parked one that may be just as stale', async () => {
    const served = new Map<Socket, number>();
    const s = await startLocalServer((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      // Every connection serves one request; the next one on it is dropped as it arrives.
      if (n > 1) return void req.socket.destroy();
      res.writeHead(200, { 'content-length': '5' });
      res.end('hello');
    });
    closers.push(() => s.close());
    const http = createHttp1Download({ connections: 2 });
    closers.push(() => http.close());
    const signal = new AbortController().signal;
    // Two requests at once: two connections, both parked afterwards.
    await Promise.all([1, 2].map(async (i) => readAll((await http.request({ url: `${s.url}/${i}`, headers: {}, signal })).body)));
    expect(served.size).toBe(2);
    const third = await http.request({ url: `${s.url}/3`, headers: {}, signal });
    expect((await readAll(third.body)).toString()).toBe('hello');
    expect(served.size).toBe(3);
  });
});

describe('createHttp1Download: close() while a kept-alive connection breaks', () => {
  it('the request is not made again after close(), and close() waits for it to end', async () => {
    const served = new Map<Socket, number>();
    let requests = 0;
    let secondArrived: () => void = () => undefined;
    const arrived = new Promise<void>((r) => (secondArrived = r));
    const s = await startLocalServer((req, res) => {
      requests++;
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n === 1) return void res.writeHead(200, { 'content-length': '5' }).end('hello');
      // The kept-alive connection breaks a moment after the next request arrived on it.
      secondArrived();
      setTimeout(() => req.socket.destroy(), 50);
    });
    const http = createHttp1Download({ connections: 1 });
    try {
      const signal = new AbortController().signal;
      await readAll((await http.request({ url: `${s.url}/a`, headers: {}, signal })).body);
      const second = http.request({ url: `${s.url}/b`, headers: {}, signal });
      await arrived;
      const closing = http.close();
      await expect(second).rejects.toThrow();
      await closing;
      expect(requests).toBe(2);
    } finally {
      await http.close();
      await s.close();
    }
  });
});

describe('createHttp1Download: read buffers used again', () => {
  const SIZE = 1024 * 1024;
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  /** Ten files, each a different seed: a piece read into reused memory too early would carry another file's bytes. */
  async function setup() {
    const s = await startLocalServer((req, res) => {
      const body = binaryBytes(SIZE, Number(req.url?.slice(1)));
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
    });
    closers.push(() => s.close());
    const http = createHttp1Download({ connections: 1 });
    closers.push(() => http.close());
    const get = async (n: number) => http.request({ url: `${s.url}/${n}`, headers: {}, signal: new AbortController().signal });
    return { get };
  }

  it('pieces given back are read into again; pieces still held are never overwritten; a second release changes nothing', async () => {
    const { get } = await setup();
    // File 1: every piece kept and never given back.
    const held: Uint8Array[] = [];
    for await (const c of (await get(1)).body) held.push(c);
    expect(Buffer.concat(held).equals(binaryBytes(SIZE, 1))).toBe(true);
    // Files 2–10: each piece checked, then given back twice.
    const memory = new Set<ArrayBufferLike>();
    let lentPieces = 0;
    for (let n = 2; n <= 10; n++) {
      const response = await get(n);
      const got: Buffer[] = [];
      for await (const c of response.body) {
        got.push(Buffer.from(c)); // a copy: `c` may be read into again once released
        if (c.length >= 32 * 1024) {
          memory.add(c.buffer);
          lentPieces++;
        }
        response.release?.(c);
        response.release?.(c);
      }
      expect(Buffer.concat(got).equals(binaryBytes(SIZE, n)), `file ${n}`).toBe(true);
    }
    // The held pieces of file 1 still hold file 1.
    expect(Buffer.concat(held).equals(binaryBytes(SIZE, 1))).toBe(true);
    // 9 MiB went through a handful of buffers (without reuse: one per large read, dozens).
    expect(lentPieces).toBeGreaterThan(8);
    expect(memory.size).toBeLessThanOrEqual(4);
  });

  it('a piece released by a reader that never got it (or a copy of one) changes nothing', async () => {
    const { get } = await setup();
    const first = await get(3);
    const kept: Uint8Array[] = [];
    for await (const c of first.body) kept.push(c);
    const second = await get(4);
    // Releasing another response's pieces, or copies, must not free memory `first` still uses.
    for (const c of kept) {
      second.release?.(Buffer.from(c));
      second.release?.(new Uint8Array(c.buffer, c.byteOffset, c.length));
    }
    for await (const c of second.body) second.release?.(c);
    for await (const c of (await get(5)).body) void c;
    expect(Buffer.concat(kept).equals(binaryBytes(SIZE, 3))).toBe(true);
  });
});

describe('resultTransportName', () => {
  it('is genwatch\'s own client unless undici is asked for by name', () => {
    expect(resultTransportName({})).toBe('http1');
    expect(resultTransportName({ GENWATCH_DOWNLOAD_TRANSPORT: ' Undici ' })).toBe('undici');
    expect(resultTransportName({ GENWATCH_DOWNLOAD_TRANSPORT: 'curl' })).toBe('http1');
  });
});

describe('createHttp1Download over https', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function httpsServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    const s = createHttpsServer({ cert: TEST_TLS_CERT, key: TEST_TLS_KEY }, handler);
    await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
    closers.push(() => new Promise<void>((done) => s.close(() => done())));
    s.on('secureConnection', (socket) => closers.push(async () => void socket.destroy()));
    return `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
  }

  it('a trusted certificate: bodies of both framings arrive whole over one kept-alive connection', async () => {
    const sockets = new Set<unknown>();
    const body = binaryBytes(700_000, 9);
    const url = await httpsServer((req, res) => {
      sockets.add(req.socket);
      if (req.url === '/chunked') {
        res.writeHead(200);
        res.write(body.subarray(0, 300_000));
        return void res.end(body.subarray(300_000));
      }
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
    });
    const http = createHttp1Download({ connections: 1, ca: TEST_TLS_CERT });
    closers.push(() => http.close());
    for (const path of ['/length', '/chunked']) {
      const response = await http.request({ url: `${url}${path}`, headers: {}, signal: new AbortController().signal });
      const got: Buffer[] = [];
      for await (const c of response.body) got.push(Buffer.from(c));
      expect(Buffer.concat(got).equals(body), path).toBe(true);
    }
    expect(sockets.size).toBe(1);
  });

  it('a certificate nobody vouches for is refused before any request goes out', async () => {
    let requests = 0;
    const url = await httpsServer((_req, res) => {
      requests++;
      res.end('secret');
    });
    const http = createHttp1Download();
    closers.push(() => http.close());
    await expect(http.request({ url: `${url}/x`, headers: { authorization: 'Bearer k' }, signal: new AbortController().signal })).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(requests).toBe(0);
  });
});
