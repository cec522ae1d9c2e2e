/**
 * useapi.net Midjourney v3 (seed 003): Get Job, the running-jobs list (one
 * request covers every running job of the account) and cancel. Account-level
 * answers (401, 402, 596) become auth / payment / account-hold errors so the
 * poller pauses the account instead of failing its jobs one by one.
 */
import { err, ok } from '../../../src-shared/result';
import type { AppError, Result } from '../../../src-shared/result';
import { httpError, malformedError, networkError, providerErrorText } from '../http-errors';
import type { HttpRequest, HttpResponse } from '../ports';
import type { ParsedId, ProviderAdapter, ProviderContext, ProviderJob, RunningSnapshot } from './provider';
import { unsendableKeyProblem, USER_AGENT } from './provider';
import { normalizeRunningList, normalizeUseapiJob, RunningListWire, UseapiJobWire } from './useapi-wire';

const LABEL = 'useapi.net';
/** Seed guidance: every 5 s, images and videos alike. */
export const USEAPI_INTERVAL_MS = 5_000;
/** useapi.net's "pending moderation message" status (moderation notice or CAPTCHA to acknowledge). */
const ACCOUNT_HOLD_STATUS = 596;

// Digit counts vary between accounts and over time: any run of digits is accepted, up to a bound
// well above today's (19) that keeps a pasted wall of digits from becoming a request URL no server takes.
const JOB_ID = /^j\d{1,40}[iv]-u\d{1,40}-c\d{1,40}-bot:midjourney$/;
const JOB_ID_INSIDE = /(?<![0-9a-z])j\d{1,40}[iv]-u\d{1,40}-c\d{1,40}-bot:midjourney(?![0-9a-z])/gi;
const WITHOUT_SUFFIX = /^j\d{1,40}[iv]-u\d{1,40}-c\d{1,40}$/;
const EXAMPLE_ID = 'j1023141520123456789i-u12345-c1234567890123456789-bot:midjourney';

/** A pasted id may be percent-encoded (copied from a request URL): `%3A` is the ':' before midjourney. */
function decodeLoosely(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%3a/gi, ':');
  }
}

export function parseUseapiId(token: string): ParsedId {
  const trimmed = decodeLoosely(token.trim().replace(/^["'<(`]+|[>"')`]+$/g, '')).toLowerCase();
  if (JOB_ID.test(trimmed)) return { ok: true, id: trimmed };
  const inside = [...new Set(trimmed.match(JOB_ID_INSIDE) ?? [])];
  if (inside.length === 1 && inside[0]) return { ok: true, id: inside[0] };
  if (inside.length > 1) return { ok: false, reason: 'contains more than one useapi.net job id; paste them separately' };
  if (WITHOUT_SUFFIX.test(trimmed)) return { ok: false, reason: 'is missing the "-bot:midjourney" ending of a useapi.net job id' };
  return { ok: false, reason: `not a useapi.net job id (they look like ${EXAMPLE_ID})` };
}

/** The id's path segment: ':' must not reach the URL unescaped. */
const jobPath = (id: string): string => `/v3/midjourney/jobs/${encodeURIComponent(id)}`;

function pendingModMessage(body: string): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'pendingModMessage' in parsed) {
      const value = (parsed as { pendingModMessage: unknown }).pendingModMessage;
      if (typeof value === 'string' && value.trim().length > 0) return value.trim().slice(0, 300);
    }
  } catch {
    // not JSON: the generic wording below is enough
  }
  return null;
}

/** Maps a non-success answer; `notFound` words the 404 for the call at hand. */
export function useapiError(response: HttpResponse, nowMs: number, notFound: string): { ok: false; error: AppError } {
  const status = response.status;
  switch (status) {
    case 400:
      return err('invalid-input', `useapi.net rejected the request: ${providerErrorText(response.body) ?? 'bad request'}.`, { status });
    case 401:
      return err('auth', 'useapi.net rejected the API token: check or replace it in Settings (or USEAPI_TOKEN).', { status });
    case 402:
      return err('payment', 'useapi.net: the account has no active subscription (or it expired); renew it at useapi.net, then resume the account.', { status });
    case 404:
      return err('not-found', notFound, { status });
    case 410:
      return err('expired', 'useapi.net no longer has this job: it is older than 62 days and was deleted by useapi.net.', { status });
    case ACCOUNT_HOLD_STATUS: {
      const text = pendingModMessage(response.body);
      return err(
        'account-hold',
        `useapi.net holds this account until you acknowledge a moderation/CAPTCHA message in Midjourney${text ? ` ("${text}")` : ''}; acknowledge it there, then resume the account.`,
        { status },
      );
    }
    default:
      return { ok: false, error: httpError(response, nowMs, LABEL) };
  }
}

