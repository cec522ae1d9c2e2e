/**
 * The CLI's calls to a provider, made again after a backoff (Retry-After when
 * the provider gives one) while they fail for a passing reason: 5xx, 429,
 * the network, a garbled answer. What the messages promise ("genwatch will
 * retry"), every command keeps.
 */
import type { Result } from '../../src-shared/result';
import { isRetryable } from '../../src-shared/result';
import { backoffDelay } from '../core/backoff';
import type { WatchIo } from './watch';

/** Tries per API call while it fails for a passing reason (5xx, 429, the network, a garbled answer). */
const API_ATTEMPTS = 4;
const RETRY_BASE_MS = 500;
/** A Retry-After longer than this is not waited out: the call counts as failed. */
const RETRY_AFTER_CAP_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** `call`, again after a backoff (Retry-After when the provider gives one) while its failure is retryable. */
export async function withRetries<T>(what: string, call: () => Promise<Result<T>>, io: WatchIo): Promise<Result<T>> {
  for (let attempt = 1; ; attempt++) {
    const result = await call();
    if (result.ok || !isRetryable(result.error.kind) || attempt >= API_ATTEMPTS) return result;
    const wait = backoffDelay(RETRY_BASE_MS, attempt - 1, Math.random, result.error.retryAfterMs);
    if (wait > RETRY_AFTER_CAP_MS) return result;
    io.err(`${what}: ${result.error.message} (trying again in ${(wait / 1000).toFixed(1)} s, ${attempt + 1} of ${API_ATTEMPTS})`);
    await sleep(wait);
  }
}

