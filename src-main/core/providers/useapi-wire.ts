/**
 * useapi.net Midjourney v3 wire shapes (seed 003 and providers.md) and their
 * mapping into the common job model. Parsing is tolerant: unknown fields stay
 * in `raw`, one odd asset or list item never hides the rest.
 */
import { z } from 'zod';
import { jobKey } from '../../../src-shared/job';
import type { Asset, JobError, JobStatus, Modality } from '../../../src-shared/job';
import type { ProviderJob, RunningSnapshot } from './provider';
import { lenientNumber, lenientText, lenientTime } from './lenient-wire';

const STATUS_MAP: Record<string, JobStatus> = {
  created: 'queued',
  started: 'running',
  progress: 'running',
  completed: 'completed',
  failed: 'failed',
  moderated: 'failed',
};

/**
 * What a running-list entry says about status: the list holds created, started
 * and progress jobs alike, so it can only say "running", never which of them.
 */
export const LISTED_RAW_STATUS = 'running (listed)';

const ResponseWire = z.looseObject({
  content: lenientText,
  progress_percent: lenientNumber,
  imageUx: z.array(z.unknown()).nullish().catch(null),
  videoUx: z.array(z.unknown()).nullish().catch(null),
  attachments: z.array(z.unknown()).nullish().catch(null),
  embeds: z.array(z.unknown()).nullish().catch(null),
});

export const UseapiJobWire = z.looseObject({
  jobid: z.string(),
  verb: lenientText,
  jobType: lenientText,
  status: z.string(),
  created: lenientTime,
  updated: lenientTime,
  error: lenientText,
  errorDetails: lenientText,
  code: z.union([z.number(), z.string()]).nullish().catch(null),
  request: z
    .looseObject({ prompt: lenientText, button: lenientText, jobId: lenientText, channel: lenientText })
    .nullish()
    .catch(null),
  response: ResponseWire.nullish().catch(null),
});
export type UseapiJobWire = z.infer<typeof UseapiJobWire>;

// Only the URL is required: odd metadata must never cost a finished job its file.
const UxWire = z.looseObject({ id: lenientNumber, url: z.string() });
const AttachmentWire = z.looseObject({
  id: lenientText,
  url: z.string(),
  proxy_url: lenientText,
  filename: lenientText,
  size: lenientNumber,
  width: lenientNumber,
  height: lenientNumber,
  content_type: lenientText,
});
const EmbedWire = z.looseObject({ title: z.string().nullish(), description: z.string().nullish() });

export const RunningListWire = z.looseObject({
  total: z.number().nullish(),
  channels: z.record(z.string(), z.looseObject({ total: z.number().nullish(), maxJobs: z.number().nullish(), jobs: z.array(z.unknown()).nullish() })).nullish(),
});
const ListedJobWire = z.looseObject({
  jobId: z.string(),
  channel: z.string().nullish(),
  jobType: z.string().nullish(),
  created: z.string().nullish(),
  elapsed: z.string().nullish(),
});

/** jobType when given, else the id's i/v letter, else image (Midjourney's default). */
export function useapiModality(jobType: string | null | undefined, jobid: string): Modality {
  if (jobType === 'video') return 'video';
  if (jobType === 'image') return 'image';
  return /^j\d+v-/i.test(jobid) ? 'video' : 'image';
}

const intOrNull = (value: number | null | undefined, min: number): number | null =>
  typeof value === 'number' && Number.isInteger(value) && value >= min ? value : null;

function base(kind: Asset['kind'], url: string, index: number, meta: Record<string, unknown>): Asset {
  return { kind, url, index, filename: null, contentType: null, size: null, width: null, height: null, meta };
}

/** Grid cells (imageUx/videoUx, on cdn.midjourney.com) then Discord attachments (the first is the whole grid). */
export function useapiAssets(response: UseapiJobWire['response']): Asset[] {
  if (!response) return [];
  const out: Asset[] = [];
  const cells = (items: unknown[] | null | undefined, kind: 'image' | 'video'): void => {
    (items ?? []).forEach((item, position) => {
      const cell = UxWire.safeParse(item);
      if (!cell.success) return;
      const id = intOrNull(cell.data.id, 1);
      // `midjourneyCdn` tells the downloader this host wants browser-like headers (or the useapi.net proxy).
      out.push(base(kind, cell.data.url, id === null ? position : id - 1, { cell: cell.data.id ?? position + 1, midjourneyCdn: true }));
    });
  };
  cells(response.imageUx, 'image');
  cells(response.videoUx, 'video');
  let others = 0;
  let first = true;
  for (const item of response.attachments ?? []) {
    const attachment = AttachmentWire.safeParse(item);
    if (!attachment.success) continue;
    const a = attachment.data;
    // Discord URLs are signed and expire: the proxy URL and id let a downloader refresh them.
    const meta: Record<string, unknown> = { discord: true, proxyUrl: a.proxy_url ?? null, ...(a.id ? { attachmentId: a.id } : {}) };
    out.push({
      kind: first ? 'grid' : 'other',
      url: a.url,
      index: first ? 0 : others++,
      filename: a.filename ?? null,
      contentType: a.content_type ?? null,
      size: intOrNull(a.size, 0),
      width: intOrNull(a.width, 1),
      height: intOrNull(a.height, 1),
      meta,
    });
    first = false;
  }
  return out;
}

