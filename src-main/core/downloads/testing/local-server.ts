/** A throwaway loopback HTTP server for download tests that need behaviour the emulator does not have. */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

export async function startLocalServer(handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): Promise<LocalServer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void Promise.resolve(handler(req, res)).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Deterministic bytes that are clearly binary (so body sniffing accepts them). */
export function binaryBytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  out[0] = 0;
  return out;
}

/**
 * Streams `body` slowly (`chunk` bytes, then a `delayMs` pause) with a strong
 * ETag, answering `Range: bytes=N-` with a matching 206: a server that
 * supports resume, for pause/kill/resume tests.
 */
export async function sendSlowly(req: IncomingMessage, res: ServerResponse, body: Uint8Array, options: { chunk?: number; delayMs?: number; etag?: string } = {}): Promise<void> {
  const { chunk = 32 * 1024, delayMs = 5, etag = '"s"' } = options;
  const size = body.length;
  const m = /bytes=(\d+)-/.exec(req.headers['range'] ?? '');
  const start = m === null ? 0 : Number(m[1]);
  res.writeHead(start > 0 ? 206 : 200, { 'content-length': size - start, etag, ...(start > 0 ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}) });
  for (let at = start; at < size && !res.destroyed; at += chunk) {
    res.write(body.subarray(at, Math.min(size, at + chunk)));
    await new Promise((r) => setTimeout(r, delayMs));
  }
  res.end();
}
