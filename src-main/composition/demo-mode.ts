/**
 * Demo mode, shared by the app and `genwatch demo`: the built-in emulator's
 * providers become the demo account of each provider, and its scripted jobs
 * are what the demo watches.
 */
import type { ProviderId } from '../../src-shared/job';
import type { DemoConfig } from '../core/genwatch-core';
import type { RunningEmulator } from '../emulator';

export function demoConfig(emulator: RunningEmulator): DemoConfig {
  const providers: DemoConfig['providers'] = {};
  for (const [provider, served] of Object.entries(emulator.providers) as [ProviderId, RunningEmulator['providers'][ProviderId]][]) {
    const apiKey = served.apiKeys[0];
    if (apiKey) providers[provider] = { baseUrl: served.baseUrl, apiKey };
  }
  return { providers };
}

/** The scenario's job ids per provider (providers without jobs left out). */
export function demoJobs(emulator: RunningEmulator): [ProviderId, string[]][] {
  return (Object.entries(emulator.providers) as [ProviderId, RunningEmulator['providers'][ProviderId]][])
    .filter(([, served]) => served.jobIds.length > 0)
    .map(([provider, served]) => [provider, served.jobIds]);
}
