/**
 * Messages between the app's thread (remote-engine.ts) and the download
 * engine's worker thread (engine-host.ts). Both ends are this codebase,
 * built together, so the shapes are trusted: structured clone carries them.
 */
import type { Result } from '../../src-shared/result';
import type { Asset, Job } from '../../src-shared/job';
import type { BatchCounts } from '../../src-shared/downloads';
import type { DownloadSettings } from '../core/downloads/engine';
import type { SourceSpec } from '../core/downloads/sources';
import type { DownloadEvent, DownloadItem, EnqueueOptions, FileSnapshot } from '../core/downloads/types';

/** Settings as data: sources as specs, and whether the app answers URL refreshes. */
export type SettingsData = Omit<DownloadSettings, 'sources' | 'refreshUrl'> & { sources: SourceSpec[]; refresh: boolean };

/** The engine calls the app's thread can make, with their arguments and answers. */
export interface Calls {
  enqueue: { args: [items: readonly DownloadItem[], options: EnqueueOptions]; answer: Result<{ batchId: string; files: FileSnapshot[] }> };
  configure: { args: [patch: Partial<Omit<SettingsData, 'root'>>]; answer: Result<void> };
  pause: { args: [id: string]; answer: boolean };
  resume: { args: [id: string]; answer: boolean };
  cancel: { args: [id: string]; answer: boolean };
  pauseAll: { args: []; answer: undefined };
  resumeAll: { args: []; answer: undefined };
  cancelAll: { args: []; answer: undefined };
  /** Answers the ids of the files it dropped (null: no answer, the worker died). */
  clearFinished: { args: []; answer: string[] | null };
  stop: { args: [timeoutMs: number]; answer: undefined };
}
export type CallName = keyof Calls;

export type ToHost =
  /** `idPrefix` starts every batch and file id: unique per engine and per worker restart. */
  | { type: 'create'; settings: SettingsData & { root: string }; idPrefix: string }
  | { type: 'call'; id: number; name: CallName; args: unknown[] }
  | { type: 'refreshed'; id: number; url: string | null }
  /** Finish what was asked (a stop), then exit. */
  | { type: 'close' }
  /**
   * Stop now, ahead of any queued call (pause every transfer, write what is
   * pending), then set `signal`'s first Int32 to 1 and notify: the app's
   * thread waits on it with Atomics.wait when no event-loop turn may follow.
   */
  | { type: 'halt'; signal: SharedArrayBuffer; timeoutMs: number };

/** The worker posts FromHost[]: every message of one turn of its event loop, in order. */
export type FromHost =
  | { type: 'created'; result: Result<{ downloaded: string[] }> }
  | { type: 'answer'; id: number; value: unknown }
  | { type: 'event'; event: DownloadEvent }
  /** Sent with every aggregate event and batch end: the per-request counts (batchCounts()). */
  | { type: 'counts'; counts: BatchCounts[] }
  | { type: 'refresh'; id: number; job: Job; asset: Asset }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string; fields?: Record<string, unknown> }
  | { type: 'closed' };
