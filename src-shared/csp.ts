/**
 * The Content-Security-Policy of the app's page, defined once: injected as a
 * <meta> into the built index.html (file:// has no headers) and sent as a
 * header by main when the dev server is used (which also needs inline styles
 * and its HMR websocket).
 */
export function contentSecurityPolicy(options: { devServerOrigin?: string | null; asMeta?: boolean } = {}): string {
  const dev = options.devServerOrigin ?? null;
  const directives = [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self'${dev ? " 'unsafe-inline'" : ''}`,
    // genwatch-file: previews of downloaded files (src-shared/preview-url.ts), never file:.
    "img-src 'self' data: https: http://127.0.0.1:* http://localhost:* genwatch-file:",
    "media-src 'self' https: http://127.0.0.1:* http://localhost:* genwatch-file:",
    `connect-src ${dev ? `'self' ${dev} ${dev.replace(/^http/, 'ws')}` : "'self'"}`,
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
  ];
  // Browsers ignore frame-ancestors in a <meta> (and log an error): header only.
  if (!options.asMeta) directives.push("frame-ancestors 'none'");
  return directives.join('; ');
}
