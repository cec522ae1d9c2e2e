/**
 * FileSystemPort over node:fs (and the SHA-256 hasher over node:crypto) for
 * the download engine. Errors keep Node's `code` so the engine can tell a
 * full disk from a permission problem.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants, createReadStream, realpath as realpathJs } from 'node:fs';
import type { Stats } from 'node:fs';
import { link, mkdir, open, readFile, realpath, rename, stat, statfs, unlink, utimes, appendFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { codeOf } from '../core/downloads/errors';
import type { FileStat, FileSystemPort, HasherFactory, WritableFile } from '../core/downloads/ports';

/** The Node-style error code (ENOENT, EEXIST, …) of a thrown error, if any: the core's own reading of it. */
export const errorCode = codeOf;

/** Nothing there (the port's lookups answer null for it rather than throwing). */
export function isMissing(e: unknown): boolean {
  const code = errorCode(e);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Node's Stats as the port's FileStat. */
export function fileStatOf(s: Stats): FileStat {
  return { size: s.size, mtimeMs: s.mtimeMs, isFile: s.isFile() };
}

async function orNull<T>(op: Promise<T>): Promise<T | null> {
  try {
    return await op;
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

/**
 * Whether the native realpath (libc's, one call; what node:fs/promises uses) may resolve folders.
 * Not on Windows: there it asks the Mount Manager, and volumes that bypass it (ImDisk RAM disks and
 * other virtual drives) answer EISDIR for every path (nodejs/node#6861, vitejs/vite#13655). Node's
 * JavaScript realpath walks the path itself and works there.
 */
export const NATIVE_REALPATH = process.platform !== 'win32';

const realpathWalk = promisify(realpathJs);

/** What link() says on volumes without hard links (FAT, some network shares): fall back to check-then-rename. */
export const NO_HARD_LINKS: ReadonlySet<string> = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS']);

export const nodeSha256: HasherFactory = () => {
  const h = createHash('sha256');
  return {
    update: (chunk) => void h.update(chunk),
    digest: () => h.digest('hex'),
  };
};

/**
 * Flags for FileSystemPort.open: as 'w' / 'a', plus O_NOFOLLOW, so a symlink
 * planted at a .part, validator, sidecar or ledger name inside the folder
 * fails (ELOOP) instead of having the write land wherever it points; for
 * 'truncate' (a file that starts empty anyway) the link itself is replaced.
 * Windows has no O_NOFOLLOW (0 there; creating symlinks needs special rights).
 */
export function writeFlags(mode: 'append' | 'truncate'): number {
  const c = fsConstants;
  return c.O_WRONLY | c.O_CREAT | (mode === 'append' ? c.O_APPEND : c.O_TRUNC) | (c.O_NOFOLLOW ?? 0);
}

/** What is left of `chunks` once the first `written` bytes are on disk (views, no copies). */
export function unwritten(chunks: readonly Uint8Array[], written: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let n = written;
  for (const c of chunks) {
    if (n >= c.length) n -= c.length;
    else {
      rest.push(n === 0 ? c : c.subarray(n));
      n = 0;
    }
  }
  return rest;
}

export function createNodeFileSystem(): FileSystemPort {
  return {
    async open(path, mode): Promise<WritableFile> {
      const handle = await open(path, writeFlags(mode)).catch(async (e: unknown) => {
        // A link where a file that starts empty goes: replace the link (unlink does not follow it).
        if (mode !== 'truncate' || errorCode(e) !== 'ELOOP') throw e;
        await unlink(path);
        return open(path, writeFlags(mode));
      });
      return {
        async write(chunks) {
          // A write can take fewer bytes than given without an error (a file size limit or a full disk reached
          // partway): the rest is written again, and the error, if any, comes from that second write.
          for (let todo = chunks; todo.length > 0; ) {
            const first = todo[0];
            todo = unwritten(todo, (todo.length === 1 && first !== undefined ? await handle.write(first) : await handle.writev(todo as Uint8Array[])).bytesWritten);
          }
        },
        truncate: (size) => handle.truncate(size),
        sync: () => handle.sync(),
        close: () => handle.close(),
      };
    },
    async stat(path) {
      const s = await orNull(stat(path));
      return s === null ? null : fileStatOf(s);
    },
    readFile: (path) => orNull(readFile(path)),
    async *readChunks(path, start) {
      const stream = createReadStream(path, { start, highWaterMark: 1024 * 1024 });
      for await (const chunk of stream) yield chunk as Buffer;
    },
    async readAt(path, position, length) {
      const handle = await open(path, 'r');
      try {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, position);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    appendFile: (path, data) => appendFile(path, data, { flag: writeFlags('append') }),
    rename: (from, to) => rename(from, to),
    async renameNoReplace(from, to) {
      try {
        // link() fails with EEXIST instead of replacing: the only portable no-clobber move.
        await link(from, to);
      } catch (e) {
        const c = errorCode(e);
        if (c === 'EEXIST') throw e;
        // Volumes without hard links (FAT, some network shares): check, then rename.
        if (c !== undefined && NO_HARD_LINKS.has(c)) {
          if ((await orNull(stat(to))) !== null) throw Object.assign(new Error(`EEXIST: ${to}`), { code: 'EEXIST' });
          await rename(from, to);
          return;
        }
        throw e;
      }
      await unlink(from);
    },
    async unlink(path) {
      await orNull(unlink(path));
    },
    async mkdirp(path) {
      await mkdir(path, { recursive: true });
    },
    utimes: (path, atimeMs, mtimeMs) => utimes(path, atimeMs / 1000, mtimeMs / 1000),
    async freeBytes(path) {
      try {
        const s = await statfs(path);
        return Number(s.bavail) * Number(s.bsize);
      } catch {
        return null;
      }
    },
    realpath: (path) => (NATIVE_REALPATH ? realpath(path) : realpathWalk(path)),
  };
}
