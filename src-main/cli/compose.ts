/** Builds a headless core on the real adapters (undici, keytar, system clock). */
import { createKeytarSecrets } from '../adapters/keytar-secrets';
import { systemClock } from '../adapters/system-clock';
import { createUndiciHttp } from '../adapters/undici-http';
import { GenwatchCore } from '../core/genwatch-core';
import { memoryStore } from '../core/memory-store';
import type { HttpPort, KeyValueStore, Logger, SecretStore } from '../core/ports';
import { silentLogger } from '../core/ports';
import { PROVIDERS } from '../core/providers/registry';
import { VERSION } from './version';

/** Used when a key comes from the environment: the keychain is never touched. */
export const noSecrets: SecretStore = {
  availability: () => Promise.resolve({ available: false, message: 'The keychain is not used when the key comes from the environment.' }),
  get: () => Promise.resolve(null),
  set: () => Promise.reject(new Error('keychain not in use')),
  delete: () => Promise.resolve(false),
};

export interface HeadlessOptions {
  environment: Readonly<Record<string, string | undefined>>;
  kv?: KeyValueStore;
  secrets?: SecretStore;
  logger?: Logger;
  intervalScale?: number;
}

export async function createHeadlessCore(options: HeadlessOptions): Promise<{ core: GenwatchCore; http: HttpPort; close(): Promise<void> }> {
  const http = createUndiciHttp({ logger: options.logger });
  const envHasKey = PROVIDERS.some((p) => options.environment[p.env.apiKey]);
  const core = await GenwatchCore.create({
    http,
    clock: systemClock,
    random: Math.random,
    secrets: options.secrets ?? (envHasKey ? noSecrets : createKeytarSecrets()),
    kv: options.kv ?? memoryStore(),
    logger: options.logger ?? silentLogger,
    providers: PROVIDERS,
    environment: options.environment,
    version: VERSION,
    platform: process.platform,
    ...(options.intervalScale === undefined ? {} : { intervalScale: options.intervalScale }),
  });
  return {
    core,
    http,
    async close() {
      core.dispose();
      await http.close();
    },
  };
}
