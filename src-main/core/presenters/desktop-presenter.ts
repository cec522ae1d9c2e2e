/**
 * The desktop integration's state in one Electron-free object: it follows the
 * core's events (job deltas, status, accounts), the window's focus, sleep and
 * the user's tray actions, and answers "what should the tray and the taskbar
 * show now". Notifications go out through the batcher. The shell only feeds
 * it events and applies its answers.
 */
import type { AccountsState } from '../../../src-shared/accounts';
import type { Job } from '../../../src-shared/job';
import type { AccountHealth, JobsDelta } from '../../../src-shared/ipc-contract';
import type { NotificationSettings } from '../../../src-shared/settings';
import type { Clock } from '../ports';
import { downloadedFiles, downloadsInFlight } from './downloads-view';
import type { DownloadsLike } from './downloads-view';
import { FailureAcknowledgement } from './failure-acknowledgement';
import { accountRef, hasKeyProblem } from './job-text';
import { NotificationBatcher } from './notification-batcher';
import type { DownloadedFile, NotificationModel } from './notification-batcher';
import { taskbarProgress, UnseenCompletions } from './taskbar-progress';
import type { DownloadProgress, TaskbarModel } from './taskbar-progress';
import { TransitionTracker } from './transitions';
import type { Transition } from './transitions';
import { trayModel } from './tray-model';
import type { TrayAccount, TrayModel } from './tray-model';

export interface DesktopPresenterDeps {
  clock: Clock;
  platform: string;
  /** Date#getTimezoneOffset at an instant (injected so tests pick the zone). */
  tzOffsetMinutes: (at: number) => number;
  notificationSettings: () => NotificationSettings;
  emitNotification: (notification: NotificationModel) => void;
  /** Something the tray or taskbar shows changed; the shell re-renders. */
  onChange: () => void;
  /** Persisted failure acknowledgement time (null: never acknowledged). */
  acknowledgedAt: number | null;
  /** Overrides the file lookup fed by setDownloadsState (tests). */
  fileFor?: (job: Job) => DownloadedFile | null;
  /** The platform's path join, for files reported relative to the download folder. */
  joinPath?: (root: string, relative: string) => string;
  batchWindowMs?: number;
  catchUpWindowMs?: number;
}

export interface DesktopStart {
  jobs: readonly Job[];
  health: readonly AccountHealth[];
  accounts: AccountsState;
}

export class DesktopPresenter {
  private readonly jobs = new Map<string, Job>();
  private health: readonly AccountHealth[] = [];
  private accounts: TrayAccount[] = [];
  private readonly tracker: TransitionTracker;
  private readonly failures: FailureAcknowledgement;
  private readonly unseen = new UnseenCompletions();
  private readonly batcher: NotificationBatcher;
  private focused = false;
  private paused = false;
  private downloadsFolder: string | null = null;
  private downloads: readonly DownloadProgress[] = [];
  private files = new Map<string, DownloadedFile>();

  constructor(private readonly deps: DesktopPresenterDeps) {
    this.tracker = new TransitionTracker(deps.clock.now());
    this.failures = new FailureAcknowledgement(deps.acknowledgedAt);
    this.batcher = new NotificationBatcher({
      clock: deps.clock,
      settings: deps.notificationSettings,
      focused: () => this.focused,
      emit: deps.emitNotification,
      fileFor: deps.fileFor ?? ((job) => this.files.get(job.key) ?? null),
      ...(deps.batchWindowMs === undefined ? {} : { windowMs: deps.batchWindowMs }),
      ...(deps.catchUpWindowMs === undefined ? {} : { catchUpWindowMs: deps.catchUpWindowMs }),
    });
  }

  /** Call with the jobs restored at start-up, before the first delta is applied. */
  start(initial: DesktopStart): void {
    for (const job of initial.jobs) this.jobs.set(job.key, job);
    this.tracker.seed(initial.jobs);
    this.health = initial.health;
    this.setAccounts(initial.accounts);
    this.deps.onChange();
  }

