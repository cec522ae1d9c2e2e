/**
 * Whether one finished job may pop up a notification now: the global switch,
 * the per-event switches (overridden per account), account mutes and "quiet
 * while the window is focused".
 */
import type { NotificationSettings } from '../../../src-shared/settings';
import { accountRef } from './job-text';
import { mutedUntil } from './mute';

export interface RuleContext {
  settings: NotificationSettings;
  /** The genwatch window has focus: the list already shows what happened. */
  focused: boolean;
  now: number;
}

export type RuleVerdict = 'notify' | 'disabled' | 'event-off' | 'muted' | 'focused';

export function notificationVerdict(provider: string, accountId: string, event: 'completed' | 'failed', context: RuleContext): RuleVerdict {
  const { settings } = context;
  if (!settings.enabled) return 'disabled';
  const ref = accountRef(provider, accountId);
  const perAccount = settings.perAccount[ref];
  const eventOn = event === 'completed' ? (perAccount?.onCompleted ?? settings.onCompleted) : (perAccount?.onFailed ?? settings.onFailed);
  if (!eventOn) return 'event-off';
  if (mutedUntil(settings, ref, context.now) !== null) return 'muted';
  if (settings.quietWhenFocused && context.focused) return 'focused';
  return 'notify';
}
