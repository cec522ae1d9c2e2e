/**
 * Why a file did not download, as a value: the engine's events and batch
 * summaries carry these, never thrown strings. `reason` is the precise
 * download vocabulary; `error` the app-wide envelope (src-shared/result.ts).
 */
import type { AppError, ErrorKind } from '../../../src-shared/result';
import { networkReason, UNTRUSTED_CERTIFICATE } from '../http-errors';

export const FAILURE_REASONS = [
  'network', // connection refused/reset, timeout, truncated body (retried first)
  'http', // an HTTP status that is not an expired link (5xx after retries, other 4xx)
  'expired', // 403/404/410 even after one refresh of the job's URLs
  'error-page', // an HTML/JSON/text page or 0 bytes where media was expected
  'disk-full', // ENOSPC/EDQUOT: the .part is kept so a retry resumes once space is freed
  'permission', // EACCES/EPERM/EROFS on the download folder
  'filesystem', // any other file-system failure
  'url-refused', // not https (or http to loopback), or a redirect to such a URL
  'name-refused', // the rendered name would leave the root
  'integrity', // byte count never matched Content-Length / Content-Range
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export interface DownloadFailure {
  reason: FailureReason;
  /** Worth an automatic retry by the engine (network trouble, 5xx, truncation). */
  retryable: boolean;
  error: AppError;
}

const KIND: Record<FailureReason, ErrorKind> = {
  network: 'network',
  http: 'transient',
  expired: 'expired',
  'error-page': 'malformed-response',
  'disk-full': 'internal',
  permission: 'forbidden',
  filesystem: 'internal',
  'url-refused': 'forbidden',
  'name-refused': 'forbidden',
  integrity: 'network',
};

export function failure(reason: FailureReason, message: string, options: { retryable?: boolean; status?: number } = {}): DownloadFailure {
  const error: AppError = { kind: KIND[reason], message };
  if (options.status !== undefined) error.status = options.status;
  return { reason, retryable: options.retryable ?? false, error };
}

/** Carries a DownloadFailure through the transfer's async code; `detail` is for the log only (see errorDetail). */
export class TransferError extends Error {
  constructor(
    readonly failure: DownloadFailure,
    readonly detail?: string,
  ) {
    super(failure.error.message);
    this.name = 'TransferError';
  }
}

/**
 * What an error said in its own words (code and message, shortened): the
 * plain sentence shown to the user leaves it out, the log keeps it so a
 * failure can still be told apart when someone reports it. Never shown.
 */
export function errorDetail(e: unknown): string {
  const code = codeOf(e);
  const message = e instanceof Error ? e.message : String(e);
  // A link's query (signatures, tokens) never reaches the log, whatever library wrote the message.
  const text = (code !== undefined && !message.includes(code) ? `${code}: ${message}` : message).replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#]*)[?#]\S*/gi, '$1?…');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export function codeOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** A file-system error from the port as a failure. */
export function diskFailure(e: unknown): DownloadFailure {
  const code = codeOf(e);
  if (code === 'ENOSPC' || code === 'EDQUOT') return failure('disk-full', 'The disk is full: free some space, then retry.');
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return failure('permission', 'genwatch may not write to the download folder: check its permissions.');
  if (code === 'ENAMETOOLONG') return failure('name-refused', 'The file name is too long for this disk.');
  if (code === 'ELOOP') return failure('name-refused', 'A link (symlink) sits where this file goes, and genwatch never writes through links: remove it, then retry.');
  return failure('filesystem', `The file could not be written (${code ?? (e instanceof Error ? e.message : 'unknown error')}).`);
}

/**
 * A thrown HTTP-port error (no response head, or the body stream broke) as a
 * failure in plain words (never the raw error text). Retried, except an
 * untrusted certificate: asking again changes nothing.
 */
export function networkFailure(e: unknown): DownloadFailure {
  const reason = networkReason(e);
  const message = `Could not reach the file's server${reason === null ? '' : `: ${reason}`}.`;
  return failure('network', message, { retryable: reason !== UNTRUSTED_CERTIFICATE });
}

export function isDiskError(e: unknown): boolean {
  const code = codeOf(e);
  return code !== undefined && /^E(NOSPC|DQUOT|ACCES|PERM|ROFS|NAMETOOLONG|ISDIR|NOTDIR|EXIST|NOENT|MFILE|NFILE|IO|BUSY|XDEV|LOOP)$/.test(code);
}
