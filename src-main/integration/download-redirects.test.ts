/**
 * Redirects through the real engine: real HTTP on loopback (small local
 * servers), a real temp folder through the node-fs adapter. The engine
 * follows redirects itself (transfer.ts fetchChecked): every hop must be an
 * allowed URL (url-safety.ts), caller headers only go to the origin they were
 * made for, and at most MAX_REDIRECTS hops are followed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { readFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNodeFileSystem, nodeSha256 } from '../adapters/node-fs';
import { systemClock } from '../adapters/system-clock';
import { createResultDownload } from '../adapters/result-download';
import type { Job } from '../../src-shared/job';
import { isLoopbackUrl } from '../../src-shared/loopback';
import { crc32 } from '../core/downloads/crc32';
import type { DownloadDeps, DownloadSettings } from '../core/downloads/engine';
import { DownloadEngine } from '../core/downloads/engine';
import { PNG_SIGNATURE } from '../core/downloads/png-metadata';
import { DEFAULT_HEADERS, midjourneyCdnSource } from '../core/downloads/sources';
import type { AssetSource } from '../core/downloads/sources';
import { makeAsset, makeJob } from '../core/downloads/testing/fixtures';
import { startLocalServer } from '../core/downloads/testing/local-server';
import type { LocalServer } from '../core/downloads/testing/local-server';
import { MAX_REDIRECTS } from '../core/downloads/url-safety';

/** The failure messages of transfer.ts fetchChecked. */
const REDIRECT_REFUSED = 'The server redirected to a link that is not allowed.';
const TOO_MANY_REDIRECTS = 'The server redirected too many times.';

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A real 2×2 RGBA PNG (signature, IHDR, IDAT, IEND): binary from its first byte, so the body check accepts it. */
const PNG = (() => {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const rows = Buffer.from([0, 255, 0, 0, 255, 0, 0, 255, 255, 0, 0, 255, 0, 255, 0, 255, 255, 255, 255, 128]);
  return Buffer.concat([Buffer.from(PNG_SIGNATURE), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', new Uint8Array(0))]);
})();

let root: string;
let base: string;
const closers: Array<() => Promise<void>> = [];

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'genwatch-redirect-'));
  root = join(base, 'root');
});

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await rm(base, { recursive: true, force: true });
});

/** Every URL the engine asked its HTTP port for, in order (the engine's only way out to the network). */
let asked: string[];

async function engineWith(settings: Partial<DownloadSettings> = {}, deps: Partial<DownloadDeps> = {}): Promise<DownloadEngine> {
  const undici = createResultDownload({ connections: 8, idleTimeoutMs: 5000 });
  closers.push(() => undici.close());
  asked = [];
  const http: DownloadDeps['http'] = { request: (req) => (asked.push(req.url), undici.request(req)) };
  const created = await DownloadEngine.create(
    { http, fs: createNodeFileSystem(), hasher: nodeSha256, clock: systemClock, random: () => 0.5, ...deps },
    { root, retryBaseMs: 10, reserveBytes: 0, lowSpaceBytes: 0, fsync: false, checksums: true, embedPngText: false, template: '{jobId}_{kind}-{index}.{ext}', ...settings },
  );
  if (!created.ok) throw new Error(created.error.message);
  return created.value;
}

async function download(engine: DownloadEngine, job: Job) {
  const batch = await engine.enqueue(
    job.assets.map((asset) => ({ job, asset })),
    { force: false },
  );
  if (!batch.ok) throw new Error(batch.error.message);
  return batch.value.done;
}

function jobFor(id: string, urls: string[]): Job {
  return makeJob(
    urls.map((u, index) => makeAsset(u, { index })),
    { id },
  );
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name).slice(dir.length + 1));
  return out.sort();
}

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
}

