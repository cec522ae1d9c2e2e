/**
 * The desktop integration wired together: the core's events feed the
 * DesktopPresenter (pure decisions), and its answers are applied to the tray,
 * notifications, taskbar/dock and application menu. User actions from the
 * tray, menu and notifications come back here and go to the core.
 */
import { join } from 'node:path';
import { nativeTheme, shell } from 'electron';
import type { BrowserWindow } from 'electron';
import { systemClock } from '../adapters/system-clock';
import type { GenwatchCore } from '../core/genwatch-core';
import { DesktopPresenter } from '../core/presenters/desktop-presenter';
import type { DownloadsLike } from '../core/presenters/downloads-view';
import { muteEndsAt, withMute } from '../core/presenters/mute';
import type { NotificationModel } from '../core/presenters/notification-batcher';
import type { TrayAction } from '../core/presenters/tray-model';
import { installAppMenu } from './app-menu';
import type { AppMenuHandlers } from './app-menu-template';
import { loadDesktopState, saveDesktopState } from './desktop-state';
import { applyLoginItem } from './login-item';
import { Navigator } from './navigation';
import { NotificationCenter } from './notifications';
import { appIconFile } from './resource-paths';
import type { ResourceRoots } from './resource-paths';
import { applyTaskbar, resetTaskbar } from './taskbar';
import { renderTray } from './tray';

/** Coalesces bursts of deltas into one tray/taskbar update. */
const RENDER_DELAY_MS = 200;

export interface DesktopDeps {
  core: GenwatchCore;
  platform: string;
  userData: string;
  roots: ResourceRoots;
  window: () => BrowserWindow | null;
  /** Shows (creating if needed) and focuses the main window. */
  showWindow: () => BrowserWindow;
  quit: () => void;
  log: (message: string, fields?: Record<string, unknown>) => void;
}


