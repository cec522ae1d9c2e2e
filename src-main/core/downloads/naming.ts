/**
 * Where a file goes: a naming template such as
 * `{provider}/{date}/{jobId}_{index}.{ext}` rendered for one asset of one
 * job, then sanitised (sanitise.ts). Pure, so settings can preview it live.
 */
import type { Asset, Job } from '../../../src-shared/job';
import type { Result } from '../../../src-shared/result';
import { err, ok } from '../../../src-shared/result';
import { DEFAULT_DOWNLOAD_TEMPLATE, TEMPLATE_VARIABLES } from '../../../src-shared/template-variables';
import type { TemplateVariable } from '../../../src-shared/template-variables';
import { sanitiseRelativePath, truncateUtf8 } from './sanitise';

export { TEMPLATE_VARIABLES, TEMPLATE_VARIABLE_DESCRIPTIONS } from '../../../src-shared/template-variables';
export type { TemplateVariable } from '../../../src-shared/template-variables';
/** The default layout, defined once in src-shared. */
export const DEFAULT_TEMPLATE = DEFAULT_DOWNLOAD_TEMPLATE;

const KNOWN_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'webp', 'gif', 'avif', 'heic', 'bmp', 'tif', 'tiff', 'mp4', 'webm', 'mov', 'm4v', 'mkv', 'mp3', 'wav', 'm4a', 'aac', 'ogg', 'oga', 'opus', 'flac', 'json', 'txt', 'zip', 'glb', 'gltf', 'obj', 'bin']);

const TYPE_EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/jpg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif',
  'image/heic': 'heic',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'video/quicktime': 'mov',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/ogg': 'ogg',
  'audio/flac': 'flac',
  'application/json': 'json',
  'text/plain': 'txt',
  'model/gltf-binary': 'glb',
};

const KIND_EXTENSIONS: Record<Asset['kind'], string> = {
  image: 'png',
  grid: 'png',
  cover: 'jpg',
  video: 'mp4',
  audio: 'mp3',
  other: 'bin',
};

function extOfName(name: string | null | undefined): string | null {
  if (name === null || name === undefined) return null;
  const m = /\.([A-Za-z0-9]{1,5})$/.exec(name);
  const ext = m?.[1]?.toLowerCase();
  if (ext === undefined || !KNOWN_EXTENSIONS.has(ext)) return null;
  return ext === 'jpeg' ? 'jpg' : ext;
}

export function extensionFromContentType(contentType: string | null | undefined): string | null {
  if (contentType === null || contentType === undefined) return null;
  const mime = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return TYPE_EXTENSIONS[mime] ?? null;
}

export function extensionFromUrl(url: string): string | null {
  try {
    const path = decodeURIComponent(new URL(url).pathname);
    return extOfName(path.slice(path.lastIndexOf('/') + 1));
  } catch {
    return null;
  }
}

/**
 * The file extension: URL path, then the provider's filename, then a known
 * Content-Type, then the asset kind. `confident` is false for the kind
 * fallback, so the response's Content-Type may still correct it.
 */
export function inferExtension(asset: Pick<Asset, 'url' | 'filename' | 'contentType' | 'kind'>, responseType?: string | null): { ext: string; confident: boolean } {
  const known = extensionFromUrl(asset.url) ?? extOfName(asset.filename) ?? extensionFromContentType(asset.contentType) ?? extensionFromContentType(responseType);
  return known !== null ? { ext: known, confident: true } : { ext: KIND_EXTENSIONS[asset.kind], confident: false };
}

/** A prompt as a short file-name slug: letters and digits of any script, Midjourney `--params` dropped. */
export function promptSlug(prompt: string | null, maxBytes = 60): string {
  if (prompt === null) return 'no-prompt';
  const text = prompt
    .normalize('NFC')
    .replace(/\s--?[a-z]+(\s+[^\s-][^\s]*)?/gi, ' ')
    .replace(/<?https?:\/\/\S+>?/g, ' ')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  const cut = truncateUtf8(text, maxBytes).replace(/-+$/, '');
  return cut.length > 0 ? cut : 'no-prompt';
}

function shortIdOf(id: string): string {
  // useapi ids start with j<snowflake>i|v: the snowflake's tail is what differs between jobs.
  const useapi = /^j(\d+)[iv]/.exec(id);
  if (useapi?.[1] !== undefined) return useapi[1].slice(-8);
  return id.replace(/[^A-Za-z0-9]/g, '').slice(0, 8) || 'job';
}

function isoParts(iso: string | null): { date: string; time: string } {
  const ms = iso === null ? Number.NaN : Date.parse(iso);
  if (!Number.isFinite(ms)) return { date: 'undated', time: '00-00-00' };
  const d = new Date(ms).toISOString();
  return { date: d.slice(0, 10), time: d.slice(11, 19).replace(/:/g, '-') };
}

/**
 * The job this one was made from, when the provider says: useapi.net button
 * jobs (U1–U4, V1–V4, upscales, …) carry the grid's id in `raw.request.jobId`.
 * One level only: an upscale of an upscale names the first upscale.
 */
export function parentJobIdOf(job: Job): string | null {
  const raw = job.raw;
  if (typeof raw !== 'object' || raw === null) return null;
  const request = (raw as { request?: unknown }).request;
  if (typeof request !== 'object' || request === null) return null;
  const parent = (request as { jobId?: unknown }).jobId;
  return typeof parent === 'string' && parent.trim().length > 0 && parent !== job.id ? parent.trim() : null;
}

