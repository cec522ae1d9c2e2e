import { describe, expect, it } from 'vitest';
import { makeAsset, makeJob } from './testing/fixtures';
import { concatBytes, JPEG_2X2, jpegSegment, WEBP_EXTENDED_ALPHA_2X2, WEBP_LOSSLESS_2X2, WEBP_LOSSLESS_ALPHA_2X2, WEBP_LOSSY_2X2 } from './testing/image-fixtures';
import { xmpFieldsFor } from './sidecar';
import type { XmpFields } from './xmp-metadata';
import {
  buildXmpPacket,
  insertJpegXmp,
  insertWebpXmp,
  JPEG_SEGMENT_MAX,
  JPEG_XMP_MAX,
  readJpegXmp,
  readJpegXmpAll,
  readWebpXmp,
  readXmpFields,
  webpBitstreamInfo,
  webpChunks,
  XMP_JPEG_NAMESPACE,
  xmlEscape,
} from './xmp-metadata';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const u32 = (b: Uint8Array, at: number): number => Buffer.from(b).readUInt32LE(at);

const fields = (over: Partial<XmpFields> = {}): XmpFields => ({
  description: 'un château 🏰 at dusk',
  source: 'https://cdn.example.com/a/0.jpg?sig=1&x=2',
  provider: 'useapi',
  account: 'default',
  jobId: 'j0315100000123i-u1-c1-bot:midjourney',
  parentJobId: null,
  model: 'midjourney',
  createdAt: '2026-03-15T09:58:12.000Z',
  completedAt: '2026-03-15T10:00:00.000Z',
  ...over,
});

function packet(over: Partial<XmpFields> = {}): Uint8Array {
  const p = buildXmpPacket(fields(over));
  if (p === null) throw new Error('packet');
  return p;
}

/** Segments up to SOS as [marker, start, end]; throws on a broken structure. */
function jpegLayout(jpeg: Uint8Array): Array<{ marker: number; start: number; end: number }> {
  expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
  expect([jpeg[jpeg.length - 2], jpeg[jpeg.length - 1]]).toEqual([0xff, 0xd9]);
  const out: Array<{ marker: number; start: number; end: number }> = [];
  let at = 2;
  while (at < jpeg.length) {
    expect(jpeg[at]).toBe(0xff);
    const marker = jpeg[at + 1] ?? 0;
    if (marker === 0xd9) break;
    const length = ((jpeg[at + 2] ?? 0) << 8) | (jpeg[at + 3] ?? 0);
    expect(at + 2 + length).toBeLessThanOrEqual(jpeg.length);
    out.push({ marker, start: at, end: at + 2 + length });
    if (marker === 0xda) break;
    at += 2 + length;
  }
  return out;
}

/** Checks RIFF size and chunk walk; returns the chunk names. */
function webpLayout(webp: Uint8Array): string[] {
  expect(Buffer.from(webp.subarray(0, 4)).toString('latin1')).toBe('RIFF');
  expect(u32(webp, 4)).toBe(webp.length - 8);
  expect(Buffer.from(webp.subarray(8, 12)).toString('latin1')).toBe('WEBP');
  const names: string[] = [];
  let at = 12;
  while (at < webp.length) {
    const length = u32(webp, at + 4);
    names.push(Buffer.from(webp.subarray(at, at + 4)).toString('latin1'));
    at += 8 + length + (length & 1);
  }
  expect(at).toBe(webp.length);
  return names;
}

function vp8x(webp: Uint8Array): { flags: number; width: number; height: number } {
  const data = webpChunks(webp)[0]?.data ?? new Uint8Array(10);
  const b = Buffer.from(data);
  return { flags: b[0] ?? 0, width: b.readUIntLE(4, 3) + 1, height: b.readUIntLE(7, 3) + 1 };
}

