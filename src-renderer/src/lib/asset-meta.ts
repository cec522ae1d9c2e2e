/** How the detail panel names a job's result files and shows their provider metadata. */
import type { Asset } from '../../../src-shared/job';
import { bytes } from './format';

/**
 * Meta keys main records for itself (where a URL came from, how to refresh
 * or fetch it), not for the user: never shown.
 */
const INTERNAL_META: ReadonlySet<string> = new Set(['field', 'fromList', 'cell', 'midjourneyCdn', 'discord', 'proxyUrl', 'attachmentId']);

/** The file's own name, else its kind and 1-based number: "audio 2". */
export function assetName(asset: Pick<Asset, 'filename' | 'kind' | 'index'>): string {
  return asset.filename ?? `${asset.kind} ${asset.index + 1}`;
}

/** "audio/mpeg · 1024×1024 · 3.1 MB"; the kind only when the name does not already say it. */
export function assetFacts(asset: Pick<Asset, 'filename' | 'kind' | 'contentType' | 'width' | 'height' | 'size'>): string {
  const parts: string[] = asset.filename === null ? [] : [asset.kind];
  if (asset.contentType) parts.push(asset.contentType);
  if (asset.width && asset.height) parts.push(`${asset.width}×${asset.height}`);
  if (asset.size !== null) parts.push(bytes(asset.size));
  return parts.join(' · ');
}

/** A music track's title, when the provider gave one. */
export function trackTitle(asset: Pick<Asset, 'meta'>): string | null {
  const t = asset.meta['title'];
  return typeof t === 'string' && t.trim() ? t : null;
}

function metaValue(key: string, value: unknown): string {
  if (typeof value === 'number' && /duration|length/i.test(key)) {
    const s = Math.round(value);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  }
  // Main numbers tracks from 0, people from 1.
  if (key === 'track' && typeof value === 'number') return String(value + 1);
  return String(value);
}

/** Provider metadata of an asset (a track's title, duration, tags…) as label/value pairs, at most 12. */
export function metaEntries(asset: Pick<Asset, 'meta'>): [string, string][] {
  return Object.entries(asset.meta)
    .filter(([k, v]) => !INTERNAL_META.has(k) && v !== null && v !== undefined && v !== '' && typeof v !== 'object')
    .slice(0, 12)
    .map(([k, v]) => [k.replace(/[_-]+/g, ' '), metaValue(k, v)]);
}
