/**
 * One file, one attempt: request (with the caller's source strategy and
 * checked redirects), decide between resume and restart, stream to
 * `<final>.part`, verify the byte count. Only the engine renames a finished
 * .part; nothing here ever writes under the final name.
 *
 * Resume rules: a `.part` is only continued when its `.part.json` names the
 * same asset and a validator (strong ETag, else Last-Modified) to send as
 * If-Range; only a 206 whose Content-Range starts exactly at the .part size
 * and whose total matches is appended. A 200 to a Range request (server
 * ignored it, or the ETag changed) restarts the file from zero by truncating
 * — bytes are never spliced.
 *
 * The `.part.json` is written lazily (see PART_META_BYTES / PART_META_MS):
 * most files finish in well under a second and never need one, which saves
 * an open/write/close/unlink per file. A `.part` without a `.part.json` is
 * never resumed: the engine claims it and restarts it from zero (see
 * resumablePart, and claim() in engine.ts). So a crash loses at most what
 * arrived before the validator was written (< PART_META_BYTES + one batch,
 * or about PART_META_MS of transfer); an interrupted attempt (pause, cancel,
 * network error, disk full) always writes it before it returns, so retries
 * and resumes within a run lose nothing. A new download's old validator is
 * deleted before its first byte is written, so a `.part.json` never
 * describes bytes from another response.
 */
import type { DownloadFailure } from './errors';
import { codeOf, diskFailure, errorDetail, failure, networkFailure, TransferError } from './errors';
import type { DownloadHttpPort, DownloadResponse, FileSystemPort, HasherFactory, WritableFile } from './ports';
import type { Expected } from './sniff';
import { checkBody, SNIFF_BYTES } from './sniff';
import { IEND_CHUNK, isPng } from './png-metadata';
import type { AssetRequest, AssetSource } from './sources';
import { requestsFor } from './sources';
import { isAllowedDownloadUrl, MAX_REDIRECTS, REDIRECT_STATUSES, redirectTarget, sameOrigin } from './url-safety';

/** Received bytes are written in batches of about this size: the most a killed process can lose. */
export const WRITE_BATCH_BYTES = 256 * 1024;
const MAX_RESTARTS = 3;
/** A PNG's IEND is looked for this far from its end (some encoders append bytes after it). */
const PNG_TAIL_BYTES = 4096;

function hasIendNearEnd(tail: Uint8Array): boolean {
  for (let i = tail.length - IEND_CHUNK.length; i >= 0; i--) if (IEND_CHUNK.every((b, j) => tail[i + j] === b)) return true;
  return false;
}

/** Content codings that change the bytes (junk values some servers send with plain bytes are ignored). */
const COMPRESSED = /(^|[\s,])(x-)?(gzip|deflate|br|zstd|compress)($|[\s,;])/;
/** The `.part.json` of a download is written once this many bytes arrived… */
export const PART_META_BYTES = 8 * 1024 * 1024;
/** …or once it has been running this long (whichever comes first), and whenever an attempt is interrupted. */
export const PART_META_MS = 1_000;

export interface PartMeta {
  v: 1;
  /** Which asset this .part belongs to (ledger key). */
  key: string;
  url: string;
  etag: string | null;
  lastModified: string | null;
  total: number | null;
}

export interface TransferDeps {
  http: DownloadHttpPort;
  fs: FileSystemPort;
  hasher: HasherFactory;
  sources: readonly AssetSource[];
  fsync: boolean;
  signal: AbortSignal;
  /** Shared by an engine's transfers: caps concurrent background fsyncs (see BackgroundSync). */
  syncGate?: SyncGate;
  /** Running byte count of the .part (including resumed bytes) and the expected total. */
  onBytes(bytes: number, total: number | null): void;
  /** A resume was refused and the .part restarted from zero (for logs and tests). */
  onRestart?(why: string): void;
  /** Milliseconds (the engine's clock), for PART_META_MS; without it only PART_META_BYTES applies. */
  now?(): number;
  /** The bandwidth cap: after `bytes` arrived, a promise to wait for, or null to read on at once. */
  throttle?(bytes: number): Promise<void> | null;
  /** Makes the .part's folder again (checked like a new one) when it vanished: the user deleted it meanwhile. */
  remakeFolder?(): Promise<void>;
}

