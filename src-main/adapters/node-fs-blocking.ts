/**
 * FileSystemPort over node:fs's synchronous calls, for an engine that runs
 * where blocking is harmless: the CLI's own thread, or a worker thread.
 *
 * Why: every async fs call is a round trip through libuv's thread pool
 * (queue lock, wake a pool thread, wake the loop back). A download does
 * ~10 of them per file plus one per 256 KiB written; on a small machine the
 * wake-ups cost more than the system calls (bench:download). Blocking calls
 * do what curl does: one system call each, on the thread that asked.
 * Never use it on Electron's main thread: a slow disk or network share
 * would freeze the UI's process. fsync is the exception: it waits for the
 * disk, so it stays asynchronous.
 */
import { closeSync, fsync, ftruncateSync, linkSync, mkdirSync, openSync, readFileSync, readSync, realpathSync, renameSync, statfsSync, statSync, unlinkSync, utimesSync, writeSync, writevSync } from 'node:fs';
import type { FileSystemPort, WritableFile } from '../core/downloads/ports';
import { errorCode, fileStatOf, isMissing, NO_HARD_LINKS, NATIVE_REALPATH, unwritten, writeFlags } from './node-fs';

/** Writes every byte of `chunks`, continuing after short writes (signals, some network volumes). */
function writeAll(fd: number, chunks: readonly Uint8Array[]): void {
  for (let todo = chunks; todo.length > 0; ) todo = unwritten(todo, todo.length === 1 && todo[0] !== undefined ? writeSync(fd, todo[0]) : writevSync(fd, todo as Uint8Array[]));
}

function orNull<T>(op: () => T): T | null {
  try {
    return op();
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

/** Runs `op` now; its result or error arrives as a promise, like the async port's. */
function now<T>(op: () => T): Promise<T> {
  try {
    return Promise.resolve(op());
  } catch (e) {
    return Promise.reject(e as Error);
  }
}

const READ_CHUNK = 1024 * 1024;

/** Where `path` really is: the native call where it is safe (see NATIVE_REALPATH), which costs less per call. */
const realpathNow = NATIVE_REALPATH ? (path: string): string => realpathSync.native(path) : (path: string): string => realpathSync(path);

export function createBlockingFileSystem(): FileSystemPort {
  return {
    open: (path, mode) =>
      now((): WritableFile => {
        let fd: number;
        try {
          fd = openSync(path, writeFlags(mode));
        } catch (e) {
          // A link where a file that starts empty goes: replace the link (unlink does not follow it).
          if (mode !== 'truncate' || errorCode(e) !== 'ELOOP') throw e;
          unlinkSync(path);
          fd = openSync(path, writeFlags(mode));
        }
        let closed = false;
        return {
          write: (chunks) => now(() => writeAll(fd, chunks)),
          truncate: (size) => now(() => ftruncateSync(fd, size)),
          // The one call that waits for the disk itself: it goes to the thread pool so other transfers go on meanwhile.
          sync: () => new Promise<void>((done, fail) => fsync(fd, (e) => (e === null ? done() : fail(e)))),
          close: () =>
            now(() => {
              if (closed) return;
              closed = true;
              closeSync(fd);
            }),
        };
      }),
    // Most lookups are of names that do not exist yet (claiming a fresh name): answered without an
    // exception, whose Error and stack trace cost more than the system call.
    stat: (path) =>
      now(() => {
        const s = orNull(() => statSync(path, { throwIfNoEntry: false }));
        return s === null || s === undefined ? null : fileStatOf(s);
      }),
    readFile: (path) => now(() => (statSync(path, { throwIfNoEntry: false }) === undefined ? null : orNull(() => readFileSync(path)))),
    async *readChunks(path, start) {
      const fd = openSync(path, 'r');
      try {
        for (let at = start; ; ) {
          const buffer = Buffer.allocUnsafe(READ_CHUNK);
          const n = readSync(fd, buffer, 0, READ_CHUNK, at);
          if (n === 0) return;
          at += n;
          yield buffer.subarray(0, n);
        }
      } finally {
        closeSync(fd);
      }
    },
    readAt: (path, position, length) =>
      now(() => {
        const fd = openSync(path, 'r');
        try {
          const buffer = Buffer.alloc(length);
          return buffer.subarray(0, readSync(fd, buffer, 0, length, position));
        } finally {
          closeSync(fd);
        }
      }),
    appendFile: (path, data) =>
      now(() => {
        const fd = openSync(path, writeFlags('append'));
        try {
          writeAll(fd, [data]);
        } finally {
          closeSync(fd);
        }
      }),
    rename: (from, to) => now(() => renameSync(from, to)),
    renameNoReplace: (from, to) =>
      now(() => {
        try {
          linkSync(from, to);
        } catch (e) {
          const c = errorCode(e);
          if (c === 'EEXIST' || c === undefined || !NO_HARD_LINKS.has(c)) throw e;
          if (orNull(() => statSync(to)) !== null) throw Object.assign(new Error(`EEXIST: ${to}`), { code: 'EEXIST' });
          renameSync(from, to);
          return;
        }
        unlinkSync(from);
      }),
    unlink: (path) => now(() => void orNull(() => unlinkSync(path))),
    mkdirp: (path) => now(() => void mkdirSync(path, { recursive: true })),
    utimes: (path, atimeMs, mtimeMs) => now(() => utimesSync(path, atimeMs / 1000, mtimeMs / 1000)),
    freeBytes: (path) =>
      now(() => {
        try {
          const s = statfsSync(path);
          return Number(s.bavail) * Number(s.bsize);
        } catch {
          return null;
        }
      }),
    realpath: (path) => now(() => realpathNow(path)),
  };
}