/** `{group}`: the parent job's id, else the job's own. */
export function groupIdOf(job: Job): string {
  return parentJobIdOf(job) ?? job.id;
}

/** One template variable's value for `asset` of `job` (computed only when a template uses it: renderName runs per file). */
function templateValue(name: TemplateVariable, job: Job, asset: Asset, ext: string): string {
  switch (name) {
    case 'provider':
      return job.provider;
    case 'account':
      return job.accountId;
    case 'date':
      return isoParts(job.completedAt ?? job.createdAt).date;
    case 'time':
      return isoParts(job.completedAt ?? job.createdAt).time;
    case 'jobId':
      return job.id;
    case 'shortId':
      return shortIdOf(job.id);
    case 'index':
      return String(job.assets.some((a) => a.kind === asset.kind) ? asset.index + 1 : 1);
    case 'n': {
      const position = job.assets.indexOf(asset);
      return String(position >= 0 ? position + 1 : asset.index + 1);
    }
    case 'kind':
      return asset.kind;
    case 'model':
      return job.model ?? 'unknown-model';
    case 'modality':
      return job.modality;
    case 'prompt':
      return promptSlug(job.prompt);
    case 'ext':
      return ext;
    case 'group':
      return groupIdOf(job);
  }
}

const PLACEHOLDER = /\{([A-Za-z]+)(?::(\d{1,3}))?\}/g;

/** Unknown variables and stray braces are errors, so settings can say what is wrong. */
export function validateTemplate(template: string): Result<string> {
  // The engine renders every file with the same template: checked once, not per file.
  if (template === lastChecked.template) return lastChecked.result;
  const result = checkTemplate(template);
  lastChecked = { template, result };
  return result;
}

let lastChecked: { template: string | null; result: Result<string> } = { template: null, result: ok('') };

function checkTemplate(template: string): Result<string> {
  const trimmed = template.trim();
  if (trimmed.length === 0) return err('invalid-input', 'The naming template is empty.');
  if (trimmed.length > 500) return err('invalid-input', 'The naming template is too long.');
  for (const m of trimmed.matchAll(PLACEHOLDER)) {
    const name = m[1] ?? '';
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) return err('invalid-input', `The naming template uses an unknown variable {${name}}.`);
  }
  if (/[{}]/.test(trimmed.replace(PLACEHOLDER, ''))) return err('invalid-input', 'The naming template has an unmatched brace.');
  // The file's type is the one it was downloaded as: a template adding its own (".exe", ".desktop")
  // would make "Open" run a downloaded file instead of showing it.
  if (!trimmed.endsWith('.{ext}')) return err('invalid-input', 'The naming template must end with .{ext}, so every file keeps the type it was downloaded as.');
  return ok(trimmed);
}

/**
 * Renders `template` for one asset into a sanitised relative path (forward
 * slashes). Variable values never create folders: their own separators are
 * replaced before substitution. `{prompt:40}` bounds the slug to 40 bytes.
 */
export function renderName(template: string, job: Job, asset: Asset, ext: string): Result<string> {
  const valid = validateTemplate(template);
  if (!valid.ok) return valid;
  const rendered = valid.value.replace(PLACEHOLDER, (_all, name: string, width: string | undefined) => {
    let value = name === 'prompt' && width !== undefined ? promptSlug(job.prompt, Number(width)) : templateValue(name as TemplateVariable, job, asset, ext);
    if (name !== 'prompt' && width !== undefined) value = truncateUtf8(value, Number(width));
    return value.replace(/[/\\]/g, '_');
  });
  return ok(sanitiseRelativePath(rendered));
}

/** A representative job for the settings preview when the user has none yet. */
export function sampleJob(): Job {
  return {
    key: 'apiframe:default:3f2c9a1e-5b7d-4c2e-9f10-2a6b8c4d0e11',
    provider: 'apiframe',
    accountId: 'default',
    id: '3f2c9a1e-5b7d-4c2e-9f10-2a6b8c4d0e11',
    status: 'completed',
    rawStatus: 'COMPLETED',
    modality: 'image',
    model: 'midjourney',
    prompt: 'A lighthouse on a cliff at dusk, oil painting --ar 16:9 --v 7',
    progress: 100,
    assets: [{ kind: 'image', url: 'https://cdn.example.com/3f2c9a1e/0.png', index: 0, filename: null, contentType: 'image/png', size: null, width: null, height: null, meta: {} }],
    error: null,
    cost: null,
    webhookStatus: null,
    createdAt: '2026-03-15T09:58:12.000Z',
    updatedAt: '2026-03-15T10:00:00.000Z',
    completedAt: '2026-03-15T10:00:00.000Z',
    watch: { state: 'done', message: null, lastCheckedAt: null, progressAt: null },
    raw: null,
  };
}

/** What `template` produces for `job` (default: a sample) — for the settings preview. */
export function previewName(template: string, job: Job = sampleJob()): Result<string> {
  const asset = job.assets[0] ?? sampleJob().assets[0];
  if (asset === undefined) return err('internal', 'The sample job has no asset.');
  return renderName(template, job, asset, inferExtension(asset).ext);
}
