/**
 * UX details of the job list and detail panel in real Chromium, against the
 * real core and the emulator: keyboard focus in the virtualised list, Escape,
 * and what the detail panel shows once a result's link has expired.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bulkScenario } from '../src-main/emulator';
import { importApiframeHistory, startHarness } from './harness/app-harness';
import type { Harness } from './harness/app-harness';

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
let harness: Harness | undefined;
test.afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Imports `count` finished jobs from the account's history and opens the job list. */
async function openWithHistory(page: Page, count: number): Promise<void> {
  harness = await startHarness({ scenario: bulkScenario({ startMs: T0, running: 0, completedHistory: count, seed: 5 }), mode: 'key' });
  await harness.open(page);
  await importApiframeHistory(page);
  await page.getByTestId('nav-jobs').click();
  await expect(page.getByTestId('nav-jobs')).toContainText(String(count));
}

/** The focused row's index, and whether it is wholly visible below the sticky column header. */
function focusedRow(page: Page): Promise<{ index: number | null; uncovered: boolean }> {
  return page.evaluate(() => {
    // The e2e code is typed for Node (no DOM lib): the few DOM members used here, spelled out.
    interface El {
      closest(selector: string): El | null;
      querySelector(selector: string): El | null;
      getBoundingClientRect(): { top: number; bottom: number };
      dataset: Record<string, string | undefined>;
    }
    const doc = (globalThis as unknown as { document: { activeElement: El | null; querySelector(selector: string): El | null } }).document;
    const row = doc.activeElement?.closest('li[data-index]');
    const list = doc.querySelector('[data-testid="job-list"]');
    const head = list?.querySelector('.head');
    if (!row || !list || !head) return { index: null, uncovered: false };
    const r = row.getBoundingClientRect();
    return { index: Number(row.dataset['index']), uncovered: r.top >= head.getBoundingClientRect().bottom - 1 && r.bottom <= list.getBoundingClientRect().bottom + 1 };
  });
}

test('keyboard: arrows keep the focused row clear of the sticky header, and Home/End/Page keys keep focus in the list', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await openWithHistory(page, 150);
  // Only some rows are rendered: each still tells a screen reader its place in all 150.
  await expect(page.getByTestId('job-row').first()).toHaveAttribute('aria-setsize', '150');
  await expect(page.getByTestId('job-row').first()).toHaveAttribute('aria-posinset', '1');
  await page.getByTestId('job-row').first().locator('button.hit').focus();

  for (let i = 0; i < 30; i++) await page.keyboard.press('ArrowDown');
  expect(await focusedRow(page)).toEqual({ index: 30, uncovered: true });
  for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowUp');
  expect(await focusedRow(page)).toEqual({ index: 10, uncovered: true });

  await page.keyboard.press('End');
  expect(await focusedRow(page)).toEqual({ index: 149, uncovered: true });
  await page.keyboard.press('PageUp');
  const up = await focusedRow(page);
  expect(up.uncovered).toBe(true);
  expect(up.index).toBeLessThan(149);
  expect(up.index).toBeGreaterThan(130);
  await page.keyboard.press('Home');
  expect(await focusedRow(page)).toEqual({ index: 0, uncovered: true });
  await page.keyboard.press('PageDown');
  const down = await focusedRow(page);
  expect(down.uncovered).toBe(true);
  expect(down.index).toBeGreaterThan(0);
  // Still in the list: the arrows keep working after the page keys.
  await page.keyboard.press('ArrowDown');
  expect((await focusedRow(page)).index).toBe((down.index ?? 0) + 1);
});

test('stop watching a selection: the first click asks again, the second removes every selected job from the list', async ({ page }) => {
  await openWithHistory(page, 12);
  const rows = page.getByTestId('job-row');
  await rows.nth(0).getByTestId('row-select').click();
  await rows.nth(1).getByTestId('row-select').click();
  await rows.nth(2).getByTestId('row-select').click();
  const stop = page.getByTestId('stop-watching-selected');
  await stop.click();
  await expect(stop).toHaveText('Click again to stop watching 3');
  await expect(rows).toHaveCount(12); // nothing gone yet
  await stop.click();
  await expect(page.getByTestId('nav-jobs')).toContainText('9');
  await expect(rows).toHaveCount(9);
  await expect(page.getByTestId('selection-bar')).toHaveCount(0);
});

