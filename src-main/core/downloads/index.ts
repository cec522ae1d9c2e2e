/**
 * Download engine — public API (Electron-free; effects through ports).
 *
 * Wiring (main process / CLI):
 *   const engine = await DownloadEngine.create(
 *     { http: createResultDownload({ connections: 8 }),        // adapters/result-download.ts
 *       fs: createNodeFileSystem(), hasher: nodeSha256,          // adapters/node-fs.ts
 *       clock: systemClock, random: Math.random, logger },
 *     { root: '/home/me/Pictures/genwatch',                      // absolute; created if missing
 *       template: '{provider}/{date}/{jobId}_{kind}-{index}.{ext}',
 *       concurrency: 6, perHostConcurrency: 6, privacy: false,
 *       sources: [midjourneyCdnSource({ proxy: { apiBase: useapiBaseUrl, token } })],
 *       refreshUrl: async (job, asset) => freshUrlFromGetJob(job, asset) });
 *   if (!engine.ok) → show engine.error.message
 *   engine.value.onEvent((e) => forward to the renderer);      // 'file' | 'aggregate' | 'batch-done' | 'space' | 'ledger'
 *   const batch = await engine.value.enqueue(job.assets.map((asset) => ({ job, asset })), { force: false });
 *   batch.ok && (await batch.value.done)                         // BatchSummary: done/skipped/cancelled/failed[]/bytes
 *
 * DownloadEngine (engine.ts)
 *   static create(deps: DownloadDeps, settings: Partial<DownloadSettings> & { root: string }): Promise<Result<DownloadEngine>>
 *   enqueue(items: readonly DownloadItem[], options?: EnqueueOptions): Promise<Result<BatchHandle>>
 *       ledger hits → 'skipped' (skipReason 'already-downloaded' | 'deleted-by-user') unless { force: true };
 *       disallowed URLs → 'failed' (url-refused); refused as a whole when known sizes + reserveBytes exceed free space.
 *   failures(batchId): DownloadItem[]             retryFailed(batchId, options?): Promise<Result<BatchHandle>>
 *   pause(id) / resume(id) / cancel(id): boolean  pauseAll() / resumeAll() / cancelAll(): void
 *   snapshot(): FileSnapshot[]   aggregate(): AggregateProgress   clearFinished(): void
 *   configure(patch: Partial<Omit<DownloadSettings, 'root'>>): Result<void>   (a new root = a new engine)
 *   isDownloaded(job, asset): boolean   downloadedKeys(): string[]   ledgerEntries(): LedgerEntry[]   onEvent(listener): () => void
 *   The app runs it in a worker thread behind the same calls (DownloadEngineApi; adapters/remote-engine.ts).
 *
 * Behaviour worth knowing when integrating:
 * - Files stream to `<final>.part`; the final name appears only by an atomic no-replace rename after the
 *   byte count matched Content-Length / Content-Range. `<final>.part.json` (URL, ETag/Last-Modified, total)
 *   is written beside a .part once it holds 8 MiB or has run for 1 s, and whenever an attempt is
 *   interrupted (pause, network error, disk full), so files that finish quickly never get one. After a
 *   crash or quit, enqueueing the same assets again resumes the .part files that have one (Range +
 *   If-Range; trusted only on a 206 starting exactly at the .part size; a 200 restarts from zero); a .part
 *   without one is restarted from zero under the same name (a crash loses at most ~8 MiB / 1 s per file).
 *   Jobs are not persisted by the engine: on restart, re-enqueue what was pending (the ledger skips what finished).
 * - Failures are values (FileSnapshot.failure: DownloadFailure { reason, retryable, error: AppError }).
 *   The .part is kept when a later retry can resume it (network trouble after all attempts, disk full) and
 *   deleted otherwise (error page, permission, expired link, refused URL/name) and on cancel.
 * - 403/404/410 → settings.refreshUrl(job, asset) once per file, then retried with the fresh URL (.part kept).
 * - Credentials: the engine sends only the headers an AssetSource gives for a URL (DEFAULT_HEADERS
 *   otherwise) and re-derives them on cross-origin redirects. Never put a provider key in a source's
 *   `headers()` for a CDN host; a key belongs only on a request to the provider's own API host (as
 *   midjourneyCdnSource's useapi proxy fallback does).
 * - Disk: ENOSPC fails the file with reason 'disk-full' (no final file) and holds all downloads while free
 *   space < lowSpaceBytes (event 'space'); they resume by themselves above 1.5× that.
 * - Per file: the ledger (`<root>/.genwatch/ledger.jsonl`) records path, size, sha256; a `<jobId>.json`
 *   sidecar beside the files (sha256 in both only with `checksums` on); with `embedPngText` (historical name: it covers every format) PNGs get
 *   tEXt/iTXt and JPEG/WebP get XMP (prompt, ids, model, times, source URL unless privacy), chosen by the
 *   file's magic bytes, not its extension; the ledger then records sha256 of the saved file and
 *   sourceSha256 of the bytes the server sent. mtime = job completion time.
 * - Naming: `{group}` is the parent job's id (useapi.net U1/V1/upscale jobs: raw.request.jobId), else the
 *   job's own id — `{provider}/{group}/{jobId}_{kind}-{index}.{ext}` keeps a grid and its upscales together.
 *
 * Pure helpers for settings and the UI: previewName(template, job?), validateTemplate, TEMPLATE_VARIABLES,
 * TEMPLATE_VARIABLE_DESCRIPTIONS, groupIdOf / parentJobIdOf, isAllowedDownloadUrl(url),
 * sanitiseSegment / sanitiseRelativePath / joinInsideRoot, readPngText, readJpegXmp / readWebpXmp /
 * readXmpFields (reading embedded metadata back), insertJpegXmp / insertWebpXmp / buildXmpPacket.
 */
