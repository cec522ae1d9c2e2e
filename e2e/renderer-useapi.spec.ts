/**
 * useapi.net Midjourney end to end: the renderer in Chromium, the real core
 * polling the emulator's useapi.net routes over loopback, the emulator clock
 * driven by the test.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_USEAPI_TOKEN, makeUseapiJobId, useapiImagine } from '../src-main/emulator';
import type { Scenario, UseapiJobScript } from '../src-main/emulator';
import { RENDERER_DIR, startHarness } from './harness/app-harness';
import type { Harness } from './harness/app-harness';

const KEY = 'afk_e2e_useapi_0001';
const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const CHANNEL = '1187336491004123456';
const IMAGINE = makeUseapiJobId('e2e-imagine', 'image', { channel: CHANNEL });
const MODERATED = makeUseapiJobId('e2e-moderated', 'image', { channel: CHANNEL });
const LONG = makeUseapiJobId('e2e-long', 'image', { channel: CHANNEL });

function job(jobid: string, extra: Partial<UseapiJobScript>): UseapiJobScript {
  return useapiImagine(jobid, { channel: CHANNEL, prompt: 'a lighthouse on a basalt cliff at dusk --v 7', startAt: T0, createdMs: 2_000, progressMs: 20_000, ...extra });
}

function scenario(): Scenario {
  return {
    apiframe: { apiKeys: [KEY], jobs: [] },
    useapi: {
      tokens: [TEST_USEAPI_TOKEN],
      jobs: [
        job(IMAGINE, {}),
        job(MODERATED, {
          prompt: 'a very questionable prompt',
          progressMs: 3_000,
          outcome: 'moderated',
          error: 'Banned prompt detected',
          errorDetails: 'Sorry! Our AI moderator thinks this prompt is probably against our community standards.',
        }),
        job(LONG, { progressMs: 600_000 }),
      ],
    },
  };
}

test.beforeAll(() => {
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) throw new Error('Build the app first: npm run build (npm run test:e2e does).');
});

let harness: Harness | undefined;
test.afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function addUseapi(page: Page, id: string): Promise<void> {
  await page.getByTestId('add-provider').selectOption('useapi');
  await page.getByTestId('add-input').fill(id);
  await page.getByTestId('add-submit').click();
  await expect(page.getByTestId('add-result')).toContainText('Added 1');
}

const row = (page: Page, id: string) => page.locator(`[data-testid="job-row"][data-job-id="${id}"]`);

test('a useapi.net job added by id shows rising progress until it completes', async ({ page }) => {
  harness = await startHarness({ scenario: scenario(), mode: 'key' });
  await harness.open(page);
  await addUseapi(page, IMAGINE);
  const r = row(page, IMAGINE);
  await expect(r).toBeVisible();
  await expect(r.locator('.provider-badge')).toHaveText('useapi');
  const bar = r.getByTestId('job-progress');
  const value = async () => Number(await bar.getAttribute('aria-valuenow'));

  harness.clock.advance(2_000 + 6_000); // started, about 30 %
  await expect(r).toHaveAttribute('data-status', 'running');
  await expect.poll(value).toBeGreaterThanOrEqual(10);
  const first = await value();
  expect(first).toBeLessThan(100);

  harness.clock.advance(6_000); // about 60 %
  await expect.poll(value).toBeGreaterThan(first);
  const second = await value();
  expect(second).toBeLessThan(100);

  harness.clock.advance(10_000); // past the end
  await expect(r).toHaveAttribute('data-status', 'completed');
  await expect(bar).toHaveAttribute('aria-valuenow', '100');
  await expect(r.getByTestId('job-status')).toHaveText(/completed/i);

  await r.click();
  const detail = page.getByTestId('job-detail');
  await expect(detail.getByTestId('detail-status')).toHaveText(/completed/i);
  await expect(detail.locator('img').first()).toBeVisible();
  // A finished job cannot be cancelled any more.
  await expect(detail.getByTestId('cancel-job')).toHaveCount(0);
  // Copy prompt puts the prompt, as Midjourney got it, on the clipboard.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await expect(detail.getByTestId('detail-prompt')).toHaveText('a lighthouse on a basalt cliff at dusk --v 7');
  await detail.getByTestId('copy-prompt').click();
  await expect.poll(() => page.evaluate(() => (navigator as unknown as { clipboard: { readText(): Promise<string> } }).clipboard.readText())).toBe('a lighthouse on a basalt cliff at dusk --v 7');
});

test('a moderated prompt ends failed with Midjourney’s reason', async ({ page }) => {
  harness = await startHarness({ scenario: scenario(), mode: 'key' });
  await harness.open(page);
  await addUseapi(page, MODERATED);
  harness.clock.advance(2_000 + 4_000);
  const r = row(page, MODERATED);
  await expect(r).toHaveAttribute('data-status', 'failed');
  await expect(r).toContainText(/banned prompt/i);
  await r.click();
  await expect(page.getByTestId('job-detail')).toContainText(/community standards/i);
});

test('a running useapi.net job cancelled from the detail panel ends failed as cancelled', async ({ page }) => {
  harness = await startHarness({ scenario: scenario(), mode: 'key' });
  await harness.open(page);
  await addUseapi(page, LONG);
  harness.clock.advance(2_000 + 30_000);
  const r = row(page, LONG);
  await expect(r).toHaveAttribute('data-status', 'running');

  await r.click();
  const detail = page.getByTestId('job-detail');
  await detail.getByTestId('cancel-job').click();
  // Nothing happens before the confirmation.
  await expect(detail.getByTestId('confirm-cancel-job')).toBeVisible();
  await expect(r).toHaveAttribute('data-status', 'running');
  await detail.getByTestId('confirm-cancel-job').click();

  await expect(r).toHaveAttribute('data-status', 'failed', { timeout: 15_000 });
  await expect(r).toContainText(/cancel/i);
  await expect(detail.getByTestId('detail-status')).toHaveText(/failed/i);
  await expect(detail).toContainText(/cancel/i);
  await expect(detail.getByTestId('cancel-job')).toHaveCount(0);
});