/** error / errorDetails / code, plus the moderation embeds' text the service did not already repeat there. */
function useapiError(wire: UseapiJobWire, status: JobStatus): JobError | null {
  const moderated = wire.status === 'moderated';
  if (!wire.error && !wire.errorDetails && status !== 'failed') return null;
  const message = wire.error ?? (moderated ? 'Midjourney moderated this prompt.' : 'The job failed.');
  const pieces: string[] = [];
  const add = (text: string | null | undefined): void => {
    const t = text?.trim();
    if (t && t !== message && !pieces.includes(t)) pieces.push(t);
  };
  add(wire.errorDetails);
  for (const item of wire.response?.embeds ?? []) {
    const embed = EmbedWire.safeParse(item);
    if (!embed.success) continue;
    add(embed.data.title);
    add(embed.data.description);
  }
  return { message, code: wire.code ?? null, details: pieces.length > 0 ? pieces.join('\n') : null };
}

/** The request's prompt; a button job without one reads "U1 of <parent id>". */
function useapiPrompt(wire: UseapiJobWire): string | null {
  const request = wire.request;
  if (request?.prompt) return request.prompt;
  if (request?.button) return `${request.button} of ${request.jobId ?? 'an earlier job'}`;
  return null;
}

export function normalizeUseapiJob(wire: UseapiJobWire, id: string, accountId: string): ProviderJob {
  // An unknown status keeps the job watched rather than guessing it finished.
  const status = STATUS_MAP[wire.status.toLowerCase()] ?? 'running';
  const terminal = status === 'completed' || status === 'failed';
  const percent = wire.response?.progress_percent ?? 0;
  return {
    key: jobKey('useapi', accountId, id),
    provider: 'useapi',
    accountId,
    id,
    status,
    rawStatus: wire.status,
    modality: useapiModality(wire.jobType, id),
    model: 'midjourney',
    prompt: useapiPrompt(wire),
    progress: status === 'completed' ? 100 : Math.min(100, Math.max(0, Math.round(percent))),
    assets: useapiAssets(wire.response),
    error: useapiError(wire, status),
    cost: null,
    webhookStatus: null,
    createdAt: wire.created ?? null,
    updatedAt: wire.updated ?? null,
    completedAt: terminal ? (wire.updated ?? null) : null,
    raw: wire,
  };
}

/**
 * The running list as partial jobs (status-only news: merging keeps what a
 * Get Job told us before) plus each channel's load. `normalizeId` maps a
 * listed id to the form job keys use.
 */
export function normalizeRunningList(
  wire: z.infer<typeof RunningListWire>,
  accountId: string,
  normalizeId: (id: string) => string,
): Omit<RunningSnapshot, 'requests'> {
  const jobs: ProviderJob[] = [];
  const channels: RunningSnapshot['channels'] = [];
  for (const [channelId, channel] of Object.entries(wire.channels ?? {})) {
    const items = channel.jobs ?? [];
    channels.push({ id: channelId, running: intOrNull(channel.total, 0) ?? items.length, maxJobs: intOrNull(channel.maxJobs, 0) });
    for (const item of items) {
      const listed = ListedJobWire.safeParse(item);
      if (!listed.success) continue;
      const id = normalizeId(listed.data.jobId);
      jobs.push({
        key: jobKey('useapi', accountId, id),
        provider: 'useapi',
        accountId,
        id,
        status: 'running',
        rawStatus: LISTED_RAW_STATUS,
        modality: useapiModality(listed.data.jobType, id),
        model: 'midjourney',
        prompt: null,
        progress: 0,
        assets: [],
        error: null,
        cost: null,
        webhookStatus: null,
        createdAt: listed.data.created ?? null,
        updatedAt: null,
        completedAt: null,
        // The list item (channel, elapsed) for jobs first seen here; merging keeps a richer raw.
        raw: { ...listed.data, channel: listed.data.channel ?? channelId },
        partial: true,
      });
    }
  }
  return { jobs, channels };
}