export interface TransferTarget {
  key: string;
  url: string;
  partPath: string;
  metaPath: string;
  expected: Expected;
  /** The caller just saw neither a .part nor a .part.json: skip looking again. */
  fresh?: boolean;
}

export interface TransferResult {
  size: number;
  sha256: string;
  contentType: string | null;
  /** The URL that finally answered (after redirects / fallback). */
  url: string;
  resumedFrom: number;
  /** The first bytes of the file (up to 16), when this attempt received them: saves reading them back. */
  head?: Uint8Array;
  /** false when no `.part.json` exists for this file (nothing to delete after the rename). */
  partMeta?: boolean;
}

/** Stands in for the hasher when checksums are off (the result's sha256 is then ''). */
export const NO_HASH: HasherFactory = () => ({ update: () => undefined, digest: () => '' });

async function onDisk<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw new TransferError(diskFailure(e));
  }
}

export function httpFailure(status: number): DownloadFailure {
  if (status === 403 || status === 404 || status === 410) return failure('expired', `The link no longer works (HTTP ${status}).`, { status });
  if (status === 408 || status === 429 || status >= 500) return failure('http', `The server had trouble (HTTP ${status}).`, { status, retryable: true });
  return failure('http', `The server refused the download (HTTP ${status}).`, { status });
}

export function parseContentRange(value: string | undefined): { start: number; end: number; total: number } | null {
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+)\s*$/i.exec(value ?? '');
  if (m === null) return null;
  const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return end >= start && total > end ? { start, end, total } : null;
}

function unsatisfiedTotal(value: string | undefined): number | null {
  const m = /^\s*bytes\s+\*\/(\d+)\s*$/i.exec(value ?? '');
  return m === null ? null : Number(m[1]);
}

function contentLength(headers: Record<string, string>): number | null {
  const v = headers['content-length'];
  return v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : null;
}

/** Only strong ETags make a byte-exact If-Range. */
function validatorOf(meta: PartMeta): string | null {
  if (meta.etag !== null && !meta.etag.startsWith('W/')) return meta.etag;
  return meta.lastModified;
}

export async function readPartMeta(fs: FileSystemPort, metaPath: string): Promise<PartMeta | null> {
  const bytes = await fs.readFile(metaPath).catch(() => null);
  if (bytes === null) return null;
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as Partial<PartMeta>;
    if (v.v !== 1 || typeof v.key !== 'string' || typeof v.url !== 'string') return null;
    return { v: 1, key: v.key, url: v.url, etag: typeof v.etag === 'string' ? v.etag : null, lastModified: typeof v.lastModified === 'string' ? v.lastModified : null, total: typeof v.total === 'number' ? v.total : null };
  } catch {
    return null;
  }
}

/** `wait`, cut short when `signal` aborts (the next read then throws the abort). */
function untilAborted(wait: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((done) => {
    const stop = (): void => done();
    signal.addEventListener('abort', stop, { once: true });
    void wait.then(() => {
      signal.removeEventListener('abort', stop);
      done();
    });
  });
}

