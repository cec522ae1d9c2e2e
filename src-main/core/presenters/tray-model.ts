/**
 * Everything the tray shows, decided here and only applied by the shell:
 * the icon state, tooltip, macOS title and the whole context menu (every
 * action lives in the menu, because tray clicks never arrive on some Linux
 * desktops).
 */
import { isTerminalStatus, PROVIDER_LABELS } from '../../../src-shared/vocabulary';
import type { ProviderId } from '../../../src-shared/vocabulary';
import type { Job } from '../../../src-shared/job';
import type { AccountHealth } from '../../../src-shared/ipc-contract';
import type { NotificationSettings } from '../../../src-shared/settings';
import { accountRef, finishedAt, hasKeyProblem, jobTitle, localClock, plural, startOfLocalDay, truncate } from './job-text';
import { mutedUntil, TOMORROW_HOUR } from './mute';
import type { MuteChoice } from './mute';

export type TrayIconState = 'idle' | 'running' | 'failed' | 'key-problem';

export type TrayAction =
  | { kind: 'open-window' }
  | { kind: 'open-job'; key: string }
  | { kind: 'show-failed'; keys: string[] }
  | { kind: 'pause-polling' }
  | { kind: 'resume-polling' }
  | { kind: 'open-downloads' }
  | { kind: 'mute-account'; ref: string; choice: MuteChoice }
  | { kind: 'unmute-account'; ref: string }
  | { kind: 'acknowledge-failures' }
  | { kind: 'quit' };

export type TrayMenuItem =
  | { type: 'normal'; id: string; label: string; enabled: boolean; action: TrayAction | null }
  | { type: 'checkbox'; id: string; label: string; enabled: boolean; checked: boolean; action: TrayAction }
  | { type: 'separator'; id: string }
  | { type: 'submenu'; id: string; label: string; enabled: boolean; submenu: TrayMenuItem[] };

export interface TrayModel {
  iconState: TrayIconState;
  tooltip: string;
  /** macOS menu-bar text next to the icon; empty when there is nothing live to count. */
  title: string;
  menu: TrayMenuItem[];
  counts: { running: number; completedToday: number; failedUnacknowledged: number };
}

export interface TrayAccount {
  provider: ProviderId;
  id: string;
  label: string;
}

export interface TrayInput {
  jobs: readonly Job[];
  /** Accounts that are not healthy (AppStatus.accounts). */
  health: readonly AccountHealth[];
  /** Every account, for the mute menu. */
  accounts: readonly TrayAccount[];
  notifications: Pick<NotificationSettings, 'mutedUntil' | 'enabled'>;
  /** Failed jobs not yet acknowledged (from FailureAcknowledgement). */
  unacknowledgedFailures: readonly Job[];
  pollingPaused: boolean;
  /** Optional until the downloads feature provides one; the item is left out without it. */
  downloadsFolder?: string | null;
  now: number;
  tzOffsetMinutes: number;
  platform: string;
}

export const RECENT_LIMIT = 5;
/** Windows truncates tray tooltips at 127 characters. */
export const TOOLTIP_MAX = 127;

const HEALTH_WORDS: Record<AccountHealth['state'], string> = {
  ok: 'ok',
  'key-missing': 'no key',
  'key-rejected': 'key rejected',
  payment: 'out of credits',
  'account-hold': 'account on hold',
  unreachable: 'cannot reach the service',
};

export function trayIconState(input: Pick<TrayInput, 'jobs' | 'health' | 'unacknowledgedFailures'>): TrayIconState {
  if (hasKeyProblem(input.health)) return 'key-problem';
  if (input.unacknowledgedFailures.length > 0) return 'failed';
  if (input.jobs.some((job) => !isTerminalStatus(job.status))) return 'running';
  return 'idle';
}