/** One request to the useapi.net API; transport failures become typed errors. */
async function send(context: ProviderContext, method: HttpRequest['method'], path: string): Promise<Result<HttpResponse>> {
  const base = context.baseUrl.replace(/\/+$/, '');
  const keyProblem = unsendableKeyProblem(context.apiKey, LABEL);
  if (keyProblem !== null) return err('auth', keyProblem);
  try {
    return ok(
      await context.http.request({
        method,
        url: `${base}${path}`,
        headers: { authorization: `Bearer ${context.apiKey}`, accept: 'application/json', 'user-agent': USER_AGENT },
        timeoutMs: 30_000,
      }),
    );
  } catch (error) {
    return { ok: false, error: networkError(error, LABEL) };
  }
}

async function getJson(context: ProviderContext, path: string, notFound: string): Promise<Result<unknown>> {
  const sent = await send(context, 'GET', path);
  if (!sent.ok) return sent;
  if (sent.value.status !== 200) return useapiError(sent.value, context.clock.now(), notFound);
  try {
    return ok(JSON.parse(sent.value.body) as unknown);
  } catch {
    return { ok: false, error: malformedError(LABEL, 'invalid JSON') };
  }
}

async function getJob(context: ProviderContext, id: string): Promise<Result<ProviderJob>> {
  const json = await getJson(context, jobPath(id), 'useapi.net has no job with this id for this token (wrong account, or a typo).');
  if (!json.ok) return json;
  const parsed = UseapiJobWire.safeParse(json.value);
  if (!parsed.success) return { ok: false, error: malformedError(LABEL, 'unexpected job shape') };
  // Keyed by the id we asked for, so the answer always lands on the tracked job.
  return ok(normalizeUseapiJob(parsed.data, id, context.accountId));
}

async function listRunning(context: ProviderContext): Promise<Result<RunningSnapshot>> {
  const json = await getJson(context, '/v3/midjourney/jobs', 'useapi.net could not find the running-jobs list for this token.');
  if (!json.ok) return json;
  const parsed = RunningListWire.safeParse(json.value);
  if (!parsed.success) return { ok: false, error: malformedError(LABEL, 'unexpected running-jobs list') };
  const normalizeId = (raw: string): string => {
    const id = parseUseapiId(raw);
    return id.ok ? id.id : raw;
  };
  return ok({ ...normalizeRunningList(parsed.data, context.accountId, normalizeId), requests: 1 });
}

async function cancelJob(context: ProviderContext, id: string): Promise<Result<null>> {
  const sent = await send(context, 'DELETE', jobPath(id));
  if (!sent.ok) return sent;
  const response = sent.value;
  if (response.status === 204 || response.status === 200) return ok(null);
  if (response.status === 400) {
    const text = providerErrorText(response.body);
    return err('invalid-input', `useapi.net did not cancel the job: it is not running any more${text ? ` (${text})` : ''}.`, { status: 400 });
  }
  return useapiError(response, context.clock.now(), 'useapi.net has no job with this id for this token, so there is nothing to cancel.');
}

export const useapi: ProviderAdapter = {
  id: 'useapi',
  label: 'useapi.net Midjourney',
  defaultBaseUrl: 'https://api.useapi.net',
  env: { apiKey: 'USEAPI_TOKEN', baseUrl: 'GENWATCH_USEAPI_URL' },
  parseId: parseUseapiId,
  getJob,
  listRunning,
  cancelJob,
  pollIntervalMs: () => USEAPI_INTERVAL_MS,
  // The running list has no progress: refresh one listed job by id per cycle.
  progressRefreshPerCycle: 1,
};
