/**
 * The engine over real HTTP (the emulator, and tiny local servers for
 * behaviour the emulator lacks) into real temp folders, through each
 * file-system adapter: node-fs (async) and node-fs-blocking (what the CLI
 * and the app's download thread use), so every safety check holds for both,
 * and through both download transports (see SETUPS).
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { createServer } from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNodeFileSystem, nodeSha256 } from '../adapters/node-fs';
import { createBlockingFileSystem } from '../adapters/node-fs-blocking';
import { systemClock } from '../adapters/system-clock';
import { createResultDownload, DOWNLOAD_TRANSPORT_ENV } from '../adapters/result-download';
import type { ResultDownload } from '../adapters/result-download';
import { makeUseapiJobId, ManualClock, startEmulator, TEST_USEAPI_TOKEN } from '../emulator';
import type { RunningEmulator } from '../emulator';
import type { Asset, Job } from '../../src-shared/job';
import type { DownloadDeps, DownloadSettings } from '../core/downloads/engine';
import { DownloadEngine } from '../core/downloads/engine';
import { RecordingLogger } from '../core/testing/fakes';
import { readPngText } from '../core/downloads/png-metadata';
import type { FileSystemPort } from '../core/downloads/ports';
import { BROWSER_HEADERS, DEFAULT_HEADERS, isMidjourneyCdn, midjourneyCdnSource } from '../core/downloads/sources';
import type { AssetSource } from '../core/downloads/sources';
import { makeAsset, makeJob } from '../core/downloads/testing/fixtures';
import { concatBytes, JPEG_2X2, jpegSegment, WEBP_LOSSLESS_2X2, WEBP_LOSSY_2X2 } from '../core/downloads/testing/image-fixtures';
import { binaryBytes, sendSlowly, startLocalServer } from '../core/downloads/testing/local-server';
import type { LocalServer } from '../core/downloads/testing/local-server';
import { TEST_TLS_CERT, TEST_TLS_KEY } from '../core/downloads/testing/tls-fixture';
import type { DownloadEvent, FileSnapshot } from '../core/downloads/types';
import { readJpegXmp, readJpegXmpAll, readWebpXmp, readXmpFields, XMP_JPEG_NAMESPACE } from '../core/downloads/xmp-metadata';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The adapters the running suite uses (set per block below). */
let createFileSystem: () => FileSystemPort = createNodeFileSystem;
let transportEnv: Record<string, string> = {};
/**
 * Both file-system adapters with the transport genwatch ships (its own
 * HTTP/1.1 client), and the blocking one (the CLI's and the app thread's)
 * with the undici transport GENWATCH_DOWNLOAD_TRANSPORT=undici selects.
 */
const SETUPS: Array<{ name: string; make: () => FileSystemPort; env: Record<string, string> }> = [
  { name: 'node-fs, genwatch transport', make: createNodeFileSystem, env: {} },
  { name: 'node-fs-blocking, genwatch transport', make: createBlockingFileSystem, env: {} },
  { name: 'node-fs-blocking, undici transport', make: createBlockingFileSystem, env: { [DOWNLOAD_TRANSPORT_ENV]: 'undici' } },
];

/**
 * The transport the suite uses, with every piece the engine gives back
 * (DownloadResponse.release) overwritten first: a piece still used after its
 * release (written late, kept as a PNG's tail) would corrupt a file here.
 */
function poisoningTransport(): ResultDownload {
  const inner = createResultDownload({ connections: 8, idleTimeoutMs: 5000 }, transportEnv);
  return {
    close: () => inner.close(),
    async request(req) {
      const res = await inner.request(req);
      // Only where the transport takes pieces back: with undici the engine's path without release runs too.
      const giveBack = res.release?.bind(res);
      if (giveBack === undefined) return res;
      return {
        ...res,
        release(chunk) {
          chunk.fill(0xee);
          giveBack(chunk);
        },
      };
    },
  };
}

let emu: RunningEmulator;
let root: string;
let base: string;
const closers: Array<() => Promise<void>> = [];

beforeEach(async () => {
  emu = await startEmulator({ scenario: { apiframe: { apiKeys: [], jobs: [] } } });
  base = await mkdtemp(join(tmpdir(), 'genwatch-dl-'));
  root = join(base, 'root');
});

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await emu.close();
  await rm(base, { recursive: true, force: true });
});

async function engineWith(settings: Partial<DownloadSettings> = {}, deps: Partial<DownloadDeps> = {}): Promise<DownloadEngine> {
  const http = poisoningTransport();
  closers.push(() => http.close());
  const created = await DownloadEngine.create(
    { http, fs: createFileSystem(), hasher: nodeSha256, clock: systemClock, random: () => 0.5, ...deps },
    { root, retryBaseMs: 10, reserveBytes: 0, lowSpaceBytes: 0, fsync: false, checksums: true, template: '{jobId}_{kind}-{index}.{ext}', ...settings },
  );
  if (!created.ok) throw new Error(created.error.message);
  return created.value;
}

async function direct(url: string, headers: Record<string, string> = {}): Promise<Buffer> {
  return Buffer.from(await (await fetch(url, { headers })).arrayBuffer());
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name).slice(dir.length + 1));
  return out.sort();
}

async function download(engine: DownloadEngine, items: Array<{ job: Job; asset: Asset }>, force = false) {
  const batch = await engine.enqueue(items, { force });
  if (!batch.ok) throw new Error(batch.error.message);
  return { handle: batch.value, summary: await batch.value.done };
}

const items = (job: Job): Array<{ job: Job; asset: Asset }> => job.assets.map((asset) => ({ job, asset }));

function jobFor(urls: string[], over: Partial<Job> = {}, assetOver: Partial<Asset> = {}): Job {
  return makeJob(
    urls.map((u, index) => makeAsset(u, { index, ...assetOver })),
    over,
  );
}

