#!/usr/bin/env node
/**
 * Job list benchmark: the built renderer (out/renderer, `npx electron-vite build`
 * first) in Debian's Chromium, on a fake bridge holding 10,000 jobs.
 *
 * Measures, per run (fresh browser context each time):
 *   firstPaintMs  navigation start → the first job row is in the DOM and a frame has been painted
 *   domRows       [data-testid=job-row] elements in the DOM once settled
 *   deltaApplyMs  a 500-job jobsDelta emitted through the bridge → the next painted frame
 *   naiveMs       reference in the same browser: navigation start → 10,000 plain <div> rows painted
 *
 * Prints a table, then as its last line one JSON object (medians of 3 runs).
 * Timing numbers are reported, never asserted.
 *
 *   npm run bench:list [--runs 3] [--jobs 10000]
 */
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium } from '@playwright/test';

/* global window, document, requestAnimationFrame -- used inside page.evaluate callbacks, which run in the browser */

const ROOT = resolve(import.meta.dirname, '../..');
const RENDERER = join(ROOT, 'out/renderer');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};
const RUNS = opt('runs', 3);
const JOBS = opt('jobs', 10_000);
const DELTA = 500;

if (!existsSync(join(RENDERER, 'index.html'))) {
  console.error('out/renderer/index.html is missing: run `npx electron-vite build` first.');
  process.exit(2);
}

// ---------------------------------------------------------------------------
// Static server for out/renderer, plus /naive.html (the reference page).

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };

