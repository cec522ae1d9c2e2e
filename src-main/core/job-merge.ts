/**
 * Merges what a provider just said about a job into what we already knew,
 * so a poorer answer (a list item's bare URL, a refunded cost of 0) never
 * erases a richer one we saw before.
 */
import { isTerminalStatus } from '../../src-shared/job';
import type { Job } from '../../src-shared/job';
import type { ProviderJob } from './providers/provider';

type Watch = Job['watch'];

function onlyListAssets(job: Pick<Job, 'assets'>): boolean {
  return job.assets.every((a) => a.meta['fromList'] === true);
}

/**
 * Whether what we know of a job's results is less than the job has: none, or
 * a list item's single bare URL (Apiframe's history list gives one image of
 * a grid and its upscales). Downloading "everything" of such a job means
 * asking the provider for the job itself first.
 */
export function needsFullResult(job: Pick<Job, 'assets'>): boolean {
  return job.assets.length === 0 || job.assets.some((a) => a.meta['fromList'] === true);
}

export function mergeJob(previous: Job | undefined, incoming: ProviderJob, watch: Watch): Job {
  const { partial, ...next } = incoming;
  if (!previous) return { ...next, watch };
  if (isTerminalStatus(previous.status) && !isTerminalStatus(next.status)) {
    // A stale answer (a history page or running list fetched before the job finished, merged after):
    // a finished job never becomes unfinished again, or it would be watched again and its automatic
    // download could fire twice. The finished answer's status, progress, assets, error, cost,
    // completedAt and watch state stay; only what was not known yet is filled in.
    return {
      ...previous,
      prompt: previous.prompt ?? next.prompt,
      model: previous.model ?? next.model,
      modality: previous.modality === 'unknown' ? next.modality : previous.modality,
      createdAt: previous.createdAt ?? next.createdAt,
    };
  }
  if (partial) {
    // Status-only news (a running-list entry): keep everything richer we knew,
    // including a known raw status the list cannot tell apart ("created" vs "progress"),
    // and fill in only what we did not know yet.
    const keepStatus = previous.rawStatus !== 'UNKNOWN' && !isTerminalStatus(previous.status) && !isTerminalStatus(next.status);
    return {
      ...previous,
      status: keepStatus ? previous.status : next.status,
      rawStatus: keepStatus ? previous.rawStatus : next.rawStatus,
      progress: Math.max(previous.progress, next.progress),
      modality: previous.modality === 'unknown' ? next.modality : previous.modality,
      model: previous.model ?? next.model,
      createdAt: previous.createdAt ?? next.createdAt,
      watch,
    };
  }
  const listOnly = next.assets.length > 0 && onlyListAssets(next);
  const keepAssets =
    previous.assets.length > 0 && (next.assets.length === 0 || (onlyListAssets(next) && !onlyListAssets(previous)));
  const refundedCost =
    next.cost?.refunded && next.cost.credits === 0 && previous.cost && previous.cost.credits > 0
      ? { credits: previous.cost.credits, refunded: true }
      : next.cost;
  return {
    ...next,
    // A later answer in the same state never moves the bar back (a missing progress field reads as 0).
    progress: next.status === previous.status ? Math.max(previous.progress, next.progress) : next.progress,
    prompt: next.prompt ?? previous.prompt,
    model: next.model ?? previous.model,
    // A list item's modality is a guess from the model name (a Midjourney video's bare URL reads as an
    // image): only a full result may change a modality already known.
    modality: next.modality === 'unknown' || (listOnly && previous.modality !== 'unknown') ? previous.modality : next.modality,
    assets: keepAssets ? previous.assets : next.assets,
    cost: refundedCost ?? previous.cost,
    createdAt: next.createdAt ?? previous.createdAt,
    watch,
    // Download state is the core's, not the provider's: a fresh answer keeps it.
    ...(previous.downloaded ? { downloaded: previous.downloaded } : {}),
  };
}

/** The row shown the moment an id is added, before the provider has answered. */
export function placeholderJob(base: Pick<Job, 'key' | 'provider' | 'accountId' | 'id'>): Job {
  return {
    ...base,
    status: 'queued',
    rawStatus: 'UNKNOWN',
    modality: 'unknown',
    model: null,
    prompt: null,
    progress: 0,
    assets: [],
    error: null,
    cost: null,
    webhookStatus: null,
    createdAt: null,
    updatedAt: null,
    completedAt: null,
    watch: { state: 'watching', message: 'Waiting for the first answer from the provider.', lastCheckedAt: null, progressAt: null },
    raw: null,
  };
}
