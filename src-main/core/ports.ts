/**
 * Every effect the core needs comes in through one of these small ports, so
 * the core runs unchanged in Electron, the CLI, tests and benchmarks.
 */

export interface HttpRequest {
  method: 'GET' | 'DELETE' | 'HEAD';
  url: string;
  headers: Record<string, string>;
  /** Abort the whole exchange after this long. */
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string;
}

/** Resolves with any HTTP status; rejects only when no complete response arrived. */
export interface HttpPort {
  request(request: HttpRequest): Promise<HttpResponse>;
}

export type TimerHandle = { readonly __timer: unique symbol } | object;

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Returns a float in [0, 1); injected so jitter is deterministic in tests. */
export type Random = () => number;

export interface SecretStore {
  /** Whether secrets can be stored securely here, and if not, why in one sentence. */
  availability(): Promise<{ available: boolean; message: string | null }>;
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<boolean>;
}

/** Small persistent key/value storage (electron-store in the app, conf under plain Node). */
export interface KeyValueStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
