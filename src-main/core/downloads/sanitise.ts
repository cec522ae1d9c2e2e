/**
 * File-name safety for Windows, macOS and Linux at once: whatever a template,
 * a prompt or a provider id produces, the result is a relative path of plain
 * segments that stays inside the chosen root. Pure string logic with POSIX
 * semantics (both `/` and `\` count as separators), so the core needs no
 * node:path.
 */
import type { Result } from '../../../src-shared/result';
import { err, ok } from '../../../src-shared/result';

/** Per segment, in UTF-8 bytes: under the 255-byte limit of ext4/APFS/NTFS with room for " (99)" and ".part.json". */
export const MAX_SEGMENT_BYTES = 200;
/** Whole relative path, in UTF-8 bytes, so root + path stays usable on Windows long-path setups and in archives. */
export const MAX_RELATIVE_PATH_BYTES = 600;

const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
// Windows-illegal characters, C0/C1 controls and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const ILLEGAL = /[<>:"/\\|?*\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
/** UTF-8 bytes of `text`, counted without encoding it (names are measured several times per file). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair: one code point
      i++;
    } else bytes += 3; // the rest of the BMP, and a lone surrogate (encoded as U+FFFD)
  }
  return bytes;
}

// eslint-disable-next-line no-control-regex
const ASCII = /^[\u0000-\u007f]*$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * NFC, skipped for ASCII (already NFC, and by far the usual case: ids, dates,
 * slugs). Lone surrogates become U+FFFD first: a file system stores them so,
 * and two names differing only there would otherwise be one file on disk
 * behind two different names in memory.
 */
function nfc(text: string): string {
  return ASCII.test(text) ? text : text.replace(LONE_SURROGATE, '\uFFFD').normalize('NFC');
}

/** The longest prefix of `text` within `maxBytes` UTF-8 bytes, never splitting a code point. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  let bytes = 0;
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    out += ch;
  }
  return out;
}

function trimEnds(text: string): string {
  // Windows silently drops trailing dots and spaces, so "a." and "a" would collide.
  return text.replace(/^\s+/, '').replace(/[. ]+$/, '');
}

/**
 * One safe path segment: NFC, illegal characters replaced by "_", no leading
 * dot (no hidden files, no `..`), reserved device names defused, bounded in
 * bytes with the extension kept.
 */
export function sanitiseSegment(raw: string, maxBytes: number = MAX_SEGMENT_BYTES): string {
  let name = nfc(raw).replace(ILLEGAL, '_');
  name = trimEnds(name);
  if (name.startsWith('.')) name = `_${name.slice(1)}`;
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  // "CON", "con.png", "Com1.tar.gz": the device name is what precedes the first dot.
  const firstPart = name.split('.')[0] ?? '';
  if (RESERVED.test(firstPart.trim())) name = `_${name}`;
  if (utf8Length(name) > maxBytes) {
    const keepExt = utf8Length(ext) <= 16 ? ext : '';
    const shortStem = trimEnds(truncateUtf8(RESERVED.test(firstPart.trim()) ? `_${stem}` : stem, maxBytes - utf8Length(keepExt)));
    name = shortStem + keepExt;
  }
  name = trimEnds(name);
  return name.length === 0 || name === '_' ? '_' : name;
}

/**
 * Any relative-looking string → safe segments joined with "/". Absolute
 * paths, drive letters and UNC prefixes lose their root (":" and leading
 * separators), `..` and `.` never navigate, and the whole path is bounded
 * by shortening directory segments first, then the file name.
 */
export function sanitiseRelativePath(raw: string, maxBytes: number = MAX_RELATIVE_PATH_BYTES): string {
  const parts = nfc(raw)
    .split(/[/\\]+/)
    .filter((p) => p.length > 0 && p !== '.');
  let segments = parts.map((p) => (p === '..' ? '_' : sanitiseSegment(p)));
  if (segments.length === 0) segments = ['_'];
  const total = (): number => segments.reduce((n, s) => n + utf8Length(s) + 1, -1);
  if (total() > maxBytes) {
    const dirs = segments.slice(0, -1).map((s) => sanitiseSegment(s, 40));
    const file = segments[segments.length - 1] ?? '_';
    const dirBytes = dirs.reduce((n, s) => n + utf8Length(s) + 1, 0);
    segments = [...dirs, sanitiseSegment(file, Math.max(32, Math.min(MAX_SEGMENT_BYTES, maxBytes - dirBytes)))];
    while (total() > maxBytes && segments.length > 1) segments.splice(segments.length - 2, 1);
  }
  return segments.join('/');
}

/** What lexicalNormalise could change: a backslash, an empty, `.` or `..` segment (also right after a drive letter), a trailing separator. */
const NOT_NORMAL = /\\|\/\/|(?:^(?:[A-Za-z]:)?|\/)\.\.?(?:\/|$)|.\/$/;

/** Lexical normalisation with POSIX semantics; `\` is a separator too. */
export function normalisePath(path: string): string {
  // Most paths are normal already (every file's is checked several times): returned as they are.
  return NOT_NORMAL.test(path) ? lexicalNormalise(path) : path;
}

/** normalisePath without its shortcut (exported for the test that holds the shortcut to it). */
export function lexicalNormalise(path: string): string {
  const unified = path.replace(/\\/g, '/');
  const drive = /^[A-Za-z]:/.exec(unified)?.[0] ?? '';
  const rest = unified.slice(drive.length);
  const absolute = rest.startsWith('/');
  const out: string[] = [];
  for (const part of rest.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(part);
  }
  return `${drive}${absolute ? '/' : ''}${out.join('/')}`;
}

const fold = (p: string): string => (/^[A-Za-z]:/.test(p) ? p.toLowerCase() : p);

/** The root as isInsideRoot compares it; the last one is kept (one root is checked against every file). */
let lastRoot: { root: string; form: string } = { root: '', form: '' };
function rootForm(root: string): string {
  if (root !== lastRoot.root || root === '') lastRoot = { root, form: fold(normalisePath(root)).replace(/\/+$/, '') };
  return lastRoot.form;
}

/** Whether `candidate` is `root` itself or below it, after normalising both (drive letters compared case-insensitively). */
export function isInsideRoot(root: string, candidate: string): boolean {
  return placeOf(root, candidate) !== 'outside';
}

/** Where `candidate` is relative to `root`, both normalised as isInsideRoot does. */
function placeOf(root: string, candidate: string): 'root' | 'below' | 'outside' {
  const r = rootForm(root);
  const c = fold(normalisePath(candidate));
  if (c === r) return 'root';
  return (r === '' ? !c.startsWith('..') : c.startsWith(r) && c.charCodeAt(r.length) === 0x2f) ? 'below' : 'outside';
}

export function parentOf(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i <= 0 ? path.slice(0, i + 1) : path.slice(0, i);
}

export function baseNameOf(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return path.slice(i + 1);
}

/** `root` + sanitised relative path, refused unless the result is still inside `root`. */
export function joinInsideRoot(root: string, relative: string): Result<{ path: string; relative: string }> {
  if (root.length === 0) return err('invalid-input', 'Choose a download folder first.');
  const safe = sanitiseRelativePath(relative);
  const base = root.replace(/[/\\]+$/, '');
  const path = `${base.length === 0 ? '' : base}/${safe}`;
  if (placeOf(root, path) !== 'below') {
    return err('forbidden', 'That file name would land outside the download folder, so it was refused.');
  }
  return ok({ path, relative: safe });
}
