/**
 * Loopback: the emulator, tests and a user's local proxy. The one place that
 * says which hosts count, for what the downloads may fetch over plain http
 * and for where an API key may be sent over plain http.
 */

/** localhost, ::1, or 127.0.0.0/8 written as four decimal parts. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]' || host === '::1') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m.slice(1).every((part) => Number(part) <= 255);
}

export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * https anywhere, plain http only to this computer, and no user:password in
 * the URL: where an API key may go (elsewhere over http it would cross the
 * network in clear text), and what the downloads may fetch (url-safety.ts).
 */
export function isHttpsOrLoopbackUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username !== '' || parsed.password !== '') return false;
  if (parsed.protocol === 'https:') return parsed.hostname.length > 0;
  return parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname);
}

export const UNSAFE_API_BASE = 'must be https://, or http:// to this computer (localhost, 127.x.x.x, ::1): elsewhere the API key would cross the network in clear text';
