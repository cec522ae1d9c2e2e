/**
 * genwatch-file:// previews of downloaded files (src-shared/preview-url.ts):
 * the scheme is registered before ready (secure, streamable for <video>
 * seeking), then each request is answered only for a file the download
 * service vouches for (previewFile: inside the folder, links resolved, a
 * result's kind of file); anything else is a 404 with no detail.
 */
import { net, protocol } from 'electron';
import { pathToFileURL } from 'node:url';
import { PREVIEW_SCHEME, relativeFromPreviewUrl } from '../../src-shared/preview-url';
import type { Result } from '../../src-shared/result';

export function registerPreviewScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: PREVIEW_SCHEME, privileges: { secure: true, standard: true, stream: true, supportFetchAPI: false, corsEnabled: false } }]);
}

export function handlePreviews(previewFile: (relative: string) => Promise<Result<string>>): void {
  protocol.handle(PREVIEW_SCHEME, async (request) => {
    const relative = relativeFromPreviewUrl(request.url);
    const file = relative === null ? null : await previewFile(relative).catch(() => null);
    if (file === null || !file.ok) return new Response(null, { status: 404 });
    // Range headers go along, so a video can seek.
    return net.fetch(pathToFileURL(file.value).href, { headers: request.headers });
  });
}
