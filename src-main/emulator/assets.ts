/**
 * The asset "CDN": GET|HEAD /assets/<anything>.<ext>. Bytes are a pure
 * function of the path (and ?size=), so downloads, resumes (Range) and
 * checksums are reproducible. Default PNGs are real images; everything else
 * is keystream bytes behind the format's magic header.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { gradientPng, PNG_SIGNATURE } from './png';
import type { Reply, Route, RouteContext, StreamBody } from './router';

const DEFAULT_SIZE = 64 * 1024;
/** Large streamed bodies go out in pieces this big (fewer writes per MiB). */
const CHUNK = 256 * 1024;
const CACHE_MAX = 256;
/** Fixed so Last-Modified / If-Range dates are reproducible across runs. */
const LAST_MODIFIED = new Date(Date.UTC(2026, 2, 15, 10, 0, 0)).toUTCString();
const MAX_SIZE = 16 * 1024 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  m4a: 'audio/mp4',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
};

function magicFor(ext: string): Buffer {
  switch (ext) {
    case 'png':
      return PNG_SIGNATURE;
    case 'jpg':
    case 'jpeg':
      return Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
    case 'gif':
      return Buffer.from('GIF89a', 'latin1');
    case 'webp':
      return Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1');
    case 'mp4':
    case 'm4a':
    case 'mov': {
      // A 24-byte ftyp box: size, 'ftyp', major brand, minor version, two compatible brands.
      const b = Buffer.alloc(24);
      b.writeUInt32BE(24, 0);
      b.write('ftypisom', 4, 'latin1');
      b.writeUInt32BE(0x200, 12);
      b.write('isommp41', 16, 'latin1');
      return b;
    }
    case 'webm':
      return Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);
    case 'mp3':
      // ID3v2.4 header with an empty tag.
      return Buffer.from([0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
    case 'wav':
      return Buffer.from('RIFF\0\0\0\0WAVE', 'latin1');
    default:
      return Buffer.alloc(0);
  }
}

/** What every synthetic asset is cut from: 8 MiB of AES-128-CTR keystream, made once per process (~5 ms). */
const POOL_BYTES = 8 * 1024 * 1024;
let pool: Buffer | null = null;
function poolBytes(): Buffer {
  pool ??= createCipheriv('aes-128-ctr', Buffer.from('genwatch-emulatr'), Buffer.alloc(16)).update(Buffer.alloc(POOL_BYTES));
  return pool;
}

/**
 * Deterministic, offset-addressable bytes: block b (CHUNK bytes) of an asset
 * is the pool's slice at a position hashed from the asset's identity and b,
 * and every asset starts with the format's magic header and 16 bytes of its
 * identity's hash, so no two assets are alike. Any slice can be produced
 * without what precedes it (Range responses of a 256 MiB file are cheap and
 * consistent); a resume spliced at the wrong offset shows in the bytes
 * (unless two block positions coincide: ~1 in 8 million per pair of
 * blocks). Serving costs no generation: pieces are views of the pool, only
 * the first one is a copy (it carries the header). Benchmarks measure
 * clients, and on a small machine every cycle spent here is one a client lacks.
 */
class SyntheticBytes {
  private readonly seed: number;
  /** The asset's first bytes: magic header, then 16 bytes of the identity's hash. */
  private readonly head: Buffer;

  constructor(identity: string, ext: string) {
    const digest = createHash('sha256').update(`genwatch-emulator-asset:${identity}`).digest();
    this.seed = digest.readUInt32BE(0);
    this.head = Buffer.concat([magicFor(ext), digest.subarray(0, 16)]);
  }

  /** Where block `block` starts in the pool (a 32-bit mix of seed and block: murmur3's finaliser). */
  private offsetOf(block: number): number {
    let x = (this.seed ^ Math.imul(block + 1, 0x9e3779b1)) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
    return ((x ^ (x >>> 16)) >>> 0) % (POOL_BYTES - CHUNK + 1);
  }

  /** Bytes [start, end) in pieces of at most `size` (and never across a block). */
  *chunks(start: number, end: number, size: number): Generator<Buffer> {
    const bytes = poolBytes();
    for (let at = start; at < end; ) {
      const block = Math.floor(at / CHUNK);
      const inBlock = at - block * CHUNK;
      const n = Math.min(CHUNK - inBlock, end - at, size);
      const from = this.offsetOf(block) + inBlock;
      let out = bytes.subarray(from, from + n);
      if (at < this.head.length) {
        out = Buffer.from(out); // never write into the shared pool
        this.head.copy(out, 0, at, Math.min(this.head.length, at + n));
      }
      yield out;
      at += n;
    }
  }
}

interface Asset {
  length: number;
  etag: string;
  contentType: string;
  /** Bytes [start, end) as chunks. */
  read(start: number, end: number): StreamBody;
}

function bufferAsset(buf: Buffer, contentType: string): Asset {
  const etag = `"${createHash('sha256').update(buf).digest('base64url').slice(0, 27)}"`;
  return {
    length: buf.length,
    etag,
    contentType,
    read: (start, end) => ({ length: end - start, chunks: () => [buf.subarray(start, end)] }),
  };
}

function streamAsset(gen: SyntheticBytes, length: number, identity: string, contentType: string): Asset {
  // The bytes are a pure function of the identity, so hashing the identity is
  // as strong as hashing the (possibly huge) bytes themselves.
  const etag = `"${createHash('sha256').update(`v1:${identity}:${length}`).digest('base64url').slice(0, 27)}"`;
  return {
    length,
    etag,
    contentType,
    read: (start, end) => ({
      length: end - start,
      chunks: () => gen.chunks(start, end, CHUNK),
    }),
  };
}

export class AssetStore {
  private readonly cache = new Map<string, Asset>();

  /** Returns undefined when the path has no extension (not an asset). */
  get(assetPath: string, sizeOverride: number | undefined): Asset | undefined {
    const m = /\.([A-Za-z0-9]{1,8})$/.exec(assetPath);
    const ext = m?.[1]?.toLowerCase();
    if (ext === undefined) return undefined;
    const cacheKey = `${assetPath}\u0000${sizeOverride ?? ''}`;
    const hit = this.cache.get(cacheKey);
    if (hit !== undefined) {
      // Refresh recency (Map keeps insertion order → cheap LRU).
      this.cache.delete(cacheKey);
      this.cache.set(cacheKey, hit);
      return hit;
    }
    const contentType = CONTENT_TYPES[ext] ?? 'application/octet-stream';
    let asset: Asset;
    if (ext === 'png' && sizeOverride === undefined) {
      asset = bufferAsset(gradientPng(assetPath), contentType);
    } else {
      const length = sizeOverride ?? DEFAULT_SIZE;
      const identity = `${assetPath}:${length}`;
      const gen = new SyntheticBytes(identity, ext);
      asset = streamAsset(gen, length, identity, contentType);
    }
    this.cache.set(cacheKey, asset);
    while (this.cache.size > CACHE_MAX) {
      const oldest = this.cache.keys().next();
      if (oldest.done === true) break;
      this.cache.delete(oldest.value);
    }
    return asset;
  }
}

type ParsedRange = { kind: 'none' } | { kind: 'range'; start: number; end: number } | { kind: 'unsatisfiable' };

/** Single `bytes=` ranges only; anything else is ignored (RFC 9110 allows serving 200). */
export function parseRange(header: string | undefined, length: number): ParsedRange {
  if (header === undefined) return { kind: 'none' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (m === null) return { kind: 'none' };
  const a = m[1] ?? '';
  const b = m[2] ?? '';
  if (a === '' && b === '') return { kind: 'none' };
  if (a === '') {
    const n = Number(b);
    if (n === 0 || length === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, length - n), end: length - 1 };
  }
  const start = Number(a);
  const end = b === '' ? length - 1 : Math.min(Number(b), length - 1);
  if (b !== '' && Number(b) < start) return { kind: 'none' }; // invalid syntax → ignore
  if (start >= length) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end };
}

