/**
 * Seeded property tests of the HTTP/1.1 response reader (http1-response.ts).
 * The reader decides where a response ends on a connection that may be
 * reused and hands the body on as views of the socket's buffers: a framing
 * slip corrupts a downloaded file or reads the next response as body. The
 * example tests pin known inputs; these generate thousands (interim 1xx
 * answers, random headers, Content-Length, chunked with extensions and
 * trailers, bodies that run to the close, 204/304 with framing headers) and
 * check what must hold for all:
 * the pieces the bytes come in change nothing; body pieces are views of
 * exactly the body's bytes; malformed input fails only with HttpResponseError
 * and never breaks the sink's order; the smuggling rules hold.
 *
 * Deterministic: every case runs from its own seed, which a failure names
 * together with a call that replays it (e.g. `splitCase(new Rng(0x…), console.log)`
 * in an `it.only`). HTTP1_FUZZ_SEED explores other seeds; unset, runs are identical.
 */
import { describe, expect, it } from 'vitest';
import { HttpResponseError, ResponseReader } from './http1-response';
import type { ResponseHead } from './http1-response';
import { mulberry32 } from '../../src-shared/seeded-random';

// ---------------------------------------------------------------- randomness

const BASE_SEED = Number(process.env.HTTP1_FUZZ_SEED ?? 0x48545450) >>> 0;

/** Seeded test input on top of the project's generator (src-shared/seeded-random.ts). */
class Rng {
  readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const a = items[i];
      const b = items[j];
      if (a === undefined || b === undefined) continue;
      items[i] = b;
      items[j] = a;
    }
    return items;
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255);
    return out;
  }
}

type Note = (line: string) => void;
type Case = (rng: Rng, note: Note) => void;

/**
 * Runs `check` on `count` seeds derived from the property's number. A failure
 * names the case, its seed, how to replay it and what the case noted (input,
 * split), so it can be reproduced without rerunning the others.
 */
function forCases(property: string, count: number, check: Case): void {
  const salt = [...property].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 0x01000193), 0x811c9dc5);
  for (let i = 0; i < count; i++) {
    const seed = (Math.imul(BASE_SEED ^ salt, 0x9e3779b1) + Math.imul(i + 1, 0x85ebca6b)) >>> 0;
    const notes: string[] = [];
    try {
      check(new Rng(seed), (line) => notes.push(line));
    } catch (e) {
      const where = `${property}: case ${i}, seed 0x${seed.toString(16)} (replay: ${check.name}(new Rng(0x${seed.toString(16)}), console.log))\n${notes.join('\n')}`;
      if (e instanceof Error) {
        e.message = `${where}\n${e.message}`;
        throw e;
      }
      throw new Error(`${where}\nthrew ${String(e)}`, { cause: e });
    }
  }
}

const clip = (text: string): string => JSON.stringify(text.length > 600 ? `${text.slice(0, 600)}…(${text.length - 600} more)` : text);
const describeInput = (input: Buffer): string => `input (latin1, ${input.length} bytes): ${clip(input.toString('latin1'))}`;

// ---------------------------------------------------------------- driving the reader

/** [start, end) offsets into the input. */
type Range = readonly [number, number];

/** Piece "index" of events fired by close(), and by a probe fed after the end. */
const CLOSE = -1;
const PROBE = -2;

interface Trace {
  heads: ResponseHead[];
  /** Which piece's feed() announced the head. */
  headPiece: number | null;
  /** Body pieces: where they sit in the input (they must be views of it) and in which feed. */
  chunks: { at: number; end: number; piece: number; bytes: Buffer }[];
  body: Buffer;
  ends: { reusable: boolean; piece: number }[];
  /** What each feed() returned. */
  used: number[];
  error: unknown;
  errorIn: 'feed' | 'close' | null;
  errorPiece: number | null;
  /** The reader's getters after the last feed, before close(). */
  done: boolean;
  endsAtClose: boolean;
  /** Broken rules of the sink's order and of feed()'s contract, in words. */
  problems: string[];
}

/** Thrown from the sink when the reader calls it more often than the input allows: work out of bounds. */
class WorkBudgetExceeded extends Error {
  override readonly name = 'WorkBudgetExceeded';
}

/**
 * Feeds `input` to a fresh reader in the pieces cut at `bounds` (0 … length,
 * repeats make empty pieces), then close() when `close`. Records what the sink
 * saw and every broken rule that holds for any input, valid or not: only
 * HttpResponseError is thrown; head, data and end come in that order, once
 * each (data any number of times) and never after the end; body pieces are
 * views of the piece being fed, never of bytes it reported unused, never twice;
 * fewer bytes used than given only once the response is complete; `done`
 * exactly when end() was called; a complete reader ignores more input and close().
 */
