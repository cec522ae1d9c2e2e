/**
 * HttpPort over undici: one keep-alive Agent for all providers, bodies read
 * fully (API responses are small), no redirects (a provider API never needs
 * one, and following them could leak the key to another host): a 3xx resolves
 * as an answer, which httpError words as a wrong address.
 */
import { request } from 'undici';
import { errorDetail } from '../core/downloads/errors';
import { ResponseTooLargeError } from '../core/http-errors';
import type { HttpPort, HttpRequest, HttpResponse, Logger } from '../core/ports';
import { createDispatchers } from './proxy';
import type { Env } from './proxy';

/** The most an API answer may be; more rejects with ResponseTooLargeError (not retried: the address is wrong). */
export const MAX_API_BODY_BYTES = 8 * 1024 * 1024;

export interface UndiciHttpOptions {
  connections?: number;
  /** Tests only: a smaller cap than MAX_API_BODY_BYTES. */
  maxBodyBytes?: number;
  /** Where HTTPS_PROXY / HTTP_PROXY / NO_PROXY are read (proxy.ts); process.env unless a test says otherwise. */
  env?: Env;
  /**
   * Told why a request failed (the error's code and message, link queries
   * stripped): the core turns failures into one plain sentence
   * (networkError), and this is where the raw cause stays on record.
   */
  logger?: Logger;
}

export function createUndiciHttp(options: UndiciHttpOptions = {}): HttpPort & { close(): Promise<void> } {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_API_BODY_BYTES;
  const dispatchers = createDispatchers({ connections: options.connections ?? 8, keepAliveTimeout: 10_000, pipelining: 1 }, options.env ?? process.env);
  const send = async (req: HttpRequest): Promise<HttpResponse> => {
    const response = await request(req.url, {
      method: req.method,
      headers: req.headers,
      dispatcher: dispatchers.for(new URL(req.url)),
      signal: AbortSignal.timeout(req.timeoutMs),
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    // A HEAD, 204 or 304 answer has no body whatever length it declares.
    const bodyless = req.method === 'HEAD' || response.statusCode === 204 || response.statusCode === 304;
    const declared = Number(response.headers['content-length']);
    if (!bodyless && Number.isFinite(declared) && declared > maxBodyBytes) {
      response.body.destroy();
      throw new ResponseTooLargeError(maxBodyBytes);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += buffer.length;
      if (size > maxBodyBytes) {
        response.body.destroy();
        throw new ResponseTooLargeError(maxBodyBytes);
      }
      chunks.push(buffer);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined) continue;
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    return { status: response.statusCode, headers, body: Buffer.concat(chunks).toString('utf8') };
  };
  return {
    async request(req: HttpRequest): Promise<HttpResponse> {
      try {
        return await send(req);
      } catch (e) {
        // Headers (the key) are never logged; the address only up to its path.
        options.logger?.info('provider request failed', { method: req.method, url: errorDetail(req.url), detail: errorDetail(e) });
        throw e;
      }
    },
    close: () => dispatchers.close(),
  };
}