  jobsDelta(delta: JobsDelta): Transition[] {
    for (const key of delta.removed) {
      this.jobs.delete(key);
      this.failures.forget(key);
    }
    for (const job of delta.upserted) this.jobs.set(job.key, job);
    const transitions = this.tracker.apply(delta, this.deps.clock.now());
    for (const t of transitions) if (t.to === 'failed') this.failures.observe(t.job.key, t.at);
    this.unseen.add(transitions.filter((t) => t.to === 'completed').length, this.focused);
    this.batcher.add(transitions);
    this.deps.onChange();
    return transitions;
  }

  status(health: readonly AccountHealth[]): void {
    const wasUnreachable = new Set(this.health.filter((h) => h.state === 'unreachable').map((h) => accountRef(h.provider, h.accountId)));
    const stillUnreachable = new Set(health.filter((h) => h.state === 'unreachable').map((h) => accountRef(h.provider, h.accountId)));
    this.health = health;
    // Back from a stretch offline: what finished meanwhile arrives together, as one summary.
    if ([...wasUnreachable].some((ref) => !stillUnreachable.has(ref))) this.batcher.backOnline();
    this.deps.onChange();
  }

  setAccounts(state: AccountsState): void {
    this.accounts = state.accounts.map((a) => ({ provider: a.provider, id: a.id, label: a.label }));
    this.deps.onChange();
  }

  setFocused(focused: boolean): void {
    this.focused = focused;
    if (focused && this.unseen.value > 0) {
      this.unseen.clear();
      this.deps.onChange();
    }
  }

  setPollingPaused(paused: boolean): void {
    this.paused = paused;
    this.deps.onChange();
  }

  setDownloadsFolder(folder: string | null): void {
    this.downloadsFolder = folder;
    this.deps.onChange();
  }

  setDownloads(downloads: readonly DownloadProgress[]): void {
    this.downloads = downloads;
    this.deps.onChange();
  }

  /** The downloads state (as the `downloads` event carries it): taskbar progress and files for notifications. */
  setDownloadsState(state: DownloadsLike): void {
    this.files = downloadedFiles(state, this.deps.joinPath ?? ((root, relative) => `${root.replace(/[\\/]+$/, '')}/${relative}`));
    this.setDownloads(downloadsInFlight(state));
  }

  suspend(): void {
    this.batcher.suspend();
  }

  resume(): void {
    this.batcher.resume();
  }

  /** Returns the acknowledgement time for the shell to persist. */
  acknowledgeFailures(): number {
    const now = this.deps.clock.now();
    this.failures.acknowledge(now);
    this.deps.onChange();
    return now;
  }

  get pollingPaused(): boolean {
    return this.paused;
  }

  unacknowledgedFailureKeys(): string[] {
    return this.failures.unacknowledged(this.jobs.values()).map((job) => job.key);
  }

  tray(): TrayModel {
    const now = this.deps.clock.now();
    const settings = this.deps.notificationSettings();
    return trayModel({
      jobs: [...this.jobs.values()],
      health: this.health,
      accounts: this.accounts,
      notifications: settings,
      unacknowledgedFailures: this.failures.unacknowledged(this.jobs.values()),
      pollingPaused: this.paused,
      downloadsFolder: this.downloadsFolder,
      now,
      tzOffsetMinutes: this.deps.tzOffsetMinutes(now),
      platform: this.deps.platform,
    });
  }

  taskbar(): TaskbarModel {
    return taskbarProgress({
      jobs: this.jobs.values(),
      downloads: this.downloads,
      unseenCompletions: this.unseen.value,
      keyProblem: hasKeyProblem(this.health),
    });
  }

  /** Releases any collected notifications (on quit) and stops timers. */
  dispose(): void {
    this.batcher.flush();
    this.batcher.dispose();
  }
}