function drive(input: Buffer, bounds: readonly number[], close: boolean): Trace {
  const t: Trace = { heads: [], headPiece: null, chunks: [], body: Buffer.alloc(0), ends: [], used: [], error: undefined, errorIn: null, errorPiece: null, done: false, endsAtClose: false, problems: [] };
  const problem = (what: string): void => {
    if (t.problems.length < 8 && !t.problems.includes(what)) t.problems.push(what);
  };
  let piece = 0;
  let calls = 0;
  // Each data call must carry at least one new byte, so more calls than bytes (plus head and end) means unbounded work.
  const budget = input.length + 2;
  const spend = (): void => {
    if (++calls > budget) throw new WorkBudgetExceeded(`the sink was called more than ${budget} times for ${input.length} bytes`);
  };
  let lastEnd = 0;
  const reader = new ResponseReader({
    head: (h) => {
      spend();
      if (t.heads.length > 0) problem('a second head');
      if (t.ends.length > 0) problem('a head after the end');
      if (piece < 0) problem(`a head from ${piece === CLOSE ? 'close()' : 'input after the end'}`);
      t.heads.push(h);
      t.headPiece = piece;
    },
    data: (chunk) => {
      spend();
      if (t.heads.length === 0) problem('data before the head');
      if (t.ends.length > 0) problem('data after the end');
      const at = chunk.byteOffset - input.byteOffset;
      const from = bounds[piece] ?? NaN;
      const to = bounds[piece + 1] ?? NaN;
      if (piece < 0 || chunk.buffer !== input.buffer || at < from || at + chunk.length > to) problem(`data that is not a view of the piece being fed (piece ${piece}, ${chunk.length} bytes)`);
      else if (at < lastEnd) problem(`bytes ${at}..${lastEnd} handed on twice`);
      lastEnd = Math.max(lastEnd, at + chunk.length);
      t.chunks.push({ at, end: at + chunk.length, piece, bytes: chunk });
    },
    end: (reusable) => {
      spend();
      if (t.ends.length > 0) problem('a second end');
      if (t.heads.length === 0) problem('an end before the head');
      if (piece === PROBE) problem('an end from input after the end');
      t.ends.push({ reusable, piece });
    },
  });

  for (piece = 0; piece < bounds.length - 1; piece++) {
    const from = bounds[piece] ?? 0;
    const bytes = input.subarray(from, bounds[piece + 1]);
    const wasDone = reader.done;
    const firstChunk = t.chunks.length;
    let used: number;
    try {
      used = reader.feed(bytes);
    } catch (e) {
      t.error = e;
      t.errorIn = 'feed';
      t.errorPiece = piece;
      break;
    }
    t.used.push(used);
    if (!Number.isInteger(used) || used < 0 || used > bytes.length) problem(`feed() returned ${used} for ${bytes.length} bytes`);
    if (wasDone && used !== 0) problem(`a complete reader used ${used} more bytes`);
    if (used < bytes.length && !reader.done) problem(`feed() used ${used} of ${bytes.length} bytes before the response was complete`);
    if (reader.done !== t.ends.length > 0) problem(`done is ${reader.done} after ${t.ends.length} end() calls`);
    if (reader.endsAtClose && (reader.done || t.heads.length === 0)) problem('endsAtClose without a head, or when done');
    if (t.chunks.slice(firstChunk).some((c) => c.end > from + used)) problem('handed on bytes that feed() reported unused');
  }
  t.done = reader.done;
  t.endsAtClose = reader.endsAtClose;

  if (t.errorIn === null && reader.done) {
    // Input after the end belongs to nobody: nothing may be used or announced.
    piece = PROBE;
    const seen = calls;
    const probe = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx');
    try {
      if (reader.feed(probe) !== 0) problem('a complete reader used input fed after the end');
    } catch (e) {
      problem(`a complete reader threw on more input: ${String(e)}`);
    }
    if (calls !== seen) problem('a complete reader called the sink on more input');
  }
  if (close && t.errorIn === null) {
    piece = CLOSE;
    const seen = calls;
    try {
      reader.close();
      if (!reader.done || t.ends.length !== 1) problem('close() returned without completing the response');
    } catch (e) {
      t.error = e;
      t.errorIn = 'close';
    }
    if (t.done && (t.errorIn === 'close' || calls !== seen)) problem('close() after the end did something');
  }
  if (t.errorIn !== null && !(t.error instanceof HttpResponseError)) problem(`threw something else than HttpResponseError: ${String(t.error)}`);
  t.body = Buffer.concat(t.chunks.map((c) => c.bytes));
  return t;
}

/** The piece that carries byte `offset - 1`, i.e. the one whose feed() sees everything up to `offset`. */
function pieceOf(bounds: readonly number[], offset: number): number {
  for (let k = 0; k < bounds.length - 1; k++) if ((bounds[k] ?? 0) < offset && offset <= (bounds[k + 1] ?? 0)) return k;
  return -99;
}

function piecesOf(bounds: readonly number[]): Range[] {
  return bounds.slice(1).map((to, k) => [bounds[k] ?? 0, to] as const);
}

type Split = 'whole' | 'bytes' | 'random';

