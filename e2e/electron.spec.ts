/**
 * The packaged app itself, driven through Playwright's Electron support. These
 * run wherever an Electron binary can start; on machines without one (our CI
 * cannot download it) they are skipped with the reason shown in the report.
 */
import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { GenwatchTestHooks } from '../src-main/shell/test-hooks';
import { INVOKE_METHODS } from '../src-shared/channel-names';

const ROOT = resolve(import.meta.dirname, '..');

function electronBinary(): string | null {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
let launches = 0;
const profiles: string[] = [];

/**
 * Starts the built app in a profile of its own (GENWATCH_PROFILE): its own
 * settings, jobs and keychain entries, so a developer's stored key or running
 * genwatch never changes what the spec sees. The profile folder goes afterwards.
 */
async function launch(env: Record<string, string>): Promise<Awaited<ReturnType<typeof electron.launch>>> {
  const app = await electron.launch({
    args: [join(ROOT, 'out/main/index.js')],
    env: { ...process.env, APIFRAME_API_KEY: '', GENWATCH_PROFILE: `e2e-${process.pid}-${++launches}`, ...env },
  });
  profiles.push(await app.evaluate(({ app: electronApp }) => electronApp.getPath('userData')));
  return app;
}

test.describe('Electron app', () => {
  test.afterEach(async () => {
    for (const dir of profiles.splice(0)) if (dir.includes('genwatch-e2e-')) await rm(dir, { recursive: true, force: true });
  });
  test.skip(binary === null, 'Electron binary not available on this machine (its download host is unreachable); these specs run where Electron can start.');

  test('opens a secure window in demo mode and watches the demo jobs to completion', async () => {
    const app = await launch({});
    try {
      const window = await app.firstWindow({ timeout: 30_000 });
      await expect(window.getByTestId('demo-banner')).toBeVisible();
      // No Node in the page, and exactly the typed bridge exposed: one function per contract method, plus `on`.
      expect(await window.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
      expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
      const bridgeKeys = await window.evaluate(() => Object.keys((globalThis as unknown as { genwatch: object }).genwatch).sort());
      expect(bridgeKeys).toEqual([...INVOKE_METHODS, 'on'].sort());
      await expect(window.locator('[data-testid="job-row"][data-status="completed"]').first()).toBeVisible({ timeout: 60_000 });
    } finally {
      await app.close();
    }
  });

  test('the window cannot navigate away, open windows or attach a webview', async () => {
    const app = await launch({});
    try {
      const window = await app.firstWindow({ timeout: 30_000 });
      await expect(window.getByTestId('demo-banner')).toBeVisible();
      const start = window.url();
      await window.evaluate(() => {
        (globalThis as unknown as { open(url: string): unknown }).open('https://example.com/');
        const doc = (globalThis as unknown as { document: { createElement(tag: string): { setAttribute(k: string, v: string): void }; body: { appendChild(n: unknown): void } } }).document;
        const view = doc.createElement('webview');
        view.setAttribute('src', 'https://example.com/');
        doc.body.appendChild(view);
        (globalThis as unknown as { location: { href: string } }).location.href = 'https://example.com/';
      });
      await window.waitForTimeout(1_000);
      expect(window.url()).toBe(start);
      expect(app.windows()).toHaveLength(1);
      expect(await app.evaluate(({ webContents }) => webContents.getAllWebContents().map((c) => c.getType()))).not.toContain('webview');
      await expect(window.getByTestId('demo-banner')).toBeVisible();
    } finally {
      await app.close();
    }
  });

  test('tray menu and notifications follow an emulator job to completion (test hooks in main)', async () => {
    test.setTimeout(180_000);
    const app = await launch({ GENWATCH_TEST_HOOKS: '1' });
    type HookGlobal = { __genwatchTest?: GenwatchTestHooks };
    try {
      await app.firstWindow({ timeout: 30_000 });
      await expect.poll(() => app.evaluate(() => typeof (globalThis as HookGlobal).__genwatchTest), { timeout: 30_000 }).toBe('object');
      // The window has focus under test; popups are quiet while it does, so turn that off.
      await app.evaluate(() => (globalThis as HookGlobal).__genwatchTest?.updateSettings({ notifications: { quietWhenFocused: false } }));

      // The demo jobs run on the built-in emulator; wait for completions to reach the tray.
      await expect
        .poll(() => app.evaluate(() => (globalThis as HookGlobal).__genwatchTest?.trayMenu().counts.completedToday ?? 0), { timeout: 90_000 })
        .toBeGreaterThanOrEqual(1);
      const tray = await app.evaluate(() => (globalThis as HookGlobal).__genwatchTest?.trayMenu());
      const ids = (tray?.menu ?? []).map((item) => item.id);
      expect(ids).toEqual(expect.arrayContaining(['summary', 'open-window', 'pause-polling', 'acknowledge-failures', 'quit']));
      expect(ids.some((id) => id.startsWith('job:'))).toBe(true);
      expect(tray?.tooltip).toMatch(/^genwatch — \d+ running · \d+ completed today · \d+ failed/);

      // A notification was asked of the OS (whether the headless desktop could show it or not).
      await expect
        .poll(() => app.evaluate(() => (globalThis as HookGlobal).__genwatchTest?.notifications().length ?? 0), { timeout: 60_000 })
        .toBeGreaterThanOrEqual(1);
      const [first] = (await app.evaluate(() => (globalThis as HookGlobal).__genwatchTest?.notifications())) ?? [];
      expect(first?.model.title).toMatch(/^(Job completed|Job failed|\d+ jobs? (completed|failed))/);
      expect(first?.model.jobKeys.length).toBeGreaterThanOrEqual(1);

      // Clicking it focuses the job (or the filtered list for a summary).
      const id = first?.model.id ?? '';
      expect(await app.evaluate((_electron, notificationId) => (globalThis as HookGlobal).__genwatchTest?.clickNotification(notificationId), id)).toBe(true);
      const navigations = await app.evaluate(() => (globalThis as HookGlobal).__genwatchTest?.navigations() ?? []);
      expect(navigations.at(-1)?.kind).toMatch(/^(job|jobs)$/);

      // Tray actions are reachable from the menu: pause flips to resume.
      expect(await app.evaluate(() => (globalThis as HookGlobal).__genwatchTest?.clickTrayItem('pause-polling'))).toBe(true);
      const paused = await app.evaluate(() => (globalThis as HookGlobal).__genwatchTest?.trayMenu().menu.map((item) => item.id) ?? []);
      expect(paused).toContain('resume-polling');
    } finally {
      await app.close();
    }
  });

  test('test hooks are absent unless GENWATCH_TEST_HOOKS=1', async () => {
    const app = await launch({ GENWATCH_TEST_HOOKS: '' });
    try {
      await app.firstWindow({ timeout: 30_000 });
      expect(await app.evaluate(() => typeof (globalThis as { __genwatchTest?: unknown }).__genwatchTest)).toBe('undefined');
    } finally {
      await app.close();
    }
  });
});
