/**
 * What the user is told about "Start at login" after genwatch tried to set
 * it: null when it did what the switch says, else one sentence (shown with
 * the app's other notices). Pure, so it is tested without Electron.
 */
export interface LoginItemOutcome {
  enabled: boolean;
  /** An installed app (a development run is never registered). */
  packaged: boolean;
  /** macOS's SMAppService status after the change, when there is one. */
  status?: string;
  /** The error the change failed with. */
  error?: string;
}

export function loginItemNotice(outcome: LoginItemOutcome): string | null {
  if (!outcome.enabled) return outcome.error === undefined ? null : 'genwatch could not remove itself from the apps that start at login; check your system settings.';
  if (!outcome.packaged) return 'Start at login only works in the installed app, not in a development run.';
  if (outcome.error !== undefined) return 'genwatch could not add itself to the apps that start at login; check your system settings.';
  if (outcome.status === 'requires-approval') return 'To start genwatch at login, allow it in System Settings › General › Login Items.';
  if (outcome.status === 'not-found' || outcome.status === 'not-registered') return 'macOS did not register genwatch to start at login; move it to the Applications folder and try again.';
  return null;
}
