/**
 * Prompt and ids written into PNG files themselves (people move images and
 * lose sidecars): tEXt chunks for Latin-1 values, iTXt (UTF-8) otherwise,
 * inserted just before IEND. Only the 12-byte IEND trailer is touched, so the
 * engine can do it on a finished .part without reading the image.
 */
import { crc32 } from './crc32';

export const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** length 0, "IEND", CRC */
export const IEND_CHUNK = Uint8Array.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

export function isPng(head: Uint8Array): boolean {
  return head.length >= 8 && PNG_SIGNATURE.every((b, i) => head[i] === b);
}

export function endsWithIend(tail: Uint8Array): boolean {
  return tail.length >= 12 && IEND_CHUNK.every((b, i) => tail[tail.length - 12 + i] === b);
}

function latin1Bytes(text: string): Uint8Array | null {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff || c === 0) return null;
    out[i] = c;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(encoder.encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Keywords are 1–79 Latin-1 characters without leading/trailing spaces (PNG spec). */
function keywordBytes(keyword: string): Uint8Array {
  const cleaned = keyword.replace(/[^\x20-\x7e]/g, '').trim().slice(0, 79);
  return latin1Bytes(cleaned.length > 0 ? cleaned : 'Comment') ?? encoder.encode('Comment');
}

/** Encoded tEXt/iTXt chunks for `entries` (empty values skipped). */
export function pngTextChunks(entries: Readonly<Record<string, string>>): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const [keyword, value] of Object.entries(entries)) {
    if (value.length === 0) continue;
    const key = keywordBytes(keyword);
    const asLatin1 = latin1Bytes(value);
    if (asLatin1 !== null) {
      chunks.push(chunk('tEXt', concat([key, Uint8Array.of(0), asLatin1])));
    } else {
      // iTXt: keyword, 0, compression flag 0, method 0, empty language tag, 0, empty translated keyword, 0, UTF-8 text.
      chunks.push(chunk('iTXt', concat([key, Uint8Array.of(0, 0, 0, 0, 0), encoder.encode(value)])));
    }
  }
  return concat(chunks);
}

/** A whole PNG with the text inserted before IEND; null when `png` is not a well-terminated PNG. */
export function insertPngText(png: Uint8Array, entries: Readonly<Record<string, string>>): Uint8Array | null {
  if (!isPng(png) || !endsWithIend(png)) return null;
  return concat([png.subarray(0, png.length - 12), pngTextChunks(entries), IEND_CHUNK]);
}

/** tEXt and uncompressed iTXt entries of a PNG (for tests and for reading files back). */
export function readPngText(png: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isPng(png)) return out;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let at = 8;
  while (at + 12 <= png.length) {
    const length = view.getUint32(at);
    const type = latin1.decode(png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'tEXt' || type === 'iTXt') {
      const zero = data.indexOf(0);
      if (zero > 0) {
        const key = latin1.decode(data.subarray(0, zero));
        if (type === 'tEXt') out[key] = latin1.decode(data.subarray(zero + 1));
        else if (data[zero + 1] === 0) {
          const lang = data.indexOf(0, zero + 3);
          const translated = lang < 0 ? -1 : data.indexOf(0, lang + 1);
          if (translated >= 0) out[key] = utf8.decode(data.subarray(translated + 1));
        }
      }
    }
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return out;
}
