/**
 * Native notifications: applies NotificationModels. Every live Notification
 * is kept in a Map by id until it closes — a collected Notification never
 * delivers its click. `failed` (unsigned macOS builds, no notification daemon
 * on Linux, headless CI) is logged; the tray and taskbar still show the news.
 */
import { Notification } from 'electron';
import type { NotificationAction, NotificationModel } from '../core/presenters/notification-batcher';

const ACTION_LABELS: Record<NotificationAction, string> = { 'show-in-folder': 'Show in folder', open: 'Open' };

export interface NotificationDeps {
  platform: string;
  /** The app icon (Linux shows it; macOS and Windows use the app's own). */
  appIconPath: string | null;
  onClick: (model: NotificationModel) => void;
  /** "Show in folder" / "Open" on a finished file: through the same checks as the window's (inside the folder, no links out, only results' kinds of file opened). */
  fileAction: (action: 'reveal' | 'open', path: string) => Promise<string | null>;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

/** What was asked of the OS, for the e2e test hooks. */
export interface NotificationRecord {
  model: NotificationModel;
  shown: boolean;
  failed: string | null;
}

export class NotificationCenter {
  private readonly live = new Map<string, Notification>();
  readonly records: NotificationRecord[] = [];

  constructor(private readonly deps: NotificationDeps) {}

  show(model: NotificationModel): void {
    const record: NotificationRecord = { model, shown: false, failed: null };
    this.records.push(record);
    if (this.records.length > 200) this.records.shift();
    if (!Notification.isSupported()) {
      record.failed = 'notifications are not supported here';
      this.deps.log('notifications unsupported', { id: model.id });
      return;
    }
    // Actions exist on macOS and Windows only; Linux (libnotify) has none, a click opens the job.
    const withActions = model.actions && model.filePath && this.deps.platform !== 'linux' ? model.actions : [];
    const icon = model.imagePath ?? (this.deps.platform === 'linux' ? this.deps.appIconPath : null);
    // No OS-level id: Windows caps toast tags at 64 characters and job keys can be longer.
    const notification = new Notification({
      title: model.title,
      body: model.body,
      groupId: 'genwatch',
      ...(icon ? { icon } : {}),
      ...(withActions.length > 0 ? { actions: withActions.map((action) => ({ type: 'button' as const, text: ACTION_LABELS[action] })) } : {}),
      urgency: model.kind === 'completed' ? 'low' : 'normal',
    });
    this.live.get(model.id)?.close();
    this.live.set(model.id, notification);
    notification.on('show', () => (record.shown = true));
    notification.on('click', () => this.deps.onClick(model));
    notification.on('action', (details) => {
      const action = withActions[details.actionIndex];
      if (action && model.filePath) this.perform(action, model.filePath);
    });
    notification.on('close', () => {
      if (this.live.get(model.id) === notification) this.live.delete(model.id);
    });
    notification.on('failed', (_event, error) => {
      record.failed = error;
      this.live.delete(model.id);
      this.deps.log('notification failed', { id: model.id, error });
    });
    notification.show();
  }

  private perform(action: NotificationAction, filePath: string): void {
    void this.deps.fileAction(action === 'show-in-folder' ? 'reveal' : 'open', filePath).then((problem) => {
      if (problem !== null) this.deps.log('notification file action refused', { action, problem });
    });
  }

  closeAll(): void {
    for (const notification of this.live.values()) notification.close();
    this.live.clear();
  }
}
