/**
 * HttpPort over undici: one keep-alive Agent for all providers, bodies read
 * fully (API responses are small), no redirects (a provider API never needs
 * one, and following them could leak the key to another host).
 */
import { Agent, request } from 'undici';
import type { HttpPort, HttpRequest, HttpResponse } from '../core/ports';

export const MAX_API_BODY_BYTES = 8 * 1024 * 1024;

export function createUndiciHttp(options: { connections?: number } = {}): HttpPort & { close(): Promise<void> } {
  const agent = new Agent({ connections: options.connections ?? 8, keepAliveTimeout: 10_000, pipelining: 1 });
  return {
    async request(req: HttpRequest): Promise<HttpResponse> {
      const response = await request(req.url, {
        method: req.method,
        headers: req.headers,
        dispatcher: agent,
        signal: AbortSignal.timeout(req.timeoutMs),
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        size += buffer.length;
        if (size > MAX_API_BODY_BYTES) {
          response.body.destroy();
          throw new Error('response body too large');
        }
        chunks.push(buffer);
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value === undefined) continue;
        headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { status: response.statusCode, headers, body: Buffer.concat(chunks).toString('utf8') };
    },
    close: () => agent.close(),
  };
}
