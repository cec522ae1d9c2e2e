/**
 * The Credits view in real Chromium against the real core and the emulator:
 * after a history import, its figures equal what the provider's jobs cost
 * (computed here from the emulator's own scenario, not from genwatch), by
 * model and in a chosen date range.
 */
import { expect, test } from '@playwright/test';
import { bulkScenario } from '../src-main/emulator';
import { importApiframeHistory, startHarness } from './harness/app-harness';
import type { Harness } from './harness/app-harness';

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
let harness: Harness | undefined;
test.afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** A timestamp's calendar day in this machine's time zone (the browser runs in it too). */
const localDay = (t: number): string => {
  const d = new Date(t);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};
const number = (text: string | null): number => Number((text ?? '').replace(/[^\d.]/g, ''));

test('after a history import, the totals, the split by model and a custom date range match what the jobs cost', async ({ page }) => {
  const scenario = bulkScenario({ startMs: T0, running: 0, completedHistory: 80, seed: 11 });
  const jobs = scenario.apiframe?.jobs ?? [];
  // What the provider charged: completed jobs their cost, failed ones nothing (refunded).
  const charged = jobs.filter((j) => j.outcome === 'completed');
  const sum = (js: typeof jobs): number => js.reduce((n, j) => n + j.creditCost, 0);
  expect(charged.length).toBeGreaterThan(50);

  harness = await startHarness({ scenario, mode: 'key' });
  await harness.open(page);
  await importApiframeHistory(page);

  await page.getByTestId('nav-credits').click();
  await page.getByTestId('credits-range-all').click();
  await expect.poll(async () => number(await page.getByTestId('credits-total').textContent())).toBe(sum(charged));
  expect(number(await page.getByTestId('credits-jobs').textContent())).toBe(jobs.length);

  // By model: every model's row shows what its jobs cost.
  const byModel = new Map<string, number>();
  for (const j of charged) byModel.set(j.model, (byModel.get(j.model) ?? 0) + j.creditCost);
  for (const [model, credits] of byModel) {
    const row = page.getByTestId('credits-by-model').locator('tbody tr').filter({ has: page.getByText(model, { exact: true }) });
    await expect(row).toHaveCount(1);
    const cells = await row.locator('td.num').allTextContents();
    expect(cells.map(number), model).toContain(credits);
  }

  // A custom range: the ten days before the import, counted by the day each job was created on this computer.
  const to = localDay(T0 - 1 * 86_400_000);
  const from = localDay(T0 - 10 * 86_400_000);
  await page.getByTestId('credits-from').fill(from);
  await page.getByTestId('credits-to').fill(to);
  const inRange = charged.filter((j) => localDay(j.startAt) >= from && localDay(j.startAt) <= to);
  expect(inRange.length).toBeGreaterThan(0);
  await expect.poll(async () => number(await page.getByTestId('credits-total').textContent())).toBe(sum(inRange));
});
