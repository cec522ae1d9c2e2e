/**
 * Where useapi jobs' media live, with the two behaviours that break naive
 * downloaders in production:
 * - an emulated cdn.midjourney.com (`/cdn-midjourney/<mj-uuid>/0_<n>.png|mp4`)
 *   that answers 403 "Access denied" (HTML, like Cloudflare) unless the
 *   request looks like a browser (Chrome User-Agent and an Accept header);
 * - Discord attachment URLs (`/discord/attachments/<channel>/<id>/<file>`,
 *   proxy_url under `/discord-media/…`) signed with `ex`/`is`/`hm` that
 *   expire: every Get Job mints fresh ones valid for `ttlMs`.
 * Grid cells are served as real PNGs named `.png` (not `.jpeg`): the bytes
 * must be decodable and the extension must not lie about the content type.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AssetStore } from './assets';
import { serveAsset } from './assets';
import type { Reply, RouteContext } from './router';

const ACCESS_DENIED_HTML =
  '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Access denied | cdn.midjourney.com used Cloudflare to restrict access</title></head>' +
  '<body><h1>Access denied</h1><p>You do not have access to cdn.midjourney.com.</p><p>The site owner may have set restrictions that prevent you from accessing the site.</p></body></html>';

export const DEFAULT_ATTACHMENT_TTL_MS = 10 * 60 * 1000;

function text(status: number, body: string, contentType = 'text/plain; charset=utf-8'): Reply {
  return { status, headers: { 'content-type': contentType }, body };
}

function header(ctx: RouteContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** cdn.midjourney.com lets browsers through and refuses scripts. */
export function looksLikeBrowser(ctx: RouteContext): boolean {
  const ua = header(ctx, 'user-agent') ?? '';
  const accept = header(ctx, 'accept');
  return ua.includes('Mozilla/5.0') && ua.includes('Chrome/') && accept !== undefined && accept.length > 0;
}

export function accessDenied(): Reply {
  return text(403, ACCESS_DENIED_HTML, 'text/html; charset=UTF-8');
}

/**
 * Discord's signed-URL scheme: `ex` (expiry) and `is` (issued) are hex Unix
 * *seconds* as on the real CDN, `hm` an HMAC over path + both. The secret is
 * per emulator, so URLs from another run are rejected like forged ones.
 */
export class DiscordSigner {
  private readonly secret = randomBytes(16);
  ttlMs = DEFAULT_ATTACHMENT_TTL_MS;

  private mac(canonical: string, ex: string, is: string): string {
    return createHmac('sha256', this.secret).update(`${canonical}|${ex}|${is}`).digest('hex');
  }

  /** Query string for `canonical` (= `<channel>/<id>/<filename>`) minted at `now`. */
  sign(canonical: string, now: number): string {
    const ex = Math.ceil((now + this.ttlMs) / 1000).toString(16);
    const is = Math.floor(now / 1000).toString(16);
    return `ex=${ex}&is=${is}&hm=${this.mac(canonical, ex, is)}&`;
  }

  /** 'ok', 'forged' (missing/bad signature → 403) or 'expired' (→ 404). */
  check(canonical: string, q: URLSearchParams, now: number): 'ok' | 'forged' | 'expired' {
    const ex = q.get('ex');
    const is = q.get('is');
    const hm = q.get('hm');
    if (ex === null || is === null || hm === null || !/^[0-9a-f]{1,12}$/.test(ex) || !/^[0-9a-f]{1,12}$/.test(is) || !/^[0-9a-f]{64}$/.test(hm)) return 'forged';
    const expected = Buffer.from(this.mac(canonical, ex, is));
    if (!timingSafeEqual(Buffer.from(hm), expected)) return 'forged';
    return now >= parseInt(ex, 16) * 1000 ? 'expired' : 'ok';
  }
}

/** GET /discord/attachments/* and /discord-media/attachments/* (route 'useapi.discord'). */
export function serveDiscord(ctx: RouteContext, signer: DiscordSigner, store: AssetStore): Reply {
  const canonical = ctx.params['*'] ?? '';
  if (!/^\d+\/\d+\/[^/]+$/.test(canonical)) return text(404, 'This content is no longer available.');
  switch (signer.check(canonical, ctx.query, ctx.clock.now())) {
    case 'forged':
      return text(403, 'Forbidden');
    case 'expired':
      return text(404, 'This content is no longer available.');
    case 'ok':
      return serveAsset(ctx, store, `discord/${canonical}`);
  }
}

/** Serves a CDN file after the caller has decided it exists (and, for direct hits, that the client looks like a browser). */
export function serveCdnFile(ctx: RouteContext, store: AssetStore, mjUuid: string, file: string): Reply {
  return serveAsset(ctx, store, `cdn-midjourney/${mjUuid}/${file}`);
}