/** A loopback server answering by path: `[status, location]` redirects, 'png' the image, a number that status, null 404. */
async function server(routes: (path: string) => [number, string] | number | 'png' | null): Promise<LocalServer & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const s = await startLocalServer((req, res) => {
    const path = req.url ?? '';
    seen.push({ path, headers: req.headers });
    const route = routes(path);
    if (route === 'png') res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length }).end(PNG);
    else if (route === null || typeof route === 'number') res.writeHead(route ?? 404, { 'content-type': 'text/plain' }).end('no');
    else res.writeHead(route[0], { location: route[1], 'content-length': 0 }).end();
  });
  closers.push(() => s.close());
  return { ...s, seen };
}

describe('redirects followed by the engine', () => {
  it('a same-server 302 (relative Location) is followed: the PNG lands inside the root with the exact bytes', async () => {
    const a = await server((path) => (path === '/a' ? [302, '/b.png'] : path === '/b.png' ? 'png' : null));
    const engine = await engineWith();
    const summary = await download(engine, jobFor('R1', [`${a.url}/a`]));
    expect(summary.failed.map((f) => f.failure?.error.message)).toEqual([]);
    expect(summary.done).toBe(1);
    expect(a.seen.map((r) => r.path)).toEqual(['/a', '/b.png']);
    expect(asked).toEqual([`${a.url}/a`, `${a.url}/b.png`]);
    // Named by the body (a PNG) inside the root; nothing else written anywhere (no .part, nothing outside).
    expect(await walk(root)).toEqual(['.genwatch/ledger.jsonl', 'R1.json', 'R1_image-1.png']);
    expect(await readdir(base)).toEqual(['root']);
    expect(await readFile(join(root, 'R1_image-1.png'))).toEqual(PNG);
    // TransferResult.url is "The URL that finally answered (after redirects / fallback)": the sidecar names that one.
    const sidecar = JSON.parse(await readFile(join(root, 'R1.json'), 'utf8')) as { files: Array<{ sourceUrl?: string; size: number }> };
    expect(sidecar.files).toEqual([expect.objectContaining({ sourceUrl: `${a.url}/b.png`, size: PNG.length })]);
  });

  it('a redirect to file:, to plain http off this computer, or to a URL with credentials is refused: url-refused, nothing written, no request leaves loopback', async () => {
    const a = await server((path) => {
      if (path === '/to-file') return [302, 'file:///etc/passwd'];
      if (path === '/to-remote-http') return [302, 'http://example.com/x.png'];
      if (path === '/to-protocol-relative') return [301, '//example.com/x.png']; // resolves to http://example.com/x.png
      // Loopback, but user:password in a URL is refused (it would be sent as Basic auth): were it followed, /b.png is a real image.
      if (path === '/to-credentials') return [307, `http://user:pw@${new URL(a.url).host}/b.png`];
      return path === '/b.png' ? 'png' : null;
    });
    const paths = ['/to-file', '/to-remote-http', '/to-protocol-relative', '/to-credentials'];
    const engine = await engineWith();
    const summary = await download(engine, jobFor('R2', paths.map((p) => `${a.url}${p}`)));
    expect(summary.done).toBe(0);
    const failures = summary.failed.map((f) => [f.assetKey, f.failure?.reason, f.failure?.error.message]).sort();
    expect(failures).toEqual(paths.map((_, i) => [`image:${i}`, 'url-refused', REDIRECT_REFUSED]));
    // Each redirect was asked for exactly once (a refused URL is not retried), and nothing beyond it.
    expect(a.seen.map((r) => r.path).sort()).toEqual([...paths].sort());
    expect(asked.sort()).toEqual(paths.map((p) => `${a.url}${p}`).sort());
    expect(asked.every((u) => isLoopbackUrl(u) && !u.includes('@'))).toBe(true);
    // Nothing under a final name, no .part / .part.json, no ledger entry or sidecar.
    expect(await walk(root)).toEqual([]);
    expect(engine.ledgerEntries()).toEqual([]);
  });

  it('a per-source header (a key for server A) is not sent to server B after a cross-origin hop', async () => {
    const b = await server((path) => (path === '/land.png' ? 'png' : null));
    const a = await server((path) => {
      if (path === '/start') return [302, '/again']; // same origin
      return path === '/again' ? [307, `${b.url}/land.png`] : null; // another port: another origin
    });
    const aOrigin = new URL(a.url).origin;
    const keyed: AssetSource = { name: 'server-a', matches: (u) => u.origin === aOrigin, headers: () => ({ ...DEFAULT_HEADERS, 'user-agent': 'client-for-a', authorization: 'Bearer secret-for-a', 'x-api-key': 'key-for-a' }) };
    const engine = await engineWith({ sources: [keyed] });
    const summary = await download(engine, jobFor('R3', [`${a.url}/start`]));
    expect(summary.done).toBe(1);
    expect(await readFile(join(root, 'R3_image-1.png'))).toEqual(PNG);
    // A source's headers are chosen per URL (requestsFor), so every request to A carries A's key.
    expect(a.seen.map((r) => [r.path, r.headers['authorization'], r.headers['x-api-key'], r.headers['user-agent']])).toEqual([
      ['/start', 'Bearer secret-for-a', 'key-for-a', 'client-for-a'],
      ['/again', 'Bearer secret-for-a', 'key-for-a', 'client-for-a'],
    ]);
    expect(b.seen.map((r) => r.path)).toEqual(['/land.png']);
    expect(b.seen[0]?.headers['authorization']).toBeUndefined();
    expect(b.seen[0]?.headers['x-api-key']).toBeUndefined();
    // After a cross-origin hop the headers are the ones the sources give the new URL (none matches B: the defaults).
    expect(b.seen[0]?.headers['user-agent']).toBe(DEFAULT_HEADERS['user-agent']);
  });

  describe("the proxy fallback's Bearer token (headers made for the API host only)", () => {
    const token = 'useapi-token-redirect-test';
    let cdn: LocalServer & { seen: Seen[] };
    let api: LocalServer & { seen: Seen[] };
    const proxyPath = (asset: string): string => `/v3/proxy/cdn-midjourney/?cdnUrl=${encodeURIComponent(asset)}`;
    beforeEach(async () => {
      // The CDN refuses direct requests (as cdn.midjourney.com refuses scripts) and serves signed links.
      cdn = await server((path) => (path.startsWith('/cdn-midjourney/') ? 403 : path === '/signed/x.png' ? 'png' : path === '/bounce' ? [302, `${api.url}/v3/back.png`] : null));
      // The API host's proxy answers with redirects: within the API host, to the CDN, or to the CDN and back.
      api = await server((path) => {
        if (path === proxyPath(`${cdn.url}/cdn-midjourney/job/0_0.png`)) return [302, '/v3/proxy/step2'];
        if (path === '/v3/proxy/step2') return [307, `${cdn.url}/signed/x.png`];
        if (path === proxyPath(`${cdn.url}/cdn-midjourney/job/0_1.png`)) return [302, `${cdn.url}/bounce`];
        return path === '/v3/back.png' ? 'png' : null;
      });
    });

    it('is kept on a same-origin hop and never sent to the CDN it redirects to', async () => {
      const engine = await engineWith({ sources: [midjourneyCdnSource({ proxy: { apiBase: api.url, token } })] });
      const asset = `${cdn.url}/cdn-midjourney/job/0_0.png`;
      const summary = await download(engine, jobFor('R4', [asset]));
      expect(summary.failed.map((f) => f.failure?.error.message)).toEqual([]);
      expect(summary.done).toBe(1);
      expect(await readFile(join(root, 'R4_image-1.png'))).toEqual(PNG);
      expect(api.seen.map((r) => [r.path, r.headers['authorization']])).toEqual([
        [proxyPath(asset), `Bearer ${token}`],
        ['/v3/proxy/step2', `Bearer ${token}`],
      ]);
      expect(cdn.seen.map((r) => [r.path, r.headers['authorization']])).toEqual([
        ['/cdn-midjourney/job/0_0.png', undefined],
        ['/signed/x.png', undefined],
      ]);
      expect(cdn.seen.some((r) => JSON.stringify(r.headers).includes(token))).toBe(false);
    });

    it('API host → CDN → API host: the token goes back to the API host only', async () => {
      // transfer.ts fetchChecked: "caller headers only go to the origin they were made for" — each hop is
      // compared with the request's own URL (sameOrigin(url, req.url)), not with the previous hop, so the
      // token returns with the hop back to the API host, and the CDN in between never sees it.
      const engine = await engineWith({ sources: [midjourneyCdnSource({ proxy: { apiBase: api.url, token } })] });
      const asset = `${cdn.url}/cdn-midjourney/job/0_1.png`;
      const summary = await download(engine, jobFor('R4b', [asset]));
      expect(summary.done).toBe(1);
      expect(await readFile(join(root, 'R4b_image-1.png'))).toEqual(PNG);
      expect(api.seen.map((r) => [r.path, r.headers['authorization']])).toEqual([
        [proxyPath(asset), `Bearer ${token}`],
        ['/v3/back.png', `Bearer ${token}`],
      ]);
      expect(cdn.seen.map((r) => [r.path, r.headers['authorization']])).toEqual([
        ['/cdn-midjourney/job/0_1.png', undefined],
        ['/bounce', undefined],
      ]);
    });
  });
});

