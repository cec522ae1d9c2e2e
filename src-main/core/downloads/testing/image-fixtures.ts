/**
 * Tiny real images for metadata tests (2×2, made with cjpeg/cwebp and checked
 * with djpeg/dwebp/webpinfo): a baseline JFIF JPEG, lossless WebP (VP8L)
 * without and with alpha, lossy WebP (VP8), and an extended WebP (VP8X +
 * ALPH + VP8).
 */
const b64 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'base64'));

export const JPEG_2X2 = b64(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAACAAIDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAb/xAAaEAACAwEBAAAAAAAAAAAAAAABAgADBAUS/8QAFAEBAAAAAAAAAAAAAAAAAAAABf/EABkRAAIDAQAAAAAAAAAAAAAAAAABAgMycf/aAAwDAQACEQMRAD8ArOLlzvxMDPRUzNmrJJQEk+RERDp6YTZt9P/Z',
);
export const WEBP_LOSSLESS_2X2 = b64('UklGRiwAAABXRUJQVlA4TB8AAAAvAUAAAB8gEEjeHzqN+RcQFPwf3fxHZA/gBgwR/Q8BAA==');
export const WEBP_LOSSLESS_ALPHA_2X2 = b64('UklGRi4AAABXRUJQVlA4TCIAAAAvAUAAEB8gEEjaH3qN+RcQFPk/moCg6LrlAvilwi5E9D8C');
export const WEBP_LOSSY_2X2 = b64('UklGRjYAAABXRUJQVlA4ICoAAACQAQCdASoCAAIAAsBMJaQAAudFrAAA/uKe9LSl1f1UwEYDwYwrUAAAAAA=');
export const WEBP_EXTENDED_ALPHA_2X2 = b64('UklGRlYAAABXRUJQVlA4WAoAAAAQAAAAAQAAAQAAQUxQSAUAAAAAgP//AABWUDggKgAAALABAJ0BKgIAAgACwEwlkAJ0AQ7+AuwA/t4BTNfuI2OSEuF828jb6BgAAA==');

/** A JPEG marker segment: FF marker, 16-bit length (counting itself), payload. */
export function jpegSegment(marker: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  out.set([0xff, marker, ((payload.length + 2) >> 8) & 0xff, (payload.length + 2) & 0xff]);
  out.set(payload, 4);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}
