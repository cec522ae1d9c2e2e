/**
 * A download process SIGKILLed mid-file: no truncated file may exist under
 * the final name, and the next run resumes from the .part (Range + If-Range)
 * so almost nothing is fetched twice. Once per file-system adapter: node-fs,
 * and node-fs-blocking (what the CLI and the app's download thread use).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNodeFileSystem, nodeSha256 } from '../adapters/node-fs';
import { createBlockingFileSystem } from '../adapters/node-fs-blocking';
import { systemClock } from '../adapters/system-clock';
import { createResultDownload } from '../adapters/result-download';
import { startEmulator } from '../emulator';
import type { RunningEmulator } from '../emulator';
import { DownloadEngine } from '../core/downloads/engine';
import type { DownloadHttpPort, FileSystemPort } from '../core/downloads/ports';
import { makeAsset, makeJob } from '../core/downloads/testing/fixtures';
import { WRITE_BATCH_BYTES } from '../core/downloads/transfer';

const REPO = resolve(import.meta.dirname, '../..');
const SIZE = 96 * 1024 * 1024;
const JOB_ID = '0b8f6c2e-1111-4c2e-9f10-2a6b8c4d0e11';

let emu: RunningEmulator;
let base: string;

beforeEach(async () => {
  emu = await startEmulator({ scenario: { apiframe: { apiKeys: [], jobs: [] } } });
  base = await mkdtemp(join(tmpdir(), 'genwatch-kill-'));
});
afterEach(async () => {
  await emu.close();
  await rm(base, { recursive: true, force: true });
});

interface FileSystemAdapter {
  name: string;
  module: string;
  factory: string;
  make: () => FileSystemPort;
}
const FILE_SYSTEMS: FileSystemAdapter[] = [
  { name: 'node-fs', module: 'src-main/adapters/node-fs', factory: 'createNodeFileSystem', make: createNodeFileSystem },
  { name: 'node-fs-blocking', module: 'src-main/adapters/node-fs-blocking', factory: 'createBlockingFileSystem', make: createBlockingFileSystem },
];

/** The child: the real engine and adapters; prints "R <bytes received>" after every network chunk (pipes are synchronous on Linux). */
function childSource(adapter: FileSystemAdapter): string {
  const src = (p: string): string => JSON.stringify(join(REPO, p));
  return `
import { DownloadEngine } from ${src('src-main/core/downloads/engine')};
import { nodeSha256 } from ${src('src-main/adapters/node-fs')};
import { ${adapter.factory} as createFileSystem } from ${src(adapter.module)};
import { systemClock } from ${src('src-main/adapters/system-clock')};
import { createResultDownload } from ${src('src-main/adapters/result-download')};
import { makeAsset, makeJob } from ${src('src-main/core/downloads/testing/fixtures')};
const [root, url, jobId] = process.argv.slice(2);
const inner = createResultDownload();
let received = 0;
const http = {
  async request(req) {
    const res = await inner.request(req);
    const body = (async function* () { for await (const c of res.body) { received += c.length; process.stdout.write('R ' + received + '\\n'); yield c; } })();
    return { ...res, body };
  },
};
const created = await DownloadEngine.create({ http, fs: createFileSystem(), hasher: nodeSha256, clock: systemClock, random: Math.random }, { root, template: '{jobId}.{ext}', fsync: false, checksums: true, reserveBytes: 0, lowSpaceBytes: 0 });
if (!created.ok) throw new Error(created.error.message);
const job = makeJob([makeAsset(url, { kind: 'video' })], { id: jobId });
const batch = await created.value.enqueue([{ job, asset: job.assets[0] }]);
if (batch.ok) await batch.value.done;
process.stdout.write('DONE\\n');
`;
}

describe.each(FILE_SYSTEMS)('file system: $name', (adapter) => {
  it('SIGKILL mid-download leaves only .part files; the next run resumes and re-fetches at most one write batch', async () => {
    const root = join(base, 'root');
    const url = `${emu.url}/assets/kill/big.mp4?size=${SIZE}`;
    const script = join(base, 'child.mts');
    await writeFile(script, childSource(adapter));
    const finalPath = join(root, `${JOB_ID}.mp4`);
    const partPath = `${finalPath}.part`;

    const child = spawn(process.execPath, [join(REPO, 'node_modules/jiti/lib/jiti-cli.mjs'), script, root, url, JOB_ID], { stdio: ['ignore', 'pipe', 'inherit'] });
    let lastReceived = 0;
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line.startsWith('R ')) lastReceived = Number(line.slice(2));
    });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const stdoutClosed = new Promise<void>((done) => lines.once('close', () => done()));
    let finalSeen = false;

    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if ((await stat(finalPath).catch(() => null)) !== null) finalSeen = true;
      const part = await stat(partPath).catch(() => null);
      if (part !== null && part.size >= SIZE * 0.4) {
        child.kill('SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await exited;
    await stdoutClosed;
    const partAtKill = (await stat(partPath)).size;
    expect(finalSeen).toBe(false);
    expect(await stat(finalPath).catch(() => null)).toBeNull();
    expect(partAtKill).toBeGreaterThan(0);
    expect(partAtKill).toBeLessThan(SIZE);
    expect(JSON.parse(await readFile(`${partPath}.json`, 'utf8'))).toMatchObject({ v: 1, etag: expect.any(String), total: SIZE });
    // What the killed process had received but not yet written: the only bytes a resume fetches again.
    expect(lastReceived - partAtKill).toBeLessThanOrEqual(WRITE_BATCH_BYTES + 64 * 1024);

    const inner = createResultDownload();
    const ranges: Array<string | undefined> = [];
    let fetched = 0;
    const counting: DownloadHttpPort = {
      async request(req) {
        ranges.push(req.headers['range']);
        const res = await inner.request(req);
        const body = (async function* () {
          for await (const c of res.body) {
            fetched += c.length;
            yield c;
          }
        })();
        return { ...res, body };
      },
    };
    const created = await DownloadEngine.create({ http: counting, fs: adapter.make(), hasher: nodeSha256, clock: systemClock, random: Math.random }, { root, template: '{jobId}.{ext}', fsync: false, checksums: true, reserveBytes: 0, lowSpaceBytes: 0 });
    if (!created.ok) throw new Error(created.error.message);
    const job = makeJob([makeAsset(url, { kind: 'video' })], { id: JOB_ID });
    const batch = await created.value.enqueue([{ job, asset: job.assets[0] ?? makeAsset(url) }]);
    if (!batch.ok) throw new Error(batch.error.message);
    const summary = await batch.value.done;
    await inner.close();
    expect(summary.done).toBe(1);
    expect(ranges).toEqual([`bytes=${partAtKill}-`]);
    expect(fetched).toBe(SIZE - partAtKill);
    const direct = createHash('sha256');
    for await (const c of (await fetch(url)).body ?? []) direct.update(c as Uint8Array);
    expect(created.value.ledgerEntries()[0]?.sha256).toBe(direct.digest('hex'));
    expect((await stat(finalPath)).size).toBe(SIZE);
    expect(await stat(partPath).catch(() => null)).toBeNull();
  }, 60_000);
});
