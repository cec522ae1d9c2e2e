#!/usr/bin/env node
// Generates every icon genwatch ships from ONE programmatic drawing (no image
// tools needed): the app icon (PNG sizes, .ico, .icns), the tray icons per
// state (colour PNGs at 1x/1.25x/1.5x/2x, macOS Template images, Windows .ico).
// Run: `npm run icons`.
//
// The drawing is a set of shapes in a 0..1 square, rasterised with 4x4
// supersampling so small sizes stay crisp and anti-aliased.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const OUT = join(ROOT, 'resources');

// ---- tiny RGBA PNG / ICO / ICNS encoders ------------------------------------

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return out;
}

/** 8-bit RGBA, filter 0 per scanline, one IDAT. */
export function encodePngRgba(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) Buffer.from(rgba.buffer, rgba.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** ICO with embedded PNGs (Windows Vista+ reads them at every size). */
export function encodeIco(images) {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, i) => {
    const entry = 6 + 16 * i;
    header[entry] = size >= 256 ? 0 : size; // 0 means 256
    header[entry + 1] = size >= 256 ? 0 : size;
    header.writeUInt16LE(1, entry + 4); // colour planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel
    header.writeUInt32LE(png.length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((image) => image.png)]);
}

/** ICNS with PNG entries (macOS 10.7+): ic07 128, ic08 256, ic09 512, ic10 1024 (512@2x). */
export function encodeIcns(images) {
  const types = { 128: 'ic07', 256: 'ic08', 512: 'ic09', 1024: 'ic10' };
  const entries = images.map(({ size, png }) => {
    const head = Buffer.alloc(8);
    head.write(types[size], 0, 'latin1');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const body = Buffer.concat(entries);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}

// ---- the drawing -------------------------------------------------------------

const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ring = (cx, cy, r, w) => (x, y) => {
  const d = Math.hypot(x - cx, y - cy);
  return d <= r && d >= r - w;
};
/** An arc of a ring from angle a0 to a1 (radians, 0 = 12 o'clock, clockwise). */
const arc = (cx, cy, r, w, a0, a1) => (x, y) => {
  if (!ring(cx, cy, r, w)(x, y)) return false;
  let a = Math.atan2(x - cx, cy - y);
  if (a < 0) a += 2 * Math.PI;
  return a >= a0 && a <= a1;
};
const rect = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const roundRect = (x0, y0, x1, y1, r) => (x, y) => {
  if (!rect(x0, y0, x1, y1)(x, y)) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
/** A thick line segment (capsule). */
const bar = (x0, y0, x1, y1, w) => (x, y) => {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const t = Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (x0 + t * dx), y - (y0 + t * dy)) <= w / 2;
};
const triangle = (ax, ay, bx, by, cx, cy) => (x, y) => {
  const s = (px, py, qx, qy) => (x - qx) * (py - qy) - (px - qx) * (y - qy);
  const d1 = s(ax, ay, bx, by);
  const d2 = s(bx, by, cx, cy);
  const d3 = s(cx, cy, ax, ay);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
};

const COLORS = {
  idle: [138, 143, 152],
  running: [59, 130, 246],
  failed: [239, 68, 68],
  'key-problem': [245, 158, 11],
  white: [255, 255, 255],
};

/**
 * Each state has its own shape (not only its own colour), so the states stay
 * apart in monochrome Template images and for colour-blind users:
 *   idle         a hollow ring
 *   running      a ring with a bold progress arc and a centre dot
 *   failed       a filled disc with a cross cut out
 *   key-problem  a filled warning triangle with "!" cut out
 * Layers: [shape, colour, 'paint' | 'erase'].
 */
function trayLayers(state) {
  const c = COLORS[state];
  switch (state) {
    case 'idle':
      return [[ring(0.5, 0.5, 0.42, 0.13), c, 'paint']];
    case 'running':
      return [
        [ring(0.5, 0.5, 0.42, 0.09), c, 'paint'],
        [arc(0.5, 0.5, 0.48, 0.15, 0, Math.PI * 1.4), c, 'paint'],
        [circle(0.5, 0.5, 0.13), c, 'paint'],
      ];
    case 'failed':
      return [
        [circle(0.5, 0.5, 0.46), c, 'paint'],
        [bar(0.33, 0.33, 0.67, 0.67, 0.13), COLORS.white, 'erase'],
        [bar(0.67, 0.33, 0.33, 0.67, 0.13), COLORS.white, 'erase'],
      ];
    case 'key-problem':
      return [
        [triangle(0.5, 0.04, 0.98, 0.94, 0.02, 0.94), c, 'paint'],
        [bar(0.5, 0.36, 0.5, 0.62, 0.12), COLORS.white, 'erase'],
        [circle(0.5, 0.78, 0.07), COLORS.white, 'erase'],
      ];
    default:
      throw new Error(`unknown state ${state}`);
  }
}

/** The app icon: a rounded indigo tile with the "running" mark in white. */
function appLayers() {
  const tile = roundRect(0.06, 0.06, 0.94, 0.94, 0.2);
  const top = [99, 102, 241];
  const bottom = [124, 58, 237];
  return [
    [tile, (x, y) => top.map((v, i) => Math.round(v + (bottom[i] - v) * ((x + y) / 2))), 'paint'],
    [ring(0.5, 0.5, 0.3, 0.06), COLORS.white, 'paint'],
    [arc(0.5, 0.5, 0.36, 0.12, 0, Math.PI * 1.4), COLORS.white, 'paint'],
    [circle(0.5, 0.5, 0.09), COLORS.white, 'paint'],
  ];
}

/**
 * Rasterises layers at `size` px. `template`: black + alpha only (macOS
 * inverts it for dark menu bars); 'erase' layers cut holes in either mode so
 * marks show the menu bar through them.
 */
function rasterise(size, layers, { template = false } = {}) {
  const SS = 4;
  const rgba = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let a = 0;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const x = (px + (sx + 0.5) / SS) / size;
          const y = (py + (sy + 0.5) / SS) / size;
          let colour = null;
          for (const [shape, fill, mode] of layers) {
            if (!shape(x, y)) continue;
            colour = mode === 'erase' ? null : typeof fill === 'function' ? fill(x, y) : fill;
          }
          if (colour) {
            a += 1;
            r += colour[0];
            g += colour[1];
            b += colour[2];
          }
        }
      }
      const i = (py * size + px) * 4;
      const n = SS * SS;
      if (a > 0 && !template) {
        rgba[i] = Math.round(r / a);
        rgba[i + 1] = Math.round(g / a);
        rgba[i + 2] = Math.round(b / a);
      }
      rgba[i + 3] = Math.round((a / n) * 255);
    }
  }
  return encodePngRgba(size, size, rgba);
}

