/**
 * Which URLs the engine may fetch: `https:` anywhere, `http:` only to
 * loopback (the emulator, tests, a user's local proxy). Everything else —
 * `file:`, `javascript:`, `data:`, plain http to the network, credentials in
 * the URL — is refused before any request, and so is every redirect hop.
 */

import { isHttpsOrLoopbackUrl, isLoopbackUrl } from '../../../src-shared/loopback';

const MAX_URL_LENGTH = 8192;

function parse(url: string): URL | null {
  if (url.length === 0 || url.length > MAX_URL_LENGTH) return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** Pure: true only for URLs the engine is allowed to request (user:pass@host would be sent as Basic auth to whoever the host is). */
export function isAllowedDownloadUrl(url: string): boolean {
  return url.length > 0 && url.length <= MAX_URL_LENGTH && isHttpsOrLoopbackUrl(url);
}

/**
 * The next hop of a redirect, or null when it is missing or not allowed. A
 * server elsewhere may not send the engine to this computer (loopback): that
 * would let any CDN make genwatch request local services.
 */
export function redirectTarget(from: string, location: string | undefined): string | null {
  if (location === undefined || location.length === 0) return null;
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return null;
  }
  next.hash = '';
  const href = next.href;
  if (isLoopbackUrl(href) && !isLoopbackUrl(from)) return null;
  return isAllowedDownloadUrl(href) ? href : null;
}

export function sameOrigin(a: string, b: string): boolean {
  const x = parse(a);
  const y = parse(b);
  return x !== null && y !== null && x.origin === y.origin;
}

export function hostOf(url: string): string {
  return parse(url)?.host ?? '';
}

export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
export const MAX_REDIRECTS = 5;
