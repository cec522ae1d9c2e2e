/**
 * What kind of failure a provider's reason describes, in plain words
 * (moderation, a bad parameter, a timeout, a cancel, or the provider's own
 * trouble): the provider's text stays beside it, word for word.
 */
import type { Job } from '../../../src-shared/job';

export type FailureKind = 'moderated' | 'parameter' | 'timeout' | 'cancelled' | 'provider';

export const FAILURE_LABELS: Record<FailureKind, string> = {
  moderated: 'Blocked by moderation',
  parameter: 'Bad parameter',
  timeout: 'Timed out',
  cancelled: 'Cancelled',
  provider: 'Provider error',
};

const MODERATION = /moderat|banned|content polic|community (standards|guidelines)|nsfw|inappropriate|flagged|prohibited|safety (filter|system)/;
const CANCELLED = /\bcancel+ed\b/;
const TIMEOUT = /time ?out|timed out|took too long/;
const PARAMETER = /invalid|unrecognized|unknown (parameter|option|argument)|not a valid|parameter|--[a-z]+\b.*(not|must|expect)/;

export function failureKind(job: Pick<Job, 'rawStatus' | 'error'>): FailureKind {
  if (job.rawStatus.toLowerCase() === 'moderated') return 'moderated';
  const text = `${job.error?.message ?? ''} ${job.error?.details ?? ''}`.toLowerCase();
  if (MODERATION.test(text)) return 'moderated';
  if (CANCELLED.test(text)) return 'cancelled';
  if (TIMEOUT.test(text)) return 'timeout';
  if (PARAMETER.test(text)) return 'parameter';
  return 'provider';
}