export function trayModel(input: TrayInput): TrayModel {
  const dayStart = startOfLocalDay(input.now, input.tzOffsetMinutes);
  const running = input.jobs.filter((job) => !isTerminalStatus(job.status)).length;
  const completedToday = input.jobs.filter((job) => job.status === 'completed' && (finishedAt(job) ?? -Infinity) >= dayStart).length;
  const failed = input.unacknowledgedFailures.length;
  const counts = { running, completedToday, failedUnacknowledged: failed };
  const iconState = trayIconState(input);
  const escape = input.platform === 'win32' ? (label: string) => label.replace(/&/g, '&&') : (label: string) => label;

  const summary = `${running} running · ${completedToday} completed today · ${failed} failed`;
  const problems = input.health.filter((h) => h.state !== 'ok').map((h) => `${accountName(input.accounts, h.provider, h.accountId)}: ${HEALTH_WORDS[h.state]}`);
  const tooltipLines = [`genwatch — ${summary}`, ...(input.pollingPaused ? ['Polling paused'] : []), ...problems];
  const tooltip = truncate(tooltipLines.join('\n'), TOOLTIP_MAX);
  const title = [running > 0 ? `${running}` : null, failed > 0 ? `${failed} failed` : null].filter((p) => p !== null).join(' · ');

  const menu: TrayMenuItem[] = [
    { type: 'normal', id: 'summary', label: summary, enabled: false, action: null },
    ...problems.map((line, i): TrayMenuItem => ({ type: 'normal', id: `problem-${i}`, label: escape(`⚠ ${line}`), enabled: true, action: { kind: 'open-window' } })),
    { type: 'normal', id: 'open-window', label: 'Open genwatch', enabled: true, action: { kind: 'open-window' } },
    { type: 'separator', id: 'sep-recent' },
    ...recentItems(input, escape),
    { type: 'separator', id: 'sep-actions' },
  ];
  if (failed > 0) {
    menu.push({ type: 'normal', id: 'show-failed', label: `Show ${plural(failed, 'failed job')}`, enabled: true, action: { kind: 'show-failed', keys: input.unacknowledgedFailures.map((j) => j.key) } });
  }
  menu.push({ type: 'normal', id: 'acknowledge-failures', label: failed > 0 ? `Acknowledge ${plural(failed, 'failure')}` : 'No failures to acknowledge', enabled: failed > 0, action: { kind: 'acknowledge-failures' } });
  menu.push(
    input.pollingPaused
      ? { type: 'normal', id: 'resume-polling', label: 'Resume polling', enabled: true, action: { kind: 'resume-polling' } }
      : { type: 'normal', id: 'pause-polling', label: 'Pause polling', enabled: true, action: { kind: 'pause-polling' } },
  );
  if (input.downloadsFolder) menu.push({ type: 'normal', id: 'open-downloads', label: 'Open downloads folder', enabled: true, action: { kind: 'open-downloads' } });
  const mute = muteMenu(input, escape);
  if (mute) menu.push(mute);
  menu.push({ type: 'separator', id: 'sep-quit' }, { type: 'normal', id: 'quit', label: 'Quit genwatch', enabled: true, action: { kind: 'quit' } });
  return { iconState, tooltip, title, menu, counts };
}

function accountName(accounts: readonly TrayAccount[], provider: ProviderId, id: string): string {
  const label = accounts.find((a) => a.provider === provider && a.id === id)?.label ?? id;
  return `${PROVIDER_LABELS[provider]} (${label})`;
}

function recentItems(input: TrayInput, escape: (label: string) => string): TrayMenuItem[] {
  const finished = input.jobs
    .filter((job) => isTerminalStatus(job.status))
    .map((job) => ({ job, at: finishedAt(job) ?? -Infinity }))
    .sort((a, b) => b.at - a.at || a.job.key.localeCompare(b.job.key))
    .slice(0, RECENT_LIMIT);
  if (finished.length === 0) return [{ type: 'normal', id: 'recent-none', label: 'No finished jobs yet', enabled: false, action: null }];
  return [
    { type: 'normal', id: 'recent-heading', label: 'Recently finished', enabled: false, action: null },
    ...finished.map(({ job }): TrayMenuItem => ({
      type: 'normal',
      id: `job:${job.key}`,
      label: escape(`${job.status === 'completed' ? '✓' : '✕'} ${jobTitle(job, 40)}`),
      enabled: true,
      action: { kind: 'open-job', key: job.key },
    })),
  ];
}

function muteMenu(input: TrayInput, escape: (label: string) => string): TrayMenuItem | null {
  if (input.accounts.length === 0 || !input.notifications.enabled) return null;
  const perAccount = input.accounts.map((account): TrayMenuItem[] => {
    const ref = accountRef(account.provider, account.id);
    const until = mutedUntil(input.notifications, ref, input.now);
    const name = `${PROVIDER_LABELS[account.provider]} (${account.label})`;
    const items: TrayMenuItem[] =
      until !== null
        ? [{ type: 'normal', id: `unmute:${ref}`, label: `Unmute (muted until ${localClock(until, input.tzOffsetMinutes)})`, enabled: true, action: { kind: 'unmute-account', ref } }]
        : [
            { type: 'normal', id: `mute-hour:${ref}`, label: 'Mute for 1 hour', enabled: true, action: { kind: 'mute-account', ref, choice: 'hour' } },
            { type: 'normal', id: `mute-tomorrow:${ref}`, label: `Mute until tomorrow ${TOMORROW_HOUR}:00`, enabled: true, action: { kind: 'mute-account', ref, choice: 'tomorrow' } },
          ];
    return [{ type: 'submenu', id: `account:${ref}`, label: escape(until !== null ? `${name} — muted` : name), enabled: true, submenu: items }];
  });
  return { type: 'submenu', id: 'mute', label: 'Mute notifications', enabled: true, submenu: perAccount.flat() };
}
