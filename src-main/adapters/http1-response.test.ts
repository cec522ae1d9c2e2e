/** The HTTP/1.1 response reader on its own: framing, split input, and what it refuses. */
import { describe, expect, it, vi } from 'vitest';
import { MAX_HEAD_BYTES, ResponseReader } from './http1-response';
import type { ResponseHead } from './http1-response';

function reader() {
  const seen: { heads: ResponseHead[]; body: Buffer[]; ends: boolean[] } = { heads: [], body: [], ends: [] };
  const r = new ResponseReader({ head: (h) => seen.heads.push(h), data: (c) => seen.body.push(Buffer.from(c)), end: (reusable) => seen.ends.push(reusable) });
  return { r, seen, text: () => Buffer.concat(seen.body).toString('latin1') };
}

/** Feeds `input` in pieces of `size` bytes; returns the bytes used in all. */
function feedIn(r: ResponseReader, input: string, size: number): number {
  const bytes = Buffer.from(input, 'latin1');
  let used = 0;
  for (let at = 0; at < bytes.length; at += size) used += r.feed(bytes.subarray(at, at + size));
  return used;
}

describe('ResponseReader', () => {
  const CHUNKED = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nx-a: 2\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: x\r\n\r\n';

  it('reads a Content-Length body, headers lower-cased and repeats joined; the connection may be reused', () => {
    const { r, seen, text } = reader();
    r.feed(Buffer.from('HTTP/1.1 206 Partial Content\r\nContent-Length: 5\r\nSet-Thing: a\r\nset-thing: b\r\n\r\nhello'));
    expect(seen.heads).toEqual([{ status: 206, headers: { 'content-length': '5', 'set-thing': 'a, b' } }]);
    expect(text()).toBe('hello');
    expect(seen.ends).toEqual([true]);
  });

  it('gives the same result whatever the pieces the bytes come in (every split of a chunked response)', () => {
    for (const size of [1, 2, 3, 7, 16, 1000]) {
      const { r, seen, text } = reader();
      expect(feedIn(r, CHUNKED, size)).toBe(CHUNKED.length);
      expect(seen.heads[0]?.headers['x-a']).toBe('1, 2');
      expect(text()).toBe('hello, world');
      expect(seen.ends).toEqual([true]);
    }
  });

  it('skips 1xx answers; stops at the end of the response and leaves what follows unused', () => {
    const { r, seen, text } = reader();
    const used = r.feed(Buffer.from('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA'));
    expect(seen.heads.map((h) => h.status)).toEqual([200]);
    expect(text()).toBe('ok');
    expect(used).toBe(Buffer.byteLength('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
  });

  it('a body without a length runs to the close and is not reusable; so is one after Connection: close or HTTP/1.0', () => {
    const open = reader();
    open.r.feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\nabc'));
    open.r.feed(Buffer.from('def'));
    expect(open.r.endsAtClose).toBe(true);
    open.r.close();
    expect(open.text()).toBe('abcdef');
    expect(open.seen.ends).toEqual([false]);
    for (const head of ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx', 'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx']) {
      const { r, seen } = reader();
      r.feed(Buffer.from(head));
      expect(seen.ends).toEqual([false]);
    }
  });

  it('204 and 304 have no body', () => {
    const { r, seen } = reader();
    r.feed(Buffer.from('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n'));
    expect(seen.ends).toEqual([true]);
    expect(r.done).toBe(true);
  });

  it('a close before the end is an error, in the head or in the body', () => {
    const head = reader();
    head.r.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Le'));
    expect(() => head.r.close()).toThrow('before answering');
    const body = reader();
    body.r.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    expect(() => body.r.close()).toThrow('before the whole body');
    const chunked = reader();
    chunked.r.feed(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel'));
    expect(() => chunked.r.close()).toThrow('before the whole body');
  });

  it.each([
    ['not HTTP', 'ICY 200 OK\r\n\r\n'],
    ['a folded header', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n  more\r\nContent-Length: 0\r\n\r\n'],
    ['a header without a name', 'HTTP/1.1 200 OK\r\n: x\r\n\r\n'],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx'],
    ['conflicting lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx'],
    ['a negative length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['chunk data longer than its size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n'],
    ['a protocol switch', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n'],
  ])('refuses %s', (_what, input) => {
    const { r } = reader();
    expect(() => r.feed(Buffer.from(input, 'latin1'))).toThrow();
  });

  it('refuses a head larger than 64 KiB, even when it comes in small pieces', () => {
    const { r } = reader();
    const big = `HTTP/1.1 200 OK\r\n${'X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(Math.ceil(MAX_HEAD_BYTES / 60))}\r\n`;
    expect(() => feedIn(r, big, 4096)).toThrow('too large');
  });

  it('Transfer-Encoding wins over Content-Length, and such a connection is never reused', () => {
    const { r, seen, text } = reader();
    r.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'));
    expect(text()).toBe('abc');
    expect(seen.ends).toEqual([false]);
  });

  it('hands body bytes on as views of what was fed, never copies', () => {
    const views: Buffer[] = [];
    const r = new ResponseReader({ head: () => undefined, data: (c) => views.push(c), end: () => undefined });
    r.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n'));
    const body = Buffer.from('12345678');
    r.feed(body);
    expect(views[0]?.buffer).toBe(body.buffer);
  });

  it('a transfer coding other than plain chunked, or chunked from an HTTP/1.0 server, is refused (it would be saved still coded, or with its framing)', () => {
    for (const head of ['HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip']) {
      const { r } = reader();
      expect(() => r.feed(Buffer.from(`${head}\r\n\r\n5\r\nhello\r\n0\r\n\r\n`)), head).toThrow(/transfer coding/);
    }
  });

  it('a 204 or 304 has no body even when it names a transfer coding: complete at the end of its head', () => {
    for (const status of ['204 No Content', '304 Not Modified']) {
      const { r, seen } = reader();
      const input = Buffer.from(`HTTP/1.1 ${status}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      expect(r.feed(input)).toBe(input.length);
      expect(r.done).toBe(true);
      expect(seen.ends).toEqual([true]);
    }
  });

  it('a head trickling in a byte at a time is read with linear work (each byte copied a bounded number of times)', () => {
    const head = `HTTP/1.1 200 OK\r\n${Array.from({ length: 200 }, (_, i) => `x-h${i}: ${'v'.repeat(250)}\r\n`).join('')}content-length: 2\r\n\r\nok`;
    expect(head.length).toBeGreaterThan(50_000);
    expect(head.length).toBeLessThan(MAX_HEAD_BYTES);
    // Count the bytes the reader copies: quadratic joining (the whole head again on every byte) would copy ~1.5 GB here.
    let copied = 0;
    const from = Buffer.from.bind(Buffer);
    const concat = Buffer.concat.bind(Buffer);
    const spyFrom = vi.spyOn(Buffer, 'from').mockImplementation(((...args: Parameters<typeof Buffer.from>) => {
      const out = (from as (...a: unknown[]) => Buffer)(...args);
      copied += out.length;
      return out;
    }) as typeof Buffer.from);
    const spyConcat = vi.spyOn(Buffer, 'concat').mockImplementation((list, total) => {
      const out = concat(list, total);
      copied += out.length;
      return out;
    });
    try {
      const { r, seen, text } = reader();
      const bytes = from(head, 'latin1');
      copied = 0;
      for (let at = 0; at < bytes.length; at++) r.feed(bytes.subarray(at, at + 1));
      expect(seen.heads[0]?.headers['x-h199']).toBe('v'.repeat(250));
      expect(text()).toBe('ok');
      expect(copied).toBeLessThan(4 * head.length);
    } finally {
      spyFrom.mockRestore();
      spyConcat.mockRestore();
    }
  });

  it('a status below 100 is refused; a bad framing is refused before the head is handed on (no request resolves with it)', () => {
    const { r, seen } = reader();
    expect(() => r.feed(Buffer.from('HTTP/1.1 099 Odd\r\ncontent-length: 0\r\n\r\n'))).toThrow(/invalid status/);
    for (const head of ['content-length: 5, 6', 'transfer-encoding: gzip']) {
      const bad = reader();
      expect(() => bad.r.feed(Buffer.from(`HTTP/1.1 200 OK\r\n${head}\r\n\r\n`))).toThrow();
      expect(bad.seen.heads).toEqual([]);
    }
    expect(seen.heads).toEqual([]);
  });

  it('a chunk size of more than 12 significant hex digits (past exact numbers) is refused; leading zeros are fine', () => {
    const ok = reader();
    expect(() => ok.r.feed(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n00000000000000000005\r\nhello\r\n0\r\n\r\n'))).not.toThrow();
    expect(ok.text()).toBe('hello');
    const { r } = reader();
    expect(() => r.feed(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n20000000000001\r\n'))).toThrow(/malformed chunked/);
    // A chunk-size line (extensions included) over 8 KiB is refused too, even when it trickles in.
    const long = reader();
    long.r.feed(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;x='));
    expect(() => {
      for (let i = 0; i < 9000; i++) long.r.feed(Buffer.from('a'));
    }).toThrow(/malformed chunked/);
  });
});