function ifRangeMatches(ifRange: string | undefined, etag: string): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return v === etag; // strong comparison
  return v === LAST_MODIFIED;
}

function header(ctx: RouteContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * Serves `assetPath` from `store` with the full HTTP surface (ETag, 304,
 * Range/206/416, If-Range). Shared by /assets and the provider CDNs (useapi's
 * emulated cdn.midjourney.com and Discord attachments) so every asset URL an
 * emulated provider hands out behaves like a real CDN.
 */
export function serveAsset(ctx: RouteContext, store: AssetStore, assetPath: string, size?: number): Reply {
  const asset = store.get(assetPath, size);
  if (asset === undefined) {
    return { status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'Not found' }) };
  }
  const base: Record<string, string> = {
    'content-type': asset.contentType,
    etag: asset.etag,
    'last-modified': LAST_MODIFIED,
    'accept-ranges': 'bytes',
    'cache-control': 'public, max-age=31536000, immutable',
  };
  const inm = header(ctx, 'if-none-match');
  if (inm !== undefined && inm.split(',').some((t) => t.trim() === asset.etag || t.trim() === '*')) {
    return { status: 304, headers: { etag: asset.etag, 'last-modified': LAST_MODIFIED } };
  }
  const range = ifRangeMatches(header(ctx, 'if-range'), asset.etag) ? parseRange(header(ctx, 'range'), asset.length) : { kind: 'none' as const };
  if (range.kind === 'unsatisfiable') {
    return { status: 416, headers: { ...base, 'content-range': `bytes */${asset.length}` }, body: '' };
  }
  if (range.kind === 'range') {
    return {
      status: 206,
      headers: { ...base, 'content-range': `bytes ${range.start}-${range.end}/${asset.length}` },
      body: asset.read(range.start, range.end + 1),
    };
  }
  return { status: 200, headers: base, body: asset.read(0, asset.length) };
}

export function assetRoutes(store: AssetStore): Route[] {
  const handler = (ctx: RouteContext): Reply => {
    const rest = ctx.params['*'] ?? '';
    const sizeParam = ctx.query.get('size');
    let size: number | undefined;
    if (sizeParam !== null) {
      size = Number(sizeParam);
      if (!/^\d+$/.test(sizeParam) || !Number.isSafeInteger(size) || size > MAX_SIZE) {
        return { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'Invalid size' }) };
      }
    }
    return serveAsset(ctx, store, rest, size);
  };
  return [{ name: 'asset', method: 'GET', pattern: '/assets/*', handler }];
}