describe('XMP packet', () => {
  it('carries the prompt, source and ids, and reads back', () => {
    const p = new TextDecoder().decode(packet({ parentJobId: 'j0315095800123i-u1-c1-bot:midjourney' }));
    expect(p.startsWith('<?xpacket begin="\uFEFF"')).toBe(true);
    expect(p.endsWith('<?xpacket end="w"?>')).toBe(true);
    expect(readXmpFields(p)).toEqual({
      'dc:description': 'un château 🏰 at dusk',
      'dc:source': 'https://cdn.example.com/a/0.jpg?sig=1&x=2',
      'xmp:CreatorTool': 'genwatch',
      'xmp:CreateDate': '2026-03-15T09:58:12.000Z',
      'genwatch:provider': 'useapi',
      'genwatch:account': 'default',
      'genwatch:jobId': 'j0315100000123i-u1-c1-bot:midjourney',
      'genwatch:parentJobId': 'j0315095800123i-u1-c1-bot:midjourney',
      'genwatch:model': 'midjourney',
      'genwatch:createdAt': '2026-03-15T09:58:12.000Z',
      'genwatch:completedAt': '2026-03-15T10:00:00.000Z',
    });
  });

  it('escapes XML specials and drops characters XML cannot hold', () => {
    const nasty = `</rdf:li></rdf:Alt><x a="1" b='2'> & &amp; \u0001\u0008 ok\r\n\ud800`;
    const p = new TextDecoder().decode(packet({ description: nasty, model: '<script>' }));
    expect(p).not.toContain('</rdf:li></rdf:Alt><x');
    expect(p).not.toContain('<script>');
    for (const bad of ['\u0001', '\u0008', '\ud800']) expect(p.includes(bad)).toBe(false);
    expect(readXmpFields(p)['dc:description']).toBe(`</rdf:li></rdf:Alt><x a="1" b='2'> & &amp;  ok\r\n`);
    expect(readXmpFields(p)['genwatch:model']).toBe('<script>');
    expect(xmlEscape(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&apos;');
    expect(xmlEscape('a\ud800b\udc00c\ud83c\udff0')).toBe('abc\ud83c\udff0');
  });

  it('privacy leaves the source URL out (xmpFieldsFor)', () => {
    const job = makeJob([makeAsset('https://cdn.example.com/secret/0.jpg')], { raw: { request: { jobId: 'parent:1' } } });
    const open = xmpFieldsFor(job, 'https://cdn.example.com/secret/0.jpg', false);
    const priv = xmpFieldsFor(job, 'https://cdn.example.com/secret/0.jpg', true);
    expect(open.source).toBe('https://cdn.example.com/secret/0.jpg');
    expect(open.parentJobId).toBe('parent:1');
    const text = new TextDecoder().decode(buildXmpPacket(priv) ?? new Uint8Array());
    expect(text).not.toContain('secret');
    expect(text).not.toContain('dc:source');
    expect(readXmpFields(text)['genwatch:jobId']).toBe(job.id);
  });

  it('shortens a huge description to fit, on a character boundary', () => {
    const huge = `${'🏰 & é '.repeat(20_000)}end`;
    const p = buildXmpPacket(fields({ description: huge }), JPEG_XMP_MAX);
    expect(p).not.toBeNull();
    if (p === null) return;
    expect(p.length).toBeLessThanOrEqual(JPEG_XMP_MAX);
    expect(p.length).toBeGreaterThan(JPEG_XMP_MAX - 64);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(p);
    const description = readXmpFields(text)['dc:description'] ?? '';
    expect(description.endsWith('…')).toBe(true);
    expect(huge.startsWith(description.slice(0, -1))).toBe(true);
    expect(readXmpFields(text)['genwatch:jobId']).toBe(fields().jobId);
    // Nothing fits at all → null, never an oversize packet.
    expect(buildXmpPacket(fields(), 100)).toBeNull();
  });
});

describe('JPEG XMP', () => {
  it('inserts an APP1 after the JFIF APP0 and leaves every other byte as it was', () => {
    const p = packet();
    const out = insertJpegXmp(JPEG_2X2, p);
    expect(out).not.toBeNull();
    if (out === null) return;
    const layout = jpegLayout(out);
    expect(layout.map((s) => s.marker.toString(16)).slice(0, 3)).toEqual(['e0', 'e1', 'db']);
    const app1 = layout[1] ?? { start: 0, end: 0 };
    expect(Buffer.from(out.subarray(app1.start + 4, app1.start + 4 + XMP_JPEG_NAMESPACE.length)).toString('latin1')).toBe(XMP_JPEG_NAMESPACE);
    expect(concatBytes(out.subarray(0, app1.start), out.subarray(app1.end))).toEqual(JPEG_2X2);
    expect(readXmpFields(readJpegXmp(out) ?? '')['dc:description']).toBe('un château 🏰 at dusk');
  });

  it('a second insert replaces the packet instead of adding one', () => {
    const once = insertJpegXmp(JPEG_2X2, packet());
    const twice = once === null ? null : insertJpegXmp(once, packet({ description: 'second', source: null }));
    expect(twice).not.toBeNull();
    if (twice === null || once === null) return;
    expect(readJpegXmpAll(twice)).toHaveLength(1);
    expect(readXmpFields(readJpegXmp(twice) ?? '')['dc:description']).toBe('second');
    expect(readXmpFields(readJpegXmp(twice) ?? '')['dc:source']).toBeUndefined();
    jpegLayout(twice);
  });

  it('goes after an Exif APP1 and drops a foreign XMP segment further on', () => {
    const exif = jpegSegment(0xe1, concatBytes(enc('Exif\0\0'), new Uint8Array(40)));
    const foreign = jpegSegment(0xe1, concatBytes(enc(XMP_JPEG_NAMESPACE), enc('<x:xmpmeta>old</x:xmpmeta>')));
    const app0End = 2 + 2 + 16;
    const src = concatBytes(JPEG_2X2.subarray(0, app0End), exif, jpegSegment(0xe2, enc('ICC_PROFILE\0')), foreign, JPEG_2X2.subarray(app0End));
    const out = insertJpegXmp(src, packet());
    expect(out).not.toBeNull();
    if (out === null) return;
    const layout = jpegLayout(out);
    expect(layout.map((s) => s.marker.toString(16)).slice(0, 5)).toEqual(['e0', 'e1', 'e1', 'e2', 'db']);
    expect(Buffer.from(out.subarray((layout[1]?.start ?? 0) + 4, (layout[1]?.start ?? 0) + 8)).toString('latin1')).toBe('Exif');
    expect(readJpegXmpAll(out)).toHaveLength(1);
    expect(readJpegXmp(out)).toContain('genwatch:jobId');
    expect(out.length).toBe(src.length - foreign.length + 4 + XMP_JPEG_NAMESPACE.length + packet().length);
  });

  it('works on a bare SOI…EOI and refuses what is not a JPEG or is broken', () => {
    const bare = Uint8Array.of(0xff, 0xd8, 0xff, 0xd9);
    const out = insertJpegXmp(bare, packet());
    expect(out !== null && readJpegXmp(out) !== null).toBe(true);
    expect(insertJpegXmp(enc('not a jpeg at all'), packet())).toBeNull();
    const broken = Uint8Array.from(JPEG_2X2);
    broken[4] = 0xff; // APP0 length now runs past the end
    expect(insertJpegXmp(broken, packet())).toBeNull();
    expect(insertJpegXmp(JPEG_2X2.subarray(0, 30), packet())).toBeNull();
  });

  it('a huge prompt is truncated so the segment stays within 65533 bytes', () => {
    const p = buildXmpPacket(fields({ description: 'x&'.repeat(100_000) }), JPEG_XMP_MAX);
    const out = p === null ? null : insertJpegXmp(JPEG_2X2, p);
    expect(out).not.toBeNull();
    if (out === null) return;
    const app1 = jpegLayout(out)[1] ?? { start: 0, end: 0 };
    expect(app1.end - app1.start - 4).toBeLessThanOrEqual(JPEG_SEGMENT_MAX); // payload after marker and length
    expect(app1.end - app1.start - 4).toBeGreaterThan(JPEG_SEGMENT_MAX - 64);
    expect(readXmpFields(readJpegXmp(out) ?? '')['dc:description']?.endsWith('…')).toBe(true);
    // An oversize packet is refused rather than written as a broken segment.
    expect(insertJpegXmp(JPEG_2X2, new Uint8Array(JPEG_XMP_MAX + 1))).toBeNull();
  });
});

describe('WebP XMP', () => {
  it('reads the canvas size from VP8 and VP8L headers', () => {
    const first = (w: Uint8Array): { fourcc: string; data: Uint8Array } => webpChunks(w)[0] ?? { fourcc: '', data: new Uint8Array() };
    expect(webpBitstreamInfo('VP8L', first(WEBP_LOSSLESS_2X2).data)).toEqual({ width: 2, height: 2, alpha: false });
    expect(webpBitstreamInfo('VP8L', first(WEBP_LOSSLESS_ALPHA_2X2).data)).toEqual({ width: 2, height: 2, alpha: true });
    expect(webpBitstreamInfo('VP8 ', first(WEBP_LOSSY_2X2).data)).toEqual({ width: 2, height: 2, alpha: false });
    expect(webpBitstreamInfo('VP8 ', new Uint8Array(10))).toBeNull();
  });

  it.each([
    ['lossless (VP8L)', WEBP_LOSSLESS_2X2, 'VP8L', 0x04],
    ['lossless with alpha', WEBP_LOSSLESS_ALPHA_2X2, 'VP8L', 0x14],
    ['lossy (VP8)', WEBP_LOSSY_2X2, 'VP8 ', 0x04],
  ])('converts a simple %s file to VP8X with the XMP flag', (_name, src, image, flags) => {
    for (const description of ['a', 'ab']) {
      // Both packet parities: an odd-sized chunk needs its pad byte.
      const out = insertWebpXmp(src, packet({ description }));
      expect(out).not.toBeNull();
      if (out === null) return;
      expect(webpLayout(out)).toEqual(['VP8X', image, 'XMP ']);
      expect(vp8x(out)).toEqual({ flags, width: 2, height: 2 });
      expect(webpChunks(out)[1]?.data).toEqual(webpChunks(src)[0]?.data);
      expect(readXmpFields(readWebpXmp(out) ?? '')['dc:description']).toBe(description);
    }
  });

  it('sets the flag on an extended file, keeps its chunks and order, and replaces on a second insert', () => {
    const once = insertWebpXmp(WEBP_EXTENDED_ALPHA_2X2, packet());
    expect(once).not.toBeNull();
    if (once === null) return;
    expect(webpLayout(once)).toEqual(['VP8X', 'ALPH', 'VP8 ', 'XMP ']);
    expect(vp8x(once)).toEqual({ flags: 0x14, width: 2, height: 2 });
    const twice = insertWebpXmp(once, packet({ description: 'second', source: null }));
    expect(twice).not.toBeNull();
    if (twice === null) return;
    expect(webpLayout(twice)).toEqual(['VP8X', 'ALPH', 'VP8 ', 'XMP ']);
    expect(readXmpFields(readWebpXmp(twice) ?? '')).toMatchObject({ 'dc:description': 'second' });
    expect(readWebpXmp(twice)).not.toContain('dc:source');
    // Simple → extended → again: still one VP8X and one XMP.
    const simpleTwice = insertWebpXmp(insertWebpXmp(WEBP_LOSSY_2X2, packet()) ?? new Uint8Array(), packet({ description: 'b' }));
    expect(webpLayout(simpleTwice ?? new Uint8Array())).toEqual(['VP8X', 'VP8 ', 'XMP ']);
  });

  it('puts XMP after EXIF, before unknown chunks, and restores a missing pad byte', () => {
    const chunk = (fourcc: string, data: Uint8Array, pad = true): Uint8Array => {
      const head = Buffer.alloc(8);
      head.write(fourcc, 0, 'latin1');
      head.writeUInt32LE(data.length, 4);
      return concatBytes(head, data, pad && data.length % 2 === 1 ? new Uint8Array(1) : new Uint8Array(0));
    };
    const body = concatBytes(WEBP_EXTENDED_ALPHA_2X2.subarray(12), chunk('EXIF', new Uint8Array(6)), chunk('ZZZZ', new Uint8Array(3), false));
    const header = Buffer.alloc(12);
    header.write('RIFF', 0, 'latin1');
    header.writeUInt32LE(body.length + 4, 4);
    header.write('WEBP', 8, 'latin1');
    const src = concatBytes(header, body);
    const out = insertWebpXmp(src, packet());
    expect(out).not.toBeNull();
    if (out === null) return;
    expect(webpLayout(out)).toEqual(['VP8X', 'ALPH', 'VP8 ', 'EXIF', 'XMP ', 'ZZZZ']);
  });

  it('refuses what is not a WebP or is broken', () => {
    expect(insertWebpXmp(enc('RIFF\0\0\0\0WEBPVP8 ....'), packet())).toBeNull();
    const truncated = WEBP_LOSSY_2X2.subarray(0, 40);
    expect(insertWebpXmp(truncated, packet())).toBeNull();
    const wav = Uint8Array.from(WEBP_LOSSY_2X2);
    wav.set(enc('WAVE'), 8);
    expect(insertWebpXmp(wav, packet())).toBeNull();
  });
});