test('closing the details puts keyboard focus back on that job\'s row', async ({ page }) => {
  await openWithHistory(page, 12);
  const third = page.getByTestId('job-row').nth(2);
  const key = await third.getAttribute('data-job-key');
  await third.locator('button.hit').click();
  await page.getByRole('button', { name: 'Close details' }).click();
  await expect(page.getByTestId('job-detail')).toHaveCount(0);
  expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { closest(s: string): { getAttribute(n: string): string | null } | null } | null } }).document.activeElement?.closest('li')?.getAttribute('data-job-key') ?? null)).toBe(key);
});

test('keyboard selection: Shift+Down extends the selection row by row, Ctrl+A selects every job shown', async ({ page }) => {
  await openWithHistory(page, 20);
  const rows = page.getByTestId('job-row');
  await rows.first().locator('button.hit').focus();
  await page.keyboard.press('Shift+ArrowDown');
  await page.keyboard.press('Shift+ArrowDown');
  await expect(page.locator('[data-testid="job-row"][data-checked="true"]')).toHaveCount(3);
  await expect(page.getByTestId('selection-count')).toHaveText('3');
  await page.keyboard.press('Shift+ArrowUp');
  await expect(page.getByTestId('selection-count')).toHaveText('2');
  await page.keyboard.press('Control+a');
  await expect(page.getByTestId('selection-count')).toHaveText('20');
});

test('Escape clears the bulk selection while a row checkbox has focus', async ({ page }) => {
  await openWithHistory(page, 20);
  const boxes = page.getByTestId('row-select');
  await boxes.nth(0).click();
  await boxes.nth(1).click();
  await expect(page.locator('[data-testid="job-row"][data-checked="true"]')).toHaveCount(2);
  await expect(boxes.nth(1)).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.locator('[data-testid="job-row"][data-checked="true"]')).toHaveCount(0);
});

test('a preview whose link no longer loads says so, and offers the downloaded copy', async ({ page }) => {
  const root = mkdtempSync(join(tmpdir(), 'genwatch-e2e-ux-'));
  try {
    const key = 'afk_e2e_ux_previews_01';
    const id = '5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f';
    harness = await startHarness({
      scenario: { apiframe: { apiKeys: [key], jobs: [{ id, apiKey: key, model: 'midjourney', modality: 'image', startAt: T0 - 600_000, queuedMs: 1_000, processingMs: 5_000, outcome: 'completed', creditCost: 4, imageCount: 2 }] } },
      mode: 'key',
      downloadRoot: root,
    });
    await harness.open(page);
    await page.getByTestId('add-input').fill(id);
    await page.getByTestId('add-submit').click();
    // Download from the list, so the page never loads a preview while the links still work.
    await page.locator(`[data-testid="job-row"][data-job-id="${id}"][data-status="completed"] [data-testid="row-select"]`).click({ timeout: 20_000 });
    await page.getByTestId('download-selected').click();
    // Waits in the job list: the downloads page would load the same images as its rows' thumbnails.
    await expect(page.getByTestId('download-summary')).toHaveAttribute('data-finished', 'true', { timeout: 20_000 });
    await expect(page.getByTestId('download-summary')).toContainText('Downloaded 3 files'); // the grid and its two images
    // Then the provider's links stop working.
    harness.emulator.faults.add({ route: 'asset', fault: { kind: 'status', status: 403 } });
    await page.locator(`[data-testid="job-row"][data-job-id="${id}"] button.hit`).click();
    const detail = page.getByTestId('job-detail');
    await expect(detail).toBeVisible();
    await expect(detail.getByTestId('preview-unavailable')).toHaveCount(3);
    await expect(detail.getByTestId('preview-unavailable').first()).toContainText('link may have expired');
    await expect(detail.getByTestId('preview-open-saved')).toHaveCount(3);
    await expect(detail.locator('img')).toHaveCount(0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
