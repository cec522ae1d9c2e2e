/**
 * Prompt and ids written into JPEG and WebP files as XMP (people move images
 * and lose sidecars; PNGs get text chunks instead, see png-metadata.ts).
 *
 * - JPEG: an APP1 segment `http://ns.adobe.com/xap/1.0/\0` + packet, placed
 *   after SOI and any leading APP0 (JFIF/JFXX) and Exif APP1 segments;
 *   existing XMP APP1 segments are dropped (replaced, never duplicated). A
 *   segment holds at most 65533 bytes, so the description is cut to fit.
 * - WebP: an `XMP ` chunk, which needs the extended format: a simple file
 *   (VP8/VP8L) gets a VP8X header (canvas size read from the bitstream
 *   header, alpha flag from VP8L), a VP8X file gets its XMP flag set; the
 *   chunk goes after the image data (and EXIF), replacing an existing one,
 *   and the RIFF size is fixed.
 *
 * Pure. Editing is planned as a list of pieces (new bytes, or ranges of the
 * original file), so the engine can stream a multi-megabyte image through it
 * reading only a few headers; `insertJpegXmp` / `insertWebpXmp` apply a plan
 * to a whole buffer. Planners are generators that yield the byte ranges they
 * need to look at, driven either synchronously (a buffer) or asynchronously
 * (a file).
 */

export const XMP_JPEG_NAMESPACE = 'http://ns.adobe.com/xap/1.0/\0';
/** The largest JPEG segment payload (the 16-bit length counts itself). */
export const JPEG_SEGMENT_MAX = 65533;
/** The largest XMP packet one APP1 segment can carry. */
export const JPEG_XMP_MAX = JPEG_SEGMENT_MAX - XMP_JPEG_NAMESPACE.length;
/** genwatch's own XMP namespace (prefix `genwatch:`). */
export const GENWATCH_XMP_NS = 'https://github.com/genwatch/genwatch/ns/xmp/1.0/';

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

// ── the packet ─────────────────────────────────────────────────────────────

export interface XmpFields {
  /** dc:description (the prompt). */
  description: string | null;
  /** dc:source (the URL the file came from); null when privacy is on. */
  source: string | null;
  provider: string;
  account: string;
  jobId: string;
  /** The job this one was made from (a useapi U1's grid), when known. */
  parentJobId?: string | null;
  model: string | null;
  createdAt: string | null;
  completedAt: string | null;
}

