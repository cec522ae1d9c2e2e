/**
 * The two FileSystemPort adapters (thread-pool and blocking) against the same
 * contract, on a real temp folder: the engine must not be able to tell them
 * apart, apart from speed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileSystemPort } from '../core/downloads/ports';
import { createNodeFileSystem, unwritten } from './node-fs';
import { createBlockingFileSystem } from './node-fs-blocking';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const codeOf = async (p: Promise<unknown>): Promise<unknown> => p.then(() => 'resolved', (e: unknown) => (e as { code?: unknown }).code);

describe.each([
  ['thread pool', createNodeFileSystem],
  ['blocking', createBlockingFileSystem],
] as const)('FileSystemPort over node:fs (%s)', (_name, make) => {
  let dir: string;
  let fs: FileSystemPort;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'genwatch-fs-'));
    fs = make();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes chunk lists in order, appends, truncates, syncs and closes', async () => {
    const path = join(dir, 'a.part');
    const f = await fs.open(path, 'truncate');
    await f.write([bytes('he'), bytes('llo'), bytes(' ')]);
    await f.write([bytes('world')]);
    await f.sync();
    await f.close();
    expect(readFileSync(path, 'utf8')).toBe('hello world');
    const g = await fs.open(path, 'append');
    await g.write([bytes('!')]);
    await g.truncate(5);
    await g.close();
    expect(readFileSync(path, 'utf8')).toBe('hello');
    const h = await fs.open(path, 'truncate');
    await h.close();
    expect(statSync(path).size).toBe(0);
  });

  it('writes a large chunk list completely', async () => {
    const path = join(dir, 'big');
    const chunks = Array.from({ length: 40 }, (_, i) => new Uint8Array(64 * 1024).fill(i));
    const f = await fs.open(path, 'truncate');
    await f.write(chunks);
    await f.close();
    const back = readFileSync(path);
    expect(back.length).toBe(40 * 64 * 1024);
    expect(back[39 * 64 * 1024]).toBe(39);
  });

  it('stat / readFile give null for missing files, real values otherwise', async () => {
    expect(await fs.stat(join(dir, 'nope'))).toBeNull();
    expect(await fs.readFile(join(dir, 'nope'))).toBeNull();
    expect(await fs.stat(join(dir, 'nope', 'deeper'))).toBeNull();
    writeFileSync(join(dir, 'x'), 'abc');
    expect(await fs.stat(join(dir, 'x'))).toMatchObject({ size: 3, isFile: true });
    expect(await fs.stat(dir)).toMatchObject({ isFile: false });
    expect(new TextDecoder().decode((await fs.readFile(join(dir, 'x'))) ?? new Uint8Array())).toBe('abc');
  });

  it('reads chunks from an offset and a range at a position', async () => {
    const path = join(dir, 'r');
    const data = Buffer.alloc(3 * 1024 * 1024 + 7, 0);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    writeFileSync(path, data);
    const parts: Uint8Array[] = [];
    for await (const c of fs.readChunks(path, 10)) parts.push(c);
    expect(Buffer.concat(parts).equals(data.subarray(10))).toBe(true);
    expect(Buffer.from(await fs.readAt(path, 5, 4)).equals(data.subarray(5, 9))).toBe(true);
    expect((await fs.readAt(path, data.length - 2, 10)).length).toBe(2);
  });

  it('rename replaces; renameNoReplace refuses with EEXIST and keeps both files', async () => {
    writeFileSync(join(dir, 'a'), 'A');
    writeFileSync(join(dir, 'b'), 'B');
    expect(await codeOf(fs.renameNoReplace(join(dir, 'a'), join(dir, 'b')))).toBe('EEXIST');
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('A');
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('B');
    await fs.renameNoReplace(join(dir, 'a'), join(dir, 'c'));
    expect(existsSync(join(dir, 'a'))).toBe(false);
    expect(readFileSync(join(dir, 'c'), 'utf8')).toBe('A');
    await fs.rename(join(dir, 'c'), join(dir, 'b'));
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('A');
  });

  it('unlink ignores missing files; mkdirp, appendFile, utimes, realpath, freeBytes work', async () => {
    await fs.unlink(join(dir, 'missing'));
    await fs.mkdirp(join(dir, 'x', 'y'));
    await fs.mkdirp(join(dir, 'x', 'y'));
    await fs.appendFile(join(dir, 'x', 'y', 'log'), bytes('1\n'));
    await fs.appendFile(join(dir, 'x', 'y', 'log'), bytes('2\n'));
    expect(readFileSync(join(dir, 'x', 'y', 'log'), 'utf8')).toBe('1\n2\n');
    const when = Date.UTC(2024, 0, 2, 3, 4, 5);
    await fs.utimes(join(dir, 'x', 'y', 'log'), when, when);
    expect(statSync(join(dir, 'x', 'y', 'log')).mtimeMs).toBe(when);
    expect(await fs.realpath(join(dir, 'x', '..', 'x', 'y'))).toBe(join(await fs.realpath(dir), 'x', 'y'));
    expect(await fs.freeBytes(dir)).toBeGreaterThan(0);
    await fs.unlink(join(dir, 'x', 'y', 'log'));
    expect(existsSync(join(dir, 'x', 'y', 'log'))).toBe(false);
  });

  it('failures reject (never throw synchronously) and carry Node error codes', async () => {
    mkdirSync(join(dir, 'd'));
    let thrown: unknown = null;
    let rejected: Promise<unknown> | null = null;
    try {
      rejected = codeOf(fs.open(join(dir, 'no', 'such', 'dir', 'f'), 'truncate'));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeNull();
    expect(await rejected).toBe('ENOENT');
    expect(await codeOf(fs.open(join(dir, 'd'), 'truncate'))).toBe('EISDIR');
    expect(await codeOf(fs.realpath(join(dir, 'missing')))).toBe('ENOENT');
  });

  it.skipIf(process.platform === 'win32')('never writes through a planted symbolic link: append fails with ELOOP, truncate replaces the link; its target stays untouched', async () => {
    const outside = join(dir, 'outside.txt');
    writeFileSync(outside, 'keep');
    const planted = join(dir, 'planted.part');
    symlinkSync(outside, planted);
    expect(await codeOf(fs.open(planted, 'append'))).toBe('ELOOP');
    const f = await fs.open(planted, 'truncate');
    await f.write([bytes('new')]);
    await f.close();
    expect(lstatSync(planted).isSymbolicLink()).toBe(false);
    expect(readFileSync(planted, 'utf8')).toBe('new');
    expect(readFileSync(outside, 'utf8')).toBe('keep');
  });

  it.skipIf(process.platform === 'win32')('a write cut short by a file size limit fails (EFBIG) instead of counting bytes that never reached the file', async () => {
    // A child process under `ulimit -f 1` (1,024 bytes): writev of 1,200 bytes returns 1,024 without an error;
    // only writing the rest reports the problem. Node ignores SIGXFSZ, so the error comes back as EFBIG.
    const script = join(dir, 'limit.ts');
    const adapter = make === createNodeFileSystem ? 'createNodeFileSystem' : 'createBlockingFileSystem';
    const module = make === createNodeFileSystem ? './node-fs' : './node-fs-blocking';
    writeFileSync(
      script,
      `import { ${adapter} as make } from ${JSON.stringify(join(import.meta.dirname, module))};
const f = await make().open(${JSON.stringify(join(dir, 'big.part'))}, 'truncate');
const outcome = await f.write([new Uint8Array(1000), new Uint8Array(200)]).then(() => 'written', (e) => e.code);
await f.close();
console.log(outcome);`,
    );
    const jiti = join(import.meta.dirname, '../../node_modules/jiti/lib/jiti-cli.mjs');
    const out = execFileSync('bash', ['-c', 'ulimit -f 1; exec "$0" "$1" "$2"', process.execPath, jiti, script], { encoding: 'utf8', env: { ...process.env, JITI_FS_CACHE: 'false' } });
    expect(out.trim()).toBe('EFBIG');
    expect(statSync(join(dir, 'big.part')).size).toBe(1024);
  });
});

describe('unwritten', () => {
  it('is what a short write left: the rest of a cut chunk (a view) and every chunk after it', () => {
    const a = bytes('abc');
    const b = bytes('defg');
    expect(unwritten([a, b], 0)).toEqual([a, b]);
    expect(unwritten([a, b], 2).map((c) => new TextDecoder().decode(c))).toEqual(['c', 'defg']);
    expect(unwritten([a, b], 3)).toEqual([b]);
    expect(unwritten([a, b], 7)).toEqual([]);
    expect(unwritten([a, b], 2)[0]?.buffer).toBe(a.buffer);
  });
});

