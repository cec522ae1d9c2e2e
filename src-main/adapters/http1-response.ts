/**
 * An HTTP/1.1 response reader for downloads: bytes in, head and body pieces
 * out, no I/O (the socket lives in http1-download.ts). Strict where leniency
 * could corrupt a file or a reused connection: a malformed status line or
 * header, obs-fold, conflicting Content-Length values, a bad chunk size or a
 * head over 64 KiB are errors; framing follows RFC 9112 §6.3 (Transfer-Encoding
 * over Content-Length, then Content-Length, else the body runs to the close).
 * Body pieces are views of the bytes fed in (no copies).
 */

export interface ResponseHead {
  status: number;
  /** Header names lower-cased, repeated values joined with ", ". */
  headers: Record<string, string>;
}

export interface ResponseSink {
  head(head: ResponseHead): void;
  data(chunk: Buffer): void;
  /** The body is complete; `reusable`: the connection may carry another request. */
  end(reusable: boolean): void;
}

/** Largest response head accepted (status line + headers). */
export const MAX_HEAD_BYTES = 64 * 1024;
const MAX_HEADERS = 256;
/** Longest chunk-size line or trailer section accepted. */
const MAX_LINE_BYTES = 8 * 1024;

/** A header name (RFC 9110 token): what a response may carry and a request may send. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/;
/** Leading zeros, then up to 12 hex digits (256 TiB): larger sizes would pass 2^53, where numbers lose exactness. */
const CHUNK_SIZE = /^0*([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/;
const LF = 0x0a;
const CR = 0x0d;

export class HttpResponseError extends Error {
  override readonly name = 'HttpResponseError';
}

/** Bytes of an incomplete line or head, kept as copies (the bytes fed in are read into again) and joined once. */
class Partial {
  private pieces: Buffer[] = [];
  length = 0;

  add(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.pieces.push(Buffer.from(bytes));
    this.length += bytes.length;
  }

  /** The n-th byte from the end (1: the last one); n ≤ length. */
  fromEnd(n: number): number {
    for (let i = this.pieces.length - 1; i >= 0; i--) {
      const piece = this.pieces[i] as Buffer;
      if (n <= piece.length) return piece[piece.length - n] ?? -1;
      n -= piece.length;
    }
    return -1;
  }

  /** Everything held, then `more`, as one buffer; empties it. */
  take(more: Buffer): Buffer {
    const all = this.pieces.length === 0 ? more : Buffer.concat([...this.pieces, more]);
    this.pieces = [];
    this.length = 0;
    return all;
  }
}

/** text[start, end) without a CR before `end`; end -1: to the end of text. */
function lineOf(text: string, start: number, end: number): string {
  const stop = end === -1 ? text.length : end;
  return text.slice(start, stop > start && text.charCodeAt(stop - 1) === CR ? stop - 1 : stop);
}

/** line[from…] without leading and trailing spaces and tabs (a field value's optional whitespace). */
function trimSpaceTab(line: string, from: number): string {
  let a = from;
  let b = line.length;
  while (a < b && (line.charCodeAt(a) === 0x20 || line.charCodeAt(a) === 0x09)) a++;
  while (b > a && (line.charCodeAt(b - 1) === 0x20 || line.charCodeAt(b - 1) === 0x09)) b--;
  return line.slice(a, b);
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'close' | 'done';

export class ResponseReader {
  private state: State = 'head';
  /** Bytes of a line-based part (head, chunk size, trailers) not yet complete. */
  private readonly partial = new Partial();
  /** Bytes left in a Content-Length body or in the current chunk. */
  private remaining = 0;
  private keepAlive = false;

  constructor(private readonly sink: ResponseSink) {}

  get done(): boolean {
    return this.state === 'done';
  }

  /** A body that runs until the connection closes (no length given). */
  get endsAtClose(): boolean {
    return this.state === 'close';
  }

  /**
   * Reads `bytes`. Returns how many were used: fewer than given only once the
   * response is complete (what follows belongs to nobody: the caller drops
   * the connection). Throws HttpResponseError on a malformed response.
   */
  feed(bytes: Buffer): number {
    let at = 0;
    while (at < bytes.length && this.state !== 'done') {
      switch (this.state) {
        case 'length':
        case 'chunk-data': {
          const take = Math.min(this.remaining, bytes.length - at);
          this.sink.data(take === bytes.length ? bytes : bytes.subarray(at, at + take));
          at += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            if (this.state === 'length') this.finish();
            else this.state = 'chunk-end';
          }
          break;
        }
        case 'close':
          this.sink.data(at === 0 ? bytes : bytes.subarray(at));
          at = bytes.length;
          break;
        case 'chunk-end': {
          // The CRLF after a chunk's data (it may arrive split).
          const line = this.line(bytes, at, 2);
          if (line === null) return bytes.length;
          at = line.next;
          if (line.text !== '') throw new HttpResponseError('The server sent a malformed chunked body.');
          this.state = 'chunk-size';
          break;
        }
        default: {
          const limit = this.state === 'head' ? MAX_HEAD_BYTES : MAX_LINE_BYTES;
          const block = this.state === 'chunk-size' ? this.line(bytes, at, limit) : this.block(bytes, at, limit);
          if (block === null) return bytes.length;
          at = block.next;
          if (this.state === 'head') this.readHead(block.text);
          else if (this.state === 'chunk-size') this.readChunkSize(block.text);
          else this.finish(); // trailers: ignored
        }
      }
    }
    return at;
  }

  /** The connection ended: completes a body that runs to the close, else the response was cut short. */
  close(): void {
    if (this.state === 'close') {
      this.state = 'done';
      this.sink.end(false);
      return;
    }
    if (this.state !== 'done') throw new HttpResponseError(this.state === 'head' ? 'The server closed the connection before answering.' : 'The connection closed before the whole body arrived.');
  }

  private finish(): void {
    this.state = 'done';
    this.sink.end(this.keepAlive);
  }

  /** One line (without its line break) from what is held + `bytes[at..]`, or null when it is not complete yet. */
  private line(bytes: Buffer, at: number, limit: number): { text: string; next: number } | null {
    const lf = bytes.indexOf(LF, at);
    const end = lf === -1 ? bytes.length : lf + 1;
    if (this.partial.length + end - at > limit) throw new HttpResponseError('The server sent a malformed chunked body.');
    if (lf === -1) {
      this.partial.add(bytes.subarray(at));
      return null;
    }
    const all = this.partial.take(bytes.subarray(at, end));
    return { text: all.toString('latin1').replace(/\r?\n$/, ''), next: end };
  }

  /**
   * Lines up to and including an empty one (a head or a trailer section), or
   * null when not complete yet. Only the new bytes are searched (with a look
   * back of two bytes into what is held), and what is held is joined once, at
   * the end: a head trickling in a byte at a time costs linear work, not
   * quadratic.
   */
  private block(bytes: Buffer, at: number, limit: number): { text: string; next: number } | null {
    const held = this.partial.length;
    // The byte at index k of the whole block (what is held, then bytes[at..]).
    const byteAt = (k: number): number => (k < held ? this.partial.fromEnd(held - k) : (bytes[at + k - held] ?? -1));
    let end = -1;
    for (let i = bytes.indexOf(LF, at); i !== -1; i = bytes.indexOf(LF, i + 1)) {
      const k = held + i - at;
      const before = k === 0 ? -1 : byteAt(k - 1);
      if (k === 0 || before === LF || (before === CR && (k === 1 || byteAt(k - 2) === LF))) {
        end = i + 1;
        break;
      }
    }
    if (held + (end === -1 ? bytes.length : end) - at > limit) throw new HttpResponseError('The server sent a response head that is too large.');
    if (end === -1) {
      this.partial.add(bytes.subarray(at));
      return null;
    }
    return { text: this.partial.take(bytes.subarray(at, end)).toString('latin1'), next: end };
  }

  private readHead(text: string): void {
    // Lines end at LF, with an optional CR before it; the block ends with an empty line. Scanned by hand
    // (no split or trimming regexps): a download reads one head per file.
    let end = text.indexOf('\n');
    const status = STATUS_LINE.exec(lineOf(text, 0, end));
    if (status === null) throw new HttpResponseError('The server did not answer in HTTP/1.1.');
    // No prototype: a header named "constructor" or "__proto__" is just a header.
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    let count = 0;
    for (let start = end + 1; end !== -1 && start < text.length; start = end + 1) {
      end = text.indexOf('\n', start);
      const line = lineOf(text, start, end);
      if (line === '') continue;
      if (++count > MAX_HEADERS) throw new HttpResponseError('The server sent too many headers.');
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      if (!TOKEN.test(name)) throw new HttpResponseError('The server sent a malformed header.');
      const key = name.toLowerCase();
      const value = trimSpaceTab(line, colon + 1);
      const before = headers[key];
      headers[key] = before === undefined ? value : `${before}, ${value}`;
    }
    const code = Number(status[2]);
    if (code < 100) throw new HttpResponseError('The server answered with an invalid status.');
    if (code < 200) {
      // 1xx (100 Continue, 103 Early Hints): the real response follows. 101 would switch protocols: never asked for.
      if (code === 101) throw new HttpResponseError('The server tried to switch protocols.');
      return;
    }
    const http11 = status[1] === '1';
    const connection = (headers['connection'] ?? '').toLowerCase().split(',').map((t) => t.trim());
    this.keepAlive = http11 && !connection.includes('close');
    // The framing is settled (or refused) before anyone hears of the response: a bad one never resolves a request.
    const framing = this.framing(code, http11, headers['transfer-encoding'], headers['content-length']);
    this.sink.head({ status: code, headers });
    if (framing === 'none') return this.finish();
    this.state = framing;
  }

  /** How the body of this response ends (RFC 9112 §6.3); 'none': it has none. */
  private framing(code: number, http11: boolean, te: string | undefined, cl: string | undefined): 'none' | 'chunk-size' | 'length' | 'close' {
    // Never a body, whatever the headers say.
    if (code === 204 || code === 304) return 'none';
    if (te !== undefined) {
      // Only plain chunked, and only from an HTTP/1.1 server: any other coding would be saved still coded
      // (and HTTP/1.0 has no chunked: its framing would land in the file). Never reused after both headers.
      if (!http11 || te.toLowerCase().trim() !== 'chunked') throw new HttpResponseError('The server sent the file in a transfer coding genwatch does not read.');
      if (cl !== undefined) this.keepAlive = false;
      return 'chunk-size';
    }
    if (cl !== undefined) {
      const values = cl.split(',').map((v) => v.trim());
      if (!values.every((v) => /^\d{1,15}$/.test(v) && v === values[0])) throw new HttpResponseError('The server sent an invalid Content-Length.');
      this.remaining = Number(values[0]);
      return this.remaining === 0 ? 'none' : 'length';
    }
    this.keepAlive = false;
    return 'close';
  }

  private readChunkSize(text: string): void {
    const m = CHUNK_SIZE.exec(text);
    if (m === null) throw new HttpResponseError('The server sent a malformed chunked body.');
    this.remaining = parseInt(m[1] ?? '', 16);
    this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
  }
}