const NAIVE_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>naive</title>
<style>body{font:13px system-ui;margin:0}.r{display:flex;gap:14px;height:56px;align-items:center;padding:0 16px;border-bottom:1px solid #ddd}</style>
</head><body><script src="/naive.js"></script></body></html>`;
// Same amount of data as the app: 10,000 rows with id, model, prompt, status, progress, dates, cost.
const NAIVE_JS = `(() => {
  const n = ${JOBS};
  const parts = new Array(n);
  for (let i = 0; i < n; i++) {
    parts[i] = '<div class="r" data-testid="naive-row"><span>' + (i % 4 === 0 ? 'completed' : 'running') + '</span><span>job-' + i.toString(16).padStart(8, '0') +
      '</span><span>midjourney</span><span>a lighthouse on a basalt cliff at dusk, volumetric fog ' + i + '</span><progress max="100" value="' + (i % 100) +
      '"></progress><span>' + (i % 60) + ' min ago</span><span>' + (i % 30) + ' credits</span></div>';
  }
  document.body.innerHTML = parts.join('');
  requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { window.__naiveMs = performance.now(); };
    ch.port2.postMessage(0);
  });
})();`;

function serve() {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/naive.html') return send(res, 200, 'text/html', NAIVE_HTML);
    if (url.pathname === '/naive.js') return send(res, 200, 'text/javascript', NAIVE_JS);
    const rel = normalize(decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(RENDERER, rel);
    if (!file.startsWith(RENDERER) || !existsSync(file)) return send(res, 404, 'text/plain', 'not found');
    return send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

// ---------------------------------------------------------------------------
// The fake bridge, injected before the app's scripts run.

function initScript(count, delta) {
  return `(() => {
  const COUNT = ${count};
  const DELTA = ${delta};
  const bench = (window.__bench = { firstRowAt: null, firstPaintAt: null, listeners: {}, genMs: 0 });

  // First [data-testid=job-row] in the DOM: record, then wait for the frame to be painted.
  const seen = () => {
    bench.firstRowAt = performance.now();
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { bench.firstPaintAt = performance.now(); };
      ch.port2.postMessage(0);
    });
  };
  const mo = new MutationObserver(() => {
    if (bench.firstRowAt === null && document.querySelector('[data-testid="job-row"]')) { mo.disconnect(); seen(); }
  });
  mo.observe(document, { childList: true, subtree: true });

  // Deterministic jobs shaped like src-shared/job.ts.
  let seed = 42;
  const rand = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 4294967296; };
  const hex = (n) => { let s = ''; for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16); return s; };
  const MODELS = [['midjourney', 'image', 8], ['flux-pro', 'image', 4], ['kling', 'video', 35], ['runway', 'video', 25], ['suno', 'music', 10]];
  const now = Date.now();
  const t0 = performance.now();
  const jobs = [];
  for (let i = 0; i < COUNT; i++) {
    const [model, modality, credits] = MODELS[i % MODELS.length];
    const id = hex(8) + '-' + hex(4) + '-4' + hex(3) + '-8' + hex(3) + '-' + hex(12);
    const r = rand();
    const status = i < 40 ? (r < 0.6 ? 'running' : 'queued') : r < 0.9 ? 'completed' : 'failed';
    const created = new Date(now - i * 217_000 - Math.floor(rand() * 60_000)).toISOString();
    const done = status === 'completed' || status === 'failed';
    const completed = done ? new Date(Date.parse(created) + 90_000).toISOString() : null;
    jobs.push({
      key: 'apiframe:default:' + id, provider: 'apiframe', accountId: 'default', id, status,
      rawStatus: { queued: 'PENDING', running: 'PROCESSING', completed: 'FINISHED', failed: 'FAILED' }[status],
      modality, model, prompt: 'a lighthouse on a basalt cliff at dusk, volumetric fog, variation ' + i,
      progress: status === 'completed' ? 100 : status === 'running' ? Math.floor(rand() * 100) : 0,
      assets: [], error: status === 'failed' ? { message: 'The provider could not finish this job.', code: 500, details: null } : null,
      cost: done ? { credits, refunded: status === 'failed' } : null, webhookStatus: null,
      createdAt: created, updatedAt: completed ?? created, completedAt: completed,
      watch: { state: done ? 'done' : 'watching', message: null, lastCheckedAt: created, progressAt: created },
      raw: { task_id: id, status },
    });
  }
  bench.genMs = performance.now() - t0;

  const ok = (value) => Promise.resolve({ ok: true, value });
  const counts = { queued: 0, running: 0, completed: 0, failed: 0 };
  for (const j of jobs) counts[j.status]++;
  const status = { demoMode: false, accounts: [], counts, warnings: [] };
  const settings = { theme: 'light', stalledAfterMinutes: 10, providers: { apiframe: { baseUrl: null }, useapi: { baseUrl: null } } };
  const accounts = { keychain: { available: true, message: null }, accounts: [] };
  window.genwatch = {
    getAppInfo: () => ok({ version: 'bench', platform: 'linux', status }),
    listJobs: () => ok(jobs),
    addJobs: () => ok({ added: [], alreadyWatched: [], rejected: [] }),
    removeJobs: () => ok({ removed: 0 }),
    getSettings: () => ok(settings),
    updateSettings: () => ok(settings),
    listAccounts: () => ok(accounts),
    saveAccount: () => ok(accounts),
    removeAccount: () => ok(accounts),
    importHistory: () => ok(accounts),
    cancelImport: () => ok(accounts),
    openExternal: () => ok(null),
    on: (event, listener) => { (bench.listeners[event] ??= []).push(listener); return () => {}; },
  };

  // 500 changed jobs (progress and status moved) through the registered jobsDelta listener.
  bench.emitDelta = () => new Promise((done) => {
    const upserted = [];
    for (let i = 0; i < DELTA; i++) {
      const j = jobs[(i * 7) % jobs.length];
      const p = Math.min(100, (j.progress + 13) % 101);
      upserted.push({ ...j, progress: p, status: p === 100 ? 'completed' : 'running', updatedAt: new Date().toISOString() });
    }
    const start = performance.now();
    for (const l of bench.listeners.jobsDelta ?? []) l({ upserted, removed: [] });
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => done(performance.now() - start);
      ch.port2.postMessage(0);
    });
  });
})();`;
}

// ---------------------------------------------------------------------------

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (n) => Math.round(n * 10) / 10;

const server = await serve();
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
const rows = [];
try {
  for (let run = 1; run <= RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript({ content: initScript(JOBS, DELTA) });
    await page.goto(`${base}/index.html`);
    await page.waitForFunction(() => window.__bench?.firstPaintAt !== null, null, { timeout: 30_000 });
    // Let the first batch of work settle, then count and apply a delta.
    await page.waitForTimeout(300);
    const m = await page.evaluate(() => ({
      firstPaintMs: window.__bench.firstPaintAt,
      genMs: window.__bench.genMs,
      domRows: document.querySelectorAll('[data-testid="job-row"]').length,
      total: Number(document.querySelector('[data-testid="job-list"]')?.getAttribute('data-total') ?? 0),
    }));
    const deltaApplyMs = await page.evaluate(() => window.__bench.emitDelta());
    // Scroll to the middle and check the DOM stays small.
    const scrolled = await page.evaluate(async () => {
      const v = document.querySelector('[data-testid="job-list"]');
      v.scrollTop = v.scrollHeight / 2;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return document.querySelectorAll('[data-testid="job-row"]').length;
    });
    await context.close();

    const naiveContext = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    const naivePage = await naiveContext.newPage();
    await naivePage.goto(`${base}/naive.html`);
    await naivePage.waitForFunction(() => typeof window.__naiveMs === 'number', null, { timeout: 30_000 });
    const naiveMs = await naivePage.evaluate(() => window.__naiveMs);
    await naiveContext.close();

    if (errors.length) console.error(`run ${run}: page errors: ${errors.join('; ')}`);
    rows.push({ run, ...m, deltaApplyMs, scrolledRows: scrolled, naiveMs });
  }
} finally {
  await browser.close();
  server.close();
}

const pad = (s, n) => String(s).padStart(n);
console.log(`job list benchmark: ${JOBS.toLocaleString('en-US')} jobs, ${DELTA}-job delta, Chromium ${browser.version()}`);
console.log(['run', 'firstPaintMs', '(jobs gen)', 'domRows', 'rows@mid', 'listTotal', 'deltaApplyMs', 'naive10kMs', 'vsNaive'].map((h, i) => pad(h, i ? 13 : 4)).join(''));
for (const r of rows) {
  console.log(
    [r.run, round(r.firstPaintMs), round(r.genMs), r.domRows, r.scrolledRows, r.total, round(r.deltaApplyMs), round(r.naiveMs), (r.firstPaintMs / r.naiveMs).toFixed(2)]
      .map((v, i) => pad(v, i ? 13 : 4))
      .join(''),
  );
}
const result = {
  jobs: JOBS,
  firstPaintMs: round(median(rows.map((r) => r.firstPaintMs))),
  domRows: Math.max(...rows.map((r) => Math.max(r.domRows, r.scrolledRows))),
  deltaApplyMs: round(median(rows.map((r) => r.deltaApplyMs))),
  naivePaintMs: round(median(rows.map((r) => r.naiveMs))),
  firstPaintVsNaive: Number((median(rows.map((r) => r.firstPaintMs)) / median(rows.map((r) => r.naiveMs))).toFixed(2)),
  goals: { firstPaintMs: 500, domRows: 200 },
};
console.log(`median of ${RUNS} runs; firstPaintVsNaive = firstPaintMs / naive 10,000 <div> rows painted (same browser)`);
console.log(JSON.stringify(result));
