/**
 * Per-host request strategies, supplied by the caller: which headers a host
 * needs (cdn.midjourney.com refuses clients that do not look like a browser)
 * and another way to get the same bytes when the host refuses (useapi.net's
 * proxy endpoint). The engine itself never adds credentials: a source may
 * put a provider key only on a request to that provider's own API host.
 */

export interface AssetRequest {
  url: string;
  headers: Record<string, string>;
}

/**
 * A source as plain data, so it can be handed to another thread (the
 * engine's worker, adapters/engine-host.ts) and rebuilt there with
 * sourceFromSpec. Sources built with a custom matcher have none: an engine
 * with one runs on the caller's thread (openEngineInWorker).
 */
export type SourceSpec = { type: 'midjourney-cdn'; proxy?: { apiBase: string; token: string } };

export interface AssetSource {
  /** For logs. */
  name: string;
  spec?: SourceSpec;
  matches(url: URL): boolean;
  /** Headers for a direct request to `url` (default: DEFAULT_HEADERS). */
  headers?(url: URL): Record<string, string>;
  /** Used once per attempt after the direct request is refused (401/403/429). */
  fallback?(url: URL): AssetRequest | null;
}

export const CHROME_USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** What every asset request carries unless a source says otherwise; identity encoding so byte counts match Content-Length. */
export const DEFAULT_HEADERS: Readonly<Record<string, string>> = { 'user-agent': 'genwatch', accept: '*/*', 'accept-encoding': 'identity' };

export const BROWSER_HEADERS: Readonly<Record<string, string>> = { 'user-agent': CHROME_USER_AGENT, accept: '*/*', 'accept-encoding': 'identity' };

export function isMidjourneyCdn(url: URL): boolean {
  return url.hostname === 'cdn.midjourney.com' || url.pathname.startsWith('/cdn-midjourney/');
}

/** Browser-like headers for hosts that refuse scripts. */
export function browserLikeSource(matches: (url: URL) => boolean, name = 'browser-like'): AssetSource {
  return { name, matches, headers: () => ({ ...BROWSER_HEADERS }) };
}

/**
 * cdn.midjourney.com (and the emulator's `/cdn-midjourney/…`): browser-like
 * headers, and when it still refuses, useapi.net's
 * `GET {apiBase}/v3/proxy/cdn-midjourney/?cdnUrl=<encoded>` with the account's
 * Bearer token — that request goes to the API host, so the token stays there.
 */
export function midjourneyCdnSource(options: { matches?: (url: URL) => boolean; proxy?: { apiBase: string; token: string } } = {}): AssetSource {
  const proxy = options.proxy;
  const source: AssetSource = { name: 'midjourney-cdn', matches: options.matches ?? isMidjourneyCdn, headers: () => ({ ...BROWSER_HEADERS }) };
  if (options.matches === undefined) source.spec = proxy === undefined ? { type: 'midjourney-cdn' } : { type: 'midjourney-cdn', proxy: { ...proxy } };
  if (proxy !== undefined) {
    source.fallback = (url) => ({
      url: `${proxy.apiBase.replace(/\/+$/, '')}/v3/proxy/cdn-midjourney/?cdnUrl=${encodeURIComponent(url.href)}`,
      headers: { ...DEFAULT_HEADERS, authorization: `Bearer ${proxy.token}` },
    });
  }
  return source;
}

/** The direct request for `url` and the fallback, if any. */
export function requestsFor(url: string, sources: readonly AssetSource[]): { direct: AssetRequest; fallback: AssetRequest | null } {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  const source = parsed === null ? undefined : sources.find((s) => s.matches(parsed));
  const headers = parsed !== null && source?.headers !== undefined ? source.headers(parsed) : { ...DEFAULT_HEADERS };
  const fallback = parsed !== null && source?.fallback !== undefined ? source.fallback(parsed) : null;
  return { direct: { url, headers }, fallback };
}

/** The source a spec describes (the inverse of AssetSource.spec). */
export function sourceFromSpec(spec: SourceSpec): AssetSource {
  return midjourneyCdnSource(spec.proxy === undefined ? {} : { proxy: spec.proxy });
}

/** Every source as data, or null when one of them cannot be described (a custom matcher). */
export function specsOf(sources: readonly AssetSource[]): SourceSpec[] | null {
  const specs: SourceSpec[] = [];
  for (const s of sources) {
    if (s.spec === undefined) return null;
    specs.push(s.spec);
  }
  return specs;
}
