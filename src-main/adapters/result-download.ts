/**
 * The transport result files (images, videos, audio) are downloaded with:
 * genwatch's own HTTP/1.1 client (http1-download.ts), chosen because undici
 * costs 1.3–1.6 × curl's time and a third more memory for the same files
 * (README, "Downloads: speed"). `GENWATCH_DOWNLOAD_TRANSPORT=undici` switches
 * back to undici (undici-download.ts), a way out should a server and the
 * hand-written client ever disagree. Provider API calls always go through
 * undici (undici-http.ts): they are small, and undici's breadth matters more
 * there than cycles per byte.
 */
import type { DownloadHttpPort } from '../core/downloads/ports';
import { createHttp1Download } from './http1-download';
import type { Http1DownloadOptions } from './http1-download';
import { proxyFromEnv } from './proxy';
import type { Env } from './proxy';
import { createUndiciDownload } from './undici-download';

export const DOWNLOAD_TRANSPORT_ENV = 'GENWATCH_DOWNLOAD_TRANSPORT';

export type ResultDownload = DownloadHttpPort & { close(): Promise<void> };

export type ResultDownloadOptions = Pick<Http1DownloadOptions, 'connections' | 'headersTimeoutMs' | 'idleTimeoutMs'>;

/** Which transport `env` asks for: undici when named or when a proxy is set (genwatch's own client speaks no proxy), else genwatch's own. */
export function resultTransportName(env: Env): 'http1' | 'undici' {
  return env[DOWNLOAD_TRANSPORT_ENV]?.trim().toLowerCase() === 'undici' || proxyFromEnv(env) !== null ? 'undici' : 'http1';
}

export function createResultDownload(options: ResultDownloadOptions = {}, env: Env = process.env): ResultDownload {
  return resultTransportName(env) === 'undici' ? createUndiciDownload({ ...options, env }) : createHttp1Download(options);
}
