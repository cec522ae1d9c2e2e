import { describe, expect, it } from 'vitest';
import { badgeBitmap, badgeText } from './badge-bitmap';

/** The badge as text art: '#' white ink, 'o' red disc, '.' transparent. */
function art(count: number, size: number): string[] {
  const badge = badgeBitmap(count, size);
  if (!badge) return [];
  const rows: string[] = [];
  for (let y = 0; y < size; y++) {
    let row = '';
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      const [b, g, r, a] = [badge.bgra[i], badge.bgra[i + 1], badge.bgra[i + 2], badge.bgra[i + 3]];
      row += a === 0 ? '.' : r === 255 && g === 255 && b === 255 ? '#' : 'o';
    }
    rows.push(row);
  }
  return rows;
}

describe('badgeText', () => {
  it('nothing for zero, the count up to nine, then 9+', () => {
    expect(badgeText(0)).toBeNull();
    expect(badgeText(-3)).toBeNull();
    expect(badgeText(Number.NaN)).toBeNull();
    expect(badgeText(1)).toBe('1');
    expect(badgeText(9)).toBe('9');
    expect(badgeText(10)).toBe('9+');
    expect(badgeText(4000)).toBe('9+');
  });
});

describe('badgeBitmap', () => {
  it('no badge for zero unseen results', () => {
    expect(badgeBitmap(0)).toBeNull();
  });

  it('a red disc with transparent corners, BGRA, the size asked for', () => {
    const badge = badgeBitmap(3, 32);
    expect(badge).not.toBeNull();
    expect(badge?.bgra).toHaveLength(32 * 32 * 4);
    const rows = art(3, 32);
    expect(rows[0]?.[0]).toBe('.');
    expect(rows[31]?.[31]).toBe('.');
    // Pure red (BGRA 26 26 dc ff) well inside the disc, away from the digit.
    const i = (16 * 32 + 3) * 4;
    expect([...(badge?.bgra.subarray(i, i + 4) ?? [])]).toEqual([0x26, 0x26, 0xdc, 0xff]);
  });

  it('draws the digits it says: "1" and "7" differ, and "9+" has two glyphs side by side', () => {
    const one = art(1, 32).join('\n');
    const seven = art(7, 32).join('\n');
    expect(one).not.toBe(seven);
    expect(one).toContain('#');
    const ninePlus = art(12, 32);
    expect(badgeBitmap(12, 32)?.text).toBe('9+');
    // Ink columns form two separate runs (the 9 and the +).
    const inkColumns = [...Array(32).keys()].filter((x) => ninePlus.some((row) => row[x] === '#'));
    const runs = inkColumns.filter((x, n) => n === 0 || inkColumns[n - 1] !== x - 1).length;
    expect(runs).toBe(2);
  });

  it('the ink, read back at glyph resolution, is exactly the digit (and 9+ is a 9 then a +)', () => {
    const glyphs = (count: number): string[] => {
      const rows = art(count, 32);
      const inkRows = rows.map((row, y) => ({ row, y })).filter(({ row }) => row.includes('#'));
      const top = inkRows[0]?.y ?? 0;
      const cols = [...Array(32).keys()].filter((x) => rows.some((row) => row[x] === '#'));
      const left = cols[0] ?? 0;
      const right = cols.at(-1) ?? 0;
      const scale = 3; // 32 px: digits 15 px tall
      const out: string[] = [];
      for (let gy = 0; gy < 5; gy++) {
        let line = '';
        for (let x = left; x <= right; x += scale) line += rows[top + gy * scale]?.[x] === '#' ? '#' : '.';
        out.push(line);
      }
      return out;
    };
    expect(glyphs(1)).toEqual(['.#.', '##.', '.#.', '.#.', '###']);
    expect(glyphs(7)).toEqual(['###', '..#', '.#.', '.#.', '.#.']);
    // "9", one column of gap, then "+" (sampled across the ink's width).
    expect(glyphs(12)).toEqual(['###....', '#.#..#.', '###.###', '..#..#.', '###....']);
  });

  it('the ink stays inside the disc at every supported size', () => {
    for (const size of [16, 24, 32, 48]) {
      for (const count of [1, 8, 10]) {
        const rows = art(count, size);
        rows.forEach((row, y) => [...row].forEach((c, x) => {
          if (c === '#') expect(Math.hypot(x + 0.5 - size / 2, y + 0.5 - size / 2), `${count} at ${size}px`).toBeLessThan(size / 2);
        }));
      }
    }
  });
});
