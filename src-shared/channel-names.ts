/**
 * Every IPC method and event name, defined once. Kept free of schemas so the
 * sandboxed preload can import it without bundling the validator.
 */
export const INVOKE_METHODS = [
  'getAppInfo',
  'listJobs',
  'addJobs',
  'removeJobs',
  'cancelJob',
  'getSettings',
  'updateSettings',
  'setProviderBaseUrl',
  'listAccounts',
  'saveAccount',
  'removeAccount',
  'importHistory',
  'cancelImport',
  'resumeAccount',
  'openExternal',
  'chooseDownloadFolder',
  'previewFileName',
  'downloadJobs',
  'getDownloads',
  'controlDownloads',
  'retryFailedDownloads',
  'revealFile',
  'openFile',
  'setWindowVisible',
  'networkOnline',
] as const;
export type InvokeMethod = (typeof INVOKE_METHODS)[number];

export const EVENT_NAMES = ['jobsDelta', 'appStatus', 'accounts', 'downloads', 'settings', 'navigate'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** The wire channel for a method or event: the only place the prefix exists. */
export function invokeChannel(method: InvokeMethod): string {
  return `genwatch:invoke:${method}`;
}
export function eventChannel(name: EventName): string {
  return `genwatch:event:${name}`;
}
