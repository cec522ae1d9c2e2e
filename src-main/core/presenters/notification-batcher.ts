/**
 * Collects finished-job transitions and decides what pops up: one
 * notification per job when a few finish together, one summary ("12 jobs
 * completed, 2 failed") when many do, and a single catch-up summary after
 * sleep or time offline instead of a flood. Rules are applied when a batch is
 * released, so a mute or a focus change during the window counts.
 */
import type { Clock, TimerHandle } from '../ports';
import type { Job } from '../../../src-shared/job';
import type { NotificationSettings } from '../../../src-shared/settings';
import { jobTitle, plural, truncate } from './job-text';
import { notificationVerdict } from './notification-rules';
import type { Transition } from './transitions';

export const BATCH_WINDOW_MS = 1_500;
/** After resume the poller re-checks every account over ~1 s; answers can take a while longer. */
export const CATCH_UP_WINDOW_MS = 15_000;
/** At most this many separate notifications per batch; more become one summary. */
export const MAX_SINGLE_NOTIFICATIONS = 3;
/** A batch timer firing this late means the machine slept without telling us. */
export const LATE_TIMER_MS = 30_000;

export type NotificationAction = 'show-in-folder' | 'open';

/** What a click on the notification should show. */
export type NotificationTarget = { kind: 'job'; key: string } | { kind: 'jobs'; keys: string[] };

export interface NotificationModel {
  id: string;
  title: string;
  body: string;
  jobKeys: string[];
  target: NotificationTarget;
  /** A local image file to show as the thumbnail (a downloaded result). */
  imagePath?: string;
  /** The downloaded file the actions act on. */
  filePath?: string;
  actions?: NotificationAction[];
  kind: 'completed' | 'failed' | 'summary';
}

/** A downloaded file for a job, when the downloads feature knows one. */
export interface DownloadedFile {
  path: string;
  isImage: boolean;
}

export interface BatcherDeps {
  clock: Clock;
  settings: () => NotificationSettings;
  focused: () => boolean;
  emit: (notification: NotificationModel) => void;
  /** Optional: the downloaded file of a job (for thumbnails and Show in folder / Open). */
  fileFor?: (job: Job) => DownloadedFile | null;
  windowMs?: number;
  catchUpWindowMs?: number;
}

const BODY_MAX = 180;

export class NotificationBatcher {
  private pending: Transition[] = [];
  private timer: TimerHandle | null = null;
  private timerDueAt = 0;
  private suspended = false;
  private catchUp = false;
  private summaries = 0;

  constructor(private readonly deps: BatcherDeps) {}

  add(transitions: readonly Transition[]): void {
    if (transitions.length === 0) return;
    this.pending.push(...transitions);
    if (!this.suspended) this.arm(this.catchUp ? (this.deps.catchUpWindowMs ?? CATCH_UP_WINDOW_MS) : (this.deps.windowMs ?? BATCH_WINDOW_MS));
  }

  /** The system is going to sleep: hold everything until resume. */
  suspend(): void {
    this.suspended = true;
    this.disarm();
  }

  /**
   * Back from sleep or offline: whatever finished meanwhile (and during the
   * catch-up window) becomes one summary.
   */
  resume(): void {
    this.suspended = false;
    this.startCatchUp();
  }

  /** Connectivity came back after a gap (an account was unreachable): same as a resume. */
  backOnline(): void {
    if (!this.suspended) this.startCatchUp();
  }

  /** Releases the pending batch now (also used on quit so nothing is half-collected). */
  flush(): void {
    this.disarm();
    const batch = this.pending;
    const catchUp = this.catchUp;
    this.pending = [];
    this.catchUp = false;
    for (const notification of this.present(batch, catchUp)) this.deps.emit(notification);
  }

  dispose(): void {
    this.disarm();
    this.pending = [];
  }

  private startCatchUp(): void {
    this.catchUp = true;
    this.disarm();
    this.arm(this.deps.catchUpWindowMs ?? CATCH_UP_WINDOW_MS);
  }

  private arm(ms: number): void {
    if (this.timer !== null) return;
    this.timerDueAt = this.deps.clock.now() + ms;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      // A timer that fires far too late: the machine slept without a suspend event.
      if (this.deps.clock.now() - this.timerDueAt > LATE_TIMER_MS) this.catchUp = true;
      this.flush();
    }, ms);
  }

  private disarm(): void {
    if (this.timer === null) return;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private present(batch: readonly Transition[], catchUp: boolean): NotificationModel[] {
    const context = { settings: this.deps.settings(), focused: this.deps.focused(), now: this.deps.clock.now() };
    const allowed = batch.filter((t) => notificationVerdict(t.job.provider, t.job.accountId, t.to, context) === 'notify');
    if (allowed.length === 0) return [];
    if (catchUp ? allowed.length > 1 : allowed.length > MAX_SINGLE_NOTIFICATIONS) return [this.summary(allowed, catchUp)];
    return allowed.map((t) => this.single(t));
  }

  private single({ job, to }: Transition): NotificationModel {
    const title = to === 'completed' ? 'Job completed' : 'Job failed';
    const name = jobTitle(job, 80);
    const body = to === 'failed' && job.error ? `${name}: ${job.error.message}` : name;
    const model: NotificationModel = {
      id: `job:${job.key}`,
      title,
      body: truncate(body, BODY_MAX),
      jobKeys: [job.key],
      target: { kind: 'job', key: job.key },
      kind: to,
    };
    const file = to === 'completed' ? (this.deps.fileFor?.(job) ?? null) : null;
    if (file) {
      model.filePath = file.path;
      model.actions = ['show-in-folder', 'open'];
      if (file.isImage) model.imagePath = file.path;
    }
    return model;
  }

  private summary(batch: readonly Transition[], catchUp: boolean): NotificationModel {
    const completed = batch.filter((t) => t.to === 'completed').length;
    const failed = batch.length - completed;
    const parts = [completed > 0 ? `${plural(completed, 'job')} completed` : null, failed > 0 ? `${failed} failed` : null].filter((p) => p !== null);
    // "3 failed" alone reads oddly without the noun.
    const title = completed === 0 ? `${plural(failed, 'job')} failed` : parts.join(', ');
    const names = batch.slice(0, 3).map((t) => jobTitle(t.job, 40));
    const more = batch.length - names.length;
    const list = more > 0 ? `${names.join(', ')} and ${more} more` : names.join(', ');
    const body = catchUp ? `While genwatch was asleep or offline: ${list}` : list;
    this.summaries++;
    const keys = batch.map((t) => t.job.key);
    return {
      id: `summary:${this.summaries}`,
      title,
      body: truncate(body, BODY_MAX),
      jobKeys: keys,
      target: { kind: 'jobs', keys },
      kind: 'summary',
    };
  }
}
