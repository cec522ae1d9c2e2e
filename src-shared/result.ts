/**
 * Errors are values at every boundary: IPC responses, provider calls and the
 * CLI all carry this envelope, never thrown strings.
 */
import { z } from 'zod';

export const ERROR_KINDS = [
  'invalid-input', // the request itself is wrong (bad job id, bad setting)
  'auth', // key missing, invalid or revoked
  'payment', // credits exhausted / no subscription: an account state
  'account-hold', // the provider holds the account until the user acts (moderation notice, CAPTCHA)
  'not-found',
  'expired', // the job is gone for good (useapi 410)
  'rate-limited',
  'transient', // 5xx or other retryable server trouble
  'network', // connection refused/reset, DNS, timeout
  'malformed-response', // the provider answered something we cannot read
  'keychain-unavailable',
  'forbidden', // IPC sender or URL refused
  'internal',
] as const;
export const ErrorKindSchema = z.enum(ERROR_KINDS);
export type ErrorKind = z.infer<typeof ErrorKindSchema>;

export const AppErrorSchema = z.object({
  kind: ErrorKindSchema,
  /** One sentence a user can act on. */
  message: z.string(),
  retryAfterMs: z.number().nonnegative().nullable().optional(),
  status: z.number().int().nullable().optional(),
  /** 'address': the configured API address is not the API (it redirects, or answers far too much): the whole account waits for a new address, no job is to blame. */
  about: z.enum(['address']).optional(),
});
export type AppError = z.infer<typeof AppErrorSchema>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function err(kind: ErrorKind, message: string, extra: Partial<Omit<AppError, 'kind' | 'message'>> = {}): { ok: false; error: AppError } {
  return { ok: false, error: { kind, message, ...extra } };
}

export function resultSchema<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: AppErrorSchema }),
  ]);
}

/** Retryable kinds: the poller backs off and tries again; the rest need the user. */
export function isRetryable(kind: ErrorKind): boolean {
  return kind === 'rate-limited' || kind === 'transient' || kind === 'network' || kind === 'malformed-response';
}