/** Characters XML 1.0 does not allow at all (C0 controls but tab/newlines, U+FFFE/U+FFFF, lone surrogates). */
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlEscape(text: string): string {
  return text
    .replace(XML_INVALID, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;');
}

function xmlUnescape(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_all, e: string) => {
    switch (e) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default:
        return String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

const PACKET_ID = 'W5M0MpCehiHzreSzNTczkc9d';

function packetXml(f: XmpFields, description: string | null, source: string | null): string {
  const props: string[] = [];
  if (description !== null && description.length > 0) props.push(`<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${xmlEscape(description)}</rdf:li></rdf:Alt></dc:description>`);
  if (source !== null && source.length > 0) props.push(`<dc:source>${xmlEscape(source)}</dc:source>`);
  props.push('<xmp:CreatorTool>genwatch</xmp:CreatorTool>');
  if (f.createdAt !== null) props.push(`<xmp:CreateDate>${xmlEscape(f.createdAt)}</xmp:CreateDate>`);
  const own: Array<[string, string | null | undefined]> = [
    ['provider', f.provider],
    ['account', f.account],
    ['jobId', f.jobId],
    ['parentJobId', f.parentJobId],
    ['model', f.model],
    ['createdAt', f.createdAt],
    ['completedAt', f.completedAt],
  ];
  for (const [name, value] of own) if (value !== null && value !== undefined && value.length > 0) props.push(`<genwatch:${name}>${xmlEscape(value)}</genwatch:${name}>`);
  return (
    `<?xpacket begin="\uFEFF" id="${PACKET_ID}"?>\n` +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="genwatch">\n' +
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n' +
    `  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:genwatch="${GENWATCH_XMP_NS}">\n` +
    props.map((p) => `   ${p}\n`).join('') +
    '  </rdf:Description>\n' +
    ' </rdf:RDF>\n' +
    '</x:xmpmeta>\n' +
    '<?xpacket end="w"?>'
  );
}

/** `text` cut to at most `maxBytes` of escaped UTF-8, on a code point boundary, with "…" when cut. */
function cutEscaped(text: string, maxBytes: number): string {
  const ellipsis = 3;
  let used = 0;
  let out = '';
  for (const ch of text) {
    const n = encoder.encode(xmlEscape(ch)).length;
    if (used + n > maxBytes - ellipsis) return `${out}…`;
    used += n;
    out += ch;
  }
  return out;
}

/**
 * The UTF-8 XMP packet for `fields`, at most `maxBytes` long: the description
 * is shortened first, then the source URL dropped; null when even that does
 * not fit.
 */
export function buildXmpPacket(fields: XmpFields, maxBytes = Number.POSITIVE_INFINITY): Uint8Array | null {
  let bytes = encoder.encode(packetXml(fields, fields.description, fields.source));
  if (bytes.length <= maxBytes) return bytes;
  const withoutDescription = encoder.encode(packetXml(fields, null, fields.source)).length;
  // The description element's own markup costs bytes too: measure it with a one-character stand-in.
  const markup = encoder.encode(packetXml(fields, 'x', fields.source)).length - withoutDescription - 1;
  const room = maxBytes - withoutDescription - markup;
  if (fields.description !== null && room > 3) {
    bytes = encoder.encode(packetXml(fields, cutEscaped(fields.description, room), fields.source));
    if (bytes.length <= maxBytes) return bytes;
  }
  bytes = encoder.encode(packetXml(fields, null, fields.source));
  if (bytes.length <= maxBytes) return bytes;
  bytes = encoder.encode(packetXml(fields, null, null));
  return bytes.length <= maxBytes ? bytes : null;
}

/**
 * The simple properties of a packet this module wrote (or one shaped like
 * it), by qualified name: `dc:description`, `dc:source`, `genwatch:jobId`, …
 */
export function readXmpFields(packet: string | Uint8Array): Record<string, string> {
  const xml = typeof packet === 'string' ? packet : utf8.decode(packet);
  const out: Record<string, string> = {};
  const description = /<dc:description>\s*<rdf:Alt>\s*<rdf:li[^>]*>([\s\S]*?)<\/rdf:li>/.exec(xml);
  if (description?.[1] !== undefined) out['dc:description'] = xmlUnescape(description[1]);
  for (const m of xml.matchAll(/<((?:dc|xmp|genwatch):[A-Za-z]+)>([^<]*)<\/\1>/g)) {
    const name = m[1] ?? '';
    if (name !== 'dc:description') out[name] = xmlUnescape(m[2] ?? '');
  }
  return out;
}

// ── edit plans ─────────────────────────────────────────────────────────────

/** New bytes, or bytes [start, end) of the original file. */
export type EditPiece = Uint8Array | { start: number; end: number };

export interface ReadRequest {
  position: number;
  length: number;
}

/** Yields what it needs to read (fewer bytes come back at end of file); returns the plan, or null to leave the file alone. */
export type Planner = Generator<ReadRequest, EditPiece[] | null, Uint8Array>;

export function runPlannerSync(planner: Planner, bytes: Uint8Array): EditPiece[] | null {
  let step = planner.next(new Uint8Array(0));
  while (step.done !== true) {
    const { position, length } = step.value;
    step = planner.next(bytes.subarray(Math.min(position, bytes.length), Math.min(position + length, bytes.length)));
  }
  return step.value;
}

export async function runPlanner(planner: Planner, read: (position: number, length: number) => Promise<Uint8Array>): Promise<EditPiece[] | null> {
  let step = planner.next(new Uint8Array(0));
  while (step.done !== true) {
    const { position, length } = step.value;
    step = planner.next(await read(position, length));
  }
  return step.value;
}

export function planLength(pieces: readonly EditPiece[]): number {
  return pieces.reduce((n, p) => n + (p instanceof Uint8Array ? p.length : p.end - p.start), 0);
}

export function applyPlan(source: Uint8Array, pieces: readonly EditPiece[]): Uint8Array {
  const out = new Uint8Array(planLength(pieces));
  let at = 0;
  for (const p of pieces) {
    const part = p instanceof Uint8Array ? p : source.subarray(p.start, p.end);
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function read(position: number, length: number): ReadRequest {
  return { position, length };
}

function startsWith(bytes: Uint8Array, text: string): boolean {
  if (bytes.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}

// ── JPEG ───────────────────────────────────────────────────────────────────

export function isJpeg(head: Uint8Array): boolean {
  return head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
}

export function jpegXmpSegment(packet: Uint8Array): Uint8Array | null {
  const payload = XMP_JPEG_NAMESPACE.length + packet.length;
  if (payload > JPEG_SEGMENT_MAX) return null;
  const out = new Uint8Array(4 + payload);
  out[0] = 0xff;
  out[1] = 0xe1;
  out[2] = ((payload + 2) >> 8) & 0xff;
  out[3] = (payload + 2) & 0xff;
  out.set(encoder.encode(XMP_JPEG_NAMESPACE), 4);
  out.set(packet, 4 + XMP_JPEG_NAMESPACE.length);
  return out;
}

interface JpegSegment {
  marker: number;
  /** Offset of the 0xFF. */
  start: number;
  end: number;
  /** The first bytes of the payload (enough to tell Exif and XMP apart). */
  ident: Uint8Array;
}

/** The marker segments before the scan (SOS), or null when the structure is broken. */
function* jpegSegments(size: number): Generator<ReadRequest, JpegSegment[] | null, Uint8Array> {
  const segments: JpegSegment[] = [];
  let at = 2;
  for (;;) {
    if (at + 2 > size) return null;
    const head: Uint8Array = yield read(at, 4 + XMP_JPEG_NAMESPACE.length);
    if (head[0] !== 0xff) return null;
    // Fill bytes: any number of 0xFF before a marker.
    let skip = 1;
    while (skip < head.length && head[skip] === 0xff) skip++;
    if (skip >= head.length) return null;
    if (skip > 1) {
      at += skip - 1;
      continue;
    }
    const marker = head[1] ?? 0;
    if (marker === 0xd9 || marker === 0xda) return segments; // EOI, SOS: the header is over
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // standalone markers
      continue;
    }
    if (head.length < 4) return null;
    const length = ((head[2] ?? 0) << 8) | (head[3] ?? 0);
    if (length < 2 || at + 2 + length > size) return null;
    segments.push({ marker, start: at, end: at + 2 + length, ident: head.subarray(4, Math.min(head.length, 2 + length)) });
    at += 2 + length;
  }
}

function isXmpApp1(s: JpegSegment): boolean {
  return s.marker === 0xe1 && startsWith(s.ident, XMP_JPEG_NAMESPACE);
}

/** Plans `packet` into a JPEG of `size` bytes; null when it is not a JPEG this can safely edit or the packet is too big. */
export function* planJpegXmp(size: number, packet: Uint8Array): Planner {
  const segment = jpegXmpSegment(packet);
  if (segment === null || size < 4) return null;
  const soi: Uint8Array = yield read(0, 3);
  if (!isJpeg(soi)) return null;
  const segments = yield* jpegSegments(size);
  if (segments === null) return null;
  // After SOI and the APP0 (JFIF/JFXX) and Exif APP1 segments that readers expect first.
  let insertAt = 2;
  for (const s of segments) {
    if (s.marker === 0xe0 || (s.marker === 0xe1 && startsWith(s.ident, 'Exif\0'))) insertAt = s.end;
    else break;
  }
  const pieces: EditPiece[] = [];
  const cut = (start: number, end: number): void => {
    if (end > start) pieces.push({ start, end });
  };
  cut(0, insertAt);
  pieces.push(segment);
  let from = insertAt;
  for (const s of segments) {
    if (s.start < insertAt || !isXmpApp1(s)) continue;
    cut(from, s.start);
    from = s.end;
  }
  cut(from, size);
  return pieces;
}

/** A whole JPEG with `packet` as its XMP; null when it is not a JPEG or the packet does not fit a segment. */
export function insertJpegXmp(jpeg: Uint8Array, packet: Uint8Array): Uint8Array | null {
  const plan = runPlannerSync(planJpegXmp(jpeg.length, packet), jpeg);
  return plan === null ? null : applyPlan(jpeg, plan);
}

/** The XMP packets (APP1 `http://ns.adobe.com/xap/1.0/`) of a JPEG, first one; null when none. */
export function readJpegXmp(jpeg: Uint8Array): string | null {
  return readJpegXmpAll(jpeg)[0] ?? null;
}

/** Every XMP APP1 packet of a JPEG, in file order (tests check there is exactly one). */
export function readJpegXmpAll(jpeg: Uint8Array): string[] {
  if (!isJpeg(jpeg)) return [];
  const gen = jpegSegments(jpeg.length);
  let step = gen.next(new Uint8Array(0));
  while (step.done !== true) step = gen.next(jpeg.subarray(step.value.position, step.value.position + step.value.length));
  const segments = step.value;
  if (segments === null) return [];
  return segments.filter(isXmpApp1).map((s) => utf8.decode(jpeg.subarray(s.start + 4 + XMP_JPEG_NAMESPACE.length, s.end)));
}

// ── WebP ───────────────────────────────────────────────────────────────────

export function isWebp(head: Uint8Array): boolean {
  return head.length >= 12 && startsWith(head, 'RIFF') && startsWith(head.subarray(8), 'WEBP');
}

const VP8X_FLAG_ALPHA = 0x10;
const VP8X_FLAG_XMP = 0x04;

function u32le(n: number): Uint8Array {
  return Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
}

function readU32le(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24)) >>> 0;
}

function riffChunk(fourcc: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length + (data.length & 1));
  out.set(encoder.encode(fourcc), 0);
  out.set(u32le(data.length), 4);
  out.set(data, 8);
  return out;
}

export function vp8xChunk(flags: number, width: number, height: number): Uint8Array {
  const data = new Uint8Array(10);
  data[0] = flags;
  const w = width - 1;
  const h = height - 1;
  data.set([w & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff], 4);
  data.set([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff], 7);
  return riffChunk('VP8X', data);
}

/** Canvas size from a VP8 (lossy key frame) or VP8L (lossless) bitstream header; null when it is not one. */
export function webpBitstreamInfo(fourcc: string, data: Uint8Array): { width: number; height: number; alpha: boolean } | null {
  if (fourcc === 'VP8 ') {
    // 3-byte frame tag (bit 0 clear on a key frame), start code 9D 01 2A, then 14-bit width and height.
    if (data.length < 10 || ((data[0] ?? 1) & 1) !== 0 || data[3] !== 0x9d || data[4] !== 0x01 || data[5] !== 0x2a) return null;
    const width = ((data[6] ?? 0) | ((data[7] ?? 0) << 8)) & 0x3fff;
    const height = ((data[8] ?? 0) | ((data[9] ?? 0) << 8)) & 0x3fff;
    return width > 0 && height > 0 ? { width, height, alpha: false } : null;
  }
  if (fourcc === 'VP8L') {
    // Signature 0x2F, then 14 bits width-1, 14 bits height-1, 1 bit alpha, 3 bits version (0).
    if (data.length < 5 || data[0] !== 0x2f) return null;
    const bits = readU32le(data, 1);
    if (bits >>> 29 !== 0) return null;
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, alpha: ((bits >>> 28) & 1) === 1 };
  }
  return null;
}

