/**
 * What was downloaded, kept as JSON lines in `<root>/.genwatch/ledger.jsonl`
 * so it lives with the files and survives a reinstall that reuses the
 * folder. An asset in the ledger is never fetched again — even when the user
 * deleted the file — unless the caller forces it.
 */
import type { Asset, Job } from '../../../src-shared/job';
import type { FileSystemPort, WritableFile } from './ports';
import { codeOf } from './errors';

export const LEDGER_DIR = '.genwatch';
export const LEDGER_FILE = 'ledger.jsonl';

export interface LedgerEntry {
  provider: string;
  account: string;
  jobId: string;
  /** `<kind>:<index>`: stable while the provider's URLs change (they expire and get re-signed). */
  assetKey: string;
  /** Relative to the root, forward slashes. */
  path: string;
  size: number;
  /** Of the file as saved (after metadata was embedded); only with checksums on. */
  sha256?: string;
  /** Of the bytes the server sent, when they differ from the saved file. */
  sourceSha256?: string;
  /** ISO time of the download. */
  at: string;
}

export function assetKeyOf(asset: Pick<Asset, 'kind' | 'index'>): string {
  return `${asset.kind}:${asset.index}`;
}

export function ledgerKey(provider: string, account: string, jobId: string, assetKey: string): string {
  return JSON.stringify([provider, account, jobId, assetKey]);
}

export function ledgerKeyFor(job: Pick<Job, 'provider' | 'accountId' | 'id'>, asset: Pick<Asset, 'kind' | 'index'>): string {
  return ledgerKey(job.provider, job.accountId, job.id, assetKeyOf(asset));
}

/** A line that takes an asset out of the ledger (its file turned out not to be there after all). */
interface Tombstone {
  key: string;
}

/** One ledger line: an entry, a tombstone, or null for a malformed or half-written line. */
function parseLine(line: string): LedgerEntry | Tombstone | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const e = v as Record<string, unknown>;
  const str = (k: string): string | null => (typeof e[k] === 'string' ? e[k] : null);
  const provider = str('provider');
  const account = str('account');
  const jobId = str('jobId');
  const assetKey = str('assetKey');
  if (provider === null || account === null || jobId === null || assetKey === null) return null;
  if (e['removed'] === true) return { key: ledgerKey(provider, account, jobId, assetKey) };
  const path = str('path');
  const sha256 = str('sha256');
  const at = str('at');
  const size = e['size'];
  if (path === null || at === null || typeof size !== 'number') return null;
  const entry: LedgerEntry = { provider, account, jobId, assetKey, path, size, at };
  if (sha256 !== null) entry.sha256 = sha256;
  const source = str('sourceSha256');
  if (source !== null) entry.sourceSha256 = source;
  return entry;
}

const NEWLINE = new Uint8Array([0x0a]);

/**
 * Appends are group-committed: entries recorded while a write is in flight
 * go down together in the next one (one open/write/fsync/close per group
 * instead of per file), so nothing waits for a timer and a busy batch costs
 * a handful of writes. `record()` resolves once its line is written (and
 * fsynced when `sync`).
 *
 * Crash windows (see engine.ts, finish()): a line is written only after its
 * file got its final name, so a crash can lose the lines of files finished
 * in the last group — never add a line for a file that is not there. A lost
 * line means the asset is not deduped; the engine then finds the final name
 * taken and adopts the file when the job's sidecar vouches for it (same
 * file name and size), else downloads it again under a free name.
 */
export class DownloadLedger {
  private readonly entries = new Map<string, LedgerEntry>();
  private queued: Uint8Array[] = [];
  /**
   * The file may end inside a line (a crash, power cut or full disk cut a
   * write short): the next write starts on a new line, or its first record
   * would be glued to the torn one and lost with it.
   */
  private tornTail = false;
  private waiters: Array<{ resolve(): void; reject(e: unknown): void }> = [];
  private writing = false;
  private idleWaiters: Array<() => void> = [];
  /** The next group holds a line that must reach the disk whatever `sync` says. */
  private syncNext = false;
  private dirReady = false;
  /** The ledger file, open while groups follow each other (see hold). */
  private file: WritableFile | null = null;
  private keepOpen = false;
  /** fsync each group (the engine's `fsync` setting). */
  sync = false;
  /** Told of every asset recorded (true) or taken out (false), by ledger key. */
  onChange: ((key: string, downloaded: boolean) => void) | null = null;

  private constructor(
    private readonly fs: FileSystemPort,
    readonly path: string,
  ) {}

