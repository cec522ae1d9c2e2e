/**
 * The undici HttpPort against loopback servers: what each transport failure
 * rejects with, and the one sentence networkError makes of it.
 */
import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isRetryable } from '../../src-shared/result';
import { networkError, ResponseTooLargeError } from '../core/http-errors';
import type { HttpRequest } from '../core/ports';
import { RecordingLogger } from '../core/testing/fakes';
import { createUndiciHttp, MAX_API_BODY_BYTES } from './undici-http';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function port(server: HttpServer | NetServer): number {
  return (server.address() as AddressInfo).port;
}

/** A raw TCP server: `onData` decides what the "HTTP server" does with the request. */
async function rawServer(onData: (socket: Socket) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', () => onData(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${port(server)}`;
}

async function httpServer(handler: Parameters<typeof createHttpServer>[1]): Promise<string> {
  const server = createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${port(server)}`;
}

function client(options: Parameters<typeof createUndiciHttp>[0] = {}) {
  const http = createUndiciHttp(options);
  cleanup.push(() => http.close());
  return http;
}

const get = (url: string, timeoutMs = 5_000): HttpRequest => ({ method: 'GET', url: `${url}/v2/jobs`, headers: {}, timeoutMs });

/** What the request rejected with (fails the test if it resolved). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('the request resolved');
}

describe('undici HttpPort: transport failures become one fixed sentence', () => {
  it('nothing listening → "nothing is answering at that address", no address in the message', async () => {
    const url = await rawServer(() => {});
    const closedPort = new URL(url).port;
    // Free the port again: the connection is refused.
    for (const step of cleanup.splice(0)) await step();
    const error = await rejection(client().request(get(`http://127.0.0.1:${closedPort}`)));
    const e = networkError(error, 'Apiframe');
    expect(e).toEqual({ kind: 'network', message: 'Could not reach Apiframe: nothing is answering at that address; genwatch will retry.' });
  });

  it('the raw cause goes to the logger (code and message, the link without its query), and the error is the one thrown', async () => {
    const url = await rawServer((socket) => socket.resetAndDestroy());
    const logger = new RecordingLogger();
    const logged = logger.entries;
    const http = client({ logger });
    const error = await rejection(http.request({ ...get(url), url: `${url}/v2/jobs?token=s3cret`, headers: { 'x-api-key': 'k-s3cret' } }));
    expect(networkError(error, 'Apiframe').message).toBe('Could not reach Apiframe: the connection was cut; genwatch will retry.');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.message).toBe('provider request failed');
    expect(logged[0]?.fields).toMatchObject({ method: 'GET', url: `${url}/v2/jobs?…`, detail: expect.stringMatching(/ECONNRESET|UND_ERR_SOCKET/) as unknown });
    expect(JSON.stringify(logged)).not.toContain('s3cret');
    // An answer, even an error status, is not a failure of the request.
    const answering = await rawServer((socket) => socket.end('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n'));
    expect((await http.request(get(answering))).status).toBe(500);
    expect(logged).toHaveLength(1);
  });

  it('a reset connection and a body cut short → "the connection was cut"', async () => {
    const reset = await rawServer((socket) => socket.resetAndDestroy());
    const truncated = await rawServer((socket) => {
      socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id":');
    });
    const http = client();
    for (const url of [reset, truncated]) {
      const e = networkError(await rejection(http.request(get(url))), 'Apiframe');
      expect(e, url).toEqual({ kind: 'network', message: 'Could not reach Apiframe: the connection was cut; genwatch will retry.' });
    }
  });

  it('no answer in time (headers or body) → "took too long to answer"', async () => {
    const silent = await rawServer(() => {});
    const stalled = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"id":'));
    const http = client();
    for (const url of [silent, stalled]) {
      const e = networkError(await rejection(http.request(get(url, 300))), 'useapi.net');
      expect(e, url).toEqual({ kind: 'network', message: 'Could not reach useapi.net: it took too long to answer; genwatch will retry.' });
    }
  });
});

describe('undici HttpPort: an over-size answer', () => {
  it('the cap is the documented 8 MiB by default', () => {
    expect(MAX_API_BODY_BYTES).toBe(8 * 1024 * 1024);
  });

  it('a streamed body past the cap rejects with ResponseTooLargeError: not retried, "check the API address"', async () => {
    const url = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // Chunked, no Content-Length: only counting the bytes catches it.
      res.write('x'.repeat(600));
      res.end('x'.repeat(600));
    });
    const error = await rejection(client({ maxBodyBytes: 1_000 }).request(get(url)));
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    const e = networkError(error, 'Apiframe');
    expect(e).toEqual({ kind: 'invalid-input', message: 'Apiframe answered with more data than an API answer can be; check the API address in Settings.' , about: 'address' });
    expect(isRetryable(e.kind)).toBe(false);
  });

  it('a Content-Length past the cap is refused before the body is read', async () => {
    // Declares 64 MiB, sends 10 bytes and stalls: only the declared length can reject this before the timeout.
    const url = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(64 * 1024 * 1024) });
      res.write('z'.repeat(10));
    });
    const error = await rejection(client({ maxBodyBytes: 1_000 }).request(get(url, 2_000)));
    expect(error).toBeInstanceOf(ResponseTooLargeError);
  });

  it('a HEAD answer may declare any length: it has no body', async () => {
    const url = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(64 * 1024 * 1024) }).end();
    });
    const response = await client({ maxBodyBytes: 1_000 }).request({ ...get(url), method: 'HEAD' });
    expect(response).toMatchObject({ status: 200, body: '' });
  });

  it('a body exactly at the cap is still read', async () => {
    const url = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('y'.repeat(1_000));
    });
    const response = await client({ maxBodyBytes: 1_000 }).request(get(url));
    expect(response).toMatchObject({ status: 200, body: 'y'.repeat(1_000) });
  });
});

describe('undici HttpPort: redirects are answers, not followed', () => {
  it('a 301 resolves with its status and Location (httpError turns it into "check the API address")', async () => {
    const url = await httpServer((_req, res) => {
      res.writeHead(301, { location: 'https://elsewhere.example/v2/jobs' }).end();
    });
    const response = await client().request(get(url));
    expect(response.status).toBe(301);
    expect(response.headers['location']).toBe('https://elsewhere.example/v2/jobs');
  });
});