/** Piece bounds for `length` bytes. Random cuts favour `hot` offsets (line and body edges, ±1), where a split is most likely to matter. */
function boundsFor(rng: Rng, split: Split, length: number, hot: readonly number[]): number[] {
  if (split === 'whole') return [0, length];
  if (split === 'bytes') return Array.from({ length: length + 1 }, (_, i) => i);
  const cuts = [0, length];
  for (let n = rng.int(1, 16); n > 0; n--) {
    const at = hot.length > 0 && rng.chance(0.5) ? rng.pick(hot) + rng.int(-1, 1) : rng.int(0, length);
    cuts.push(Math.max(0, Math.min(length, at)));
  }
  return cuts.sort((a, b) => a - b);
}

const describeSplit = (split: Split, bounds: readonly number[]): string => (split === 'random' ? `split at ${bounds.slice(1, -1).join(',')}` : `split: ${split}`);

/** The input on memory of its own, not at offset 0: a view is then recognisable by its .buffer, and offset slips show. */
function onOwnMemory(bytes: Buffer): Buffer {
  const pad = 13;
  const memory = Buffer.from(new ArrayBuffer(bytes.length + 2 * pad)).fill(0x7e);
  bytes.copy(memory, pad);
  return memory.subarray(pad, pad + bytes.length);
}

function merged(ranges: readonly Range[]): Range[] {
  const out: [number, number][] = [];
  for (const [from, to] of ranges) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === from) last[1] = to;
    else if (to > from) out.push([from, to]);
  }
  return out;
}

// ---------------------------------------------------------------- generating responses

/** `none`: a 204 or 304, which ends at its head whatever its headers say (RFC 9112 §6.3 rule 1). */
type Framing = 'length' | 'chunked' | 'close' | 'none';

interface Field {
  name: string;
  /** The value as the reader must report it. */
  value: string;
  /** The value as sent: `value` with optional whitespace around it. */
  raw: string;
}

interface Response {
  /** The bytes sent, interim answers first, nothing after the response. */
  wire: Buffer;
  head: ResponseHead;
  /** Where the final head's blank line ends. */
  headEnd: number;
  body: Buffer;
  /** Where the body's bytes sit in `wire`. */
  bodyAt: Range[];
  framing: Framing;
  reusable: boolean;
  /** Head and chunk-framing lines: where a mutation is most likely to matter. */
  lines: Range[];
}

/** Builds a wire image while remembering where lines and body bytes went. */
class Wire {
  private readonly parts: Buffer[] = [];
  length = 0;
  readonly lines: Range[] = [];
  readonly bodyAt: Range[] = [];

  line(text: string): void {
    this.lines.push([this.length, this.length + text.length]);
    this.add(Buffer.from(text, 'latin1'));
  }

  body(bytes: Buffer): void {
    if (bytes.length > 0) this.bodyAt.push([this.length, this.length + bytes.length]);
    this.add(bytes);
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }

  private add(bytes: Buffer): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }
}

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const COMMON_NAMES = ['Content-Type', 'ETag', 'Last-Modified', 'Accept-Ranges', 'Content-Range', 'Date', 'Server', 'Cache-Control', 'Set-Cookie', 'Link', 'Vary', 'X-Request-Id', 'Keep-Alive', 'Trailer', 'Content-Disposition', 'Age', 'Upgrade'];
/** Names the framing depends on: generated on purpose, never at random. */
const FRAMING_NAMES = new Set(['content-length', 'transfer-encoding', 'connection']);
const OWS = ['', '', '', ' ', ' ', '\t', '  ', ' \t'];

const mixCase = (rng: Rng, text: string): string => (rng.chance(0.7) ? text : [...text].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join(''));

function field(rng: Rng, name: string, value: string): Field {
  return { name, value, raw: `${rng.pick(OWS)}${value}${rng.pick(OWS)}` };
}

/** Names of Object.prototype members: a reader keeping headers in a plain object would mangle them. */
const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

function fieldName(rng: Rng): string {
  if (rng.chance(0.03)) return mixCase(rng, rng.pick(PROTOTYPE_NAMES));
  for (;;) {
    const name = rng.chance(0.5) ? mixCase(rng, rng.pick(COMMON_NAMES)) : Array.from({ length: rng.int(1, 12) }, () => rng.pick([...TOKEN_CHARS])).join('');
    if (!FRAMING_NAMES.has(name.toLowerCase())) return name;
  }
}

/** Visible ASCII and obs-text with spaces and tabs inside, never at either end (the reader trims those). */
function text(rng: Rng, max: number): string {
  const n = rng.int(0, max);
  let out = '';
  for (let i = 0; i < n; i++) {
    const inner = i > 0 && i < n - 1;
    if (inner && rng.chance(0.12)) out += rng.pick([' ', '\t']);
    else out += String.fromCharCode(rng.chance(0.1) ? rng.int(0x80, 0xff) : rng.int(0x21, 0x7e));
  }
  return out;
}

function ordinaryFields(rng: Rng): Field[] {
  const fields: Field[] = [];
  for (let n = rng.int(0, 10); n > 0; n--) {
    const again = fields.length > 0 && rng.chance(0.2) ? rng.pick(fields).name : null;
    // A repeat may differ in case: the reader joins by lower-cased name.
    fields.push(field(rng, again === null ? fieldName(rng) : mixCase(rng, again.toUpperCase()), text(rng, 40)));
  }
  return fields;
}

