/**
 * Turns HTTP outcomes into typed AppErrors with one plain sentence each. The
 * provider adapters add their own wording for provider-specific cases.
 */
import type { AppError, ErrorKind } from '../../src-shared/result';
import type { HttpResponse } from './ports';

/** The longest server-requested pause honoured as given: asked for more (a day, a date in 2099), genwatch asks again after this. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3); at most MAX_RETRY_AFTER_MS. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - nowMs;
  if (Number.isNaN(ms)) return null;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

const DEFAULT_MESSAGES: Partial<Record<number, [ErrorKind, string]>> = {
  400: ['invalid-input', 'The provider rejected the request as invalid.'],
  401: ['auth', 'The API key was rejected: check or replace it in Settings.'],
  402: ['payment', 'The account is out of credits or has no active subscription.'],
  403: ['auth', 'The API key is not allowed to do this.'],
  404: ['not-found', 'The provider has no such job for this key.'],
  410: ['expired', 'The job has expired at the provider and can no longer be fetched.'],
  429: ['rate-limited', 'The provider is rate-limiting requests; genwatch will slow down and retry.'],
};

/** Extracts the provider's own error text from a JSON body, if any, without a closing full stop. */
export function providerErrorText(body: string): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'error' in parsed) {
      const value = (parsed as { error: unknown }).error;
      if (typeof value === 'string') {
        // Callers end the sentence themselves ("…: ${text}."): a closing full stop here would make "ID..".
        const text = value.slice(0, 300).replace(/[\s.]+$/, '');
        if (text.length > 0) return text;
      }
    }
  } catch {
    // not JSON: fall through
  }
  return null;
}

export function httpError(response: HttpResponse, nowMs: number, providerLabel: string): AppError {
  const retryAfterMs = parseRetryAfter(response.headers['retry-after'], nowMs);
  const known = DEFAULT_MESSAGES[response.status];
  if (known) {
    const [kind, message] = known;
    return { kind, message: `${providerLabel}: ${message}`, status: response.status, retryAfterMs };
  }
  if (response.status >= 500) {
    return {
      kind: 'transient',
      message: `${providerLabel} is having trouble (HTTP ${response.status}); genwatch will retry.`,
      status: response.status,
      retryAfterMs,
    };
  }
  if (response.status >= 300 && response.status < 400) {
    // The API client follows no redirects (undici-http.ts): a redirect means the address is not the API, so asking again changes nothing.
    const host = redirectHost(response.headers['location']);
    return {
      kind: 'invalid-input',
      message: `${providerLabel}: the API address redirects elsewhere${host ? ` (to ${host})` : ''}; check the API address in Settings.`,
      status: response.status,
      retryAfterMs,
      about: 'address',
    };
  }
  const text = providerErrorText(response.body);
  // 408 and 425 say "try again"; any other 4xx refuses the request itself (413, 414, 422, 431 …):
  // asking again changes nothing, so it is not retried.
  const passing = response.status === 408 || response.status === 425 || response.status < 300;
  return {
    kind: passing ? 'transient' : 'invalid-input',
    message: passing
      ? `${providerLabel} answered HTTP ${response.status}${text ? `: ${text}` : ''}; genwatch will retry.`
      : `${providerLabel} refused the request (HTTP ${response.status}${text ? `: ${text}` : ''}).`,
    status: response.status,
    retryAfterMs,
  };
}

/** The host (and port) of an absolute http(s) Location, for naming where a redirect points; null for anything else. */
function redirectHost(location: string | undefined): string | null {
  if (location === undefined) return null;
  try {
    const url = new URL(location.trim());
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    return url.host.length > 0 && url.host.length <= 253 ? url.host : null;
  } catch {
    return null; // relative or not a URL
  }
}

/** Rejected by an HttpPort when the answer is bigger than an API answer can be (a wrong address serving a file, or a runaway proxy). */
export class ResponseTooLargeError extends Error {
  static readonly CODE = 'GENWATCH_RESPONSE_TOO_LARGE';
  readonly code = ResponseTooLargeError.CODE;
  constructor(readonly limitBytes: number) {
    super(`response body larger than ${limitBytes} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** Why a connection failed, when the certificate is the reason: asking again will not help. */
export const UNTRUSTED_CERTIFICATE = "the server's certificate is not trusted";

/** What went wrong, after "Could not reach <provider>"; null: the generic sentence. */
const NETWORK_REASONS: [RegExp, string][] = [
  [/^ECONNREFUSED$/, 'nothing is answering at that address'],
  [/^(ENOTFOUND|EAI_AGAIN)$/, 'its address could not be found (check the address or your connection)'],
  [/^(ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|TimeoutError)$/, 'it took too long to answer'],
  [/^(ECONNRESET|EPIPE|UND_ERR_SOCKET)$/, 'the connection was cut'],
  [
    /^(CERT_\w+|UNABLE_TO_\w+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)$/,
    UNTRUSTED_CERTIFICATE,
  ],
  // OpenSSL's protocol errors (TLS spoken to a plain-http port), undici's parser errors, genwatch's download client's framing errors.
  [/^(EPROTO|HPE_\w+)$/, 'its answer could not be read'],
];

/** Code-like words in a message ("connect ECONNREFUSED 10.0.0.5:443", or a bare `new Error('ECONNRESET')` from a test double or a wrapper that dropped `code`). */
const CODE_WORD = /\b[A-Z][A-Z0-9_]{3,}\b/g;

/**
 * The string codes on an error, its causes (fetch wraps in "fetch failed") and
 * an AggregateError's errors (several addresses tried), nearest first, then
 * code-like words from their messages. A DOMException's numeric code is no
 * use: its name ('TimeoutError') stands in.
 */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const words: string[] = [];
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.size < 16) {
    const current = queue.shift();
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const { code, name, message, cause, errors } = current as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') codes.push(code);
    if (name === 'TimeoutError') codes.push(name);
    if (typeof message === 'string') words.push(...(message.match(CODE_WORD) ?? []));
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
  }
  return [...codes, ...words];
}

/**
 * An HttpPort rejection as one fixed sentence: the raw error text (addresses,
 * library wording) never reaches the user. Transport failures are retried; an
 * over-size answer is not (the address is wrong, asking again changes nothing).
 */
export function networkError(error: unknown, providerLabel: string): AppError {
  const codes = errorCodes(error);
  if (error instanceof ResponseTooLargeError || codes.includes(ResponseTooLargeError.CODE)) {
    return { kind: 'invalid-input', message: `${providerLabel} answered with more data than an API answer can be; check the API address in Settings.`, about: 'address' };
  }
  const reason = networkReason(error);
  return { kind: 'network', message: `Could not reach ${providerLabel}${reason === null ? '' : `: ${reason}`}; genwatch will retry.` };
}

/** Why a connection failed, in a few plain words to follow "Could not reach …: "; null when the error says nothing known. */
export function networkReason(error: unknown): string | null {
  for (const code of errorCodes(error)) {
    const reason = NETWORK_REASONS.find(([pattern]) => pattern.test(code))?.[1];
    if (reason !== undefined) return reason;
  }
  return null;
}

export function malformedError(providerLabel: string, what: string): AppError {
  return { kind: 'malformed-response', message: `${providerLabel} sent a response genwatch could not read (${what}); genwatch will retry.` };
}
