/**
 * What a provider adapter is. Adding a provider means one file implementing
 * this plus one emulator module; the poller, store and renderer stay as they are.
 */
import type { Job, ProviderId } from '../../../src-shared/job';
import type { Result } from '../../../src-shared/result';
import type { Clock, HttpPort } from '../ports';

/** A job as a provider reports it; the watcher adds its own `watch` state. */
export type ProviderJob = Omit<Job, 'watch'> & {
  /**
   * Set when the provider reported only part of the job (a list item without
   * progress or full result): merging keeps the richer fields known before.
   */
  partial?: boolean;
};

export interface ProviderContext {
  http: HttpPort;
  clock: Clock;
  baseUrl: string;
  apiKey: string;
  accountId: string;
}

export type ParsedId = { ok: true; id: string } | { ok: false; reason: string };

export interface ListQuery {
  status?: string;
  model?: string;
  limit?: number;
  cursor?: string;
  scope?: 'user' | 'team';
  search?: string;
}

export interface ListPage {
  jobs: ProviderJob[];
  nextCursor: string | null;
  hasMore: boolean;
}

/** What one batched look at an account's running jobs returned. */
export interface RunningSnapshot {
  /** Every job the account is running right now, as far as the provider lists them. */
  jobs: ProviderJob[];
  /** Requests it took (for the poller's budget and the benchmarks). */
  requests: number;
  /** Per-channel load where the provider has channels (useapi.net); null where it has none. */
  channels: { id: string; running: number; maxJobs: number | null }[] | null;
}

export interface ProviderAdapter {
  readonly id: ProviderId;
  readonly label: string;
  readonly defaultBaseUrl: string;
  /** Environment variables for headless use. */
  readonly env: { apiKey: string; baseUrl: string };
  /** Validates (and normalises) one pasted token before any request is made. */
  parseId(token: string): ParsedId;
  getJob(context: ProviderContext, id: string): Promise<Result<ProviderJob>>;
  /** One page of the account's job history (providers that have a history list). */
  listJobs?(context: ProviderContext, query: ListQuery): Promise<Result<ListPage>>;
  /**
   * Every running job of the account in as few requests as the API allows, so
   * the request rate stays flat however many jobs run. Jobs that finished are
   * simply absent: the poller fetches those once by id.
   */
  listRunning?(context: ProviderContext, options: { scope: 'user' | 'team' }): Promise<Result<RunningSnapshot>>;
  /** Cancels a running job (providers whose API allows it). */
  cancelJob?(context: ProviderContext, id: string): Promise<Result<null>>;
  /** The newest jobs (one small page): how jobs started elsewhere are discovered. */
  listRecent?(context: ProviderContext, options: { scope: 'user' | 'team' }): Promise<Result<ProviderJob[]>>;
  /**
   * Listed running jobs refreshed by id each batched cycle, oldest-checked
   * first, for providers whose running list carries no progress (useapi.net):
   * keeps progress bars moving at a fixed, small cost per cycle.
   */
  readonly progressRefreshPerCycle?: number;
  /** The fewest requests one `listRunning` call makes (Apiframe: a QUEUED and a PROCESSING page). Default 1. */
  readonly runningListRequests?: number;
  /** How long to wait before checking a running job again (seed guidance). */
  pollIntervalMs(job: Pick<Job, 'modality' | 'status'>): number;
}

export const USER_AGENT = 'genwatch/0.1 (+desktop job monitor)';

/**
 * Why this key cannot be sent in a request header, in one sentence, or null.
 * Keys are visible ASCII; a line break (a CRLF .env file), a zero-width space
 * or a non-ASCII character pasted with it would otherwise fail every request
 * as if the network were down, retried forever.
 */
export function unsendableKeyProblem(key: string, label: string): string | null {
  return /^[\x21-\x7e]+$/.test(key) ? null : `The ${label} key contains a character that cannot be sent (a line break, a space or a non-ASCII character copied with it): enter it again.`;
}