/** Connection fields and whether they ask to close ("closed" or "keep-alive" must not count). */
function connectionFields(rng: Rng): { fields: Field[]; close: boolean } {
  const options: [string, boolean][] = [['keep-alive', false], ['close', true], ['Close', true], ['keep-alive, close', true], ['TE,close', true], ['Upgrade', false], ['closed', false]];
  const fields: Field[] = [];
  let close = false;
  if (rng.chance(0.4)) {
    for (let n = rng.int(1, 2); n > 0; n--) {
      const [value, closes] = rng.pick(options);
      fields.push(field(rng, mixCase(rng, 'Connection'), value));
      close ||= closes;
    }
  }
  return { fields, close };
}

function lengthFields(rng: Rng, length: number): Field[] {
  // Leading zeros are fine, as long as every value is the same text.
  const digits = String(length);
  const value = rng.chance(0.1) ? digits.padStart(rng.int(digits.length, 15), '0') : digits;
  const name = mixCase(rng, 'Content-Length');
  const shape = rng.int(0, 9);
  if (shape === 0) return [field(rng, name, `${value},${rng.pick(OWS)}${value}`)];
  if (shape === 1) return [field(rng, name, value), field(rng, mixCase(rng, 'Content-Length'), value)];
  return [field(rng, name, value)];
}

/** Plain chunked: the only coding the reader reads (another one would be saved still coded). */
function chunkedFields(rng: Rng): Field[] {
  return [field(rng, mixCase(rng, 'Transfer-Encoding'), rng.pick(['chunked', 'chunked', 'Chunked', 'CHUNKED']))];
}

/** Transfer-Encoding values a reader may refuse, or read to the close, but must never frame a reused connection by. */
function odderCodingFields(rng: Rng): Field[] {
  const name = mixCase(rng, 'Transfer-Encoding');
  if (rng.chance(0.3)) return [field(rng, name, 'gzip'), field(rng, mixCase(rng, 'Transfer-Encoding'), 'chunked')];
  return [field(rng, name, rng.pick(['gzip, chunked', 'chunked, chunked', 'gzip', 'chunked, gzip', 'identity']))];
}

function headersOf(fields: readonly Field[]): Record<string, string> {
  const joined = new Map<string, string>();
  for (const f of fields) {
    const key = f.name.toLowerCase();
    const had = joined.get(key);
    joined.set(key, had === undefined ? f.value : `${had}, ${f.value}`);
  }
  return Object.fromEntries(joined);
}