describe('the redirect cap', () => {
  it('a redirect without a Location is a server error said as such (not a refused link), and nothing is written', async () => {
    const s = await startLocalServer((_req, res) => {
      res.writeHead(302, { 'content-length': 0 }).end();
    });
    closers.push(() => s.close());
    const engine = await engineWith();
    const summary = await download(engine, jobFor('R9', [`${s.url}/nowhere`]));
    expect(summary.failed.map((f) => [f.failure?.reason, f.failure?.error.message])).toEqual([['http', 'The server answered 302 (a redirect) without saying where to.']]);
    expect(await walk(root)).toEqual([]);
  });

  it(`a redirect loop is given up after MAX_REDIRECTS (${MAX_REDIRECTS}) hops with a clear failure, nothing written`, async () => {
    let loops = 0;
    // Endless, but bounded here so a missing cap fails the test instead of hanging it: after 50 rounds it serves the image.
    const a = await server((path) => (path === '/loop' ? (++loops > 50 ? 'png' : [302, '/loop']) : null));
    const engine = await engineWith();
    const summary = await download(engine, jobFor('R5', [`${a.url}/loop`]));
    expect(summary.done).toBe(0);
    expect(summary.failed.map((f) => [f.failure?.reason, f.failure?.error.message, f.failure?.retryable])).toEqual([['http', TOO_MANY_REDIRECTS, false]]);
    // The first request plus MAX_REDIRECTS followed hops, and no retry.
    expect(a.seen).toHaveLength(MAX_REDIRECTS + 1);
    expect(await walk(root)).toEqual([]);
  });

  it('exactly MAX_REDIRECTS hops are followed; one more is too many', async () => {
    // /hop/N redirects to /hop/N-1; /hop/0 is the image: /hop/N takes N redirects.
    const a = await server((path) => {
      const n = /^\/hop\/(\d+)$/.exec(path)?.[1];
      if (n === undefined) return null;
      return n === '0' ? 'png' : [308, `/hop/${Number(n) - 1}`];
    });
    const engine = await engineWith();
    const summary = await download(engine, jobFor('R6', [`${a.url}/hop/${MAX_REDIRECTS}`, `${a.url}/hop/${MAX_REDIRECTS + 1}`]));
    expect(summary.done).toBe(1);
    expect(summary.failed.map((f) => [f.assetKey, f.failure?.reason, f.failure?.error.message])).toEqual([['image:1', 'http', TOO_MANY_REDIRECTS]]);
    expect(await walk(root)).toEqual(['.genwatch/ledger.jsonl', 'R6.json', 'R6_image-1.png']);
    expect(await readFile(join(root, 'R6_image-1.png'))).toEqual(PNG);
  });
});