/** One tray state at any size (used by the preview in tests and for eyeballing). */
export function renderTray(state, size, options = {}) {
  return rasterise(size, trayLayers(state), options);
}

// ---- outputs -------------------------------------------------------------------

export const TRAY_STATES = ['idle', 'running', 'failed', 'key-problem'];
/** Electron picks `name@<scale>x.png` next to `name.png` by the display's scale factor. */
export const TRAY_SCALES = [
  { suffix: '', size: 16 },
  { suffix: '@1.25x', size: 20 },
  { suffix: '@1.5x', size: 24 },
  { suffix: '@2x', size: 32 },
];
export const APP_PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

function write(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

export function makeIcons(out = OUT) {
  const written = [];
  const put = (relative, data) => {
    write(join(out, relative), data);
    written.push(relative);
  };
  for (const state of TRAY_STATES) {
    const layers = trayLayers(state);
    const pngs = new Map(TRAY_SCALES.map(({ size }) => [size, rasterise(size, layers)]));
    for (const { suffix, size } of TRAY_SCALES) put(`tray/${state}${suffix}.png`, pngs.get(size));
    put(`tray/${state}Template.png`, rasterise(16, layers, { template: true }));
    put(`tray/${state}Template@2x.png`, rasterise(32, layers, { template: true }));
    put(`tray/${state}.ico`, encodeIco([16, 20, 24, 32].map((size) => ({ size, png: pngs.get(size) }))));
  }

  const app = new Map(APP_PNG_SIZES.map((size) => [size, rasterise(size, appLayers())]));
  // electron-builder's Linux icon set: a folder of `<size>x<size>.png`.
  for (const size of APP_PNG_SIZES.filter((s) => s <= 512)) put(`icons/${size}x${size}.png`, app.get(size));
  put('icon.png', app.get(512));
  put('icon.ico', encodeIco([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, png: app.get(size) }))));
  put('icon.icns', encodeIcns([128, 256, 512, 1024].map((size) => ({ size, png: app.get(size) }))));
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const written = makeIcons();
  console.log(`icons: wrote ${written.length} files under resources/`);
}