function randomBody(rng: Rng): Buffer {
  const size = rng.pick([0, 1, 1 + rng.int(0, 15), rng.int(17, 300), rng.int(17, 300), rng.int(301, 2000)]);
  const body = rng.bytes(size);
  // Framing look-alikes inside the body: a reader that scans the body for line ends would stumble on them.
  for (let n = rng.chance(0.3) ? rng.int(1, 3) : 0; n > 0 && size > 0; n--) {
    const decoy = Buffer.from(rng.pick(['\r\n', '\r\n\r\n', '0\r\n\r\n', '\n\n', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']), 'latin1');
    decoy.copy(body, rng.int(0, size - 1));
  }
  return body;
}

function hexSize(rng: Rng, size: number): string {
  const hex = [...size.toString(16)].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c)).join('');
  return rng.chance(0.15) ? hex.padStart(rng.int(hex.length, 15), '0') : hex;
}

function chunkExtension(rng: Rng): string {
  if (rng.chance(0.75)) return '';
  let out = '';
  for (let n = rng.int(1, 2); n > 0; n--) {
    const bws = rng.pick(['', '', ' ', '\t']);
    out += rng.pick([`${bws};name`, `${bws};a=1`, `${bws}; b = "quoted; \\"text\\""`, `${bws};x-y=token`]);
  }
  return out;
}

function writeChunked(rng: Rng, wire: Wire, body: Buffer): void {
  const most = rng.pick([1, 7, 64, 512, 4096]);
  for (let at = 0; at < body.length; ) {
    const size = rng.int(1, Math.min(most, body.length - at));
    wire.line(`${hexSize(rng, size)}${chunkExtension(rng)}\r\n`);
    wire.body(body.subarray(at, at + size));
    wire.line('\r\n');
    at += size;
  }
  wire.line(`${hexSize(rng, 0)}${chunkExtension(rng)}\r\n`);
  // Trailers are read and ignored, framing-looking ones included.
  const trailers = rng.chance(0.3) ? ordinaryFields(rng) : [];
  if (rng.chance(0.1)) trailers.push(field(rng, 'Content-Length', '999'));
  wire.line(`${trailers.map((f) => `${f.name}:${f.raw}\r\n`).join('')}\r\n`);
}

const INTERIM = ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n', 'HTTP/1.1 102 Processing\r\n\r\n'];

interface Shape {
  framing?: Framing;
  /** Content-Length values sent next to Transfer-Encoding (the smuggling shape). */
  lengthToo?: string[];
}

/**
 * A valid response and what the reader must make of it. With `lengthToo`
 * (the smuggling shape) Transfer-Encoding may also be one the reader is free
 * to refuse (another coding, or from an HTTP/1.0 server); the model then
 * says what reading it would mean: chunked when chunked is last, else to the close.
 */
function generate(rng: Rng, shape: Shape = {}): Response {
  const smuggle = shape.lengthToo !== undefined;
  let framing = shape.framing ?? (rng.chance(0.06) ? 'none' : rng.pick<Framing>(['length', 'length', 'chunked', 'chunked', 'close']));
  if (smuggle && framing === 'length') framing = 'chunked';
  const version = rng.chance(0.12) && (smuggle || framing !== 'chunked') ? '1.0' : '1.1';
  let body = randomBody(rng);
  const fields = ordinaryFields(rng);
  const connection = connectionFields(rng);
  fields.push(...connection.fields);
  if (framing === 'none') {
    body = Buffer.alloc(0);
    // Framing headers a 204 or 304 may carry (a 304 repeats the full response's), none of which brings a body.
    fields.push(...rng.pick([() => [], () => lengthFields(rng, rng.int(1, 100)), () => chunkedFields(rng)])());
  } else if (framing === 'length') fields.push(...lengthFields(rng, body.length));
  else if (framing === 'chunked') {
    fields.push(...(smuggle && rng.chance(0.3) ? odderCodingFields(rng) : chunkedFields(rng)));
  } else if (smuggle) fields.push(field(rng, mixCase(rng, 'Transfer-Encoding'), rng.pick(['gzip', 'chunked, gzip', 'identity'])));
  if (shape.lengthToo !== undefined) for (const value of shape.lengthToo) fields.push(field(rng, mixCase(rng, 'Content-Length'), value));
  rng.shuffle(fields);
  if (framing === 'chunked') {
    // In wire order: read at all, a body whose last coding is not chunked, or from HTTP/1.0 (no chunked there), runs to the close, chunk lines and all.
    const codings = fields.filter((f) => f.name.toLowerCase() === 'transfer-encoding').flatMap((f) => f.value.toLowerCase().split(','));
    if (version === '1.0' || codings[codings.length - 1]?.trim() !== 'chunked') {
      framing = 'close';
      const raw = new Wire();
      writeChunked(rng, raw, body);
      body = raw.done();
    }
  }

  const status = framing === 'none' ? rng.pick([204, 304]) : rng.pick([200, 206, 404]);
  const reason = rng.pick<string | null>([null, '', 'OK', 'Partial Content', 'Not Found', text(rng, 20)]);
  const wire = new Wire();
  if (rng.chance(0.15)) for (let n = rng.int(1, 2); n > 0; n--) wire.line(rng.pick(INTERIM));
  wire.line(`HTTP/${version} ${status}${reason === null ? '' : ` ${reason}`}\r\n${fields.map((f) => `${f.name}:${f.raw}\r\n`).join('')}\r\n`);
  const headEnd = wire.length;
  if (framing === 'chunked') writeChunked(rng, wire, body);
  else wire.body(body);
  return {
    wire: wire.done(),
    head: { status, headers: headersOf(fields) },
    headEnd,
    body,
    bodyAt: wire.bodyAt,
    framing,
    reusable: version === '1.1' && !connection.close && framing !== 'close' && !smuggle,
    lines: wire.lines,
  };
}

/** Bytes after a response: noise, another response, or more "body" a reader following a wrong length would take. */
function tail(rng: Rng): Buffer {
  switch (rng.int(0, 3)) {
    case 0:
      return rng.bytes(rng.int(1, 40));
    case 1:
      return generate(rng, { framing: 'length' }).wire;
    case 2:
      return Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil');
    default:
      return Buffer.from('\r\n');
  }
}

function hotOffsets(r: Response): number[] {
  return [...r.lines, ...r.bodyAt].flatMap(([from, to]) => [from, from + 1, to - 1, to]).concat(r.headEnd, r.wire.length);
}

/** What the reader must make of `r` (followed by unrelated bytes up to `inputLength`), fed in the pieces at `bounds`. */
function expectRead(t: Trace, r: Response, bounds: readonly number[], inputLength: number): void {
  expect(t.problems, 'the sink order or the feed() contract').toEqual([]);
  expect(t.error, 'a valid response was refused').toBeUndefined();
  expect(t.heads, 'the head').toEqual([r.head]);
  expect(t.headPiece, 'the head is announced by the feed that completes it').toBe(pieceOf(bounds, r.headEnd));
  expect(t.body.equals(r.body), `the body: ${t.body.length} bytes read, ${r.body.length} sent`).toBe(true);
  const end = r.framing === 'close' ? inputLength : r.wire.length;
  // Compared by hand: a deep equal on one entry per byte costs more than the reading.
  const wrong = piecesOf(bounds).findIndex(([from, to], k) => t.used[k] !== Math.max(0, Math.min(to, end) - from));
  expect(wrong === -1 ? null : { piece: wrong, bounds: bounds.slice(wrong, wrong + 2), used: t.used[wrong] ?? 'none' }, 'feed() uses every byte up to the end of the response, none after').toBeNull();
  if (r.framing === 'close') {
    expect({ done: t.done, endsAtClose: t.endsAtClose }, 'a body without a length ends only at the close').toEqual({ done: false, endsAtClose: true });
    expect(t.ends, 'end(false) from close()').toEqual([{ reusable: false, piece: CLOSE }]);
  } else {
    expect(t.done, 'complete once the last byte is in').toBe(true);
    expect(t.ends, 'end(reusable) once, from the feed that carries the last byte').toEqual([{ reusable: r.reusable, piece: pieceOf(bounds, r.wire.length) }]);
  }
}

// ---------------------------------------------------------------- properties

/** Property 1: one response, four ways of cutting it (whole, byte by byte, two random), one result: the model's. */
function splitCase(rng: Rng, note: Note): void {
  const r = generate(rng);
  const after = r.framing !== 'close' && rng.chance(0.4) ? tail(rng) : Buffer.alloc(0);
  const input = onOwnMemory(Buffer.concat([r.wire, after]));
  note(`${r.framing}, ${describeInput(input)}`);
  for (const split of ['whole', 'bytes', 'random', 'random'] as const) {
    const bounds = boundsFor(rng, split, input.length, hotOffsets(r));
    note(describeSplit(split, bounds));
    expectRead(drive(input, bounds, true), r, bounds, input.length);
  }
}

/** Property 2: body pieces are views of the input at exactly the body's offsets, and the input is left as it was. */
function viewCase(rng: Rng, note: Note): void {
  const r = generate(rng);
  const after = r.framing !== 'close' && rng.chance(0.4) ? tail(rng) : Buffer.alloc(0);
  const input = onOwnMemory(Buffer.concat([r.wire, after]));
  const memory = Buffer.from(input.buffer);
  const before = Buffer.from(memory);
  const split = rng.chance(0.2) ? 'bytes' : 'random';
  const bounds = boundsFor(rng, split, input.length, hotOffsets(r));
  note(`${r.framing}, ${describeInput(input)}`);
  note(describeSplit(split, bounds));
  const t = drive(input, bounds, true);
  // drive() already flags a piece that is not a view of the bytes being fed; here: of the right bytes, all of them.
  expect(t.problems, 'the sink order or the feed() contract').toEqual([]);
  expect(t.error, 'a valid response was refused').toBeUndefined();
  expect(merged(t.chunks.map((c) => [c.at, c.end] as const)), 'body pieces cover exactly the body bytes').toEqual(merged(r.bodyAt));
  expect(t.body.equals(r.body), 'the body, byte for byte').toBe(true);
  expect(memory.equals(before), 'the input (and the memory around it) is left as it was').toBe(true);
}

const SPICE = ['\r', '\n', '\r\n', ':', ';', ' ', '\t', ',', '"', '=', '0', '1', '9', 'a', 'F', 'g', 'x', '-', '+', '\x00', '\x7f', '\xff', '\r\n\r\n', 'chunked', 'close', 'fffffffffffffff', '1000000000000000', 'Content-Length: 3\r\n', 'Content-Length: 1, 2\r\n', 'Transfer-Encoding: chunked\r\n', 'Transfer-Encoding: gzip\r\n', 'Connection: close\r\n', ' folded\r\n', 'HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'];
const WORDS = ['HTTP/1.1 ', 'HTTP/1.0 ', 'HTTP/2 ', '200', '204', '206', '304', '100', '101', '199', '099', ' OK', '\r\n', '\r\n', '\n', '\r', ':', ': ', ' ', 'Content-Length', 'Transfer-Encoding', 'chunked', 'gzip', ',', 'Connection', 'close', '0', '5', 'a', 'FFFF', ';ext=1', 'hello', '\r\n\r\n', '-1', '00000000000000000001'];

/** A valid response (and maybe what follows it) with one to three mutations, mostly in its head and chunk lines; or plain garbage. */
function malformedInput(rng: Rng): string {
  if (rng.chance(0.15)) return rng.chance(0.5) ? rng.bytes(rng.int(0, 200)).toString('latin1') : Array.from({ length: rng.int(1, 40) }, () => rng.pick(WORDS)).join('');
  const r = generate(rng);
  let s = Buffer.concat([r.wire, rng.chance(0.3) ? tail(rng) : Buffer.alloc(0)]).toString('latin1');
  for (let n = rng.int(1, 3); n > 0; n--) {
    const [from, to] = rng.chance(0.75) ? rng.pick(r.lines) : ([0, s.length] as const);
    const at = Math.min(s.length, rng.int(from, Math.max(from, to)));
    const spice = rng.chance(0.3) ? String.fromCharCode(rng.int(0, 255)) : rng.pick(SPICE);
    const op = rng.int(0, 10);
    if (op <= 2) s = s.slice(0, at) + spice + s.slice(at + 1);
    else if (op <= 5) s = s.slice(0, at) + spice + s.slice(at);
    else if (op <= 7) s = s.slice(0, at) + s.slice(at + rng.int(1, 4));
    else if (op === 8) s = s.slice(0, at) + String.fromCharCode((s.charCodeAt(at) || 0) ^ (1 << rng.int(0, 7))) + s.slice(at + 1);
    else if (op === 9) {
      const source = rng.int(0, s.length);
      s = s.slice(0, at) + s.slice(source, source + rng.int(1, 40)) + s.slice(at);
    } else s = s.slice(0, at);
  }
  return s;
}

interface Outcome {
  errorIn: Trace['errorIn'];
  heads: ResponseHead[];
  body: string;
  ends: boolean[];
  used: number | null;
}

const outcomeOf = (t: Trace): Outcome => ({
  errorIn: t.errorIn,
  heads: t.heads,
  body: t.body.toString('latin1'),
  ends: t.ends.map((e) => e.reusable),
  used: t.errorIn === 'feed' ? null : t.used.reduce((a, b) => a + b, 0),
});

/**
 * Property 3: malformed input is refused with HttpResponseError or read, never
 * anything else; drive() checks the sink's order, views, feed()'s return value
 * and a bound on the sink calls. And the verdict, body and bytes used do not
 * depend on the pieces either: a reader that skipped a check across a piece
 * boundary would answer differently split.
 */
function robustCase(rng: Rng, note: Note): void {
  const input = onOwnMemory(Buffer.from(malformedInput(rng), 'latin1'));
  note(describeInput(input));
  const whole = drive(input, [0, input.length], true);
  expect(whole.problems, 'fed whole').toEqual([]);
  const split = rng.chance(0.2) ? 'bytes' : 'random';
  const bounds = boundsFor(rng, split, input.length, []);
  note(describeSplit(split, bounds));
  const pieces = drive(input, bounds, true);
  expect(pieces.problems, 'fed in pieces').toEqual([]);
  expect(outcomeOf(pieces), 'the same outcome fed in pieces as fed whole').toEqual(outcomeOf(whole));
}

/** Property 4a: Transfer-Encoding with Content-Length: framed by Transfer-Encoding and never reused (or refused outright). */
function bothHeadersCase(rng: Rng, note: Note): void {
  const seed = rng.int(0, 2 ** 32 - 1);
  const framing = rng.chance(0.8) ? 'chunked' : 'close';
  // The same seed with one length value of another text gives the same body and chunks: what the lengths below are measured on.
  const sized = generate(new Rng(seed), { framing, lengthToo: ['0'] });
  // Lengths that would make a Content-Length reader stop short or run into the next response; and some nonsense.
  const lengths = rng.pick([[String(sized.body.length)], [String(sized.wire.length - sized.headEnd)], [String(sized.wire.length - sized.headEnd + 40)], [String(rng.int(0, 5000))], ['0'], ['5', '6'], ['-1'], ['4, 4']]);
  const r = generate(new Rng(seed), { framing, lengthToo: lengths });
  const after = r.framing === 'close' ? Buffer.alloc(0) : tail(rng);
  const input = onOwnMemory(Buffer.concat([r.wire, after]));
  const bounds = boundsFor(rng, 'random', input.length, hotOffsets(r));
  note(`${r.framing}, ${describeInput(input)}`);
  note(describeSplit('random', bounds));
  const t = drive(input, bounds, true);
  expect(t.problems, 'the sink order or the feed() contract').toEqual([]);
  expect(t.ends.filter((e) => e.reusable), 'never reusable').toEqual([]);
  // RFC 9112 §6.3 allows refusing such a response; then before any body byte.
  if (t.errorIn !== null) expect({ in: t.errorIn, piece: t.errorPiece, chunks: t.chunks.length }, 'refused with the head').toEqual({ in: 'feed', piece: pieceOf(bounds, r.headEnd), chunks: 0 });
  else expectRead(t, r, bounds, input.length);
}

const BAD_LENGTHS = ['-1', '+5', '5.0', '0x10', '', '1 2', '5,', ',5', '\xb2', '1'.repeat(16), '5;', 'five'];

/** Property 4b: conflicting or malformed Content-Length values are refused by the feed that completes the head, before any body byte. */
function conflictCase(rng: Rng, note: Note): void {
  const a = rng.int(0, 5000);
  const b = (a + rng.int(1, 5000)) % 10001;
  const name = (): string => mixCase(rng, 'Content-Length');
  const lengths: Field[] = rng.pick([
    () => [field(rng, name(), String(a)), field(rng, name(), String(b))],
    () => [field(rng, name(), `${a},${rng.pick(OWS)}${b}`)],
    () => [field(rng, name(), String(a)), field(rng, name(), `${a}, ${b}`)],
    () => [field(rng, name(), rng.pick(BAD_LENGTHS))],
    () => [field(rng, name(), String(a)), field(rng, name(), rng.pick(BAD_LENGTHS))],
  ])();
  const fields = rng.shuffle([...ordinaryFields(rng), ...connectionFields(rng).fields, ...lengths]);
  const head = `${rng.chance(0.15) ? rng.pick(INTERIM) : ''}HTTP/${rng.pick(['1.1', '1.1', '1.0'])} ${rng.pick([200, 206, 404])} OK\r\n${fields.map((f) => `${f.name}:${f.raw}\r\n`).join('')}\r\n`;
  const input = onOwnMemory(Buffer.concat([Buffer.from(head, 'latin1'), rng.bytes(rng.int(0, Math.max(a, b) + 10))]));
  const headEnd = Buffer.byteLength(head, 'latin1');
  const split = rng.chance(0.2) ? 'bytes' : 'random';
  const bounds = boundsFor(rng, split, input.length, [headEnd]);
  note(describeInput(input));
  note(describeSplit(split, bounds));
  const t = drive(input, bounds, true);
  expect(t.problems, 'the sink order or the feed() contract').toEqual([]);
  expect({ in: t.errorIn, piece: t.errorPiece, chunks: t.chunks.length, ends: t.ends.length }, 'refused by the feed that completes the head, before any body byte').toEqual({ in: 'feed', piece: pieceOf(bounds, headEnd), chunks: 0, ends: 0 });
  expect(t.error).toBeInstanceOf(HttpResponseError);
}

/** Property 4c: what follows a complete Content-Length body is not used, however it is cut: the caller drops the connection on it. */
function afterEndCase(rng: Rng, note: Note): void {
  const r = generate(rng, { framing: 'length' });
  const input = onOwnMemory(Buffer.concat([r.wire, tail(rng)]));
  const split = rng.chance(0.2) ? 'bytes' : 'random';
  const bounds = boundsFor(rng, split, input.length, hotOffsets(r));
  note(describeInput(input));
  note(describeSplit(split, bounds));
  const t = drive(input, bounds, true);
  expectRead(t, r, bounds, input.length);
  expect(t.used.reduce((x, y) => x + y, 0), 'fewer bytes used than given').toBe(r.wire.length);
  expect(t.chunks.every((c) => c.end <= r.wire.length), 'no byte after the response is handed on').toBe(true);
}

describe('ResponseReader: seeded properties', () => {
  it('1. gives the same head, body, reusable flag and bytes used whatever the pieces (600 responses × 4 splits)', () => {
    forCases('split invariance', 600, splitCase);
  });

  it('2. hands on body pieces that are views of the input at exactly the body bytes (1000 responses)', () => {
    forCases('body views', 1000, viewCase);
  });

  it('3. malformed input: only HttpResponseError, sink order kept, no more body than fed, bounded, same verdict however cut (3000 inputs)', () => {
    forCases('robustness', 3000, robustCase);
  });

  describe('4. smuggling rules', () => {
    it('Transfer-Encoding with Content-Length: framed by Transfer-Encoding, never reusable (800 responses)', () => {
      forCases('TE and CL', 800, bothHeadersCase);
    });

    it('conflicting or malformed Content-Length values are refused before any body byte (800 heads)', () => {
      forCases('conflicting CL', 800, conflictCase);
    });

    it('bytes after a complete Content-Length response are reported unused (800 responses)', () => {
      forCases('after the end', 800, afterEndCase);
    });
  });
});

/** Two cases found while writing these properties (both since fixed in http1-response.ts), as plain examples. */
describe('ResponseReader: found while writing the properties', () => {
  function read(input: string): { reader: ResponseReader; heads: ResponseHead[]; ends: boolean[]; used: number } {
    const heads: ResponseHead[] = [];
    const ends: boolean[] = [];
    const reader = new ResponseReader({ head: (h) => heads.push(h), data: () => undefined, end: (reusable) => ends.push(reusable) });
    const used = reader.feed(Buffer.from(input, 'latin1'));
    return { reader, heads, ends, used };
  }

  it('a 204 ends at its head even with Transfer-Encoding: chunked (RFC 9112 §6.3 rule 1); what follows is unused', () => {
    // Checking Transfer-Encoding before the status waits for a chunked body that never comes, and on a reused connection reads the next response as one.
    const head = 'HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n';
    const { reader, ends, used } = read(`${head}HTTP/1.1 200 OK\r\n`);
    expect({ done: reader.done, ends: ends.length, used }).toEqual({ done: true, ends: 1, used: head.length });
  });

  it('a header named like an Object.prototype member keeps its value', () => {
    // In a plain object headers['constructor'] is inherited (Object): the value became "function Object() { [native code] }, x", and "__proto__" vanished.
    const { heads } = read('HTTP/1.1 200 OK\r\nConstructor: x\r\n__proto__: y\r\nContent-Length: 0\r\n\r\n');
    const headers = heads[0]?.headers ?? {};
    expect({ constructor: Object.getOwnPropertyDescriptor(headers, 'constructor')?.value, proto: Object.getOwnPropertyDescriptor(headers, '__proto__')?.value }).toEqual({ constructor: 'x', proto: 'y' });
  });
});