interface RiffChunk {
  fourcc: string;
  start: number;
  /** End of the chunk in the file, pad byte included when present. */
  end: number;
  /** The pad byte of an odd-sized chunk is missing (some writers drop it on the last chunk). */
  padMissing: boolean;
}

/** Chunks the edited file keeps, with XMP placed in the right order. */
const BEFORE_XMP = new Set(['VP8X', 'ICCP', 'ANIM', 'ANMF', 'ALPH', 'VP8 ', 'VP8L', 'EXIF']);

/** Plans `packet` into a WebP of `size` bytes; null when it is not a WebP this can safely edit. */
export function* planWebpXmp(size: number, packet: Uint8Array): Planner {
  if (size < 20) return null;
  const header: Uint8Array = yield read(0, 12);
  if (!isWebp(header)) return null;
  const riffEnd = 8 + readU32le(header, 4);
  if (riffEnd > size || riffEnd < 20) return null;
  const chunks: RiffChunk[] = [];
  let at = 12;
  while (at + 8 <= riffEnd) {
    const h: Uint8Array = yield read(at, 8);
    const length = readU32le(h, 4);
    const dataEnd = at + 8 + length;
    if (dataEnd > riffEnd) return null;
    const padded = dataEnd + (length & 1);
    const padMissing = padded > riffEnd;
    chunks.push({ fourcc: latin1.decode(h.subarray(0, 4)), start: at, end: padMissing ? dataEnd : padded, padMissing });
    at = padded;
  }
  if (at < riffEnd - 1 || chunks.length === 0) return null; // a stray tail inside the RIFF: leave the file alone
  const first = chunks[0];
  if (first === undefined) return null;
  const body: EditPiece[] = [];
  const copy = (c: RiffChunk, from = c.start): void => {
    body.push({ start: from, end: c.end });
    if (c.padMissing) body.push(Uint8Array.of(0));
  };
  const xmp = riffChunk('XMP ', packet);
  const kept = chunks.filter((c) => c.fourcc !== 'XMP ');
  if (first.fourcc === 'VP8X') {
    const vp8x: Uint8Array = yield read(first.start, 18);
    if (vp8x.length < 18 || first.end - first.start < 18) return null;
    const flagged = Uint8Array.from(vp8x);
    flagged[8] = (flagged[8] ?? 0) | VP8X_FLAG_XMP;
    body.push(flagged);
    const rest = kept.slice(1);
    if (first.end - first.start > 18) copy(first, first.start + 18); // a longer VP8X than the spec's 10 bytes: keep its tail
    let insertAfter = -1;
    rest.forEach((c, i) => {
      if (BEFORE_XMP.has(c.fourcc)) insertAfter = i;
    });
    rest.forEach((c, i) => {
      copy(c);
      if (i === insertAfter) body.push(xmp);
    });
    if (insertAfter < 0) body.push(xmp);
  } else if (first.fourcc === 'VP8 ' || first.fourcc === 'VP8L') {
    const bits: Uint8Array = yield read(first.start + 8, 10);
    const info = webpBitstreamInfo(first.fourcc, bits);
    if (info === null) return null;
    body.push(vp8xChunk((info.alpha ? VP8X_FLAG_ALPHA : 0) | VP8X_FLAG_XMP, info.width, info.height));
    copy(first);
    body.push(xmp);
    for (const c of kept.slice(1)) copy(c);
  } else {
    return null;
  }
  const riffSize = 4 + planLength(body);
  return [encoder.encode('RIFF'), u32le(riffSize), encoder.encode('WEBP'), ...body, ...(riffEnd < size ? [{ start: riffEnd, end: size }] : [])];
}

