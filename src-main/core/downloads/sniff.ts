/**
 * Body checks: a 200 that is really an HTML or JSON error page (Cloudflare's
 * "Access denied", an expired-link notice) or an empty body must never be
 * saved under an image, video or audio name.
 */
import type { Asset } from '../../../src-shared/job';

/** How many leading bytes the engine collects before deciding. */
export const SNIFF_BYTES = 512;

export type Expected = 'image' | 'video' | 'audio' | 'any';

export function expectedMedia(kind: Asset['kind']): Expected {
  switch (kind) {
    case 'image':
    case 'grid':
    case 'cover':
      return 'image';
    case 'video':
      return 'video';
    case 'audio':
      return 'audio';
    case 'other':
      return 'any';
  }
}

const latin1 = new TextDecoder('latin1');

/** Mostly printable text (UTF-8 or ASCII) — media formats have binary bytes within their first few hundred bytes. */
function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  let printable = 0;
  for (const b of head) {
    if (b === 0) return false;
    if (b === 9 || b === 10 || b === 13 || (b >= 0x20 && b < 0x7f) || b >= 0x80) printable++;
  }
  return printable / head.length > 0.97 && head.every((b) => b >= 0x09);
}

/**
 * null when the body may be saved; otherwise why not. `head` is the first
 * bytes of the body (up to SNIFF_BYTES); `complete` says the body ended
 * within them.
 */
export function checkBody(expected: Expected, head: Uint8Array, complete: boolean, contentType: string | undefined): string | null {
  if (complete && head.length === 0) return 'The server sent an empty file.';
  if (expected === 'any') return null;
  const mime = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const start = latin1.decode(head.subarray(0, 64)).replace(/^[\s\uFEFF\u00EF\u00BB\u00BF]+/, '').toLowerCase();
  const markup = start.startsWith('<!doctype') || start.startsWith('<html') || start.startsWith('<head') || start.startsWith('<body') || (start.startsWith('<?xml') && !start.includes('<svg'));
  const json = (start.startsWith('{') || start.startsWith('[')) && looksLikeText(head);
  const textType = mime === 'text/html' || mime === 'application/json' || mime === 'text/plain' || mime === 'application/problem+json' || mime === 'application/xml' || mime === 'text/xml';
  // A UTF-16 byte order mark: text (an error page in UTF-16); no image, video or audio format starts so.
  const utf16 = head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff));
  if (markup || json || utf16 || (textType && looksLikeText(head)) || looksLikeText(head)) {
    return 'The server sent an error page instead of the file.';
  }
  return null;
}
