/**
 * The effects the download engine needs, beyond the shared Clock/Random:
 * streaming HTTP, a small file-system surface and a hash. Real adapters live
 * in src-main/adapters (result-download.ts, node-fs.ts); tests use fakes.
 */

export interface DownloadRequest {
  url: string;
  /** Exactly the headers to send: the engine adds only Range/If-Range. */
  headers: Record<string, string>;
  signal: AbortSignal;
}

export interface DownloadResponse {
  status: number;
  /** Header names lower-cased, repeated values joined with ", ". */
  headers: Record<string, string>;
  /** Read at most once. Errors (reset, idle timeout, truncation) surface as a thrown error mid-iteration. */
  body: AsyncIterable<Uint8Array>;
  /** Releases the connection without reading the body (redirects, errors, refused restarts). */
  discard(): Promise<void>;
  /**
   * Optional: the reader is done with `chunk` (a value the body yielded): it
   * is written and nothing keeps it, so the transport may read into its
   * memory again. Called at most once per chunk; never for a chunk still held.
   */
  release?(chunk: Uint8Array): void;
}

/**
 * Never follows redirects (the engine does, checking every hop) and rejects
 * only when no response head arrived (DNS, refused, reset, timeout, abort).
 */
export interface DownloadHttpPort {
  request(request: DownloadRequest): Promise<DownloadResponse>;
}

export interface FileStat {
  size: number;
  mtimeMs: number;
  isFile: boolean;
}

export interface WritableFile {
  /** Appends at the current end; several chunks go down in one system call. */
  write(chunks: readonly Uint8Array[]): Promise<void>;
  truncate(size: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Paths are absolute, as the platform spells them; the core only ever builds
 * them as `<root>/<relative path with forward slashes>`, which every platform
 * accepts. Failures throw errors carrying a Node-style `code` (ENOSPC, EACCES,
 * EPERM, EEXIST, …) so the engine can classify them.
 */
export interface FileSystemPort {
  /** 'append' keeps existing bytes (creating the file if missing); 'truncate' starts empty. Never writes through a symlink at `path` ('truncate' replaces the link; 'append' fails with ELOOP), where the OS can tell. */
  open(path: string, mode: 'append' | 'truncate'): Promise<WritableFile>;
  /** null when nothing is there. */
  stat(path: string): Promise<FileStat | null>;
  /** Whole small files (sidecars, ledger); null when missing. */
  readFile(path: string): Promise<Uint8Array | null>;
  /** Streams a file from `start` (to hash a .part before resuming). */
  readChunks(path: string, start: number): AsyncIterable<Uint8Array>;
  /** `length` bytes at `position` (fewer at end of file). */
  readAt(path: string, position: number, length: number): Promise<Uint8Array>;
  appendFile(path: string, data: Uint8Array): Promise<void>;
  /** Atomic replace (POSIX rename semantics). */
  rename(from: string, to: string): Promise<void>;
  /** Atomic move that fails with EEXIST instead of replacing: finished files never overwrite anything. */
  renameNoReplace(from: string, to: string): Promise<void>;
  /** Missing files are not an error. */
  unlink(path: string): Promise<void>;
  mkdirp(path: string): Promise<void>;
  utimes(path: string, atimeMs: number, mtimeMs: number): Promise<void>;
  /** Bytes available to this user on the volume holding `path`; null when unknown. */
  freeBytes(path: string): Promise<number | null>;
  /** Symlinks resolved; the path must exist. */
  realpath(path: string): Promise<string>;
}

export interface Hasher {
  update(chunk: Uint8Array): void;
  /** Lower-case hex. */
  digest(): string;
}

/** SHA-256; injected so the core stays free of node:crypto. */
export type HasherFactory = () => Hasher;
