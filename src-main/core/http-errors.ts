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

/** Extracts the provider's own error text from a JSON body, if any. */
export function providerErrorText(body: string): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'error' in parsed) {
      const value = (parsed as { error: unknown }).error;
      if (typeof value === 'string' && value.length > 0) return value.slice(0, 300);
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
  const text = providerErrorText(response.body);
  // 408 and 425 say "try again"; any other 4xx refuses the request itself (413, 414, 422, 431 …):
  // asking again changes nothing, so it is not retried.
  const passing = response.status === 408 || response.status === 425 || response.status < 400;
  return {
    kind: passing ? 'transient' : 'invalid-input',
    message: passing
      ? `${providerLabel} answered HTTP ${response.status}${text ? `: ${text}` : ''}; genwatch will retry.`
      : `${providerLabel} refused the request (HTTP ${response.status}${text ? `: ${text}` : ''}).`,
    status: response.status,
    retryAfterMs,
  };
}

export function networkError(error: unknown, providerLabel: string): AppError {
  const reason = error instanceof Error ? error.message : String(error);
  return { kind: 'network', message: `Could not reach ${providerLabel} (${reason}); genwatch will retry.` };
}

export function malformedError(providerLabel: string, what: string): AppError {
  return { kind: 'malformed-response', message: `${providerLabel} sent a response genwatch could not read (${what}); genwatch will retry.` };
}
