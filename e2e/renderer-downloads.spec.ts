/**
 * Downloads end to end: the renderer in Chromium drives the real core, whose
 * download engine fetches the emulator's real PNG bytes over loopback into a
 * temporary folder that this test then reads back with node:fs.
 */
import { expect, test } from '@playwright/test';
import type { Locator, Page } from '@playwright/test';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { ApiframeJobScript, Scenario } from '../src-main/emulator';
import { RENDERER_DIR, startHarness } from './harness/app-harness';
import type { Harness } from './harness/app-harness';

const KEY = 'afk_e2e_downloads_0001';
const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Finished ten minutes before the test starts watching: completed on the first poll. */
function done(id: string, model: string, extra: Partial<ApiframeJobScript> = {}): ApiframeJobScript {
  return { id, apiKey: KEY, model, modality: 'image', startAt: T0 - 600_000, queuedMs: 1_000, processingMs: 5_000, outcome: 'completed', creditCost: 4, ...extra };
}

const MJ = ['0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d1', '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d2', '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d3'];
const FLUX = ['1e2f3a4b-5c6d-4e7f-9081-92a3b4c5d6e1', '1e2f3a4b-5c6d-4e7f-9081-92a3b4c5d6e2'];

function scenario(): Scenario {
  return {
    apiframe: {
      apiKeys: [KEY],
      jobs: [...MJ.map((id) => done(id, 'midjourney', { imageCount: 2 })), ...FLUX.map((id) => done(id, 'flux-pro', { imageCount: 1 }))],
    },
  };
}

let harness: Harness | undefined;
let root = '';

test.beforeAll(() => {
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) throw new Error('Build the app first: npm run build (npm run test:e2e does).');
});
test.beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'genwatch-e2e-dl-'));
});
test.afterEach(async () => {
  await harness?.close();
  harness = undefined;
  rmSync(root, { recursive: true, force: true });
});

async function start(page: Page): Promise<Harness> {
  const h = await startHarness({ scenario: scenario(), mode: 'key', downloadRoot: root });
  harness = h;
  await h.open(page);
  // Automatic downloads would fetch every completed job on its own: this test picks them by hand.
  await page.getByTestId('nav-settings').click();
  const section = page.getByTestId('settings-downloads');
  await expect(section.getByTestId('download-root')).toHaveText(root);
  const auto = section.getByTestId('download-auto');
  if (await auto.isChecked()) await section.getByText('Download results automatically').click();
  await expect(auto).not.toBeChecked();
  // The speed limit reaches main's settings (and so the engine): 100 MB/s, far above what the test needs.
  await section.getByTestId('download-speed-limit').selectOption('100');
  await expect.poll(() => h.core.getSettings().downloads.speedLimitMBps).toBe(100);
  await page.getByTestId('nav-jobs').click();
  return h;
}

async function addAll(page: Page, ids: string[]): Promise<void> {
  await page.getByTestId('add-input').fill(ids.join('\n'));
  await page.getByTestId('add-submit').click();
  await expect(page.getByTestId('add-result')).toContainText(`Added ${ids.length}`);
  for (const id of ids) {
    await expect(page.locator(`[data-testid="job-row"][data-job-id="${id}"]`)).toHaveAttribute('data-status', 'completed', { timeout: 20_000 });
  }
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else out.push(relative(root, full).split('\\').join('/'));
  }
  return out;
}

function startsWithPng(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(8);
    readSync(fd, head, 0, 8, 0);
    return head.equals(PNG_SIGNATURE);
  } finally {
    closeSync(fd);
  }
}

async function doneRows(page: Page): Promise<Locator> {
  return page.locator('[data-testid="download-row"][data-state="done"]');
}