export class Desktop {
  readonly presenter: DesktopPresenter;
  readonly notifications: NotificationCenter;
  readonly navigator: Navigator;
  private userPaused = false;
  private systemSuspended = false;
  private renderTimer: NodeJS.Timeout | null = null;
  private launchAtLogin: boolean | null = null;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: DesktopDeps) {
    const saved = loadDesktopState(deps.userData);
    // A first start counts as "acknowledged now": imported history is not an alarm.
    const acknowledgedAt = saved?.failuresAcknowledgedAt ?? systemClock.now();
    if (!saved) saveDesktopState(deps.userData, { failuresAcknowledgedAt: acknowledgedAt });
    this.navigator = new Navigator({ showWindow: deps.showWindow, log: deps.log });
    this.notifications = new NotificationCenter({
      platform: deps.platform,
      appIconPath: appIconFile(deps.roots),
      onClick: (model) => this.openNotification(model),
      fileAction: async (action, path) => {
        const downloads = deps.core.downloads;
        if (downloads === null) return 'downloads are not available';
        const done = await downloads.revealOrOpenPath(path, action);
        return done.ok ? null : done.error.message;
      },
      log: deps.log,
    });
    this.presenter = new DesktopPresenter({
      clock: systemClock,
      platform: deps.platform,
      tzOffsetMinutes: (at) => new Date(at).getTimezoneOffset(),
      notificationSettings: () => deps.core.getSettings().notifications,
      emitNotification: (model) => this.notifications.show(model),
      onChange: () => this.scheduleRender(),
      acknowledgedAt,
      joinPath: join,
    });
  }

  start(): void {
    const { core } = this.deps;
    this.presenter.start({ jobs: core.listJobs(), health: core.status().accounts, accounts: core.accountsState() });
    this.unsubscribe.push(
      core.onJobsDelta((delta) => this.presenter.jobsDelta(delta)),
      core.onStatus((status) => this.presenter.status(status.accounts)),
      core.onAccounts((accounts) => this.presenter.setAccounts(accounts)),
    );
    this.settingsChanged();
    installAppMenu(this.deps.platform, this.menuHandlers(), { pollingPaused: this.userPaused });
    this.render();
  }

  /** Follows the window's focus (quiet-while-focused, unseen badge) and re-applies the taskbar to it. */
  attachWindow(window: BrowserWindow): void {
    window.on('focus', () => this.presenter.setFocused(true));
    window.on('blur', () => this.presenter.setFocused(false));
    window.on('hide', () => this.presenter.setFocused(false));
    // Minimised, the page reports itself hidden, but the taskbar/dock button still shows
    // aggregate progress: keep it live until the window is restored or hidden to the tray.
    const core = this.deps.core;
    const follow = (shown: boolean, minimised: boolean): void => {
      core.setProgressWatched('window', shown);
      core.setProgressWatched('taskbar', minimised);
    };
    window.on('minimize', () => follow(false, true));
    window.on('restore', () => follow(true, false));
    window.on('show', () => follow(true, false));
    window.on('hide', () => follow(false, false));
    window.on('closed', () => follow(false, false));
    window.webContents.on('render-process-gone', () => follow(false, false));
    follow(window.isVisible() && !window.isMinimized(), window.isMinimized());
    this.presenter.setFocused(window.isFocused());
    resetTaskbar();
    this.scheduleRender();
  }

  /** Called after every settings update (the core has no settings event yet). */
  settingsChanged(): void {
    const settings = this.deps.core.getSettings();
    nativeTheme.themeSource = settings.theme;
    if (settings.desktop.launchAtLogin !== this.launchAtLogin) {
      this.launchAtLogin = settings.desktop.launchAtLogin;
      this.deps.core.setNotice('login-item', applyLoginItem(settings.desktop.launchAtLogin, this.deps.platform, this.deps.log));
    }
    this.presenter.setDownloadsFolder(settings.downloads.root);
  }

  /** The downloads state (what the `downloads` IPC event carries): taskbar progress and notification files. */
  downloadsChanged(state: DownloadsLike): void {
    this.presenter.setDownloadsState(state);
    this.presenter.setDownloadsFolder(state.root);
  }

  /** powerMonitor 'suspend': stop polling and hold notifications. */
  suspend(): void {
    this.systemSuspended = true;
    this.deps.core.poller.suspend();
    this.presenter.suspend();
  }

  /** powerMonitor 'resume': poll again (unless the user paused) and summarise what happened meanwhile. */
  resume(): void {
    this.systemSuspended = false;
    if (!this.userPaused) this.deps.core.poller.resume();
    this.presenter.resume();
  }

  menuHandlers(): AppMenuHandlers {
    return {
      showView: (view) => this.navigator.go({ kind: 'view', view }),
      addJobs: () => this.navigator.go({ kind: 'add-jobs' }),
      togglePolling: () => this.handleAction({ kind: this.userPaused ? 'resume-polling' : 'pause-polling' }),
      acknowledgeFailures: () => this.handleAction({ kind: 'acknowledge-failures' }),
    };
  }

  handleAction(action: TrayAction): void {
    const { core } = this.deps;
    switch (action.kind) {
      case 'open-window':
        this.deps.showWindow();
        return;
      case 'open-job':
        this.navigator.go({ kind: 'job', key: action.key });
        return;
      case 'show-failed':
        this.navigator.go({ kind: 'jobs', keys: action.keys });
        return;
      case 'pause-polling':
      case 'resume-polling':
        this.userPaused = action.kind === 'pause-polling';
        if (this.userPaused) core.poller.suspend();
        else if (!this.systemSuspended) core.poller.resume();
        this.presenter.setPollingPaused(this.userPaused);
        installAppMenu(this.deps.platform, this.menuHandlers(), { pollingPaused: this.userPaused });
        return;
      case 'open-downloads': {
        const folder = core.getSettings().downloads.root;
        if (folder) void shell.openPath(folder);
        return;
      }
      case 'mute-account':
      case 'unmute-account': {
        const now = systemClock.now();
        const until = action.kind === 'mute-account' ? muteEndsAt(action.choice, now, new Date(now).getTimezoneOffset()) : null;
        void core.updateSettings({ notifications: { mutedUntil: withMute(core.getSettings().notifications, action.ref, until, now) } });
        this.scheduleRender();
        return;
      }
      case 'acknowledge-failures': {
        const at = this.presenter.acknowledgeFailures();
        saveDesktopState(this.deps.userData, { failuresAcknowledgedAt: at });
        return;
      }
      case 'quit':
        this.deps.quit();
        return;
    }
  }

  get pollingPaused(): boolean {
    return this.userPaused;
  }

  dispose(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.renderTimer) clearTimeout(this.renderTimer);
    this.renderTimer = null;
    this.presenter.dispose();
  }

  private openNotification(model: NotificationModel): void {
    if (model.target.kind === 'job') this.navigator.go({ kind: 'job', key: model.target.key });
    else this.navigator.go({ kind: 'jobs', keys: model.target.keys });
  }

  private scheduleRender(): void {
    if (this.renderTimer) return;
    this.renderTimer = setTimeout(() => {
      this.renderTimer = null;
      this.render();
    }, RENDER_DELAY_MS);
  }

  private render(): void {
    const { platform, roots } = this.deps;
    renderTray(this.presenter.tray(), { roots, platform, onAction: (action) => this.handleAction(action) });
    applyTaskbar(this.deps.window(), this.presenter.taskbar(), { platform });
  }
}
