/**
 * What a provider adapter is. Adding a provider means one file implementing
 * this plus one emulator module; the poller, store and renderer stay as they are.
 */
import type { Job, ProviderId } from '../../../src-shared/job';
import type { Result } from '../../../src-shared/result';
import type { Clock, HttpPort } from '../ports';

/** A job as a provider reports it; the watcher adds its own `watch` state. */
export type ProviderJob = Omit<Job, 'watch'>;

export interface ProviderContext {
  http: HttpPort;
  clock: Clock;
  baseUrl: string;
  apiKey: string;
  accountId: string;
}

export type ParsedId = { ok: true; id: string } | { ok: false; reason: string };

export interface ProviderAdapter {
  readonly id: ProviderId;
  readonly label: string;
  readonly defaultBaseUrl: string;
  /** Environment variables for headless use. */
  readonly env: { apiKey: string; baseUrl: string };
  /** Validates (and normalises) one pasted token before any request is made. */
  parseId(token: string): ParsedId;
  getJob(context: ProviderContext, id: string): Promise<Result<ProviderJob>>;
  /** How long to wait before checking a running job again (seed guidance). */
  pollIntervalMs(job: Pick<Job, 'modality' | 'status'>): number;
}

export const USER_AGENT = 'genwatch/0.1 (+desktop job monitor)';
