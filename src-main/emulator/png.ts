/**
 * Minimal PNG encoder (8-bit RGB, filter 0, one IDAT) plus a deterministic
 * "pleasant gradient" generator so every emulated image is a real decodable
 * PNG whose colours differ per URL (thumbnails in the UI look distinct).
 */
import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const typeBuf = Buffer.from(type, 'latin1');
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  typeBuf.copy(out, 4);
  data.copy(out, 8);
  // The CRC covers type + data, not the length field.
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return out;
}

/** Encodes `rgb` (width*height*3 bytes, row-major) as a PNG. */
export function encodePngRgb(width: number, height: number, rgb: Uint8Array): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`encodePngRgb: bad dimensions ${width}x${height}`);
  }
  if (rgb.length !== width * height * 3) throw new RangeError('encodePngRgb: pixel buffer size mismatch');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour RGB
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter method
  ihdr[12] = 0; // no interlace
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None per scanline
    Buffer.from(rgb.buffer, rgb.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 1 })), // fast: these are test fixtures, not archives
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  // h in [0,360), s,l in [0,1]
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const hp = (((h % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const sectors: [number, number, number][] = [
    [c, x, 0],
    [x, c, 0],
    [0, c, x],
    [0, x, c],
    [x, 0, c],
    [c, 0, x],
  ];
  const [r, g, b] = sectors[Math.min(5, Math.floor(hp))] ?? [c, 0, x];
  const m = l - c / 2;
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255];
}


/**
 * A diagonal two-hue gradient with a soft light spot; hues and the spot's
 * position come from a hash of `seed`, so the same seed gives the same bytes.
 */
export function gradientPng(seed: string, width = 256, height = 256): Buffer {
  const h = createHash('sha256').update(seed).digest();
  const hue1 = (h.readUInt16BE(0) / 65536) * 360;
  const hue2 = hue1 + 60 + (h.readUInt8(2) / 256) * 120;
  const sat = 0.55 + (h.readUInt8(3) / 256) * 0.3;
  const spotX = 0.2 + (h.readUInt8(4) / 256) * 0.6;
  const spotY = 0.2 + (h.readUInt8(5) / 256) * 0.6;
  const c1 = hslToRgb(hue1, sat, 0.45);
  const c2 = hslToRgb(hue2, sat, 0.6);
  // Written straight into a clamped buffer with per-column terms precomputed: the
  // emulator renders one of these per job it serves, so it must not be the bottleneck
  // of the benchmarks that measure genwatch against it.
  const rgb = new Uint8ClampedArray(width * height * 3);
  const fxs = new Float64Array(width);
  const dx2 = new Float64Array(width);
  for (let x = 0; x < width; x++) {
    const fx = width > 1 ? x / (width - 1) : 0;
    fxs[x] = fx;
    dx2[x] = (fx - spotX) ** 2;
  }
  const d0 = c2[0] - c1[0];
  const d1 = c2[1] - c1[1];
  const d2 = c2[2] - c1[2];
  for (let y = 0; y < height; y++) {
    const fy = height > 1 ? y / (height - 1) : 0;
    const dy2 = (fy - spotY) ** 2;
    let i = y * width * 3;
    for (let x = 0; x < width; x++, i += 3) {
      // Typed-array reads in range are numbers; `?? 0` only satisfies the index-access check.
      const t = ((fxs[x] ?? 0) + fy) / 2;
      const fall = 1 - Math.sqrt((dx2[x] ?? 0) + dy2) / 0.55;
      const glow = fall > 0 ? fall * fall * 70 : 0;
      rgb[i] = c1[0] + d0 * t + glow;
      rgb[i + 1] = c1[1] + d1 * t + glow;
      rgb[i + 2] = c1[2] + d2 * t + glow;
    }
  }
  return encodePngRgb(width, height, new Uint8Array(rgb.buffer));
}
