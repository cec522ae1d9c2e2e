/**
 * The Windows taskbar overlay badge: a red disc with the number of unseen
 * results ("1"–"9", then "9+"), drawn as raw BGRA pixels so the shell can
 * hand it to nativeImage.createFromBitmap without any image files or
 * encoders. macOS and Linux draw their own badges from app.setBadgeCount.
 */

/** 3×5 glyphs, one string per row, '#' = ink. */
const GLYPHS: Record<string, readonly string[]> = {
  '0': ['###', '#.#', '#.#', '#.#', '###'],
  '1': ['.#.', '##.', '.#.', '.#.', '###'],
  '2': ['###', '..#', '###', '#..', '###'],
  '3': ['###', '..#', '.##', '..#', '###'],
  '4': ['#.#', '#.#', '###', '..#', '..#'],
  '5': ['###', '#..', '###', '..#', '###'],
  '6': ['###', '#..', '###', '#.#', '###'],
  '7': ['###', '..#', '.#.', '.#.', '.#.'],
  '8': ['###', '#.#', '###', '#.#', '###'],
  '9': ['###', '#.#', '###', '..#', '###'],
  '+': ['...', '.#.', '###', '.#.', '...'],
};

/** Windows' notification red, BGRA. */
const DISC = [0x26, 0x26, 0xdc, 0xff] as const;
const INK = [0xff, 0xff, 0xff, 0xff] as const;

export interface BadgeBitmap {
  text: string;
  width: number;
  height: number;
  /** width × height × 4 bytes, BGRA, premultiplied (the disc's edge is anti-aliased). */
  bgra: Uint8Array;
}

/** What the badge says for `count` unseen results, or null for none. */
export function badgeText(count: number): string | null {
  if (!Number.isFinite(count) || count < 1) return null;
  return count > 9 ? '9+' : String(Math.floor(count));
}

/** The badge for `count` at `size` pixels square (32 = 16 DIP at 200 %), or null when there is nothing to show. */
export function badgeBitmap(count: number, size = 32): BadgeBitmap | null {
  const text = badgeText(count);
  if (text === null) return null;
  const bgra = new Uint8Array(size * size * 4);
  const r = size / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Coverage of the pixel by the disc, from the distance of its centre to the edge.
      const d = Math.hypot(x + 0.5 - r, y + 0.5 - r);
      const coverage = Math.max(0, Math.min(1, r - d + 0.5));
      if (coverage === 0) continue;
      const i = (y * size + x) * 4;
      for (let c = 0; c < 4; c++) bgra[i + c] = Math.round((DISC[c] ?? 0) * coverage);
    }
  }
  // Digits about half the disc tall; two characters must also fit 70 % of its width.
  const scale = Math.max(1, Math.min(Math.floor((size * 0.5) / 5), Math.floor((size * 0.7) / (text.length * 4 - 1))));
  const glyphW = 3 * scale;
  const glyphH = 5 * scale;
  const gap = scale;
  const totalW = text.length * glyphW + (text.length - 1) * gap;
  const left = Math.round((size - totalW) / 2);
  const top = Math.round((size - glyphH) / 2);
  [...text].forEach((ch, n) => {
    const rows = GLYPHS[ch] ?? [];
    const x0 = left + n * (glyphW + gap);
    rows.forEach((row, gy) => {
      for (let gx = 0; gx < row.length; gx++) {
        if (row[gx] !== '#') continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const i = ((top + gy * scale + dy) * size + x0 + gx * scale + dx) * 4;
            for (let c = 0; c < 4; c++) bgra[i + c] = INK[c] ?? 0;
          }
        }
      }
    });
  });
  return { text, width: size, height: size, bgra };
}
