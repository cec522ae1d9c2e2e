import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodePngRgb } from '../emulator';
import { crc32 } from '../core/downloads/crc32';
import { endsWithIend, insertPngText, readPngText } from '../core/downloads/png-metadata';
import { checkBody } from '../core/downloads/sniff';

describe('crc32', () => {
  it('matches zlib', () => {
    const data = new TextEncoder().encode('The quick brown fox jumps over the lazy dog');
    expect(crc32(data)).toBe(zlibCrc32(data));
    expect(crc32(data.subarray(10), crc32(data.subarray(0, 10)))).toBe(zlibCrc32(data));
  });
});

describe('PNG text chunks', () => {
  it('inserts tEXt and iTXt before IEND and reads them back', () => {
    const png = encodePngRgb(4, 4, Buffer.alloc(48, 200));
    const out = insertPngText(png, { Description: 'un château 🏰 at dusk', 'genwatch.jobId': 'j123:bot', Source: 'https://x/y.png' });
    expect(out).not.toBeNull();
    if (out === null) return;
    expect(endsWithIend(out)).toBe(true);
    expect(readPngText(out)).toEqual({ Description: 'un château 🏰 at dusk', 'genwatch.jobId': 'j123:bot', Source: 'https://x/y.png' });
    expect(insertPngText(new Uint8Array([1, 2, 3]), { a: 'b' })).toBeNull();
  });
});

describe('body sniffing', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  it('rejects HTML, JSON, text and empty bodies where media was expected', () => {
    expect(checkBody('image', enc('<!DOCTYPE html><html><title>Access denied</title>'), true, 'image/png')).toMatch(/error page/);
    expect(checkBody('video', enc('  {"error":"expired"}'), true, 'application/json')).toMatch(/error page/);
    expect(checkBody('audio', enc('This content is no longer available.'), true, 'text/plain')).toMatch(/error page/);
    expect(checkBody('image', new Uint8Array(0), true, 'image/png')).toMatch(/empty/);
  });
  it('accepts binary media and anything for "other" assets', () => {
    const png = encodePngRgb(2, 2, Buffer.alloc(12, 1));
    expect(checkBody('image', png, true, 'image/png')).toBeNull();
    expect(checkBody('any', enc('{"a":1}'), true, 'application/json')).toBeNull();
  });
});