export { DownloadEngine, DEFAULT_SETTINGS } from './engine';
export type { DownloadDeps, DownloadEngineApi, DownloadSettings, DownloadSettings as EngineSettings } from './engine';
export type { AggregateProgress, BatchHandle, BatchSummary, DownloadEvent, DownloadItem, EnqueueOptions, FileSnapshot, FileState } from './types';
export { EMPTY_AGGREGATE, isFinished } from './types';
export type { DownloadFailure, FailureReason } from './errors';
export { FAILURE_REASONS } from './errors';
export type { DownloadHttpPort, DownloadRequest, DownloadResponse, FileSystemPort, FileStat, WritableFile, Hasher, HasherFactory } from './ports';
export type { AssetSource, AssetRequest } from './sources';
export { browserLikeSource, midjourneyCdnSource, isMidjourneyCdn, BROWSER_HEADERS, DEFAULT_HEADERS, CHROME_USER_AGENT } from './sources';
export { isAllowedDownloadUrl } from './url-safety';
export { DEFAULT_TEMPLATE, TEMPLATE_VARIABLES, TEMPLATE_VARIABLE_DESCRIPTIONS, groupIdOf, parentJobIdOf, previewName, renderName, validateTemplate, inferExtension, promptSlug, sampleJob } from './naming';
export type { TemplateVariable } from './naming';
export { sanitiseSegment, sanitiseRelativePath, joinInsideRoot, isInsideRoot, normalisePath, baseNameOf } from './sanitise';
export type { LedgerEntry } from './ledger';
export { assetKeyOf, LEDGER_DIR, LEDGER_FILE } from './ledger';
export type { Sidecar, SidecarFile } from './sidecar';
export { readPngText, insertPngText } from './png-metadata';
export type { XmpFields } from './xmp-metadata';
export { buildXmpPacket, insertJpegXmp, insertWebpXmp, readJpegXmp, readWebpXmp, readXmpFields } from './xmp-metadata';
