/**
 * DownloadHttpPort over undici: bodies streamed as they arrive (never
 * buffered whole), no redirects (the engine follows them itself, checking
 * every hop), headers and idle-body timeouts so a stalled CDN is retried
 * instead of hanging forever.
 */
import { Agent, request } from 'undici';
import type { DownloadHttpPort, DownloadResponse } from '../core/downloads/ports';

export interface UndiciDownloadOptions {
  /** Connections per origin; at least the engine's per-host concurrency. */
  connections?: number;
  headersTimeoutMs?: number;
  /** Longest silence allowed between two body chunks. */
  idleTimeoutMs?: number;
}

export function createUndiciDownload(options: UndiciDownloadOptions = {}): DownloadHttpPort & { close(): Promise<void> } {
  const agent = new Agent({ connections: options.connections ?? 16, keepAliveTimeout: 10_000, pipelining: 1 });
  return {
    async request(req): Promise<DownloadResponse> {
      const response = await request(req.url, {
        method: 'GET',
        headers: req.headers,
        dispatcher: agent,
        signal: req.signal,
        headersTimeout: options.headersTimeoutMs ?? 30_000,
        bodyTimeout: options.idleTimeoutMs ?? 30_000,
        // 64 KiB chunks keep per-connection memory small whatever the file size.
        highWaterMark: 64 * 1024,
      });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value === undefined) continue;
        headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      const body = response.body;
      return {
        status: response.statusCode,
        headers,
        body: body as AsyncIterable<Uint8Array>,
        async discard() {
          // A short error page is read and the connection reused; anything bigger is cut.
          await body.dump({ limit: 64 * 1024 }).catch(() => undefined);
        },
      };
    },
    close: () => agent.close(),
  };
}
