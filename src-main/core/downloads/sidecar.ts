/**
 * `<jobId>.json` next to a job's files: what the job was (prompt, model, ids,
 * times, cost) and which file came from which asset. Source URLs are left
 * out when privacy is on (cdn.midjourney.com URLs identify the account).
 */
import type { Asset, Job } from '../../../src-shared/job';
import { parentJobIdOf } from './naming';
import type { XmpFields } from './xmp-metadata';

export const SIDECAR_VERSION = 1;

export interface SidecarFile {
  file: string;
  kind: Asset['kind'];
  index: number;
  size: number;
  /** Only with checksums on. */
  sha256?: string;
  contentType: string | null;
  width: number | null;
  height: number | null;
  sourceUrl?: string;
}

export interface Sidecar {
  genwatch: number;
  provider: string;
  account: string;
  jobId: string;
  status: string;
  modality: string;
  model: string | null;
  prompt: string | null;
  createdAt: string | null;
  completedAt: string | null;
  cost: { credits: number; refunded: boolean } | null;
  files: SidecarFile[];
}

export function buildSidecar(job: Job, files: readonly SidecarFile[], privacy: boolean): Sidecar {
  return {
    genwatch: SIDECAR_VERSION,
    provider: job.provider,
    account: job.accountId,
    jobId: job.id,
    status: job.status,
    modality: job.modality,
    model: job.model,
    prompt: job.prompt,
    createdAt: job.createdAt,
    completedAt: job.completedAt,
    cost: job.cost,
    files: files.map((f) => {
      if (!privacy) return { ...f };
      const { sourceUrl: _dropped, ...rest } = f;
      return rest;
    }),
  };
}

/** Adds or replaces `file` (by kind+index) in an existing sidecar's list. */
export function mergeSidecarFiles(existing: unknown, file: SidecarFile): SidecarFile[] {
  const list: SidecarFile[] = [];
  if (typeof existing === 'object' && existing !== null && Array.isArray((existing as { files?: unknown }).files)) {
    for (const f of (existing as { files: unknown[] }).files) {
      if (typeof f !== 'object' || f === null) continue;
      const s = f as SidecarFile;
      if (typeof s.file === 'string' && typeof s.kind === 'string' && typeof s.index === 'number' && !(s.kind === file.kind && s.index === file.index)) list.push(s);
    }
  }
  list.push(file);
  return list.sort((a, b) => (a.kind === b.kind ? a.index - b.index : a.kind < b.kind ? -1 : 1));
}

/** The PNG text entries for a job's file (see png-metadata.ts). */
export function pngTextFor(job: Job, sourceUrl: string, privacy: boolean): Record<string, string> {
  const entries: Record<string, string> = {
    Description: job.prompt ?? '',
    Software: 'genwatch',
    'genwatch.provider': job.provider,
    'genwatch.jobId': job.id,
    'genwatch.model': job.model ?? '',
  };
  if (job.completedAt !== null) entries['Creation Time'] = job.completedAt;
  if (!privacy) entries['Source'] = sourceUrl;
  return entries;
}

/** The XMP properties for a job's JPEG/WebP file (see xmp-metadata.ts); no source URL when privacy is on. */
export function xmpFieldsFor(job: Job, sourceUrl: string, privacy: boolean): XmpFields {
  return {
    description: job.prompt,
    source: privacy ? null : sourceUrl,
    provider: job.provider,
    account: job.accountId,
    jobId: job.id,
    parentJobId: parentJobIdOf(job),
    model: job.model,
    createdAt: job.createdAt,
    completedAt: job.completedAt,
  };
}