/** A whole WebP with `packet` as its XMP chunk; null when it is not a WebP this can edit. */
export function insertWebpXmp(webp: Uint8Array, packet: Uint8Array): Uint8Array | null {
  const plan = runPlannerSync(planWebpXmp(webp.length, packet), webp);
  return plan === null ? null : applyPlan(webp, plan);
}

/** The chunks of a WebP (fourcc and data), for reading files back and for tests. */
export function webpChunks(webp: Uint8Array): Array<{ fourcc: string; data: Uint8Array }> {
  const out: Array<{ fourcc: string; data: Uint8Array }> = [];
  if (!isWebp(webp)) return out;
  const end = Math.min(webp.length, 8 + readU32le(webp, 4));
  let at = 12;
  while (at + 8 <= end) {
    const length = readU32le(webp, at + 4);
    out.push({ fourcc: latin1.decode(webp.subarray(at, at + 4)), data: webp.subarray(at + 8, Math.min(end, at + 8 + length)) });
    at += 8 + length + (length & 1);
  }
  return out;
}

/** The `XMP ` chunk of a WebP as text; null when none. */
export function readWebpXmp(webp: Uint8Array): string | null {
  const chunk = webpChunks(webp).find((c) => c.fourcc === 'XMP ');
  return chunk === undefined ? null : utf8.decode(chunk.data);
}

/** The planner for whatever `head` (the first 12+ bytes) says the file is; null for formats without XMP support here. */
export function xmpPlannerFor(head: Uint8Array, size: number, fields: XmpFields): Planner | null {
  if (isJpeg(head)) {
    const packet = buildXmpPacket(fields, JPEG_XMP_MAX);
    return packet === null ? null : planJpegXmp(size, packet);
  }
  if (isWebp(head)) {
    const packet = buildXmpPacket(fields);
    return packet === null ? null : planWebpXmp(size, packet);
  }
  return null;
}
