/**
 * The settings that drive the tray and notifications, end to end: changed in
 * the real renderer, they reach the real core over the real IPC path, and the
 * presenter that decides notifications obeys them. A mute made from the tray
 * (main side) shows up in the open window, and unmuting there reaches main.
 */
import { expect, test } from '@playwright/test';
import { systemClock } from '../src-main/adapters/system-clock';
import { NotificationBatcher } from '../src-main/core/presenters/notification-batcher';
import type { NotificationModel } from '../src-main/core/presenters/notification-batcher';
import type { Scenario } from '../src-main/emulator';
import { startHarness } from './harness/app-harness';
import type { Harness } from './harness/app-harness';

const KEY = 'afk_e2e_key_0000000002';
const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const JOB = 'e2e0d3e4-f6a7-4890-8bcd-ef1234567893';
const scenario = (): Scenario => ({
  apiframe: {
    apiKeys: [KEY],
    jobs: [{ id: JOB, apiKey: KEY, model: 'flux-pro', modality: 'image', startAt: T0 - 60_000, queuedMs: 1_000, processingMs: 5_000, outcome: 'completed', creditCost: 4 }],
  },
});

let harness: Harness;
test.afterEach(async () => {
  await harness.close();
});

/** What the desktop presenter would show for this job finishing, under the core's current settings. */
async function notificationsFor(h: Harness): Promise<NotificationModel[]> {
  const shown: NotificationModel[] = [];
  const job = h.core.listJobs().find((j) => j.id === JOB);
  if (!job) throw new Error('job not loaded');
  const batcher = new NotificationBatcher({
    clock: systemClock,
    settings: () => h.core.getSettings().notifications,
    focused: () => false,
    emit: (n) => shown.push(n),
  });
  batcher.add([{ job, to: 'completed', at: Date.now() }]);
  batcher.flush();
  batcher.dispose();
  return shown;
}

test('notification switches in settings reach main and decide what the presenter shows', async ({ page }) => {
  harness = await startHarness({ scenario: scenario(), mode: 'key' });
  await harness.open(page);
  await page.getByTestId('add-input').fill(JOB);
  await page.getByTestId('add-submit').click();
  await expect(page.locator(`[data-testid="job-row"][data-job-id="${JOB}"]`)).toHaveAttribute('data-status', 'completed');
  expect(await notificationsFor(harness)).toHaveLength(1);

  await page.getByTestId('nav-settings').click();
  const completed = page.getByTestId('notify-completed');
  await expect(completed).toBeChecked();
  await page.getByTestId('settings-notifications').getByText('When a job completes').click();
  await expect(completed).not.toBeChecked();
  await expect.poll(() => harness.core.getSettings().notifications.onCompleted).toBe(false);
  expect(await notificationsFor(harness)).toHaveLength(0);

  await page.getByTestId('settings-desktop').getByText('Keep running in the tray').click();
  await expect.poll(() => harness.core.getSettings().desktop.closeToTray).toBe(false);
});

test('a mute set from the tray appears in the open window, and unmuting there reaches main', async ({ page }) => {
  harness = await startHarness({ scenario: scenario(), mode: 'key' });
  await harness.open(page);
  await page.getByTestId('nav-settings').click();
  const until = new Date(Date.now() + 3_600_000).toISOString();
  // What the tray's "Mute for 1 hour" does in main.
  const muted = await harness.core.updateSettings({ notifications: { mutedUntil: { 'apiframe:default': until } } });
  expect(muted.ok).toBe(true);
  const row = page.locator('[data-testid="muted-account"][data-account="apiframe:default"]');
  await expect(row).toBeVisible();
  await row.getByTestId('unmute').click();
  await expect.poll(() => harness.core.getSettings().notifications.mutedUntil).toEqual({});
  await expect(row).toHaveCount(0);
});
