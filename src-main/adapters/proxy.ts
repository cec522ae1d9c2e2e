/**
 * Proxies from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, in either
 * case, as curl and undici read them), for every request genwatch makes from
 * Node: provider API calls and result files. Node's HTTP stack ignores the
 * system's proxy settings (Chromium's would not, but it runs in another
 * process), so behind a company proxy these variables are how genwatch gets
 * out, as for most command-line tools.
 *
 * Loopback addresses (the emulator, a local proxy) never go through a proxy,
 * whatever NO_PROXY says: plain http is allowed only to this computer, and a
 * proxy would carry such a request (and a key in it) across the network in
 * clear text.
 */
import { Agent, EnvHttpProxyAgent } from 'undici';
import type { Dispatcher } from 'undici';
import { isLoopbackHost } from '../../src-shared/loopback';

export interface ProxySettings {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

/** Environment variables as process.env holds them (tests pass their own). */
export type Env = Readonly<Record<string, string | undefined>>;

const named = (env: Env, name: string): string | undefined => {
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
};

/** The proxy `env` names, or null when it names none (then every request goes direct). */
export function proxyFromEnv(env: Env): ProxySettings | null {
  const httpProxy = named(env, 'http_proxy');
  const httpsProxy = named(env, 'https_proxy');
  if (httpProxy === undefined && httpsProxy === undefined) return null;
  const settings: ProxySettings = {};
  if (httpProxy !== undefined) settings.httpProxy = httpProxy;
  // An https request with only HTTP_PROXY set goes through it too (curl does the same).
  settings.httpsProxy = httpsProxy ?? httpProxy;
  const noProxy = named(env, 'no_proxy');
  if (noProxy !== undefined) settings.noProxy = noProxy;
  return settings;
}

/** One dispatcher per request's target: loopback direct, the rest through the environment's proxy (or direct). */
export interface Dispatchers {
  for(url: URL): Dispatcher;
  close(): Promise<void>;
}

export function createDispatchers(options: Agent.Options, env: Env): Dispatchers {
  const direct = new Agent(options);
  const proxy = proxyFromEnv(env);
  // Without HTTP_PROXY an http request goes direct (EnvHttpProxyAgent would fall back to process.env otherwise).
  // Socket tuning (`connect`) is for direct connections: through a proxy the proxy's connection is what is read.
  const { connect: _direct, ...proxied } = options;
  const viaProxy = proxy === null ? null : new EnvHttpProxyAgent({ ...proxied, httpProxy: proxy.httpProxy ?? '', httpsProxy: proxy.httpsProxy ?? '', noProxy: proxy.noProxy ?? '' });
  return {
    for(url) {
      return viaProxy === null || isLoopbackHost(url.hostname) ? direct : viaProxy;
    },
    close: async () => {
      await Promise.all([direct.close(), viaProxy?.close()]);
    },
  };
}
