/** The IPC handler table: each method of the contract mapped onto the core. */
import { ok } from '../../src-shared/result';
import type { GenwatchCore } from './genwatch-core';
import type { IpcHandlers } from './ipc-router';

export function coreHandlers(core: GenwatchCore, info: { version: string; platform: string }): IpcHandlers {
  return {
    getAppInfo: () => ok({ version: info.version, platform: info.platform, status: core.status() }),
    listJobs: () => ok(core.listJobs()),
    addJobs: ({ provider, input, accountId }) => core.addJobs(provider, input, accountId),
    removeJobs: ({ keys }) => ok({ removed: core.removeJobs(keys) }),
    cancelJob: ({ key }) => core.cancelJob(key),
    getSettings: () => ok(core.getSettings()),
    updateSettings: (patch) => ok(core.updateSettings(patch)),
    listAccounts: () => ok(core.accountsState()),
    saveAccount: (request) => core.saveAccount(request),
    removeAccount: ({ provider, accountId, forgetJobs }) => core.removeAccount(provider, accountId, forgetJobs),
    importHistory: ({ provider, accountId }) => core.importHistory(provider, accountId),
    cancelImport: ({ provider, accountId }) => core.cancelImport(provider, accountId),
    resumeAccount: ({ provider, accountId }) => core.resumeAccount(provider, accountId),
    openExternal: ({ url }) => core.openExternal(url),
  };
}
