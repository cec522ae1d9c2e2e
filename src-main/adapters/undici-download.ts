/**
 * DownloadHttpPort over undici: bodies streamed as they arrive (never
 * buffered whole), no redirects (the engine follows them itself, checking
 * every hop), headers and idle-body timeouts so a stalled CDN is retried
 * instead of hanging forever.
 *
 * Performance notes (measured with scripts/bench/download.ts):
 * - One Agent, `connections` per origin, pipelining 1 (a slow body never
 *   holds up another file's response).
 * - The body is read in flowing mode into a small queue of the socket's own
 *   chunks and handed out one by one. Iterating the Readable directly makes
 *   `read()` concatenate whatever is buffered (an allocation and a copy per
 *   step, and more garbage to collect); this never copies a byte.
 * - Backpressure: the queue pauses the stream above BODY_QUEUE_BYTES, undici
 *   then stops reading the socket, and TCP flow control slows the server.
 */
import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import type { DownloadHttpPort, DownloadResponse } from '../core/downloads/ports';

export interface UndiciDownloadOptions {
  /** Connections per origin; at least the engine's per-host concurrency. */
  connections?: number;
  headersTimeoutMs?: number;
  /** Longest silence allowed between two body chunks. */
  idleTimeoutMs?: number;
}

/** Most body bytes queued per response before the socket is paused (about one engine write batch). */
const BODY_QUEUE_BYTES = 256 * 1024;

/**
 * The stream's chunks as an async iterable, without Readable's async
 * iterator (which concatenates buffered chunks on every read). Chunks queued
 * before an error are still delivered, then the error is thrown. Leaving the
 * loop early (break/throw) destroys the body.
 */
export function bodyChunks(body: Readable, queueBytes = BODY_QUEUE_BYTES): AsyncIterable<Uint8Array> {
  let used = false;
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      if (used) throw new Error('The response body can be read only once.');
      used = true;
      const queue: Uint8Array[] = [];
      let head = 0;
      let queued = 0;
      let ended = false;
      let failed = false;
      let failure: unknown = null;
      let wake: (() => void) | null = null;
      const notify = (): void => {
        const w = wake;
        wake = null;
        w?.();
      };
      const onData = (chunk: Uint8Array): void => {
        queue.push(chunk);
        queued += chunk.length;
        if (queued >= queueBytes) body.pause();
        notify();
      };
      const onEnd = (): void => {
        ended = true;
        notify();
      };
      const onError = (e: unknown): void => {
        failed = true;
        failure = e;
        notify();
      };
      const onClose = (): void => {
        if (!ended && !failed) onError(new Error('The response body closed before its end.'));
      };
      const detach = (): void => {
        body.off('data', onData);
        body.off('end', onEnd);
        body.off('error', onError);
        body.off('close', onClose);
      };
      body.on('data', onData);
      body.on('end', onEnd);
      body.on('error', onError);
      body.on('close', onClose);
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          for (;;) {
            if (head < queue.length) {
              const chunk = queue[head] as Uint8Array;
              queue[head++] = EMPTY;
              if (head === queue.length) {
                queue.length = 0;
                head = 0;
              }
              queued -= chunk.length;
              if (queued < queueBytes / 2 && body.isPaused() && !ended && !failed) body.resume();
              return { value: chunk, done: false };
            }
            if (failed) {
              detach();
              throw failure;
            }
            if (ended) {
              detach();
              return { value: undefined, done: true };
            }
            await new Promise<void>((resolve) => (wake = resolve));
          }
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          detach();
          if (!ended) body.destroy();
          return { value: undefined, done: true };
        },
      };
    },
  };
}

const EMPTY = new Uint8Array(0);

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
        // Only what arrives while our queue is paused sits here: per-connection memory stays small whatever the file size.
        highWaterMark: 64 * 1024,
      });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value === undefined) continue;
        headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      const body = response.body;
      // An error before anyone reads the body (abort, reset) must not become an uncaught 'error' event.
      body.on('error', () => undefined);
      return {
        status: response.statusCode,
        headers,
        body: bodyChunks(body),
        async discard() {
          // A short error page is read and the connection reused; anything bigger is cut.
          await body.dump({ limit: 64 * 1024 }).catch(() => undefined);
        },
      };
    },
    close: () => agent.close(),
  };
}