describe.each(SETUPS)('$name', ({ make, env }) => {
  beforeAll(() => {
    createFileSystem = make;
    transportEnv = env;
  });

  describe('downloads against the emulator', () => {
    it('downloads files whose bytes and sha256 match a direct fetch; no .part left; ledger written', async () => {
      const engine = await engineWith({ embedPngText: false });
      const urls = [`${emu.url}/assets/a/one.png`, `${emu.url}/assets/a/two.mp4?size=3000000`];
      const job = jobFor(urls, {}, {});
      if (job.assets[1] !== undefined) job.assets[1] = { ...job.assets[1], kind: 'video', index: 0 };
      const { summary } = await download(engine, job.assets.map((asset) => ({ job, asset })));
      expect(summary.done).toBe(2);
      const files = await walk(root);
      expect(files).toEqual(['.genwatch/ledger.jsonl', '3f2c9a1e-5b7d-4c2e-9f10-2a6b8c4d0e11.json', '3f2c9a1e-5b7d-4c2e-9f10-2a6b8c4d0e11_image-1.png', '3f2c9a1e-5b7d-4c2e-9f10-2a6b8c4d0e11_video-1.mp4']);
      const ledger = engine.ledgerEntries();
      for (const [i, url] of urls.entries()) {
        const expected = await direct(url);
        const onDisk = await readFile(join(root, files[i + 2] ?? ''));
        expect(sha(onDisk)).toBe(sha(expected));
        expect(ledger.find((e) => e.path === files[i + 2])?.sha256).toBe(sha(expected));
      }
    });

    it('the ledger file stays open while files finish one after another and is closed once the engine is idle', async () => {
      const fs = createFileSystem();
      let opened = 0;
      let open = 0;
      const counting: typeof fs = {
        ...fs,
        async open(path, mode) {
          const file = await fs.open(path, mode);
          if (!path.endsWith('ledger.jsonl')) return file;
          opened++;
          open++;
          return { ...file, close: () => (open--, file.close()) };
        },
      };
      const engine = await engineWith({ concurrency: 2, perHostConcurrency: 2, writeSidecar: false }, { fs: counting });
      const urls = Array.from({ length: 8 }, (_, i) => `${emu.url}/assets/lg/${i}.bin?size=${200_000 + i}`);
      const job = jobFor(urls, {}, { kind: 'other' });
      const { summary } = await download(engine, job.assets.map((asset) => ({ job, asset })));
      expect(summary.done).toBe(8);
      expect(engine.ledgerEntries()).toHaveLength(8);
      expect(opened).toBe(1); // was about one open (and close) per file
      for (let i = 0; i < 100 && open > 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(open).toBe(0);
    });

    it('a .part left without its .part.json (a crash before the validator was written) is restarted from zero under the same name', async () => {
      const url = `${emu.url}/assets/p/lone.bin?size=1500000`;
      const job = jobFor([url], {}, { kind: 'other' });
      const name = `${job.id}_other-1.bin`;
      // What a crash before the validator was written leaves: bytes, but no .part.json (never trusted for a resume).
      await mkdir(root, { recursive: true });
      await writeFile(join(root, `${name}.part`), Buffer.alloc(700_000, 7));
      const engine = await engineWith();
      const { summary } = await download(engine, [{ job, asset: job.assets[0] ?? makeAsset(url) }]);
      expect(summary.done).toBe(1);
      expect(await walk(root)).toEqual(['.genwatch/ledger.jsonl', `${job.id}.json`, name]);
      expect(sha(await readFile(join(root, name)))).toBe(sha(await direct(url)));
    });

    it('a truncated body is retried (resumed) and the file is correct', async () => {
      const engine = await engineWith();
      emu.faults.add({ route: 'asset', times: 1, fault: { kind: 'truncate' } });
      const url = `${emu.url}/assets/t/big.bin?size=2000000`;
      const job = jobFor([url], {}, { kind: 'other' });
      const { summary } = await download(engine, [{ job, asset: job.assets[0] ?? makeAsset(url) }]);
      expect(summary.done).toBe(1);
      const [file] = (await walk(root)).filter((f) => f.endsWith('.bin'));
      expect(sha(await readFile(join(root, file ?? '')))).toBe(sha(await direct(url)));
      expect(emu.requests.filter((r) => r.route === 'asset').length).toBe(3); // truncated + resumed + direct()
    });

    it('a connection reset mid-file (TCP RST after about half the body) resumes from the bytes kept: 200 cut, then 206, and the file is correct', async () => {
      const engine = await engineWith();
      emu.faults.add({ route: 'asset', times: 1, fault: { kind: 'reset-mid-body' } });
      const url = `${emu.url}/assets/rst/big.bin?size=4000000`;
      const job = jobFor([url], {}, { kind: 'other' });
      const { summary, handle } = await download(engine, [{ job, asset: job.assets[0] ?? makeAsset(url) }]);
      expect(summary.done).toBe(1);
      expect(engine.snapshot().find((f) => f.id === handle.files[0]?.id)?.attempts).toBe(2);
      expect(emu.requests.filter((r) => r.route === 'asset').map((r) => r.status)).toEqual([200, 206]);
      const [file] = (await walk(root)).filter((f) => f.endsWith('.bin'));
      expect(sha(await readFile(join(root, file ?? '')))).toBe(sha(await direct(url)));
    });

    it('a connection reset is retried', async () => {
      const engine = await engineWith();
      emu.faults.add({ route: 'asset', times: 2, fault: { kind: 'reset' } });
      const url = `${emu.url}/assets/r/x.mp4?size=500000`;
      const job = jobFor([url], {}, { kind: 'video' });
      const { summary, handle } = await download(engine, [{ job, asset: job.assets[0] ?? makeAsset(url) }]);
      expect(summary.done).toBe(1);
      expect(engine.snapshot().find((f) => f.id === handle.files[0]?.id)?.attempts).toBe(3);
      expect(sha(await readFile(join(root, `${job.id}_video-1.mp4`)))).toBe(sha(await direct(url)));
    });

    it('403/404/410 → refreshUrl once, then the fresh URL is used', async () => {
      for (const status of [403, 404, 410]) {
        await rm(root, { recursive: true, force: true });
        const calls: string[] = [];
        const fresh = `${emu.url}/assets/fresh/${status}.png`;
        const engine = await engineWith({
          refreshUrl: (job, asset) => {
            calls.push(`${job.id}/${asset.index}`);
            return Promise.resolve(fresh);
          },
        });
        emu.faults.add({ route: 'asset', times: 1, fault: { kind: 'status', status } });
        const job = jobFor([`${emu.url}/assets/old/${status}.png`]);
        const { summary } = await download(engine, [{ job, asset: job.assets[0] ?? makeAsset('') }]);
        expect(summary.done, String(status)).toBe(1);
        expect(calls).toEqual([`${job.id}/0`]);
        expect(engine.snapshot()[0]?.url).toBe(fresh);
      }
    });

    it('an expired link that stays expired fails with reason "expired" after one refresh', async () => {
      let calls = 0;
      const engine = await engineWith({ refreshUrl: () => Promise.resolve(++calls > 0 ? `${emu.url}/assets/still/gone.png` : null) });
      emu.faults.add({ route: 'asset', fault: { kind: 'status', status: 410 } });
      const job = jobFor([`${emu.url}/assets/gone.png`]);
      const { summary } = await download(engine, [{ job, asset: job.assets[0] ?? makeAsset('') }]);
      expect(calls).toBe(1);
      expect(summary.failed[0]?.failure?.reason).toBe('expired');
      expect(await walk(root)).toEqual([]);
    });

    it('an HTML error page where an image was expected is an error and nothing is saved', async () => {
      const engine = await engineWith();
      emu.faults.add({ route: 'asset', fault: { kind: 'status', status: 200, headers: { 'content-type': 'text/html' }, body: '<!DOCTYPE html><html><body>Access denied</body></html>' } });
      const job = jobFor([`${emu.url}/assets/page.png`]);
      const { summary } = await download(engine, [{ job, asset: job.assets[0] ?? makeAsset('') }]);
      expect(summary.failed[0]?.failure?.reason).toBe('error-page');
      expect(summary.failed[0]?.failure?.error.message).toBe('The server sent an error page instead of the file.');
      expect(await walk(root)).toEqual([]);
    });

    it('a compressed answer (gzip despite accept-encoding: identity) and a UTF-16 error page are refused, nothing saved', async () => {
      const page = Buffer.from('<!DOCTYPE html><html><body>Access denied</body></html>');
      const gzipped = gzipSync(page);
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(page.toString(), 'utf16le')]);
      const server = await startLocalServer((req, res) => {
        if (req.url === '/gz.png') res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'gzip', 'content-length': gzipped.length }).end(gzipped);
        else if (req.url === '/junk.bin') res.writeHead(200, { 'content-encoding': 'none', 'content-length': 4096 }).end(binaryBytes(4096, 2));
        else res.writeHead(200, { 'content-type': 'text/html; charset=utf-16', 'content-length': utf16.length }).end(utf16);
      });
      closers.push(() => server.close());
      const engine = await engineWith();
      const job = jobFor([`${server.url}/gz.png`, `${server.url}/u16.png`], { id: 'Z1' });
      const { summary } = await download(engine, items(job));
      expect(summary.failed.map((f) => f.failure?.reason)).toEqual(['error-page', 'error-page']);
      expect(summary.failed[0]?.failure?.error.message).toMatch(/compressed \(gzip\)/);
      expect((await walk(root)).filter((f) => !f.startsWith('.genwatch'))).toEqual([]);
      // A junk coding some servers send with plain bytes is not a compression: saved.
      const junk = jobFor([`${server.url}/junk.bin`], { id: 'Z2' }, { kind: 'other' });
      expect((await download(engine, items(junk))).summary.done).toBe(1);
    });

    it('a body without a size that ends with its connection: a whole PNG is saved (also with bytes after its end), one cut before its end is not', async () => {
      const png = await direct(`${emu.url}/assets/cd/1.png`);
      // HTTP/1.1 without Content-Length or chunking: the body ends when the server closes the connection.
      const server = createServer((socket) => {
        socket.once('data', (request) => {
          const path = request.toString('latin1').split(' ')[1];
          const body = path === '/cut.png' ? png.subarray(0, png.length - 100) : path === '/trailing.png' ? Buffer.concat([png, Buffer.from('bytes an encoder left after IEND')]) : png;
          socket.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: image/png\r\nconnection: close\r\n\r\n'), body]));
        });
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      closers.push(() => new Promise<void>((done) => server.close(() => done())));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const engine = await engineWith({ embedPngText: false, maxAttempts: 2 });
      const job = jobFor([`${url}/whole.png`, `${url}/cut.png`, `${url}/trailing.png`], { id: 'C1' });
      const { summary } = await download(engine, items(job));
      expect(summary.done).toBe(2);
      expect(summary.failed.map((f) => [f.assetKey, f.failure?.reason])).toEqual([['image:1', 'network']]);
      expect(await readFile(join(root, 'C1_image-1.png'))).toEqual(png);
      expect(existsSync(join(root, 'C1_image-2.png'))).toBe(false);
    });

    it('a file server whose certificate nobody vouches for: refused in plain words, not retried, nothing sent, nothing saved', async () => {
      let connections = 0;
      let requests = 0;
      const server = createHttpsServer({ cert: TEST_TLS_CERT, key: TEST_TLS_KEY }, (_req, res) => {
        requests++;
        res.end('x');
      });
      server.on('connection', () => connections++);
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      closers.push(() => new Promise<void>((done) => server.close(() => done())));
      const engine = await engineWith({ maxAttempts: 3 });
      const job = jobFor([`https://127.0.0.1:${(server.address() as AddressInfo).port}/a.png`], { id: 'T1' });
      const { summary } = await download(engine, items(job));
      expect(summary.failed.map((f) => [f.failure?.reason, f.failure?.retryable, f.failure?.error.message])).toEqual([['network', false, "Could not reach the file's server: the server's certificate is not trusted."]]);
      expect([connections, requests]).toEqual([1, 0]);
      expect((await walk(root)).filter((f) => !f.startsWith('.genwatch/'))).toEqual([]);
    });

    it('a server that refuses the connection: the user reads a plain sentence, the log keeps the raw code', async () => {
      // Port 1 (tcpmux): nothing listens there on any machine this runs on, and no other test can take it meanwhile.
      const port = 1;
      const logger = new RecordingLogger();
      const engine = await engineWith({ maxAttempts: 2 }, { logger });
      const job = jobFor([`http://127.0.0.1:${port}/a.png`], { id: 'R1' });
      const { summary } = await download(engine, items(job));
      expect(summary.failed.map((f) => f.failure?.error.message)).toEqual(["Could not reach the file's server: nothing is answering at that address."]);
      const attempts = logger.entries.filter((l) => l.message === 'download attempt failed');
      expect(attempts).toHaveLength(2);
      expect(String(attempts[0]?.fields?.['detail'])).toContain('ECONNREFUSED');
    });

    it('hostile names and URLs land inside the root or are refused', async () => {
      const engine = await engineWith({ template: '{model}/{jobId}/{prompt}_{index}.{ext}' });
      const prompt = `${'🏰 château '.repeat(30)}${'x'.repeat(300)}`;
      const items = [
        jobFor([`${emu.url}/assets/h/1.png`], { id: '../../etc/passwd', model: 'CON', prompt }),
        jobFor([`${emu.url}/assets/h/2.png`], { id: '/abs/olute', model: 'C:\\Windows', prompt: '..' }),
        jobFor([`${emu.url}/assets/h/3.png`], { id: 'j1023141520123456789i-u12345-c1234567890123456789-bot:midjourney', provider: 'useapi', model: 'aux.png' }),
        jobFor(['file:///etc/passwd'], { id: 'f1' }),
        jobFor(['javascript:alert(1)'], { id: 'f2' }),
        jobFor(['http://example.com/a.png'], { id: 'f3' }),
      ].map((job) => ({ job, asset: job.assets[0] ?? makeAsset('') }));
      const { summary } = await download(engine, items);
      expect(summary.done).toBe(3);
      expect(summary.failed.map((f) => f.failure?.reason)).toEqual(['url-refused', 'url-refused', 'url-refused']);
      const files = (await walk(root)).filter((f) => f.endsWith('.png'));
      expect(files).toHaveLength(3);
      for (const f of files) {
        expect(f.split('/').every((seg) => seg !== '..' && Buffer.byteLength(seg) <= 200)).toBe(true);
        expect(f.split('/').some((seg) => /^(con|aux)(\.|$)/i.test(seg))).toBe(false);
      }
      expect(files.some((f) => f.startsWith('_CON/_._.._etc_passwd/'))).toBe(true);
      expect(files.some((f) => f.includes('bot_midjourney'))).toBe(true);
      expect(await readdir(base)).toEqual(['root']);
    });

    it('links planted inside the folder are never written through, and no folder is created through one', async () => {
      const outside = join(base, 'outside');
      await mkdir(outside);
      await writeFile(join(outside, 'victim.txt'), 'victim');
      await mkdir(root);
      // A dangling link where a fresh .part goes, a link to an outside file where a sidecar's temp file goes,
      // and a folder link: downloads through it are refused, and nothing is created at its target.
      await symlink(join(outside, 'stolen.bin'), join(root, 'J1_image-1.png.part'));
      await symlink(join(outside, 'victim.txt'), join(root, 'J2.json.tmp'));
      await symlink(outside, join(root, 'linked'));
      const engine = await engineWith();
      const j1 = jobFor([`${emu.url}/assets/l/1.png`], { id: 'J1' });
      const j2 = jobFor([`${emu.url}/assets/l/2.png`], { id: 'J2' });
      const { summary } = await download(engine, [j1, j2].map((job) => ({ job, asset: job.assets[0] ?? makeAsset('') })));
      expect(summary.done).toBe(2);
      const nested = await engineWith({ template: '{model}/{jobId}/{kind}-{index}.{ext}' });
      const j3 = jobFor([`${emu.url}/assets/l/3.png`], { id: 'J3', model: 'linked' });
      const refused = (await download(nested, [{ job: j3, asset: j3.assets[0] ?? makeAsset('') }])).summary;
      expect(refused.failed.map((f) => f.failure?.reason)).toEqual(['name-refused']);
      expect(await readdir(outside)).toEqual(['victim.txt']);
      expect(await readFile(join(outside, 'victim.txt'), 'utf8')).toBe('victim');
      for (const name of ['J1_image-1.png', 'J2_image-1.png', 'J2.json']) expect((await lstat(join(root, name))).isFile()).toBe(true);
      expect((await stat(join(root, 'J1_image-1.png'))).size).toBeGreaterThan(1000);
    });

    it('a folder swapped for a link to elsewhere during a run is not written through: not by the next file, not by the one still coming', async () => {
      const outside = join(base, 'outside');
      const engine = await engineWith({ template: '{model}/{jobId}_{kind}-{index}.{ext}', embedPngText: false });
      const first = jobFor([`${emu.url}/assets/s/1.png`], { id: 'S1', model: 'sub' });
      expect((await download(engine, items(first))).summary.done).toBe(1);
      // The folder the engine made and checked is moved away and a link to it takes its place.
      const swap = async (): Promise<void> => {
        await rename(join(root, 'sub'), outside);
        await symlink(outside, join(root, 'sub'));
      };
      await swap();
      const second = jobFor([`${emu.url}/assets/s/2.png`], { id: 'S2', model: 'sub' });
      expect((await download(engine, items(second))).summary.failed.map((f) => f.failure?.reason)).toEqual(['name-refused']);
      expect((await readdir(outside)).sort()).toEqual(['S1.json', 'S1_image-1.png']);
      // Swapped while a file is on its way: its bytes went where the link leads, but no finished file appears there.
      await rm(join(root, 'sub'));
      await rename(outside, join(root, 'sub'));
      let release = (): void => undefined;
      const halfway = new Promise<void>((r) => (release = r));
      let sentHalf = (): void => undefined;
      const half = new Promise<void>((r) => (sentHalf = r));
      const body = binaryBytes(400_000, 3);
      const server = await startLocalServer(async (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
        res.write(body.subarray(0, 200_000));
        sentHalf();
        await halfway;
        res.end(body.subarray(200_000));
      });
      closers.push(() => server.close());
      const third = jobFor([`${server.url}/3.bin`], { id: 'S3', model: 'sub' }, { kind: 'other' });
      const batch = await engine.enqueue(items(third));
      if (!batch.ok) throw new Error(batch.error.message);
      await half;
      await new Promise((r) => setTimeout(r, 50));
      await swap();
      release();
      const summary = await batch.value.done;
      expect(summary.failed.map((f) => f.failure?.reason)).toEqual(['name-refused']);
      expect((await readdir(outside)).sort()).toEqual(['S1.json', 'S1_image-1.png']);
    });

    it('a ledger ending in a torn line (a crash mid-write, here of another process) does not swallow the next record: a file deleted afterwards stays deleted', async () => {
      const first = jobFor([`${emu.url}/assets/t/1.png`], { id: 'T1' });
      const engine = await engineWith();
      await download(engine, items(first));
      // Torn by another process on the same folder (the CLI next to the app) while this engine is idle.
      await writeFile(join(root, '.genwatch', 'ledger.jsonl'), '{"provider":"apif', { flag: 'a' });
      const second = jobFor([`${emu.url}/assets/t/2.png`], { id: 'T2' });
      expect((await download(engine, items(second))).summary.done).toBe(1);
      await rm(join(root, 'T2_image-1.png'));
      const again = await download(await engineWith(), items(second));
      expect(again.summary.done).toBe(0);
      expect(again.handle.files[0]?.skipReason).toBe('deleted-by-user');
      expect(existsSync(join(root, 'T2_image-1.png'))).toBe(false);
    });

    it('a sidecar never replaces a file: not a .json asset named like it, not a file of the user by its name', async () => {
      const payload = Buffer.from(JSON.stringify({ my: 'asset data' }));
      const server = await startLocalServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': payload.length });
        res.end(payload);
      });
      closers.push(() => server.close());
      const named = await engineWith({ template: '{jobId}.{ext}' });
      const j1 = jobFor([`${server.url}/meta.json`], { id: 'J1' }, { kind: 'other' });
      expect((await download(named, items(j1))).summary.done).toBe(1);
      await named.stop();
      expect(await readFile(join(root, 'J1 (2).json'))).toEqual(payload);
      expect(JSON.parse(await readFile(join(root, 'J1.json'), 'utf8'))).toMatchObject({ genwatch: expect.any(Number), jobId: 'J1' });

      // Zeros where a power cut lost a sidecar's data: ours, rewritten.
      await writeFile(join(root, 'J3.json'), Buffer.alloc(300));
      const j3 = jobFor([`${emu.url}/assets/s/3.png`], { id: 'J3' });
      const zeroed = await engineWith();
      expect((await download(zeroed, items(j3))).summary.done).toBe(1);
      await zeroed.stop();
      expect(JSON.parse(await readFile(join(root, 'J3.json'), 'utf8'))).toMatchObject({ genwatch: expect.any(Number), jobId: 'J3' });

      const mine = '{"notes": "my own file"}';
      await writeFile(join(root, 'J2.json'), mine);
      const engine = await engineWith();
      const j2 = jobFor([`${emu.url}/assets/s/2.png`], { id: 'J2' });
      expect((await download(engine, items(j2))).summary.done).toBe(1);
      await engine.stop();
      expect(await readFile(join(root, 'J2.json'), 'utf8')).toBe(mine);
    });

    it('names that collide only on disk (lone surrogates) or only after shortening (very long ids) still get a file each', async () => {
      const engine = await engineWith();
      const long = 'L'.repeat(240);
      const jobs = [
        jobFor([`${emu.url}/assets/c/1.png`], { id: 'x\ud800y' }),
        jobFor([`${emu.url}/assets/c/2.png`], { id: 'x\ud801y' }),
        jobFor([`${emu.url}/assets/c/3.png`], { id: `${long}-a` }),
        jobFor([`${emu.url}/assets/c/4.png`], { id: `${long}-b` }),
      ];
      const { summary, handle } = await download(engine, jobs.flatMap(items));
      expect(summary.done).toBe(4);
      const paths = handle.files.map((f) => f.id).map((id) => engine.snapshot().find((f) => f.id === id)?.path ?? '');
      expect(new Set(paths).size).toBe(4);
      for (const p of paths) expect(Buffer.byteLength(p.split('/').pop() ?? '')).toBeLessThanOrEqual(200);
      expect((await walk(root)).filter((f) => f.endsWith('.png'))).toHaveLength(4);
    });

    it('a download folder deleted while the engine runs is made again by the next download, into the same folders as before', async () => {
      for (const template of ['{provider}/{jobId}_{kind}-{index}.{ext}', '{jobId}/{kind}-{index}.{ext}']) {
        const engine = await engineWith({ template });
        const a = jobFor([`${emu.url}/assets/r/1.png`], { id: 'R1' });
        expect((await download(engine, items(a))).summary.done).toBe(1);
        await rm(root, { recursive: true });
        // The same engine (the app keeps one per folder), with its folder checks and ledger handle from before.
        const b = jobFor([`${emu.url}/assets/r/2.png`], { id: 'R1' }, { index: 1 });
        const { summary } = await download(engine, items(b));
        expect(summary.done, template).toBe(1);
        const ledger = await readFile(join(root, '.genwatch', 'ledger.jsonl'), 'utf8');
        expect(ledger).toContain('"assetKey":"image:1"');
        await engine.stop();
        await rm(root, { recursive: true });
      }
    });

    it('a clear keeps failed files with their retry; the retry replaces them (one row per file); totals and bytes follow', async () => {
      const engine = await engineWith({ maxAttempts: 1 });
      const stop = emu.faults.add({ route: 'asset', times: 2, fault: { kind: 'status', status: 500 } });
      const job = jobFor([1, 2, 3].map((i) => `${emu.url}/assets/k/${i}.png`), { id: 'K1' });
      const first = await download(engine, items(job));
      expect(first.summary.failed).toHaveLength(2);
      engine.clearFinished();
      expect(engine.snapshot().map((f) => f.state)).toEqual(['failed', 'failed']);
      expect(engine.aggregate().files).toMatchObject({ total: 2, failed: 2, done: 0 });
      stop();
      const retry = await engine.retryFailed(first.handle.batchId);
      if (!retry.ok) throw new Error(retry.error.message);
      expect((await retry.value.done).done).toBe(2);
      expect(engine.snapshot().map((f) => f.state)).toEqual(['done', 'done']);
      expect(engine.aggregate().files).toMatchObject({ total: 2, failed: 0, done: 2 });
      engine.clearFinished();
      expect(engine.snapshot()).toEqual([]);
      // Bytes of cleared files leave the totals too: a next request starts from zero, not near 100 %.
      expect(engine.aggregate()).toMatchObject({ bytes: 0, totalBytes: 0 });
    });

    it('no ETA while a file of unknown size is coming (it would say "done in a moment" with bytes still to come)', async () => {
      const server = await startLocalServer(async (_req, res) => {
        res.writeHead(200); // chunked: no size
        for (let i = 0; i < 20 && !res.destroyed; i++) {
          res.write(binaryBytes(32 * 1024, i));
          await new Promise((r) => setTimeout(r, 10));
        }
        res.end();
      });
      closers.push(() => server.close());
      const engine = await engineWith();
      const job = jobFor([`${server.url}/u.bin`], { id: 'U1' }, { kind: 'other' });
      const etas: Array<number | null> = [];
      engine.onEvent((e) => {
        if (e.type === 'file' && e.file.state === 'active' && e.file.bytes > 0) etas.push(engine.aggregate().etaMs);
      });
      expect((await download(engine, items(job))).summary.done).toBe(1);
      expect(etas.length).toBeGreaterThan(0);
      expect(etas.every((eta) => eta === null)).toBe(true);
    });

    it('a request still running, or just finished, stays in the counts when 20 newer ones come (automatic downloads make one per job)', async () => {
      const server = await startLocalServer(async (req, res) => sendSlowly(req, res, binaryBytes(400_000, 8), { etag: '"b"', delayMs: 10 }));
      closers.push(() => server.close());
      const engine = await engineWith({ concurrency: 4 });
      const slow = jobFor([`${server.url}/slow.bin`], { id: 'B0' }, { kind: 'other' });
      const first = await engine.enqueue(items(slow));
      if (!first.ok) throw new Error(first.error.message);
      for (let i = 1; i <= 21; i++) {
        const quick = jobFor([`${emu.url}/assets/b/${i}.png`], { id: `B${i}` });
        await (await download(engine, items(quick))).handle.done;
      }
      expect(engine.batchCounts().map((c) => c.batchId)).toContain(first.value.batchId);
      await first.value.done;
      expect(engine.batchCounts().find((c) => c.batchId === first.value.batchId)).toMatchObject({ done: 1, pending: 0 });
    });

    it('two overlapping requests for the same files (an auto-download and a click) fetch each file once', async () => {
      let hits = 0;
      const server = await startLocalServer((_req, res) => {
        hits++;
        res.writeHead(200, { 'content-length': 4096 });
        res.end(binaryBytes(4096, 9));
      });
      closers.push(() => server.close());
      const engine = await engineWith();
      const job = jobFor([`${server.url}/a.bin`, `${server.url}/b.bin`], { id: 'D1' }, { kind: 'other' });
      const both = job.assets.map((asset) => ({ job, asset }));
      const [first, second] = await Promise.all([engine.enqueue(both), engine.enqueue(both)]);
      if (!first?.ok || !second?.ok) throw new Error('enqueue failed');
      await Promise.all([first.value.done, second.value.done]);
      expect(hits).toBe(2);
      expect((await readdir(root)).filter((n) => n.endsWith('.bin')).sort()).toEqual(['D1_other-1.bin', 'D1_other-2.bin']);
    });

    it('dedupes through the ledger: a deleted file is not brought back unless forced, even by a new engine', async () => {
      const engine = await engineWith();
      const job = jobFor([`${emu.url}/assets/d/1.png`]);
      const item = { job, asset: job.assets[0] ?? makeAsset('') };
      expect((await download(engine, [item])).summary.done).toBe(1);
      const requests = (): number => emu.requests.filter((r) => r.route === 'asset').length;
      expect(requests()).toBe(1);
      expect((await download(engine, [item])).summary.skipped).toBe(1);
      await rm(join(root, `${job.id}_image-1.png`));
      const again = await engineWith(); // "reinstall": same folder, fresh engine
      const skipped = await download(again, [item]);
      expect(skipped.summary.skipped).toBe(1);
      expect(skipped.handle.files[0]?.skipReason).toBe('deleted-by-user');
      expect(requests()).toBe(1);
      expect((await download(again, [item], true)).summary.done).toBe(1);
      expect(requests()).toBe(2);
    });

    it('a forced re-download of a file still there (damaged, say) replaces it in place: no copy next to it, the ledger updated', async () => {
      const engine = await engineWith({ embedPngText: false });
      const job = jobFor([`${emu.url}/assets/f/1.png`], { id: 'F1' });
      expect((await download(engine, items(job))).summary.done).toBe(1);
      const path = join(root, 'F1_image-1.png');
      const good = await readFile(path);
      await writeFile(path, 'damaged');
      await writeFile(join(root, 'F1_image-1 (2).png'), 'a file of the user');
      expect((await download(engine, items(job), true)).summary.done).toBe(1);
      expect(await readFile(path)).toEqual(good);
      expect(await readFile(join(root, 'F1_image-1 (2).png'), 'utf8')).toBe('a file of the user');
      expect((await walk(root)).filter((f) => f.endsWith('.png'))).toEqual(['F1_image-1 (2).png', 'F1_image-1.png']);
      const lines = (await readFile(join(root, '.genwatch', 'ledger.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { path: string; size: number });
      expect(lines.at(-1)).toMatchObject({ path: 'F1_image-1.png', size: good.length });
    });

    it('a URL without an extension takes it from Content-Type (.webp); a forced re-download then replaces that file in place, not a " (2)" copy', async () => {
      const server = await startLocalServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'image/webp', 'content-length': WEBP_LOSSY_2X2.length, etag: '"w1"' });
        res.end(WEBP_LOSSY_2X2);
      });
      closers.push(() => server.close());
      const engine = await engineWith({ embedPngText: false });
      const job = jobFor([`${server.url}/media/abc`], { id: 'W1' });
      expect((await download(engine, items(job))).summary.done).toBe(1);
      expect((await walk(root)).filter((f) => f.startsWith('W1_'))).toEqual(['W1_image-1.webp']);
      expect((await download(engine, items(job), true)).summary.done).toBe(1);
      expect((await walk(root)).filter((f) => f.startsWith('W1_'))).toEqual(['W1_image-1.webp']);
      expect(await readFile(join(root, 'W1_image-1.webp'))).toEqual(Buffer.from(WEBP_LOSSY_2X2));
    });

    it('a file that appears under the name while downloading keeps it; ours becomes " (2)", and a forced re-download replaces " (2)" in place', async () => {
      const body = binaryBytes(600_000, 7);
      const server = await startLocalServer((req, res) => sendSlowly(req, res, body, { chunk: 64 * 1024, delayMs: 20 }));
      closers.push(() => server.close());
      const engine = await engineWith();
      const job = jobFor([`${server.url}/c.bin`], { id: 'C1' }, { kind: 'other' });
      const first = download(engine, items(job));
      const final = join(root, 'C1_other-1.bin');
      for (let i = 0; i < 400 && !existsSync(`${final}.part`); i++) await new Promise((r) => setTimeout(r, 5));
      await writeFile(final, 'the user put this here');
      expect((await first).summary.done).toBe(1);
      expect(await readFile(final, 'utf8')).toBe('the user put this here');
      expect(sha(await readFile(join(root, 'C1_other-1 (2).bin')))).toBe(sha(body));
      expect((await download(engine, items(job), true)).summary.done).toBe(1);
      expect((await walk(root)).filter((f) => f.startsWith('C1_'))).toEqual(['C1_other-1 (2).bin', 'C1_other-1.bin']);
      expect(await readFile(final, 'utf8')).toBe('the user put this here');
    });

    it('a forced re-download cut short and forced again resumes and still replaces the file in place', async () => {
      const body = binaryBytes(1_000_000, 4);
      let cutAfter: number | null = null;
      const server = await startLocalServer(async (req, res) => {
        if (cutAfter === null) return sendSlowly(req, res, body, { etag: '"f"', delayMs: 1 });
        res.writeHead(200, { 'content-length': body.length, etag: '"f"' });
        res.write(body.subarray(0, cutAfter));
        setTimeout(() => res.destroy(), 20);
      });
      closers.push(() => server.close());
      const engine = await engineWith({ maxAttempts: 1 });
      const job = jobFor([`${server.url}/f.bin`], { id: 'F2' }, { kind: 'other' });
      expect((await download(engine, items(job))).summary.done).toBe(1);
      cutAfter = 300_000;
      expect((await download(engine, items(job), true)).summary.failed).toHaveLength(1);
      expect(existsSync(join(root, 'F2_other-1.bin.part.json'))).toBe(true);
      cutAfter = null;
      expect((await download(engine, items(job), true)).summary.done).toBe(1);
      expect((await walk(root)).filter((f) => f.endsWith('.bin'))).toEqual(['F2_other-1.bin']);
      expect(sha(await readFile(join(root, 'F2_other-1.bin')))).toBe(sha(body));
    });

    it('a file a power cut left empty (the ledger recorded its bytes) is downloaded again in its place; one the user deleted is not', async () => {
      const engine = await engineWith();
      const job = jobFor([`${emu.url}/assets/e/1.bin?size=5000`, `${emu.url}/assets/e/2.bin?size=5000`], {}, { kind: 'other' });
      const items = job.assets.map((asset) => ({ job, asset }));
      expect((await download(engine, items)).summary.done).toBe(2);
      const [empty, deleted] = [join(root, `${job.id}_other-1.bin`), join(root, `${job.id}_other-2.bin`)];
      const original = await readFile(empty);
      await writeFile(empty, ''); // what ext4 can leave after a power cut when the data was never flushed
      await rm(deleted);
      // The next start; the first fetch of the empty one fails (its link expired meanwhile).
      emu.faults.add({ route: 'asset', times: 1, fault: { kind: 'status', status: 410 } });
      const again = await engineWith();
      const first = await download(again, items);
      expect(first.summary.failed.map((f) => f.failure?.reason)).toEqual(['expired']);
      expect(first.handle.files.find((f) => f.assetKey === 'other:1')?.skipReason).toBe('deleted-by-user');
      // Out of the ledger with its empty file: the next try (even by a new engine) downloads it, never "deleted by you".
      const { summary } = await download(await engineWith(), items);
      expect(summary.done).toBe(1);
      expect((await readFile(empty)).equals(original)).toBe(true);
      expect((await readdir(root)).filter((n) => n.includes('(2)'))).toEqual([]);
    });

    it('an empty file whose ledger line was lost too (power cut) is downloaded again under its own name when the sidecar vouches for it', async () => {
      const engine = await engineWith({ checksums: false });
      const job = jobFor([`${emu.url}/assets/e2/1.bin?size=5000`], { id: 'cut-job' }, { kind: 'other' });
      const items = job.assets.map((asset) => ({ job, asset }));
      expect((await download(engine, items)).summary.done).toBe(1);
      const path = join(root, 'cut-job_other-1.bin');
      const original = await readFile(path);
      await writeFile(path, '');
      await writeFile(join(root, '.genwatch', 'ledger.jsonl'), '');
      const { summary } = await download(await engineWith({ checksums: false }), items);
      expect(summary.done).toBe(1);
      expect((await readFile(path)).equals(original)).toBe(true);
      expect((await readdir(root)).filter((n) => n.includes('(2)'))).toEqual([]);
    });

    it('an empty file outside the folder named by a hand-edited ledger line is never deleted', async () => {
      const outside = join(base, 'outside');
      await mkdir(outside, { recursive: true });
      await writeFile(join(outside, 'empty.bin'), '');
      const job = jobFor([`${emu.url}/assets/evil/2.bin?size=1000`], {}, { kind: 'other' });
      const asset = job.assets[0] ?? makeAsset('');
      await mkdir(join(root, '.genwatch'), { recursive: true });
      const line = { provider: job.provider, account: job.accountId, jobId: job.id, assetKey: `${asset.kind}:${asset.index}`, path: '../outside/empty.bin', size: 1000, at: new Date().toISOString() };
      await writeFile(join(root, '.genwatch/ledger.jsonl'), `${JSON.stringify(line)}\n`);
      const { summary } = await download(await engineWith(), [{ job, asset }]);
      expect(summary.skipped).toBe(1);
      expect(existsSync(join(outside, 'empty.bin'))).toBe(true);
    });

    for (const checksums of [true, false]) {
      it(`a lost ledger line (crash after the rename) is restored from the sidecar instead of downloading a "(2)" copy (checksums ${checksums ? 'on' : 'off'})`, async () => {
        const engine = await engineWith({ checksums });
        const job = jobFor([`${emu.url}/assets/l/1.bin?size=300000`], {}, { kind: 'other' });
        const item = { job, asset: job.assets[0] ?? makeAsset('') };
        expect((await download(engine, [item])).summary.done).toBe(1);
        const requests = (): number => emu.requests.filter((r) => r.route === 'asset').length;
        await rm(join(root, '.genwatch/ledger.jsonl'));
        const again = await engineWith({ checksums });
        const second = await download(again, [item]);
        expect(second.summary.skipped).toBe(1);
        expect(again.snapshot()[0]?.skipReason).toBe('already-downloaded');
        expect(again.ledgerEntries()[0]?.path).toBe(`${job.id}_other-1.bin`);
        expect(requests()).toBe(1);
        expect(await walk(root)).toEqual(['.genwatch/ledger.jsonl', `${job.id}.json`, `${job.id}_other-1.bin`]);
        const sidecar = JSON.parse(await readFile(join(root, `${job.id}.json`), 'utf8')) as { files: Array<{ sha256?: string }> };
        expect(typeof sidecar.files[0]?.sha256).toBe(checksums ? 'string' : 'undefined');
        expect(again.ledgerEntries()[0]?.sha256 === undefined).toBe(!checksums);
        // A different file under that name is never adopted: with checksums, not even one of the same size
        // (without them, the size is what tells: a stranger would need this name, asset and byte count).
        await writeFile(join(root, `${job.id}_other-1.bin`), Buffer.alloc(checksums ? 300000 : 299999));
        await rm(join(root, '.genwatch/ledger.jsonl'));
        const third = await download(await engineWith({ checksums }), [item]);
        expect(third.summary.done).toBe(1);
        expect(requests()).toBe(2);
        expect(await walk(root)).toContain(`${job.id}_other-1 (2).bin`);
      });
    }

    it('a speed limit holds every download back together; the files still arrive intact', async () => {
      // 1 MiB/s for two 384 KiB files: 768 KiB minus the 256 KiB burst must take at least half a second.
      const engine = await engineWith({ maxBytesPerSecond: 1024 * 1024 });
      const urls = [0, 1].map((i) => `${emu.url}/assets/cap/${i}.bin?size=${384 * 1024}`);
      const job = jobFor(urls, {}, { kind: 'other' });
      const started = performance.now();
      const { summary } = await download(engine, job.assets.map((asset) => ({ job, asset })));
      const elapsed = performance.now() - started;
      expect(summary.done).toBe(2);
      expect(elapsed).toBeGreaterThanOrEqual(450); // a lower bound: only a cap that does not hold can fail it
      for (const [i, url] of urls.entries()) expect(await readFile(join(root, `${job.id}_other-${i + 1}.bin`))).toEqual(await direct(url));
      // Lifting the cap applies to the next downloads at once.
      expect(engine.configure({ maxBytesPerSecond: null }).ok).toBe(true);
    });

    it('cancelling under a very low speed limit does not wait out the limit', async () => {
      // 10 KB/s: each 64 KiB read would hold the transfer for seconds; cancel must cut that short.
      const engine = await engineWith({ maxBytesPerSecond: 10_000 });
      const job = jobFor([`${emu.url}/assets/slow-cap/1.bin?size=${1024 * 1024}`], {}, { kind: 'other' });
      const batch = await engine.enqueue([{ job, asset: job.assets[0] ?? makeAsset('') }]);
      if (!batch.ok) throw new Error(batch.error.message);
      await new Promise((r) => setTimeout(r, 500)); // the burst is spent and the transfer is held by the cap
      expect(engine.snapshot()[0]?.state).toBe('active');
      engine.cancelAll();
      const summary = await batch.value.done; // the test's timeout is shorter than one throttled wait
      expect(summary.cancelled).toBe(1);
      expect(await walk(root)).not.toContain(`${job.id}_other-1.bin`);
    }, 4_000);

    it('a sidecar lost or missing entries is written back when its files come up again as already downloaded', async () => {
      const engine = await engineWith();
      const urls = [0, 1].map((i) => `${emu.url}/assets/repair/${i}.bin?size=100000`);
      const job = jobFor(urls, { prompt: 'repair me' }, { kind: 'other' });
      const items = job.assets.map((asset) => ({ job, asset }));
      expect((await download(engine, items)).summary.done).toBe(2);
      const sidecarPath = join(root, `${job.id}.json`);
      type SidecarJson = { prompt: string; files: Array<{ index: number; size: number; contentType: string | null }> };
      const read = async (): Promise<SidecarJson> => JSON.parse(await readFile(sidecarPath, 'utf8')) as SidecarJson;
      const complete = await read();
      expect(complete.files.map((f) => f.index)).toEqual([0, 1]);

      // Deleted by hand: a fresh engine (no cache) writes it back from the ledger.
      await rm(sidecarPath);
      const again = await engineWith();
      expect((await download(again, items)).summary.skipped).toBe(2);
      for (let i = 0; i < 100 && !existsSync(sidecarPath); i++) await new Promise((r) => setTimeout(r, 20));
      const restored = await read();
      expect(restored.prompt).toBe('repair me');
      expect(restored.files.map((f) => [f.index, f.size])).toEqual([
        [0, 100000],
        [1, 100000],
      ]);

      // One entry missing (a crash between a rename and its sidecar write): only that one is added back.
      await writeFile(sidecarPath, JSON.stringify({ ...complete, files: complete.files.filter((f) => f.index === 0) }));
      const third = await engineWith();
      expect((await download(third, items)).summary.skipped).toBe(2);
      for (let i = 0; i < 100 && (await read()).files.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      const repaired = await read();
      expect(repaired.files.map((f) => f.index)).toEqual([0, 1]);
      // The entry that was there is kept as the real download wrote it (a rebuilt one has no content type).
      expect(repaired.files[0]?.contentType).toBe(complete.files[0]?.contentType);
      expect(complete.files[0]?.contentType).not.toBeNull();
    });

    it('a ledger line pointing outside the folder never gets a sidecar written next to it', async () => {
      const outside = join(base, 'outside');
      await mkdir(outside, { recursive: true });
      await writeFile(join(outside, 'victim.bin'), 'not ours');
      const job = jobFor([`${emu.url}/assets/evil/1.bin?size=1000`], {}, { kind: 'other' });
      const asset = job.assets[0] ?? makeAsset('');
      await mkdir(join(root, '.genwatch'), { recursive: true });
      const line = { provider: job.provider, account: job.accountId, jobId: job.id, assetKey: `${asset.kind}:${asset.index}`, path: '../outside/victim.bin', size: 8, at: new Date().toISOString() };
      await writeFile(join(root, '.genwatch/ledger.jsonl'), `${JSON.stringify(line)}\n`);
      const engine = await engineWith();
      await download(engine, [{ job, asset }]);
      await new Promise((r) => setTimeout(r, 300)); // the repair runs in the background
      expect((await readdir(outside)).sort()).toEqual(['victim.bin']);
    });

    it('a job whose four files finish together gets one sidecar listing all four, written once or twice instead of four times', async () => {
      const real = createFileSystem();
      const sidecarWrites: string[] = [];
      const fs = { ...real, open: (path: string, mode: 'truncate' | 'append') => (path.endsWith('.json.tmp') && sidecarWrites.push(path), real.open(path, mode)) };
      const engine = await engineWith({}, { fs });
      const assets = [0, 1, 2, 3].map((index) => makeAsset(`${emu.url}/assets/grid/${index}.bin?size=300000`, { kind: 'other', index }));
      const job = makeJob(assets, { id: 'grid-job' });
      const batch = await engine.enqueue(assets.map((asset) => ({ job, asset })));
      if (!batch.ok) throw new Error(batch.error.message);
      expect((await batch.value.done).done).toBe(4);
      // Entries wait while the job's other files are still arriving (SIDECAR_HOLD_MS), so the four share writes.
      expect(sidecarWrites.length).toBeGreaterThanOrEqual(1);
      expect(sidecarWrites.length).toBeLessThanOrEqual(2);
      const sidecar = JSON.parse(await readFile(join(root, 'grid-job.json'), 'utf8')) as { files: Array<{ index: number }> };
      expect(sidecar.files.map((f) => f.index)).toEqual([0, 1, 2, 3]);
      // Main's per-request counts (what the window's batch line is built from).
      expect(engine.batchCounts().at(-1)).toEqual({ batchId: batch.value.batchId, total: 4, done: 4, skipped: 0, failed: 0, cancelled: 0, pending: 0 });
      const again = await engine.enqueue(assets.map((asset) => ({ job, asset })));
      if (!again.ok) throw new Error(again.error.message);
      await again.value.done;
      expect(engine.batchCounts().at(-1)).toMatchObject({ batchId: again.value.batchId, total: 4, skipped: 4, pending: 0 });
    });

    it('a file whose sibling is still slowly arriving is listed in the sidecar within SIDECAR_HOLD_MS, not only at the end', async () => {
      const slowSize = 400_000;
      const server = await startLocalServer(async (req, res) => {
        const fast = req.url === '/fast.bin';
        const body = binaryBytes(fast ? 50_000 : slowSize);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
        if (fast) return void res.end(body);
        // The slow one takes ~3 s: longer than the hold.
        for (let at = 0; at < body.length; at += 20_000) {
          if (res.destroyed) return;
          res.write(body.subarray(at, at + 20_000));
          await new Promise((r) => setTimeout(r, 150));
        }
        res.end();
      });
      closers.push(() => server.close());
      const engine = await engineWith();
      const job = jobFor([`${server.url}/fast.bin`, `${server.url}/slow.bin`], { id: 'held-job' }, { kind: 'other' });
      const batch = await engine.enqueue(job.assets.map((asset) => ({ job, asset })));
      if (!batch.ok) throw new Error(batch.error.message);
      const sidecarPath = join(root, 'held-job.json');
      const listed = async (): Promise<number[]> => (existsSync(sidecarPath) ? (JSON.parse(await readFile(sidecarPath, 'utf8')) as { files: Array<{ index: number }> }).files.map((f) => f.index) : []);
      let fastDoneAt = 0;
      for (let i = 0; i < 200 && fastDoneAt === 0; i++) {
        if (engine.snapshot().some((f) => f.assetKey === 'other:0' && f.state === 'done')) fastDoneAt = performance.now();
        else await new Promise((r) => setTimeout(r, 10));
      }
      expect(fastDoneAt).toBeGreaterThan(0);
      let seenAt = 0;
      for (let i = 0; i < 300 && seenAt === 0; i++) {
        if ((await listed()).includes(0)) seenAt = performance.now();
        else await new Promise((r) => setTimeout(r, 10));
      }
      expect(seenAt).toBeGreaterThan(0);
      // Listed while the slow file is still downloading (it needs ~3 s; the hold is 1 s).
      expect(engine.snapshot().find((f) => f.assetKey === 'other:1')?.state).toBe('active');
      expect((await batch.value.done).done).toBe(2);
      expect(await listed()).toEqual([0, 1]);
    });

    it('stop() (a quit) pauses a running file with its validator on disk and writes held sidecar entries; the next start resumes', async () => {
      const size = 2_000_000;
      const slow = binaryBytes(size, 9);
      const ranges: string[] = [];
      const server = await startLocalServer(async (req, res) => {
        if (req.url === '/fast.bin') {
          res.writeHead(200, { 'content-length': '50000' });
          return void res.end(binaryBytes(50_000, 2));
        }
        ranges.push(req.headers['range'] ?? '');
        // Slow the first time; a resume comes at full speed.
        await sendSlowly(req, res, slow, { etag: '"q"', delayMs: req.headers['range'] === undefined ? 20 : 0 });
      });
      closers.push(() => server.close());
      const engine = await engineWith();
      const job = jobFor([`${server.url}/fast.bin`, `${server.url}/slow.bin`], { id: 'quit-job' }, { kind: 'other' });
      const items = job.assets.map((asset) => ({ job, asset }));
      const batch = await engine.enqueue(items);
      if (!batch.ok) throw new Error(batch.error.message);
      for (let i = 0; i < 300 && !engine.snapshot().some((f) => f.assetKey === 'other:0' && f.state === 'done'); i++) await new Promise((r) => setTimeout(r, 5));
      for (let i = 0; i < 300 && (engine.snapshot().find((f) => f.assetKey === 'other:1')?.bytes ?? 0) < 300_000; i++) await new Promise((r) => setTimeout(r, 5));
      await engine.stop();
      expect(engine.snapshot().find((f) => f.assetKey === 'other:1')?.state).toBe('paused');
      const sidecar = JSON.parse(await readFile(join(root, 'quit-job.json'), 'utf8')) as { files: Array<{ index: number }> };
      expect(sidecar.files.map((f) => f.index)).toEqual([0]);
      expect(existsSync(join(root, 'quit-job_other-2.bin.part.json'))).toBe(true);
      const kept = (await stat(join(root, 'quit-job_other-2.bin.part'))).size;
      expect(kept).toBeGreaterThan(0);
      // The next start: the fast one is in the ledger, the slow one continues where it stopped.
      const { summary } = await download(await engineWith(), items);
      expect(summary.skipped).toBe(1);
      expect(summary.done).toBe(1);
      expect(ranges.at(-1)).toBe(`bytes=${kept}-`);
      expect(sha(await readFile(join(root, 'quit-job_other-2.bin')))).toBe(sha(slow));
    });

    it('clearFinished drops the finished files of settled batches only; the engine carries on normally afterwards', async () => {
      const engine = await engineWith();
      const first = jobFor([0, 1].map((i) => `${emu.url}/assets/cf/a${i}.bin?size=3000`), { id: 'cf-a' }, { kind: 'other' });
      expect((await download(engine, first.assets.map((asset) => ({ job: first, asset })))).summary.done).toBe(2);
      const slowServer = await startLocalServer(async (_req, res) => {
        res.writeHead(200, { 'content-length': '200000' });
        for (let at = 0; at < 200_000 && !res.destroyed; at += 20_000) {
          res.write(binaryBytes(20_000, 6));
          await new Promise((r) => setTimeout(r, 60));
        }
        res.end();
      });
      closers.push(() => slowServer.close());
      const second = jobFor([`${slowServer.url}/s.bin`], { id: 'cf-b' }, { kind: 'other' });
      const running = await engine.enqueue([{ job: second, asset: second.assets[0] ?? makeAsset('') }]);
      if (!running.ok) throw new Error(running.error.message);
      engine.clearFinished();
      expect(engine.snapshot().map((f) => f.jobId)).toEqual(['cf-b']);
      expect((await running.value.done).done).toBe(1);
      // The same job again (its files are in the ledger) and a new one in the same folder.
      const third = jobFor([`${emu.url}/assets/cf/c.bin?size=3000`], { id: 'cf-c' }, { kind: 'other' });
      const again = await download(engine, [first, third].flatMap((job) => job.assets.map((asset) => ({ job, asset }))));
      expect(again.summary.skipped).toBe(2);
      expect(again.summary.done).toBe(1);
      expect(JSON.parse(await readFile(join(root, 'cf-c.json'), 'utf8')).files).toHaveLength(1);
    });

    it("'aggregate' events are throttled, and the last one always shows the final state", async () => {
      const engine = await engineWith({ progressIntervalMs: 100 });
      const seen: Array<{ done: number; at: number }> = [];
      engine.onEvent((e) => {
        if (e.type === 'aggregate') seen.push({ done: e.progress.files.done, at: performance.now() });
      });
      const urls = Array.from({ length: 24 }, (_, i) => `${emu.url}/assets/agg/${i}.bin?size=20000`);
      const { summary } = await download(engine, [jobFor(urls.slice(0, 12), { id: 'agg-a' }, { kind: 'other' }), jobFor(urls.slice(12), { id: 'agg-b' }, { kind: 'other' })].flatMap((job) => job.assets.map((asset) => ({ job, asset }))));
      expect(summary.done).toBe(24);
      await new Promise((r) => setTimeout(r, 250)); // the trailing event comes at most one interval later
      expect(seen.at(-1)?.done).toBe(24);
      // 24 files make ~72 state changes; events are spaced by the interval instead.
      for (let i = 1; i < seen.length; i++) expect((seen[i]?.at ?? 0) - (seen[i - 1]?.at ?? 0)).toBeGreaterThan(90);
    });

    it('without checksums, a PNG with embedded text is recorded with its size as saved and no sha256', async () => {
      const engine = await engineWith({ checksums: false });
      const url = `${emu.url}/assets/nc/1.png`;
      const job = jobFor([url], { prompt: 'no checksum', model: 'midjourney' });
      await download(engine, [{ job, asset: job.assets[0] ?? makeAsset('') }]);
      const file = join(root, `${job.id}_image-1.png`);
      const png = await readFile(file);
      expect(readPngText(png)['Description']).toBe('no checksum');
      const entry = engine.ledgerEntries()[0];
      expect(entry?.size).toBe(png.length);
      expect(entry?.sha256).toBeUndefined();
      const sidecar = JSON.parse(await readFile(join(root, `${job.id}.json`), 'utf8')) as { files: Array<{ size: number; sha256?: string }> };
      expect(sidecar.files[0]?.size).toBe(png.length);
      expect(sidecar.files[0]?.sha256).toBeUndefined();
    });

    it('writes a sidecar and PNG text, sets mtime to completion time; privacy drops source URLs', async () => {
      for (const privacy of [false, true]) {
        await rm(root, { recursive: true, force: true });
        const engine = await engineWith({ privacy });
        const url = `${emu.url}/assets/m/${String(privacy)}.png`;
        const job = jobFor([url], { prompt: 'un château 🏰', model: 'midjourney' });
        await download(engine, [{ job, asset: job.assets[0] ?? makeAsset('') }]);
        const file = join(root, `${job.id}_image-1.png`);
        const png = await readFile(file);
        const text = readPngText(png);
        expect(text['Description']).toBe('un château 🏰');
        expect(text['genwatch.jobId']).toBe(job.id);
        expect(text['Source']).toBe(privacy ? undefined : url);
        expect((await stat(file)).mtimeMs).toBe(Date.parse(job.completedAt ?? ''));
        const sidecar = JSON.parse(await readFile(join(root, `${job.id}.json`), 'utf8')) as { prompt: string; jobId: string; files: Array<{ file: string; sha256: string; sourceUrl?: string }> };
        expect(sidecar.prompt).toBe('un château 🏰');
        expect(sidecar.files[0]?.file).toBe(`${job.id}_image-1.png`);
        expect(sidecar.files[0]?.sha256).toBe(sha(png));
        expect(sidecar.files[0]?.sourceUrl).toBe(privacy ? undefined : url);
        const entry = engine.ledgerEntries()[0];
        expect(entry?.sha256).toBe(sha(png));
        expect(entry?.sourceSha256).toBe(sha(await direct(url)));
      }
    });

    it('resolves name collisions without overwriting a user file', async () => {
      const engine = await engineWith({ template: 'same.{ext}', writeSidecar: false });
      await rm(root, { recursive: true, force: true });
      await (await import('node:fs/promises')).mkdir(root, { recursive: true });
      await writeFile(join(root, 'same.png'), 'mine');
      const job = jobFor([`${emu.url}/assets/c/1.png`, `${emu.url}/assets/c/2.png`]);
      const { summary } = await download(engine, job.assets.map((asset) => ({ job, asset })));
      expect(summary.failed.map((f) => f.failure?.error.message)).toEqual([]);
      expect(summary.done).toBe(2);
      expect(await readFile(join(root, 'same.png'), 'utf8')).toBe('mine');
      expect((await walk(root)).filter((f) => f.endsWith('.png'))).toEqual(['same (2).png', 'same (3).png', 'same.png']);
    });

    it('refuses a batch whose known size does not fit in the free space', async () => {
      const fs = createFileSystem();
      const engine = await engineWith({ reserveBytes: 1000 }, { fs: { ...fs, freeBytes: () => Promise.resolve(5000) } });
      const job = jobFor([`${emu.url}/assets/s/1.png`], {}, { size: 4500 });
      const r = await engine.enqueue([{ job, asset: job.assets[0] ?? makeAsset('') }]);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error.message).toMatch(/Not enough free space/);
    });
  });

  describe('free disk space', () => {
    it('with sizes unknown (most providers give none), a batch is refused while free space is below the reserve; one with nothing to fetch is not', async () => {
      const fs = createFileSystem();
      let free = 10 ** 12;
      const engine = await engineWith({ reserveBytes: 1_000_000 }, { fs: { ...fs, freeBytes: () => Promise.resolve(free) } });
      const job = jobFor([`${emu.url}/assets/u/1.png`]);
      expect((await download(engine, items(job))).summary.done).toBe(1);
      free = 500_000;
      const refused = await engine.enqueue(items(jobFor([`${emu.url}/assets/u/2.png`], { id: 'U2' })));
      expect(!refused.ok && refused.error.message).toBe('Not enough free space in the download folder: 1 MB free, and genwatch leaves at least 1 MB free for your system.');
      const again = await engine.enqueue(items(job)); // already downloaded: skipped, no space needed
      expect(again.ok && again.value.files.map((f) => f.state)).toEqual(['skipped']);
    });

    it('downloads are held while free space is below the low mark and go on when it recovers; a file the user paused stays paused', async () => {
      const body = binaryBytes(900_000, 3);
      const server = await startLocalServer((req, res) => sendSlowly(req, res, body, { chunk: 32 * 1024, delayMs: 15 }));
      closers.push(() => server.close());
      const fs = createFileSystem();
      let free = 10 ** 12;
      // Engine time runs 20× faster: its space checks (every 2 s while bytes come, every 5 s while held) take ms here.
      const t0 = Date.now();
      const clock = { ...systemClock, now: () => t0 + (Date.now() - t0) * 20, setTimeout: (cb: () => void, ms: number) => systemClock.setTimeout(cb, ms / 20) };
      // A stopped transfer takes 300 ms to wind down, so the hold below comes while the user's pause is still in flight.
      const inner = createResultDownload({ connections: 8 }, transportEnv);
      closers.push(() => inner.close());
      const http: DownloadDeps['http'] = {
        async request(req) {
          const res = await inner.request(req);
          const body = (async function* () {
            try {
              for await (const c of res.body) yield c;
            } catch (e) {
              if (req.signal.aborted) await new Promise((r) => setTimeout(r, 300));
              throw e;
            }
          })();
          return { ...res, body };
        },
      };
      const engine = await engineWith({ lowSpaceBytes: 1000 }, { fs: { ...fs, freeBytes: () => Promise.resolve(free) }, clock, http });
      const space: string[] = [];
      engine.onEvent((e) => {
        if (e.type === 'space') space.push(e.state);
      });
      const job = jobFor([`${server.url}/a.bin`, `${server.url}/b.bin`, `${server.url}/c.bin`], { id: 'S1' }, { kind: 'other' });
      const batch = await engine.enqueue(items(job));
      if (!batch.ok) throw new Error(batch.error.message);
      const until = async (what: string, test: () => boolean): Promise<void> => {
        for (let i = 0; i < 2000 && !test(); i++) await new Promise((r) => setTimeout(r, 5));
        if (!test()) throw new Error(`timed out waiting for ${what}`);
      };
      const files = (): FileSnapshot[] => engine.snapshot().filter((f) => f.batchId === batch.value.batchId);
      await until('bytes of every file', () => files().every((f) => f.bytes > 0));
      const pausedId = files()[2]?.id ?? '';
      expect(engine.pause(pausedId)).toBe(true);
      free = 10;
      await until('the low-space hold', () => space.includes('low') && files().every((f) => f.state !== 'active'));
      const held = files().map((f) => f.bytes);
      await new Promise((r) => setTimeout(r, 150));
      expect(files().map((f) => f.bytes)).toEqual(held); // nothing comes in while held
      expect(files().map((f) => f.state)).toEqual(['queued', 'queued', 'paused']);
      free = 10 ** 12;
      await until('space back and two files done', () => space.at(-1) === 'ok' && files().filter((f) => f.state === 'done').length === 2);
      expect(files()[2]?.state).toBe('paused');
      expect(engine.resume(pausedId)).toBe(true);
      const summary = await batch.value.done;
      expect(summary.done).toBe(3);
      for (const name of ['S1_other-1.bin', 'S1_other-2.bin', 'S1_other-3.bin']) expect(sha(await readFile(join(root, name)))).toBe(sha(body));
    });
  });

  describe('useapi CDN strategies', () => {
    const C1 = '1234567890123456789';
    const T0 = Date.parse('2026-03-15T10:00:00.000Z');
    let cdnUrl = '';
    let apiBase = '';
    let mj: RunningEmulator;

    beforeEach(async () => {
      const clock = new ManualClock(T0);
      const jobid = makeUseapiJobId(T0, 'image', { channel: C1 });
      mj = await startEmulator({ clock, scenario: { apiframe: { apiKeys: [], jobs: [] }, useapi: { tokens: [TEST_USEAPI_TOKEN], jobs: [{ jobid, token: TEST_USEAPI_TOKEN, channel: C1, verb: 'imagine', jobType: 'image', prompt: 'a cat', startAt: T0, createdMs: 1000, progressMs: 5000, outcome: 'completed' }] } } });
      clock.advance(10_000);
      apiBase = mj.providers.useapi.baseUrl;
      const res = await fetch(`${apiBase}/v3/midjourney/jobs/${encodeURIComponent(jobid)}`, { headers: { authorization: `Bearer ${TEST_USEAPI_TOKEN}` } });
      const body = (await res.json()) as { response?: { imageUx?: Array<{ url: string }> } };
      cdnUrl = body.response?.imageUx?.[0]?.url ?? '';
      expect(cdnUrl).toContain('/cdn-midjourney/');
    });
    afterEach(() => mj.close());

    it('plain requests get the HTML 403; browser-like headers succeed; the proxy fallback carries the token to the API host only', async () => {
      const job = jobFor([cdnUrl], { provider: 'useapi' });
      const item = { job, asset: job.assets[0] ?? makeAsset('') };
      const plain = await download(await engineWith(), [item]);
      expect(plain.summary.failed[0]?.failure?.reason).toBe('expired');

      const browser = await download(await engineWith({ sources: [midjourneyCdnSource()] }), [item], true);
      expect(browser.summary.done).toBe(1);

      const seen: Array<{ url: string; headers: Record<string, string> }> = [];
      const http = createResultDownload({}, transportEnv);
      closers.push(() => http.close());
      const spy: DownloadDeps['http'] = { request: (req) => (seen.push({ url: req.url, headers: req.headers }), http.request(req)) };
      const proxyOnly: AssetSource = { name: 'no-browser', matches: isMidjourneyCdn, headers: () => ({ ...DEFAULT_HEADERS }), fallback: midjourneyCdnSource({ proxy: { apiBase, token: TEST_USEAPI_TOKEN } }).fallback ?? (() => null) };
      const viaProxy = await download(await engineWith({ sources: [proxyOnly] }, { http: spy }), [item], true);
      expect(viaProxy.summary.done).toBe(1);
      expect(mj.requests.some((r) => r.route === 'useapi.proxy' && r.status === 200)).toBe(true);
      expect(seen[0]?.headers['authorization']).toBeUndefined();
      expect(seen[1]?.url.startsWith(`${apiBase}/v3/proxy/cdn-midjourney/?cdnUrl=`)).toBe(true);
      expect(seen[1]?.headers['authorization']).toBe(`Bearer ${TEST_USEAPI_TOKEN}`);
      expect(BROWSER_HEADERS['user-agent']).toContain('Chrome/');
    });
  });

  describe('XMP in JPEG and WebP files', () => {
    /** The emulator's .jpg/.webp bodies are magic bytes + noise, not real images: real ones come from here. */
    const FILES: Record<string, { body: Uint8Array; type: string }> = {
      '/a.jpg': { body: JPEG_2X2, type: 'image/jpeg' },
      '/b.webp': { body: WEBP_LOSSLESS_2X2, type: 'image/webp' },
      '/c.webp': { body: WEBP_LOSSY_2X2, type: 'image/webp' },
      '/mislabelled.jpg': { body: WEBP_LOSSY_2X2, type: 'image/jpeg' },
    };
    let server: LocalServer;
    beforeEach(async () => {
      server = await startLocalServer((req, res) => {
        const f = FILES[req.url ?? ''];
        if (f === undefined) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': f.type, 'content-length': f.body.length, etag: `"${req.url ?? ''}"` });
        res.end(Buffer.from(f.body));
      });
      closers.push(() => server.close());
    });

    it('embeds XMP chosen by the bytes (not the name); ledger keeps both hashes; privacy drops the URL', async () => {
      for (const privacy of [false, true]) {
        await rm(root, { recursive: true, force: true });
        const engine = await engineWith({ privacy, template: '{provider}/{group}/{jobId}_{kind}-{index}.{ext}' });
        const urls = Object.keys(FILES).map((p) => `${server.url}${p}`);
        const job = jobFor(urls, { provider: 'useapi', id: 'j2:bot', prompt: 'a <castle> & "moat"', raw: { request: { jobId: 'j1:bot', button: 'U1' } } });
        const { summary } = await download(engine, job.assets.map((asset) => ({ job, asset })));
        expect(summary.done).toBe(4);
        const ledger = engine.ledgerEntries();
        expect(ledger.map((e) => e.path).sort()).toEqual(['useapi/j1_bot/j2_bot_image-1.jpg', 'useapi/j1_bot/j2_bot_image-2.webp', 'useapi/j1_bot/j2_bot_image-3.webp', 'useapi/j1_bot/j2_bot_image-4.jpg']);
        for (const [i, entry] of ledger.sort((a, b) => a.path.localeCompare(b.path)).entries()) {
          const bytes = await readFile(join(root, entry.path));
          const source = Object.values(FILES)[i]?.body ?? new Uint8Array();
          const xmp = i === 0 ? readJpegXmp(bytes) : readWebpXmp(bytes);
          expect(xmp, entry.path).not.toBeNull();
          const fields = readXmpFields(xmp ?? '');
          expect(fields['dc:description']).toBe('a <castle> & "moat"');
          expect(fields['genwatch:jobId']).toBe('j2:bot');
          expect(fields['genwatch:parentJobId']).toBe('j1:bot');
          expect(fields['dc:source']).toBe(privacy ? undefined : urls[i]);
          if (i === 0) expect(readJpegXmpAll(bytes)).toHaveLength(1);
          expect(entry.sha256).toBe(sha(bytes));
          expect(entry.sourceSha256).toBe(sha(source));
          expect(entry.size).toBe(bytes.length);
        }
        const sidecar = JSON.parse(await readFile(join(root, 'useapi/j1_bot/j2_bot.json'), 'utf8')) as { files: Array<{ sha256: string }> };
        expect(sidecar.files.map((f) => f.sha256).sort()).toEqual(ledger.map((e) => e.sha256).sort());
        expect((await walk(root)).some((f) => f.endsWith('.part') || f.endsWith('.xmp') || f.endsWith('.part.json'))).toBe(false);
      }
    });

    it('streams a multi-megabyte JPEG through the edit: an old XMP in the middle is replaced, every other byte kept', async () => {
      const app0End = 20;
      const filler = (n: number): Uint8Array => jpegSegment(0xe2, binaryBytes(60_000, n + 2));
      const old = jpegSegment(0xe1, concatBytes(new TextEncoder().encode(XMP_JPEG_NAMESPACE), new TextEncoder().encode('<x:xmpmeta>old</x:xmpmeta>')));
      const before = concatBytes(...Array.from({ length: 25 }, (_, i) => filler(i)));
      const after = concatBytes(...Array.from({ length: 25 }, (_, i) => filler(i + 100)));
      const big = concatBytes(JPEG_2X2.subarray(0, app0End), before, old, after, JPEG_2X2.subarray(app0End));
      FILES['/big.jpg'] = { body: big, type: 'image/jpeg' };
      const engine = await engineWith();
      const job = jobFor([`${server.url}/big.jpg`]);
      const { summary } = await download(engine, [{ job, asset: job.assets[0] ?? makeAsset('') }]);
      expect(summary.done).toBe(1);
      const bytes = new Uint8Array(await readFile(join(root, `${job.id}_image-1.jpg`)));
      expect(readJpegXmpAll(bytes)).toHaveLength(1);
      expect(readXmpFields(readJpegXmp(bytes) ?? '')['genwatch:jobId']).toBe(job.id);
      const segmentLength = (((bytes[app0End + 2] ?? 0) << 8) | (bytes[app0End + 3] ?? 0)) + 2;
      const expected = concatBytes(JPEG_2X2.subarray(0, app0End), before, after, JPEG_2X2.subarray(app0End));
      expect(sha(concatBytes(bytes.subarray(0, app0End), bytes.subarray(app0End + segmentLength)))).toBe(sha(expected));
      expect(engine.ledgerEntries()[0]?.sourceSha256).toBe(sha(big));
      delete FILES['/big.jpg'];
    });

    it('leaves files alone when embedding is off, and noise behind a JPEG/WebP magic (the emulator) untouched', async () => {
      const off = await engineWith({ embedPngText: false });
      const job = jobFor([`${server.url}/a.jpg`]);
      await download(off, [{ job, asset: job.assets[0] ?? makeAsset('') }]);
      expect(sha(await readFile(join(root, `${job.id}_image-1.jpg`)))).toBe(sha(JPEG_2X2));
      expect(off.ledgerEntries()[0]?.sourceSha256).toBeUndefined();

      await rm(root, { recursive: true, force: true });
      const on = await engineWith();
      const urls = [`${emu.url}/assets/x/noise.jpg`, `${emu.url}/assets/x/noise.webp`];
      const noisy = jobFor(urls);
      const { summary } = await download(on, noisy.assets.map((asset) => ({ job: noisy, asset })));
      expect(summary.done).toBe(2);
      for (const [i, url] of urls.entries()) {
        const bytes = await readFile(join(root, `${noisy.id}_image-${i + 1}.${i === 0 ? 'jpg' : 'webp'}`));
        expect(sha(bytes)).toBe(sha(await direct(url)));
      }
      expect(on.ledgerEntries().every((e) => e.sourceSha256 === undefined)).toBe(true);
    });
  });

  describe('servers that misbehave on resume', () => {
    const SIZE = 1_000_000;
    let server: LocalServer;
    let requests: Array<{ range: string | undefined; ifRange: string | undefined }>;

    /** First request: half the body then a reset. Later: `later(req)` decides. */
    async function start(later: (range: string | undefined, ifRange: string | undefined) => { status: number; etag: string; body: Buffer; headers?: Record<string, string> }) {
      requests = [];
      server = await startLocalServer((req, res) => {
        const range = typeof req.headers['range'] === 'string' ? req.headers['range'] : undefined;
        const ifRange = typeof req.headers['if-range'] === 'string' ? req.headers['if-range'] : undefined;
        requests.push({ range, ifRange });
        if (requests.length === 1) {
          const body = binaryBytes(SIZE, 1);
          res.writeHead(200, { 'content-length': SIZE, etag: '"v1"', 'content-type': 'application/octet-stream' });
          res.write(body.subarray(0, SIZE / 2), () => res.socket?.destroy());
          return;
        }
        const r = later(range, ifRange);
        res.writeHead(r.status, { 'content-length': r.body.length, etag: r.etag, ...(r.headers ?? {}) });
        res.end(r.body);
      });
      closers.push(() => server.close());
    }

    it('a server ignoring Range (200 to a resume) restarts from zero: correct file, nothing spliced', async () => {
      await start(() => ({ status: 200, etag: '"v1"', body: binaryBytes(SIZE, 1) }));
      const engine = await engineWith();
      const job = jobFor([`${server.url}/file.bin`], {}, { kind: 'other' });
      const { summary } = await download(engine, [{ job, asset: job.assets[0] ?? makeAsset('') }]);
      expect(summary.done).toBe(1);
      expect(requests[1]).toEqual({ range: `bytes=${SIZE / 2}-`, ifRange: '"v1"' });
      expect(sha(await readFile(join(root, `${job.id}_other-1.bin`)))).toBe(sha(binaryBytes(SIZE, 1)));
    });

    it('a changed ETag on resume (200 with new content) restarts from zero with the new file', async () => {
      await start((_range, ifRange) => (ifRange === '"v2"' ? { status: 206, etag: '"v2"', body: Buffer.alloc(0) } : { status: 200, etag: '"v2"', body: binaryBytes(SIZE, 2) }));
      const engine = await engineWith();
      const job = jobFor([`${server.url}/file.bin`], {}, { kind: 'other' });
      const { summary } = await download(engine, [{ job, asset: job.assets[0] ?? makeAsset('') }]);
      expect(summary.done).toBe(1);
      expect(sha(await readFile(join(root, `${job.id}_other-1.bin`)))).toBe(sha(binaryBytes(SIZE, 2)));
    });

    it('a 206 whose Content-Range does not start at the .part size is not trusted', async () => {
      await start((range) => {
        if (range === undefined) return { status: 200, etag: '"v1"', body: binaryBytes(SIZE, 1) };
        const body = binaryBytes(SIZE, 1).subarray(100);
        return { status: 206, etag: '"v1"', body, headers: { 'content-range': `bytes 100-${SIZE - 1}/${SIZE}` } };
      });
      const engine = await engineWith();
      const job = jobFor([`${server.url}/file.bin`], {}, { kind: 'other' });
      const { summary } = await download(engine, [{ job, asset: job.assets[0] ?? makeAsset('') }]);
      expect(summary.done).toBe(1);
      expect(requests.map((r) => r.range)).toEqual([undefined, `bytes=${SIZE / 2}-`, undefined]);
      expect(sha(await readFile(join(root, `${job.id}_other-1.bin`)))).toBe(sha(binaryBytes(SIZE, 1)));
    });

    it('respects global and per-host concurrency (counted at the server)', async () => {
      let inFlight = 0;
      let maxInFlight = 0;
      const perHost = new Map<string, number>();
      let maxPerHost = 0;
      const slow = await startLocalServer(async (req, res) => {
        const host = req.headers.host ?? '';
        inFlight++;
        perHost.set(host, (perHost.get(host) ?? 0) + 1);
        maxInFlight = Math.max(maxInFlight, inFlight);
        maxPerHost = Math.max(maxPerHost, perHost.get(host) ?? 0);
        await new Promise((r) => setTimeout(r, 40));
        res.writeHead(200, { 'content-length': 4096 });
        res.end(binaryBytes(4096, 3), () => {
          inFlight--;
          perHost.set(host, (perHost.get(host) ?? 1) - 1);
        });
      });
      closers.push(() => slow.close());
      const port = new URL(slow.url).port;
      const engine = await engineWith({ concurrency: 3, perHostConcurrency: 2 });
      const urls = Array.from({ length: 12 }, (_, i) => `http://${i % 2 === 0 ? '127.0.0.1' : 'localhost'}:${port}/f${i}.bin`);
      const job = jobFor(urls, {}, { kind: 'other' });
      const { summary } = await download(engine, job.assets.map((asset) => ({ job, asset })));
      expect(summary.done).toBe(12);
      expect(maxInFlight).toBe(3);
      expect(maxPerHost).toBe(2);
    });
  });

  describe('file-system failures (fake port over the real one)', () => {
    it('disk full while writing → typed "disk-full" error, no final file, .part kept for a resume', async () => {
      const real = createFileSystem();
      let written = 0;
      const full: FileSystemPort = {
        ...real,
        async open(path, mode) {
          const file = await real.open(path, mode);
          return {
            ...file,
            async write(chunks) {
              written += chunks.reduce((n, c) => n + c.length, 0);
              if (path.endsWith('.part') && written > 600_000) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
              await file.write(chunks);
            },
          };
        },
      };
      const events: DownloadEvent[] = [];
      const engine = await engineWith({ writeSidecar: false }, { fs: full });
      engine.onEvent((e) => events.push(e));
      const url = `${emu.url}/assets/full/x.mp4?size=2000000`;
      const job = jobFor([url], {}, { kind: 'video' });
      const { summary } = await download(engine, [{ job, asset: job.assets[0] ?? makeAsset('') }]);
      expect(summary.failed[0]?.failure?.reason).toBe('disk-full');
      expect(summary.failed[0]?.failure?.error.message).toBe('The disk is full: free some space, then retry.');
      const files = await walk(root);
      expect(files.filter((f) => f.endsWith('.mp4'))).toEqual([]);
      expect(files).toContain(`${job.id}_video-1.mp4.part`);
      expect(events.some((e) => e.type === 'file' && e.file.state === 'failed')).toBe(true);
    });

    it('disk full while the prompt goes into a finished PNG → the edited .part is dropped, and the retry downloads a whole PNG from zero', async () => {
      const real = createFileSystem();
      let failNext = true;
      const full: FileSystemPort = {
        ...real,
        async open(path, mode) {
          const file = await real.open(path, mode);
          // Only the metadata edit appends to a finished .part (a new download opens it with 'truncate').
          if (!(path.endsWith('.part') && mode === 'append')) return file;
          return {
            ...file,
            async write(chunks) {
              if (failNext) {
                failNext = false;
                throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
              }
              await file.write(chunks);
            },
          };
        },
      };
      const engine = await engineWith({}, { fs: full });
      const job = jobFor([`${emu.url}/assets/e/1.png`], { id: 'E1', prompt: 'a lighthouse' });
      const { handle, summary } = await download(engine, job.assets.map((asset) => ({ job, asset })));
      expect(summary.failed.map((f) => f.failure?.reason)).toEqual(['disk-full']);
      expect(await readdir(root).then((names) => names.filter((n) => n.includes('.part')))).toEqual([]);
      const retry = await engine.retryFailed(handle.batchId);
      if (!retry.ok) throw new Error(retry.error.message);
      expect((await retry.value.done).done).toBe(1);
      const png = await readFile(join(root, 'E1_image-1.png'));
      expect(readPngText(png)['Description'] ?? readPngText(png)['prompt'] ?? JSON.stringify(readPngText(png))).toContain('a lighthouse');
      expect(png.subarray(-8).toString('latin1').startsWith('IEND')).toBe(true);
    });

    it('a response left unread by a failed attempt (the .part cannot be opened) is torn down, not left hanging', async () => {
      let closedEarly = false;
      const server = await startLocalServer(async (_req, res) => {
        res.on('close', () => (closedEarly = !res.writableFinished));
        res.writeHead(200, { 'content-length': String(4_000_000) });
        for (let at = 0; at < 4_000_000 && !res.destroyed; at += 64 * 1024) {
          res.write(binaryBytes(64 * 1024, 3));
          await new Promise((r) => setTimeout(r, 5));
        }
        res.end();
      });
      closers.push(() => server.close());
      const real = createFileSystem();
      const denied: FileSystemPort = { ...real, open: (path, mode) => (path.endsWith('.part') ? Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })) : real.open(path, mode)) };
      const engine = await engineWith({}, { fs: denied });
      const job = jobFor([`${server.url}/big.bin`], {}, { kind: 'other' });
      const { summary } = await download(engine, [{ job, asset: job.assets[0] ?? makeAsset('') }]);
      expect(summary.failed[0]?.failure?.reason).toBe('permission');
      for (let i = 0; i < 100 && !closedEarly; i++) await new Promise((r) => setTimeout(r, 20));
      expect(closedEarly).toBe(true);
    });

    it('a cancel stays a cancel when the app quits right after it', async () => {
      const server = await startLocalServer(async (_req, res) => {
        res.writeHead(200, { 'content-length': String(3_000_000), etag: '"c"' });
        for (let at = 0; at < 3_000_000 && !res.destroyed; at += 32 * 1024) {
          res.write(binaryBytes(32 * 1024, 4));
          await new Promise((r) => setTimeout(r, 10));
        }
        res.end();
      });
      closers.push(() => server.close());
      const engine = await engineWith();
      const job = jobFor([`${server.url}/c.bin`], { id: 'cq' }, { kind: 'other' });
      const batch = await engine.enqueue([{ job, asset: job.assets[0] ?? makeAsset('') }]);
      if (!batch.ok) throw new Error(batch.error.message);
      for (let i = 0; i < 300 && (engine.snapshot()[0]?.bytes ?? 0) < 200_000; i++) await new Promise((r) => setTimeout(r, 5));
      engine.cancel(batch.value.files[0]?.id ?? '');
      await engine.stop();
      expect(engine.snapshot()[0]?.state).toBe('cancelled');
      expect((await readdir(root)).filter((n) => n.startsWith('cq'))).toEqual([]);
    });

    it('permission denied → typed "permission" error and the .part removed', async () => {
      const real = createFileSystem();
      const denied: FileSystemPort = { ...real, open: () => Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })) };
      const engine = await engineWith({}, { fs: denied });
      const job = jobFor([`${emu.url}/assets/p/x.png`]);
      const { summary } = await download(engine, [{ job, asset: job.assets[0] ?? makeAsset('') }]);
      expect(summary.failed[0]?.failure?.reason).toBe('permission');
      expect(await walk(root)).toEqual([]);
    });
  });

  describe('pause, resume, cancel', () => {
    async function slowServer(size: number): Promise<LocalServer> {
      const body = binaryBytes(size, 7);
      const server = await startLocalServer((req, res) => sendSlowly(req, res, body));
      closers.push(() => server.close());
      return server;
    }

    it('a resume that comes while the pause is still winding down the transfer goes on: the file finishes, intact', async () => {
      const size = 1_500_000;
      const server = await slowServer(size);
      const engine = await engineWith();
      const job = jobFor([`${server.url}/w.bin`], { id: 'PW' }, { kind: 'other' });
      const batch = await engine.enqueue(items(job));
      if (!batch.ok) throw new Error(batch.error.message);
      const id = batch.value.files[0]?.id ?? '';
      for (let i = 0; i < 400 && (engine.snapshot().find((f) => f.id === id)?.bytes ?? 0) < 100_000; i++) await new Promise((r) => setTimeout(r, 5));
      expect(engine.pause(id)).toBe(true);
      expect(engine.snapshot().find((f) => f.id === id)?.state).toBe('active'); // winding down
      expect(engine.resume(id)).toBe(true);
      const summary = await batch.value.done;
      expect(summary.done).toBe(1);
      expect(sha(await readFile(join(root, 'PW_other-1.bin')))).toBe(sha(binaryBytes(size, 7)));
    });

    it('pauses mid-file (keeping the .part), resumes with a Range request, and cancel removes everything', async () => {
      const size = 2_000_000;
      const server = await slowServer(size);
      const engine = await engineWith();
      const job = jobFor([`${server.url}/a.bin`, `${server.url}/b.bin`], {}, { kind: 'other' });
      const states: string[] = [];
      let paused = false;
      engine.onEvent((e) => {
        if (e.type !== 'file') return;
        states.push(`${e.file.assetKey}:${e.file.state}`);
        if (!paused && e.file.assetKey === 'other:0' && e.file.bytes > 300_000) {
          paused = true;
          engine.pause(e.file.id);
        }
      });
      const batch = await engine.enqueue(job.assets.map((asset) => ({ job, asset })));
      if (!batch.ok) throw new Error(batch.error.message);
      const [a, b] = batch.value.files;
      await new Promise((r) => setTimeout(r, 300));
      expect(engine.snapshot().find((f) => f.id === a?.id)?.state).toBe('paused');
      expect((await stat(join(root, `${job.id}_other-1.bin.part`))).size).toBeGreaterThan(300_000);
      engine.cancel(b?.id ?? '');
      engine.resume(a?.id ?? '');
      const summary = await batch.value.done;
      expect(summary.done).toBe(1);
      expect(summary.cancelled).toBe(1);
      expect(sha(await readFile(join(root, `${job.id}_other-1.bin`)))).toBe(sha(binaryBytes(size, 7)));
      expect((await walk(root)).filter((f) => f.includes('other-2'))).toEqual([]);
      expect(states).toContain('other:0:paused');
    });
  });
});
