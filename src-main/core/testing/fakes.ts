/**
 * In-memory implementations of the core's ports, for unit tests. Nothing here
 * patches a global: each fake is handed to the code under test explicitly.
 */
import type { HttpPort, HttpRequest, HttpResponse, KeyValueStore, Logger, Random, SecretStore } from '../ports';

// ---- SecretStore -------------------------------------------------------------

export class MemorySecretStore implements SecretStore {
  readonly secrets = new Map<string, string>();
  /** Every call that wrote or deleted, in order (account names only). */
  readonly writes: { op: 'set' | 'delete'; account: string }[] = [];

  constructor(
    private readonly options: { available?: boolean; message?: string | null; failWrites?: boolean } = {},
  ) {}

  availability(): Promise<{ available: boolean; message: string | null }> {
    const available = this.options.available ?? true;
    return Promise.resolve({
      available,
      message: available ? null : (this.options.message ?? 'No Secret Service is running (test double).'),
    });
  }

  get(account: string): Promise<string | null> {
    return Promise.resolve(this.secrets.get(account) ?? null);
  }

  set(account: string, secret: string): Promise<void> {
    if (this.options.failWrites) return Promise.reject(new Error('keychain locked (test double)'));
    this.writes.push({ op: 'set', account });
    this.secrets.set(account, secret);
    return Promise.resolve();
  }

  delete(account: string): Promise<boolean> {
    if (this.options.failWrites) return Promise.reject(new Error('keychain locked (test double)'));
    this.writes.push({ op: 'delete', account });
    return Promise.resolve(this.secrets.delete(account));
  }
}

// ---- KeyValueStore -------------------------------------------------------------

/** A KeyValueStore that also keeps every value ever written, for "never persisted" checks. */
export class RecordingKv implements KeyValueStore {
  private readonly map = new Map<string, unknown>();
  readonly history: { key: string; value: unknown }[] = [];

  get(key: string): unknown {
    return structuredClone(this.map.get(key));
  }

  set(key: string, value: unknown): void {
    const copy = structuredClone(value);
    this.history.push({ key, value: copy });
    this.map.set(key, copy);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  writesOf(key: string): number {
    return this.history.filter((entry) => entry.key === key).length;
  }

  /** Everything ever written, serialised: search it for strings that must never be stored. */
  everythingWritten(): string {
    return JSON.stringify(this.history);
  }
}

// ---- HttpPort --------------------------------------------------------------------

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  let reject: (reason: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** What a scripted exchange produces: a response, a rejection (no response), or one resolved later. */
export type ScriptedReply = HttpResponse | Error | Promise<HttpResponse>;
export type ReplyFunction = (request: HttpRequest) => ScriptedReply;

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

/**
 * An HttpPort answering from a queue of scripted replies first, then from a
 * function. Records every request and the peak number in flight.
 */
export class ScriptedHttp implements HttpPort {
  readonly requests: HttpRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly queue: ScriptedReply[] = [];

  constructor(private handler: ReplyFunction | null = null) {}

  enqueue(...replies: ScriptedReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  respondWith(handler: ReplyFunction): this {
    this.handler = handler;
    return this;
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    const reply = this.queue.length > 0 ? this.queue.shift() : this.handler?.(request);
    if (reply === undefined) throw new Error(`ScriptedHttp: no reply scripted for ${request.method} ${request.url}`);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (reply instanceof Error) throw reply;
      return await reply;
    } finally {
      this.inFlight--;
    }
  }

  /** Requests whose URL contains `fragment` (e.g. a job id). */
  requestsFor(fragment: string): HttpRequest[] {
    return this.requests.filter((r) => r.url.includes(fragment));
  }
}

/**
 * Wraps a real HttpPort and lets a test wait until no request is in flight,
 * so fake-clock-driven code can be run against a real server deterministically.
 */
export class TrackingHttp implements HttpPort {
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  requestCount = 0;

  constructor(private readonly inner: HttpPort) {}

  async request(request: HttpRequest): Promise<HttpResponse> {
    this.inFlight++;
    this.requestCount++;
    try {
      return await this.inner.request(request);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) {
        const waiters = this.waiters;
        this.waiters = [];
        for (const wake of waiters) wake();
      }
    }
  }

  /** Resolves once every request started so far has settled. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

// ---- Random, Logger ----------------------------------------------------------------

/** Always the same value in [0, 1): jitter becomes exact. */
export function fixedRandom(value: number): Random {
  if (!(value >= 0 && value < 1)) throw new RangeError(`fixedRandom: ${value} is not in [0, 1)`);
  return () => value;
}

export class RecordingLogger implements Logger {
  readonly entries: { level: 'info' | 'warn' | 'error'; message: string; fields: Record<string, unknown> | undefined }[] = [];
  info(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level: 'info', message, fields });
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level: 'warn', message, fields });
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level: 'error', message, fields });
  }
}
