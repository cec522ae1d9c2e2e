/**
 * The renderer, built for production, in real Chromium; its bridge is the real
 * built preload forwarding to the real IPC router and core in this process,
 * which polls the emulator over real HTTP on loopback.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RENDERER_DIR, startHarness } from './harness/app-harness';
import type { Harness } from './harness/app-harness';
import { serveDirectory } from './harness/static-server';
import type { Scenario } from '../src-main/emulator';

const KEY = 'afk_e2e_key_0000000001';
const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const IMAGE_JOB = 'a1b2c3d4-e5f6-7890-abcd-ef1234567890';
const FAILING_JOB = 'b2c3d4e5-f6a7-4890-8bcd-ef1234567891';
const MUSIC_JOB = 'c3d4e5f6-a7b8-4901-9cde-f12345678912';

/** A real, playable WAV (0.25 s of silence): the emulator's audio bytes only look like one. */
function silentWav(seconds = 0.25, rate = 8000): Buffer {
  const samples = Math.round(seconds * rate);
  const b = Buffer.alloc(44 + samples * 2);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(36 + samples * 2, 4);
  b.write('WAVEfmt ', 8, 'latin1');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'latin1');
  b.writeUInt32LE(samples * 2, 40);
  return b;
}

function scenario(): Scenario {
  return {
    apiframe: {
      apiKeys: [KEY],
      jobs: [
        { id: IMAGE_JOB, apiKey: KEY, model: 'midjourney', modality: 'image', startAt: T0, queuedMs: 2_000, processingMs: 20_000, outcome: 'completed', creditCost: 10 },
        {
          id: FAILING_JOB, apiKey: KEY, model: 'midjourney', modality: 'image', startAt: T0, queuedMs: 1_000, processingMs: 4_000,
          outcome: 'failed', error: 'Provider returned an error: content policy violation', creditCost: 10,
        },
        { id: MUSIC_JOB, apiKey: KEY, model: 'suno', modality: 'music', trackCount: 1, startAt: T0 - 120_000, queuedMs: 1_000, processingMs: 4_000, outcome: 'completed', creditCost: 20 },
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

async function addJob(page: Page, id: string): Promise<void> {
  await page.getByTestId('add-input').fill(id);
  await page.getByTestId('add-submit').click();
}

const row = (page: Page, id: string) => page.locator(`[data-testid="job-row"][data-job-id="${id}"]`);

test('an Apiframe job added by id shows live progress until its bar reaches 100 %', async ({ page }) => {
  harness = await startHarness({ scenario: scenario(), mode: 'key' });
  await harness.open(page);
  await addJob(page, IMAGE_JOB);
  await expect(page.getByTestId('add-result')).toContainText('1');
  const job = row(page, IMAGE_JOB);
  await expect(job).toHaveAttribute('data-status', 'queued');
  const bar = job.getByTestId('job-progress');

  harness.clock.advance(2_000 + 10_000); // half-way through processing
  await expect(job).toHaveAttribute('data-status', 'running');
  await expect(job.getByTestId('job-status')).toHaveText(/running/i);
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(40);
  const midway = Number(await bar.getAttribute('aria-valuenow'));
  expect(midway).toBeLessThan(100);

  harness.clock.advance(5_000);
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThan(midway);

  harness.clock.advance(10_000); // past the end
  await expect(job).toHaveAttribute('data-status', 'completed');
  await expect(bar).toHaveAttribute('aria-valuenow', '100');
  await expect(job.getByTestId('job-status')).toHaveText(/completed/i);
  // Said to screen readers too (a polite live region), since notifications stay quiet while the window has focus.
  await expect(page.getByTestId('live-announcer')).toHaveText('1 job completed.');
  await expect(page.getByTestId('live-announcer')).toHaveAttribute('aria-live', 'polite');

  await job.click();
  const detail = page.getByTestId('job-detail');
  await expect(detail).toContainText(IMAGE_JOB);
  await expect(detail.locator('img')).toHaveCount(5); // four images and the grid, served by the emulator
  // Copy id puts exactly the id on the clipboard.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await detail.getByTestId('copy-id').click();
  await expect.poll(() => page.evaluate(() => (navigator as unknown as { clipboard: { readText(): Promise<string> } }).clipboard.readText())).toBe(IMAGE_JOB);
  await page.screenshot({ path: 'test-results/renderer-completed.png' });
});

test('a failed job shows the provider reason and the refund', async ({ page }) => {
  harness = await startHarness({ scenario: scenario(), mode: 'key' });
  await harness.open(page);
  await addJob(page, FAILING_JOB);
  harness.clock.advance(6_000);
  const job = row(page, FAILING_JOB);
  await expect(job).toHaveAttribute('data-status', 'failed');
  await expect(job).toContainText('content policy violation');
  await expect(job).toContainText('Blocked by moderation'); // the kind of failure in plain words, beside the provider's text
  await expect(job).toContainText(/refunded/i);
});

test('a finished track plays in the details panel: an inline player that loads it, not only a link out', async ({ page }) => {
  harness = await startHarness({ scenario: scenario(), mode: 'key' });
  await harness.open(page);
  // The emulator's audio is not decodable: serve a real WAV for this job's track.
  await page.route(new RegExp(`${MUSIC_JOB}[^/]*\\.(mp3|wav|m4a)$`), (route) => route.fulfill({ status: 200, contentType: 'audio/wav', body: silentWav() }));
  await addJob(page, MUSIC_JOB);
  const job = row(page, MUSIC_JOB);
  await expect(job).toHaveAttribute('data-status', 'completed');
  await job.click();
  const player = page.getByTestId('job-detail').getByTestId('audio-player');
  await expect(player).toHaveCount(1);
  await expect(player).toHaveAttribute('controls', '');
  // It really loads: its duration becomes known once asked to play (preload is 'none' until then).
  await player.evaluate((el) => (el as unknown as { load(): void }).load());
  await expect.poll(() => player.evaluate((el) => (el as unknown as { duration: number }).duration)).toBeCloseTo(0.25, 1);
});

test('pasting several ids adds the valid ones and explains the invalid ones', async ({ page }) => {
  harness = await startHarness({ scenario: scenario(), mode: 'key' });
  await harness.open(page);
  await addJob(page, `${IMAGE_JOB}, not-a-job-id\n${FAILING_JOB} ${IMAGE_JOB}`);
  await expect(page.getByTestId('add-result')).toContainText('not-a-job-id');
  await expect(page.getByTestId('job-row')).toHaveCount(2);
});

test('an unknown job id is reported in plain words, not as a failure of the app', async ({ page }) => {
  harness = await startHarness({ scenario: scenario(), mode: 'key' });
  await harness.open(page);
  const unknown = 'c3d4e5f6-a7b8-4901-9cde-f12345678902';
  await addJob(page, unknown);
  await expect(row(page, unknown)).toContainText(/no job with this id/i);
});

test('without a key the app runs in demo mode on the emulator', async ({ page }) => {
  harness = await startHarness({ scenario: { apiframe: { apiKeys: [KEY], jobs: scenario().apiframe.jobs } }, mode: 'demo' });
  await harness.open(page);
  await expect(page.getByTestId('demo-banner')).toBeVisible();
  await addJob(page, IMAGE_JOB);
  harness.clock.advance(30_000);
  await expect(row(page, IMAGE_JOB)).toHaveAttribute('data-status', 'completed');
});

test('a key entered in settings goes to the keychain; the page only learns its last 4 characters', async ({ page }) => {
  harness = await startHarness({ scenario: scenario(), mode: 'demo' });
  await harness.open(page);
  await page.getByTestId('nav-settings').click();
  const secret = 'afk_live_SECRET_value_9z8y';
  await page.getByTestId('key-input-apiframe').fill(secret);
  await page.getByTestId('key-save-apiframe').click();
  await expect(page.getByTestId('key-status-apiframe')).toContainText('9z8y');
  await expect(page.getByTestId('key-input-apiframe')).toHaveValue('');
  expect(harness.secrets.values.get('apiframe:default')).toBe(secret);
  expect(await page.content()).not.toContain(secret);
  // The saved account's row now carries the hooks; the page only ever learned the last 4 characters.
  await expect(page.locator('[data-testid="account-row"][data-provider="apiframe"][data-account-id="default"]')).toBeVisible();
  const seenByPage = await page.evaluate(async () =>
    JSON.stringify(await (globalThis as unknown as { genwatch: { listAccounts(r: object): Promise<unknown> } }).genwatch.listAccounts({})),
  );
  expect(seenByPage).toContain('9z8y');
  expect(seenByPage).not.toContain(secret);
  await expect(page.getByTestId('demo-banner')).toHaveCount(0);
});

test('the built page states its CSP before any script or stylesheet (a meta policy covers only what follows it), without inline script or eval', () => {
  const html = readFileSync(join(RENDERER_DIR, 'index.html'), 'utf8');
  const csp = html.search(/<meta http-equiv="Content-Security-Policy"/);
  expect(csp).toBeGreaterThan(-1);
  const firstResource = html.search(/<script|<link/);
  expect(firstResource).toBeGreaterThan(-1);
  expect(csp).toBeLessThan(firstResource);
  const policy = (/<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1] ?? '').replaceAll('&#39;', "'");
  // The charset must still be declared within the first 1024 bytes.
  expect(Buffer.byteLength(html.slice(0, html.search(/<meta charset/i)))).toBeLessThan(1024 - 30);
  expect(policy).toMatch(/script-src 'self'/);
  expect(policy).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
});

test('IPC from a page of another origin is refused', async ({ page }) => {
  const h = await startHarness({ scenario: scenario(), mode: 'key' });
  harness = h;
  const other = await serveDirectory(RENDERER_DIR);
  try {
    await page.exposeBinding('__probe', (source, channel: string) => h.router.dispatch(channel, { url: source.frame.url(), mainFrame: source.frame.parentFrame() === null }, {}));
    await page.goto(`${other.url}index.html`);
    const answer = await page.evaluate(() => (globalThis as unknown as { __probe(c: string): Promise<{ ok: boolean; error?: { kind: string } }> }).__probe('genwatch:invoke:listJobs'));
    expect(answer).toMatchObject({ ok: false, error: { kind: 'forbidden' } });
  } finally {
    await other.close();
  }
});
