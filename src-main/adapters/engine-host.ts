/**
 * The download engine's worker thread: one DownloadEngine with its own
 * undici client and blocking file I/O (node-fs-blocking.ts), driven by
 * remote-engine.ts over engine-protocol.ts. Built as out/main/engine-host.js.
 *
 * Why a thread for the whole engine: every byte and every per-file step
 * (naming, .part, rename, ledger, sidecar) stays off the thread that runs
 * the app (Electron's main process answers the window and the tray), and
 * here blocking file calls are harmless and cheaper than thread-pool round
 * trips. Measured in bench:download ("app" against "CLI").
 */
import { parentPort } from 'node:worker_threads';
import type { Logger } from '../core/ports';
import type { DownloadEngineApi, DownloadSettings } from '../core/downloads/engine';
import { DownloadEngine } from '../core/downloads/engine';
import { sourceFromSpec } from '../core/downloads/sources';
import type { BatchHandle } from '../core/downloads/types';
import type { Asset, Job } from '../../src-shared/job';
import type { Result } from '../../src-shared/result';
import { ok } from '../../src-shared/result';
import { createBlockingFileSystem } from './node-fs-blocking';
import { nodeSha256 } from './node-fs';
import { systemClock } from './system-clock';
import { createResultDownload } from './result-download';
import type { Calls, SettingsData, ToHost } from './engine-protocol';
import { createOutbox } from './engine-outbox';

const port = parentPort;
if (port === null) throw new Error('engine-host.js runs as a worker thread only.');
/** Messages leave in bundles (engine-outbox.ts says when). */
const { post, flush } = createOutbox((bundle) => port.postMessage(bundle));

const logger: Logger = {
  info: (message, fields) => post({ type: 'log', level: 'info', message, fields }),
  warn: (message, fields) => post({ type: 'log', level: 'warn', message, fields }),
  error: (message, fields) => post({ type: 'log', level: 'error', message, fields }),
};

const http = createResultDownload();
let engine: DownloadEngine | null = null;
let nextRefresh = 1;
const refreshes = new Map<number, (url: string | null) => void>();

/** The app's thread re-fetches the job (it holds the provider clients and keys). */
const refreshUrl = (job: Job, asset: Asset): Promise<string | null> =>
  new Promise((done) => {
    const id = nextRefresh++;
    refreshes.set(id, done);
    post({ type: 'refresh', id, job, asset });
  });

function engineSettings(data: Partial<SettingsData>): Partial<DownloadSettings> {
  const { sources, refresh, ...rest } = data;
  const settings: Partial<DownloadSettings> = rest;
  if (sources !== undefined) settings.sources = sources.map(sourceFromSpec);
  if (refresh !== undefined) settings.refreshUrl = refresh ? refreshUrl : null;
  return settings;
}

const batchAnswer = (result: Result<BatchHandle>): Calls['enqueue']['answer'] => (result.ok ? ok({ batchId: result.value.batchId, files: result.value.files }) : result);

async function call(e: DownloadEngineApi, name: keyof Calls, args: unknown[]): Promise<unknown> {
  switch (name) {
    case 'enqueue':
      return batchAnswer(await e.enqueue(...(args as Calls['enqueue']['args'])));
    case 'configure':
      return e.configure(engineSettings((args as Calls['configure']['args'])[0]));
    case 'pause':
    case 'resume':
    case 'cancel':
      return e[name]((args as [string])[0]);
    case 'pauseAll':
    case 'resumeAll':
    case 'cancelAll':
      return e[name]();
    case 'clearFinished': {
      const before = new Set(e.snapshot().map((f) => f.id));
      e.clearFinished();
      for (const f of e.snapshot()) before.delete(f.id);
      // Clearing changes the totals without an event of the engine's own: the mirror gets them before the answer.
      post({ type: 'event', event: { type: 'aggregate', progress: e.aggregate() } });
      post({ type: 'counts', counts: e.batchCounts() });
      return [...before];
    }
    case 'stop':
      return e.stop((args as Calls['stop']['args'])[0]);
  }
}

async function create(settings: SettingsData & { root: string }, idPrefix: string): Promise<void> {
  const deps = { http, fs: createBlockingFileSystem(), hasher: nodeSha256, clock: systemClock, random: Math.random, logger, idPrefix };
  const created = await DownloadEngine.create(deps, { ...engineSettings(settings), root: settings.root });
  if (!created.ok) return post({ type: 'created', result: created });
  const e = created.value;
  engine = e;
  e.onEvent((event) => {
    post({ type: 'event', event });
    if (event.type === 'aggregate' || event.type === 'batch-done') post({ type: 'counts', counts: e.batchCounts() });
  });
  post({ type: 'event', event: { type: 'aggregate', progress: e.aggregate() } });
  post({ type: 'created', result: ok({ downloaded: e.downloadedKeys() }) });
}

/** Calls run in order of arrival, each after the previous one answered: the app's thread sees them in the order it made them. */
let queue: Promise<void> = Promise.resolve();

port.on('message', (message: ToHost) => {
  if (message.type === 'refreshed') {
    refreshes.get(message.id)?.(message.url);
    refreshes.delete(message.id);
    return;
  }
  if (message.type === 'halt') {
    // Not queued: the app's thread is blocked waiting for this, and a long call ahead must not hold it up.
    const flag = new Int32Array(message.signal);
    void (engine?.stop(message.timeoutMs) ?? Promise.resolve()).finally(() => {
      // The stop's last events go now: the app's thread is blocked until the flag, and may quit right after.
      flush();
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
    return;
  }
  queue = queue.then(async () => {
    if (message.type === 'create') return create(message.settings, message.idPrefix);
    if (message.type === 'close') {
      await engine?.stop();
      await http.close();
      post({ type: 'closed' });
      flush();
      port.close();
      return;
    }
    const e = engine;
    let value: unknown;
    try {
      value = e === null ? undefined : await call(e, message.name, message.args);
    } catch (error) {
      logger.error('download engine call failed', { call: message.name, error: String(error) });
    }
    post({ type: 'answer', id: message.id, value });
  });
});
