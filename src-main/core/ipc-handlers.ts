/** The IPC handler table: each method of the contract mapped onto the core. */
import { ok } from '../../src-shared/result';
import type { GenwatchCore } from './genwatch-core';
import type { IpcHandlers } from './ipc-router';

export function coreHandlers(core: GenwatchCore, info: { version: string; platform: string }): IpcHandlers {
  return {
    getAppInfo: () => ok({ version: info.version, platform: info.platform, status: core.status() }),
    listJobs: () => ok(core.listJobs()),
    addJobs: ({ provider, input }) => core.addJobs(provider, input),
    removeJobs: ({ keys }) => ok({ removed: core.removeJobs(keys) }),
    getSettings: () => ok(core.getSettings()),
    updateSettings: (patch) => ok(core.updateSettings(patch)),
    getKeys: () => ok(core.getKeys()),
    setKey: ({ provider, key }) => core.setKey(provider, key),
    clearKey: ({ provider }) => core.clearKey(provider),
    openExternal: ({ url }) => core.openExternal(url),
  };
}