  /** Reads the ledger under `root` (missing = empty; malformed or half-written lines are skipped). */
  static async open(fs: FileSystemPort, root: string): Promise<DownloadLedger> {
    const dir = `${root.replace(/[/\\]+$/, '')}/${LEDGER_DIR}`;
    const ledger = new DownloadLedger(fs, `${dir}/${LEDGER_FILE}`);
    const bytes = await fs.readFile(ledger.path);
    if (bytes !== null) {
      for (const line of new TextDecoder().decode(bytes).split('\n')) {
        const parsed = line.trim().length > 0 ? parseLine(line) : null;
        if (parsed === null) continue;
        if ('key' in parsed) ledger.entries.delete(parsed.key);
        else ledger.entries.set(ledgerKey(parsed.provider, parsed.account, parsed.jobId, parsed.assetKey), parsed);
      }
    }
    return ledger;
  }

  get(key: string): LedgerEntry | undefined {
    return this.entries.get(key);
  }

  all(): LedgerEntry[] {
    return [...this.entries.values()];
  }

  /** The key of every asset recorded (ledgerKeyFor). */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Records an entry and appends its line (with whatever else is queued); lines never interleave. */
  record(entry: LedgerEntry): Promise<void> {
    const key = ledgerKey(entry.provider, entry.account, entry.jobId, entry.assetKey);
    this.entries.set(key, entry);
    this.onChange?.(key, true);
    return this.append(`${JSON.stringify(entry)}\n`);
  }

  /**
   * Takes an asset out (a line `{…ids, "removed": true}`): for a file the
   * ledger vouched for that is not really there (emptied by a power cut), so
   * it is downloaded like a new one, retries and all. Older versions skip
   * such lines.
   */
  forget(entry: Pick<LedgerEntry, 'provider' | 'account' | 'jobId' | 'assetKey'>): Promise<void> {
    const key = ledgerKey(entry.provider, entry.account, entry.jobId, entry.assetKey);
    this.entries.delete(key);
    this.onChange?.(key, false);
    const { provider, account, jobId, assetKey } = entry;
    // Always flushed: a lost tombstone with its file already gone would read as "deleted by you".
    return this.append(`${JSON.stringify({ provider, account, jobId, assetKey, removed: true, at: new Date().toISOString() })}\n`, true);
  }

  /**
   * While downloads finish one after another (`open` true), the file stays
   * open between groups: two system calls fewer per file. Closed as soon as
   * that ends and nothing is being written, so no descriptor is held idle.
   */
  hold(open: boolean): void {
    if (this.keepOpen === open) return;
    this.keepOpen = open;
    if (!open && !this.writing) void this.closeFile();
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = null;
    await file?.close().catch(() => undefined);
  }

  /** Resolves once every line recorded so far is written (or failed). */
  whenIdle(): Promise<void> {
    return this.writing ? new Promise((done) => this.idleWaiters.push(done)) : Promise.resolve();
  }

  private append(line: string, mustSync = false): Promise<void> {
    this.queued.push(new TextEncoder().encode(line));
    if (mustSync) this.syncNext = true;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.writing) void this.drain();
    return done;
  }

  /**
   * One open file for a run of groups: groups that queued up while the
   * previous one was written (and fsynced) reuse the handle, which is closed
   * once nothing is queued unless held open (hold), and after a failure (the
   * next group reopens).
   */
  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queued.length > 0) {
      const lines = this.queued;
      const waiters = this.waiters;
      const mustSync = this.syncNext;
      this.queued = [];
      this.waiters = [];
      this.syncNext = false;
      try {
        const dir = this.path.slice(0, this.path.lastIndexOf('/'));
        if (!this.dirReady) await this.fs.mkdirp(dir);
        this.dirReady = true;
        if (this.file === null) {
          // Whoever wrote last (this engine, or another process on the same folder: the CLI and the app) may
          // have been cut off mid-line: look at the file's last byte whenever it is opened.
          const stat = await this.fs.stat(this.path);
          if (stat !== null && stat.size > 0 && (await this.fs.readAt(this.path, stat.size - 1, 1))[0] !== 0x0a) this.tornTail = true;
          this.file = await this.fs.open(this.path, 'append').catch(async (e: unknown) => {
            // The folder (with .genwatch in it) was deleted while the engine ran: made again, once.
            if (codeOf(e) !== 'ENOENT') throw e;
            await this.fs.mkdirp(dir);
            return this.fs.open(this.path, 'append');
          });
        }
        await this.file.write(this.tornTail ? [NEWLINE, ...lines] : lines);
        this.tornTail = false;
        if (this.sync || mustSync) await this.file.sync();
        if (this.queued.length === 0 && !this.keepOpen) await this.closeFile();
        for (const w of waiters) w.resolve();
      } catch (e) {
        // Part of the group may have been written: end that line before the next one (an empty line is skipped).
        this.tornTail = true;
        await this.closeFile();
        for (const w of waiters) w.reject(e);
      }
    }
    this.writing = false;
    for (const done of this.idleWaiters.splice(0)) done();
  }
}