test('downloads exactly the jobs of a filtered selection, into the chosen folder', async ({ page }) => {
  await start(page);
  await addAll(page, [...MJ, ...FLUX]);

  await page.getByTestId('filter-model').selectOption('midjourney');
  await expect(page.getByTestId('job-row')).toHaveCount(MJ.length);
  await page.getByTestId('select-all-matching').click();
  await expect(page.getByTestId('selection-count')).toHaveText(String(MJ.length));
  await expect(page.getByTestId('row-select').first()).toBeChecked();
  const download = page.getByTestId('download-selected');
  await expect(download).toHaveText(new RegExp(`Download ${MJ.length} jobs`));
  await download.click();
  await expect(page.getByTestId('download-summary')).toContainText(/Download(ing|ed) \d+ files from 3 jobs/);

  await page.getByTestId('nav-downloads').click();
  const aggregate = page.getByTestId('downloads-aggregate');
  // The view may open before the first downloads event arrives (an empty aggregate has nothing
  // pending): wait until files of every selected job are done, then until nothing is pending.
  await expect.poll(async () => Number(await aggregate.getAttribute('data-done')), { timeout: 30_000 }).toBeGreaterThanOrEqual(MJ.length);
  await expect(aggregate).toHaveAttribute('data-pending', '0', { timeout: 30_000 });
  await expect(aggregate).toHaveAttribute('data-failed', '0');
  const rows = page.getByTestId('download-row');
  const total = await rows.count();
  expect(total).toBeGreaterThanOrEqual(MJ.length);
  await expect(await doneRows(page)).toHaveCount(total);
  await expect(aggregate).toHaveAttribute('data-done', String(total));

  // Every row is a file of a midjourney job, on disk with the size the engine reported.
  for (let i = 0; i < total; i++) {
    const row = rows.nth(i);
    const key = (await row.getAttribute('data-job-key')) ?? '';
    expect(MJ.some((id) => key.endsWith(id))).toBe(true);
    const path = (await row.getAttribute('data-path')) ?? '';
    expect(path).not.toBe('');
    const file = join(root, path);
    expect(existsSync(file), `${path} exists under the download folder`).toBe(true);
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(0);
    const reported = Number((await row.getAttribute('data-size')) || 'NaN');
    if (Number.isFinite(reported)) expect(size).toBe(reported);
    if (path.endsWith('.png')) expect(startsWithPng(file), `${path} is a PNG`).toBe(true);
  }
  await expect(rows.first().getByTestId('reveal-file')).toBeVisible();
  await expect(rows.first().getByTestId('open-file')).toBeVisible();

  // Nothing of the other model reached the disk.
  const onDisk = filesUnder(root);
  expect(onDisk.length).toBeGreaterThanOrEqual(total);
  for (const id of FLUX) expect(onDisk.filter((p) => p.includes(id))).toEqual([]);
  for (const id of MJ) expect(onDisk.some((p) => p.includes(id) && p.endsWith('.png'))).toBe(true);
  await page.screenshot({ path: 'test-results/renderer-downloads-done.png' });

  // Back in the list: the downloaded jobs carry the mark, and "Not downloaded" leaves the others.
  await page.getByTestId('nav-jobs').click();
  // The request's line has followed its files to the end.
  await expect(page.getByTestId('download-summary')).toHaveAttribute('data-finished', 'true');
  await expect(page.getByTestId('download-summary')).toContainText(new RegExp(`Downloaded ${total} files from 3 jobs\\.`));
  await page.getByTestId('clear-filters').click();
  await page.getByTestId('filter-downloaded').selectOption('yes');
  await expect(page.getByTestId('job-row')).toHaveCount(MJ.length);
  await expect(page.getByTestId('job-downloaded')).toHaveCount(MJ.length);
  await page.getByTestId('filter-downloaded').selectOption('no');
  await expect(page.getByTestId('job-row')).toHaveCount(FLUX.length);
  await expect(page.getByTestId('job-downloaded')).toHaveCount(0);
  await page.getByTestId('filter-downloaded').selectOption('');
  await page.screenshot({ path: 'test-results/renderer-jobs-downloaded.png' });
});

test('a download that fails says why in plain words, and Retry works once the server is back', async ({ page }) => {
  const h = await start(page);
  const [id] = FLUX;
  if (!id) throw new Error('no job');
  await addAll(page, [id]);
  h.emulator.faults.add({ route: 'asset', times: 100, fault: { kind: 'status', status: 500 } });

  const row = page.locator(`[data-testid="job-row"][data-job-id="${id}"]`);
  await row.getByTestId('row-select').click();
  await page.getByTestId('download-selected').click();
  await page.getByTestId('nav-downloads').click();

  const failed = page.locator('[data-testid="download-row"][data-state="failed"]');
  await expect(failed.first()).toBeVisible({ timeout: 45_000 });
  const reason = (await failed.first().getByTestId('download-detail').textContent()) ?? '';
  expect(reason.trim().length).toBeGreaterThan(10);
  expect(reason).not.toMatch(/undefined|null|\[object|Error:|at .*\.ts/);
  expect(reason).toMatch(/server|500|try again|could not/i);
  await expect(page.getByTestId('retry-failed')).toBeVisible();

  h.emulator.faults.clear();
  await page.getByTestId('retry-failed').first().click();
  const ok = page.locator('[data-testid="download-row"][data-state="done"]');
  await expect(ok.first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('retry-failed')).toHaveCount(0);
  const path = (await ok.first().getAttribute('data-path')) ?? '';
  expect(path).toContain(id);
  expect(statSync(join(root, path)).size).toBeGreaterThan(0);
  expect(startsWithPng(join(root, path))).toBe(true);
});

test('a naming template being edited survives a change of another download setting', async ({ page }) => {
  await start(page);
  await page.getByTestId('nav-settings').click();
  const section = page.getByTestId('settings-downloads');
  const template = section.getByTestId('template-input');
  await template.fill('{provider}/X_{jobId}_{index}.{ext}');
  // Another setting saved meanwhile replaces the downloads settings object the field follows.
  const sidecar = section.getByText('Save a .json file next to each result');
  await sidecar.click();
  await expect(section.getByTestId('download-sidecar')).not.toBeChecked();
  await sidecar.click();
  await expect(section.getByTestId('download-sidecar')).toBeChecked();
  await expect(template).toHaveValue('{provider}/X_{jobId}_{index}.{ext}');
});
