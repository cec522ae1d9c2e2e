/**
 * Account history and discovery, end to end: the renderer in Chromium, the
 * real core importing every page of the emulator's job list over HTTP.
 */
import { expect, test } from '@playwright/test';
import { bulkScenario } from '../src-main/emulator';
import { importApiframeHistory, startHarness } from './harness/app-harness';
import type { Harness } from './harness/app-harness';

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
let harness: Harness;
test.afterEach(async () => {
  await harness.close();
});

test('importing an account history pages through every job and keeps the list virtualized', async ({ page }) => {
  const history = 1_250;
  harness = await startHarness({ scenario: bulkScenario({ startMs: T0, running: 0, completedHistory: history, seed: 3 }), mode: 'key' });
  await harness.open(page);
  const account = await importApiframeHistory(page);
  await expect(account.getByTestId('import-progress')).toContainText('1,250');

  await page.getByTestId('nav-jobs').click();
  await expect(page.getByTestId('nav-jobs')).toContainText('1,250');
  const rows = await page.getByTestId('job-row').count();
  expect(rows).toBeGreaterThan(5);
  expect(rows).toBeLessThanOrEqual(200);
  // Every page was fetched once: 13 pages of 100 for 1,250 jobs.
  const listCalls = harness.emulator.requests.filter((r) => r.route === 'apiframe.listJobs').length;
  expect(listCalls).toBe(13);
});

test('with discovery on, a job started elsewhere appears on its own', async ({ page }) => {
  harness = await startHarness({ scenario: bulkScenario({ startMs: T0, running: 0, completedHistory: 0, seed: 4 }), mode: 'key' });
  await harness.open(page);
  await page.getByTestId('nav-settings').click();
  const account = page.locator('[data-testid="account-row"][data-provider="apiframe"][data-account-id="default"]');
  // The switch is a styled checkbox: click its label, as a person would.
  await account.getByText('Discover new jobs automatically').click();
  await expect(account.getByTestId('account-discover')).toBeChecked();
  const id = 'd15c0e4e-1234-4abc-8def-0123456789ab';
  harness.emulator.apiframe.addJob({
    id,
    apiKey: harness.emulator.providers.apiframe.apiKeys[0] ?? '',
    model: 'flux-pro',
    modality: 'image',
    startAt: harness.clock.now(),
    queuedMs: 1_000,
    processingMs: 10_000,
    outcome: 'completed',
    creditCost: 4,
  });
  await page.getByTestId('nav-jobs').click();
  const row = page.locator(`[data-testid="job-row"][data-job-id="${id}"]`);
  await expect(row).toBeVisible({ timeout: 15_000 });
  harness.clock.advance(20_000);
  await expect(row).toHaveAttribute('data-status', 'completed', { timeout: 15_000 });
});
