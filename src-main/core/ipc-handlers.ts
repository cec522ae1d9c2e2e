/** The IPC handler table: each method of the contract mapped onto the core. */
import { err, ok } from '../../src-shared/result';
import type { Result } from '../../src-shared/result';
import type { DownloadService } from './download-service';
import type { GenwatchCore } from './genwatch-core';
import type { IpcHandlers } from './ipc-router';

export function coreHandlers(core: GenwatchCore, info: { version: string; platform: string }): IpcHandlers {
  const withDownloads = <T>(run: (downloads: DownloadService) => Result<T> | Promise<Result<T>>): Result<T> | Promise<Result<T>> =>
    core.downloads ? run(core.downloads) : err('internal', 'Downloads are not available here.');
  return {
    getAppInfo: () => ok({ version: info.version, platform: info.platform, status: core.status() }),
    listJobs: () => ok(core.listJobs()),
    addJobs: ({ provider, input, accountId }) => core.addJobs(provider, input, accountId),
    removeJobs: ({ keys }) => ok({ removed: core.removeJobs(keys) }),
    cancelJob: ({ key }) => core.cancelJob(key),
    setWindowVisible: ({ visible }) => ok(core.setProgressWatched('window', visible)),
    networkOnline: () => ok(core.networkOnline()),
    getSettings: () => ok(core.getSettings()),
    updateSettings: (patch) => core.updateSettings(patch),
    setProviderBaseUrl: ({ provider, baseUrl }) => core.setProviderBaseUrl(provider, baseUrl),
    listAccounts: () => ok(core.accountsState()),
    saveAccount: (request) => core.saveAccount(request),
    removeAccount: ({ provider, accountId, forgetJobs }) => core.removeAccount(provider, accountId, forgetJobs),
    importHistory: ({ provider, accountId }) => core.importHistory(provider, accountId),
    cancelImport: ({ provider, accountId }) => core.cancelImport(provider, accountId),
    resumeAccount: ({ provider, accountId }) => core.resumeAccount(provider, accountId),
    openExternal: ({ url }) => core.openExternal(url),
    chooseDownloadFolder: () => core.chooseDownloadFolder(),
    previewFileName: ({ template }) => withDownloads((d) => d.previewName(template)),
    downloadJobs: ({ keys, force }) => core.downloadJobs(keys, force ?? false),
    getDownloads: () => withDownloads((d) => ok(d.state())),
    controlDownloads: ({ action, id }) => withDownloads(async (d) => ok(await d.control(action, id))),
    retryFailedDownloads: ({ batchId }) => withDownloads((d) => d.retryFailed(batchId)),
    revealFile: ({ path }) => withDownloads((d) => d.reveal(path)),
    openFile: ({ path }) => withDownloads((d) => d.open(path)),
  };
}
