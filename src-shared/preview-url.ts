/**
 * Previews of downloaded files in the window: `genwatch-file://saved/<path>`,
 * the path relative to the download folder, one encoded segment per folder.
 * Main answers it only for a result's kind of file (image, video, audio)
 * that really is inside the folder (download-service.ts previewFile); the
 * page's CSP allows this scheme and no file: URL.
 */
export const PREVIEW_SCHEME = 'genwatch-file';
const PREFIX = `${PREVIEW_SCHEME}://saved/`;

export function previewUrl(relative: string): string {
  return PREFIX + relative.split(/[\\/]/).map(encodeURIComponent).join('/');
}

/** The relative path a preview URL names, or null when it is not one (checks on the path are main's). */
export function relativeFromPreviewUrl(url: string): string | null {
  if (!url.startsWith(PREFIX)) return null;
  const rest = url.slice(PREFIX.length).split(/[?#]/)[0] ?? '';
  try {
    const segments = rest.split('/').map(decodeURIComponent);
    return segments.some((s) => s.length === 0) ? null : segments.join('/');
  } catch {
    return null;
  }
}