/** Small files replaced atomically: temp file, optional fsync, rename. */
export async function writeFileAtomic(fs: FileSystemPort, path: string, data: Uint8Array, sync: boolean): Promise<void> {
  const tmp = `${path}.tmp`;
  const file = await fs.open(tmp, 'truncate');
  try {
    await file.write([data]);
    if (sync) await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(tmp, path);
}

/** GET with manual redirects: every hop must be an allowed URL; caller headers only go to the origin they were made for. */
async function fetchChecked(deps: TransferDeps, req: AssetRequest, extra: Record<string, string>): Promise<{ response: DownloadResponse; url: string }> {
  let url = req.url;
  for (let hop = 0; ; hop++) {
    if (!isAllowedDownloadUrl(url)) throw new TransferError(failure('url-refused', 'Only https links (or http to this computer) are downloaded; this one was refused.'));
    const headers = hop === 0 || sameOrigin(url, req.url) ? req.headers : requestsFor(url, deps.sources).direct.headers;
    let response: DownloadResponse;
    try {
      response = await deps.http.request({ url, headers: { ...headers, ...extra }, signal: deps.signal });
    } catch (e) {
      if (deps.signal.aborted) throw e;
      throw new TransferError(networkFailure(e), errorDetail(e));
    }
    if (!REDIRECT_STATUSES.has(response.status)) return { response, url };
    await response.discard().catch(() => undefined);
    const location = response.headers['location'];
    if (location === undefined || location.trim() === '') throw new TransferError(failure('http', `The server answered ${response.status} (a redirect) without saying where to.`));
    const next = redirectTarget(url, location);
    if (next === null) throw new TransferError(failure('url-refused', 'The server redirected to a link that is not allowed.'));
    if (hop + 1 > MAX_REDIRECTS) throw new TransferError(failure('http', 'The server redirected too many times.'));
    url = next;
  }
}

/** Direct request, then the source's fallback when the host refuses. */
async function fetchAsset(deps: TransferDeps, url: string, extra: Record<string, string>): Promise<{ response: DownloadResponse; url: string }> {
  const { direct, fallback } = requestsFor(url, deps.sources);
  const first = await fetchChecked(deps, direct, extra);
  const s = first.response.status;
  if (fallback === null || !(s === 401 || s === 403 || s === 429)) return first;
  await first.response.discard().catch(() => undefined);
  return fetchChecked(deps, fallback, extra);
}

async function hashFile(deps: TransferDeps, path: string, upTo: number): Promise<{ sha256: string; size: number }> {
  const h = deps.hasher();
  let size = 0;
  await onDisk(async () => {
    for await (const chunk of deps.fs.readChunks(path, 0)) {
      const piece = size + chunk.length > upTo ? chunk.subarray(0, upTo - size) : chunk;
      h.update(piece);
      size += piece.length;
      if (size >= upTo) break;
    }
  });
  return { sha256: h.digest(), size };
}

async function dropPart(deps: TransferDeps, target: TransferTarget): Promise<void> {
  await onDisk(() => deps.fs.unlink(target.partPath));
  await onDisk(() => deps.fs.unlink(target.metaPath));
}

/** How much of an existing .part may be resumed (0 = start over; a stale .part is removed). */
async function resumablePart(deps: TransferDeps, target: TransferTarget): Promise<{ size: number; meta: PartMeta | null }> {
  const [stat, meta] = await Promise.all([onDisk(() => deps.fs.stat(target.partPath)), readPartMeta(deps.fs, target.metaPath)]);
  if (stat === null) return { size: 0, meta: null };
  if (meta === null || meta.key !== target.key || validatorOf(meta) === null || !stat.isFile) {
    await dropPart(deps, target);
    return { size: 0, meta: null };
  }
  if (meta.total !== null && stat.size > meta.total) {
    await dropPart(deps, target);
    return { size: 0, meta: null };
  }
  return { size: stat.size, meta };
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Streams the body into the .part. Chunks are hashed and written as they
 * came off the socket (no copy, no concatenation), in batches of about
 * WRITE_BATCH_BYTES: each batch is awaited before more is read, so at most
 * one batch (plus one network read) is ever received but not on disk.
 * `before` (the .part.json write) settles before the first byte is written.
 */
async function receive(deps: TransferDeps, target: TransferTarget, response: DownloadResponse, offset: number, total: number | null, lazyMeta: PartMeta | null = null): Promise<{ size: number; sha256: string; head?: Uint8Array; partMeta: boolean }> {
  const hasher = deps.hasher();
  if (offset > 0) {
    // The running hash must cover the bytes already on disk: read them back once (page cache, fast).
    let fed = 0;
    await onDisk(async () => {
      for await (const chunk of deps.fs.readChunks(target.partPath, 0)) {
        const piece = fed + chunk.length > offset ? chunk.subarray(0, offset - fed) : chunk;
        hasher.update(piece);
        fed += piece.length;
        if (fed >= offset) break;
      }
    });
    if (fed !== offset) throw new TransferError(failure('filesystem', 'The partial file changed while resuming.', { retryable: true }));
  }
  // The validator still to write (null once written, or when resuming: it is already there).
  let metaToWrite = lazyMeta;
  const startedAt = deps.now?.() ?? 0;
  const openPart = (): Promise<WritableFile> => deps.fs.open(target.partPath, offset > 0 ? 'append' : 'truncate');
  const file = await onDisk(() =>
    openPart().catch(async (e: unknown) => {
      // A new .part whose folder is gone (deleted while the engine ran): the folder is made again, once.
      if (offset > 0 || codeOf(e) !== 'ENOENT' || deps.remakeFolder === undefined) throw e;
      await deps.remakeFolder();
      return openPart();
    }),
  );
  const writeMetaNow = async (): Promise<void> => {
    if (metaToWrite === null) return;
    const meta = metaToWrite;
    metaToWrite = null;
    await writeMeta(deps, target.metaPath, meta);
  };
  const sync = deps.fsync ? new BackgroundSync(file, deps.syncGate ?? null) : null;
  let bytes = offset;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let sniffed = offset > 0;
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let first: Uint8Array | undefined;
  // The last bytes received (at least PNG_TAIL_BYTES once that many came): a body without a size may end
  // with its connection, so a cut there only shows in the format (a PNG's IEND).
  let tail: Uint8Array = new Uint8Array(0);
  const tailNeeded = total === null && offset === 0;
  const flush = async (force = false): Promise<void> => {
    // Before the batch that makes the .part worth resuming (big or slow), or when an interrupted attempt keeps it.
    if (metaToWrite !== null && bytes > 0 && (force || bytes >= PART_META_BYTES || (deps.now !== undefined && deps.now() - startedAt >= PART_META_MS))) await writeMetaNow();
    if (pendingBytes === 0) return;
    const batch = pending;
    const size = pendingBytes;
    pending = [];
    pendingBytes = 0;
    await onDisk(() => file.write(batch));
    if (response.release !== undefined) {
      // The tail may be the batch's last chunk: keep a copy of it, then hand the written chunks back to the transport.
      if (tailNeeded) tail = new Uint8Array(tail.subarray(-PNG_TAIL_BYTES));
      for (const chunk of batch) response.release(chunk);
    }
    sync?.written(size);
    deps.onBytes(bytes, total);
  };
  const take = (chunk: Uint8Array): void => {
    tail = chunk.length >= PNG_TAIL_BYTES ? chunk : concatBytes([tail.subarray(-PNG_TAIL_BYTES), chunk]).subarray(-PNG_TAIL_BYTES);
    hasher.update(chunk);
    pending.push(chunk);
    pendingBytes += chunk.length;
    bytes += chunk.length;
  };
  const sniff = (complete: boolean): void => {
    const whole = concatBytes(head);
    const problem = checkBody(target.expected, whole, complete, response.headers['content-type']);
    if (problem !== null) throw new TransferError(failure('error-page', problem));
    // A copy (a Buffer's slice() is a view): the body's pieces go back to the transport once written.
    if (offset === 0) first = new Uint8Array(whole.subarray(0, 16));
    sniffed = true;
    for (const h of head) take(h);
    head.length = 0;
  };
  let closed = false;
  try {
    try {
      for await (const chunk of response.body) {
        if (chunk.length === 0) continue;
        if (!sniffed) {
          head.push(chunk);
          headBytes += chunk.length;
          if (headBytes < SNIFF_BYTES) continue;
          sniff(false);
        } else take(chunk);
        if (total !== null && bytes > total) throw new TransferError(failure('integrity', 'The server sent more bytes than it announced.', { retryable: true }));
        if (pendingBytes >= WRITE_BATCH_BYTES) await flush();
        const held = deps.throttle?.(chunk.length);
        if (held) await untilAborted(held, deps.signal); // pause/cancel never waits out the cap
      }
    } catch (e) {
      if (e instanceof TransferError) {
        // A full disk keeps the .part for a later resume: give it its validator if there is room for one.
        if (e.failure.reason === 'disk-full' && bytes - pendingBytes > 0) await writeMetaNow().catch(() => undefined);
        throw e;
      }
      // The body broke (reset, truncation, pause/cancel): keep every valid byte so a resume re-fetches nothing.
      if (sniffed) await flush(true);
      if (deps.signal.aborted) throw e;
      throw new TransferError(networkFailure(e), errorDetail(e));
    }
    if (!sniffed) sniff(true);
    await flush(total !== null && bytes !== total);
    deps.onBytes(bytes, total);
    if (total !== null && bytes !== total) {
      throw new TransferError(failure('network', `The download was cut short (${bytes} of ${total} bytes).`, { retryable: true }));
    }
    if (tailNeeded && first !== undefined && isPng(first) && !hasIendNearEnd(tail.subarray(-PNG_TAIL_BYTES))) {
      throw new TransferError(failure('network', 'The download was cut short (the server gave no size, and the image ends before its last part).', { retryable: true }));
    }
    // The data must be on disk before the engine renames the .part (crash safety): background syncs only make this one short.
    if (sync !== null) await onDisk(() => sync.finish());
    closed = true;
    await onDisk(() => file.close());
  } finally {
    if (!closed) {
      await sync?.settle();
      await file.close().catch(() => undefined);
    }
  }
  const done: { size: number; sha256: string; head?: Uint8Array; partMeta: boolean } = { size: bytes, sha256: hasher.digest(), partMeta: metaToWrite === null };
  if (first !== undefined) done.head = first;
  return done;
}

/** Limits how many background fsyncs run at once (each holds a thread-pool thread for a while). */
export interface SyncGate {
  active: number;
  max: number;
}

/** Start flushing a big file's data to disk after this many new bytes, while the download goes on. */
export const BACKGROUND_SYNC_BYTES = 32 * 1024 * 1024;

/**
 * fsync in the background every BACKGROUND_SYNC_BYTES written, never awaited
 * by the receive loop and at most one at a time per file (and `gate.max`
 * per engine): the disk writes overlap the download instead of all
 * happening in the final fsync before the rename. `finish()` still ends
 * with a full fsync after the last write.
 */
class BackgroundSync {
  private sinceSync = 0;
  private running: Promise<void> | null = null;
  private error: unknown = null;

  constructor(
    private readonly file: WritableFile,
    private readonly gate: SyncGate | null,
  ) {}

  written(bytes: number): void {
    this.sinceSync += bytes;
    if (this.sinceSync < BACKGROUND_SYNC_BYTES || this.running !== null) return;
    const gate = this.gate;
    if (gate !== null && gate.active >= gate.max) return;
    this.sinceSync = 0;
    if (gate !== null) gate.active++;
    this.running = this.file
      .sync()
      .catch((e: unknown) => {
        this.error ??= e;
      })
      .finally(() => {
        if (gate !== null) gate.active--;
        this.running = null;
      });
  }

  async settle(): Promise<void> {
    await this.running;
  }

  async finish(): Promise<void> {
    await this.running;
    if (this.error !== null) throw this.error;
    await this.file.sync();
  }
}

async function writeMeta(deps: TransferDeps, metaPath: string, meta: PartMeta): Promise<void> {
  await onDisk(async () => {
    const file = await deps.fs.open(metaPath, 'truncate');
    try {
      await file.write([new TextEncoder().encode(JSON.stringify(meta))]);
    } finally {
      await file.close();
    }
  });
}

/** Runs one attempt. Throws TransferError (classified) or, when `deps.signal` aborted, whatever the abort raised. */
export async function transfer(deps: TransferDeps, target: TransferTarget): Promise<TransferResult> {
  let { size: partSize, meta } = target.fresh === true ? { size: 0, meta: null } : await resumablePart(deps, target);
  for (let restarts = 0; ; restarts++) {
    if (restarts > MAX_RESTARTS) throw new TransferError(failure('integrity', 'The server kept changing the file while it was downloading.', { retryable: true }));
    const validator = meta === null ? null : validatorOf(meta);
    const extra: Record<string, string> = partSize > 0 && validator !== null ? { range: `bytes=${partSize}-`, 'if-range': validator } : {};
    const { response, url } = await fetchAsset(deps, target.url, extra);
    const status = response.status;
    const encoding = response.headers['content-encoding']?.trim().toLowerCase();
    if ((status === 200 || status === 206) && encoding !== undefined && COMPRESSED.test(encoding)) {
      // Asked for as is (accept-encoding: identity): compressed bytes would be saved as the file, and a
      // compressed error page would pass the body check. Nothing of it is kept.
      await response.discard().catch(() => undefined);
      throw new TransferError(failure('error-page', `The server sent the file compressed (${encoding}) when asked for it as is, so it was not saved.`));
    }
    const restart = async (why: string): Promise<void> => {
      await response.discard().catch(() => undefined);
      await dropPart(deps, target);
      deps.onRestart?.(why);
      partSize = 0;
      meta = null;
    };
    if (status === 416 && partSize > 0) {
      const total = unsatisfiedTotal(response.headers['content-range']);
      if (meta !== null && total === partSize && meta.total === total) {
        await response.discard().catch(() => undefined);
        const done = await hashFile(deps, target.partPath, partSize);
        return { size: done.size, sha256: done.sha256, contentType: null, url, resumedFrom: partSize };
      }
      await restart('416 for a .part that is not complete');
      continue;
    }
    if (status === 206) {
      const range = parseContentRange(response.headers['content-range']);
      const ok = partSize > 0 && meta !== null && range !== null && range.start === partSize && range.end === range.total - 1 && (meta.total === null || meta.total === range.total);
      if (!ok || range === null) {
        await restart(`206 with Content-Range "${response.headers['content-range'] ?? ''}" does not continue a ${partSize}-byte .part`);
        continue;
      }
      const got = await receive(deps, target, response, partSize, range.total);
      return { ...got, partMeta: true, contentType: response.headers['content-type'] ?? null, url, resumedFrom: partSize };
    }
    if (status !== 200) {
      await response.discard().catch(() => undefined);
      throw new TransferError(httpFailure(status));
    }
    if (target.fresh !== true || restarts > 0) {
      // Old bytes and the old validator must be gone before new bytes are written: a crash in between must not pair them.
      await dropPart(deps, target);
      if (partSize > 0) deps.onRestart?.('200 to a Range request: restarting from zero');
    }
    const total = contentLength(response.headers);
    const fresh: PartMeta = { v: 1, key: target.key, url, etag: response.headers['etag'] ?? null, lastModified: response.headers['last-modified'] ?? null, total };
    // Written lazily by receive (see PART_META_BYTES). Not atomic on purpose: a torn .part.json does
    // not parse, which only costs a restart from zero.
    const got = await receive(deps, target, response, 0, total, fresh);
    return { ...got, contentType: response.headers['content-type'] ?? null, url, resumedFrom: 0 };
  }
}
