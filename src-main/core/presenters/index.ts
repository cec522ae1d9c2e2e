/** The desktop presenters: pure decisions for the tray, notifications and taskbar. */
export { DesktopPresenter } from './desktop-presenter';
export type { DesktopPresenterDeps, DesktopStart } from './desktop-presenter';
export { downloadedFiles, downloadsInFlight } from './downloads-view';
export type { DownloadFileLike, DownloadsLike } from './downloads-view';
export { FailureAcknowledgement } from './failure-acknowledgement';
export { accountRef, hasKeyProblem, jobTitle } from './job-text';
export { muteEndsAt, mutedUntil, withMute } from './mute';
export type { MuteChoice } from './mute';
export { NotificationBatcher } from './notification-batcher';
export type { DownloadedFile, NotificationAction, NotificationModel, NotificationTarget } from './notification-batcher';
export { notificationVerdict } from './notification-rules';
export { taskbarProgress, UnseenCompletions } from './taskbar-progress';
export type { DownloadProgress, TaskbarModel } from './taskbar-progress';
export { TransitionTracker } from './transitions';
export type { Transition } from './transitions';
export { trayIconState, trayModel } from './tray-model';
export type { TrayAction, TrayIconState, TrayMenuItem, TrayModel } from './tray-model';
