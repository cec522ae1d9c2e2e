/**
 * Out-of-process control API under /__emulator/ (for e2e tests driving a
 * separately started emulator). Never subject to faults and not logged, so
 * controlling the emulator cannot disturb what a test measures.
 */
import type { ApiframeJobScript, ApiframeProvider } from './apiframe';
import { isUuid } from './apiframe';
import type { EmulatorClock } from './clock';
import { ManualClock } from './clock';
import type { FaultInjector } from './faults';
import type { UseapiProvider } from './useapi';
import { parseFaultRule } from './faults';
import type { Reply, Route, RouteContext } from './router';
import { json } from './router';
import type { RequestRecord } from './server';

export interface ControlDeps {
  clock: EmulatorClock;
  faults: FaultInjector;
  apiframe: ApiframeProvider;
  useapi: UseapiProvider;
  requests: RequestRecord[];
}

function parseBody(ctx: RouteContext): unknown {
  if (ctx.body.length === 0) return undefined;
  try {
    return JSON.parse(ctx.body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function field(v: unknown, name: string): unknown {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[name] : undefined;
}

function parseJob(v: unknown): ApiframeJobScript | string {
  const str = (n: string): string | undefined => {
    const x = field(v, n);
    return typeof x === 'string' ? x : undefined;
  };
  const num = (n: string): number | undefined => {
    const x = field(v, n);
    return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
  };
  const id = str('id');
  const apiKey = str('apiKey');
  const model = str('model');
  const modality = str('modality');
  const outcome = str('outcome') ?? 'completed';
  if (id === undefined || !isUuid(id)) return 'id must be a UUID';
  if (apiKey === undefined || model === undefined) return 'apiKey and model are required';
  if (modality !== 'image' && modality !== 'video' && modality !== 'music') return 'modality must be image|video|music';
  if (outcome !== 'completed' && outcome !== 'failed') return 'outcome must be completed|failed';
  const job: ApiframeJobScript = {
    id,
    apiKey,
    model,
    modality,
    startAt: num('startAt') ?? 0,
    queuedMs: num('queuedMs') ?? 0,
    processingMs: num('processingMs') ?? 0,
    outcome,
    creditCost: num('creditCost') ?? 0,
  };
  const error = str('error');
  if (error !== undefined) job.error = error;
  const imageCount = num('imageCount');
  if (imageCount !== undefined) job.imageCount = imageCount;
  const trackCount = num('trackCount');
  if (trackCount !== undefined) job.trackCount = trackCount;
  const title = str('title');
  if (title !== undefined) job.title = title;
  const tags = str('tags');
  if (tags !== undefined) job.tags = tags;
  return job;
}

export function controlRoutes(deps: ControlDeps): Route[] {
  const removers = new Map<number, () => void>();
  let nextRuleId = 1;
  const setClock = (ctx: RouteContext, mode: 'advance' | 'set'): Reply => {
    if (!(deps.clock instanceof ManualClock)) return json(409, { error: 'clock is not a ManualClock' });
    const ms = field(parseBody(ctx), 'ms');
    if (typeof ms !== 'number' || !Number.isFinite(ms) || (mode === 'advance' && ms < 0)) return json(400, { error: 'ms must be a number' });
    if (mode === 'advance') deps.clock.advance(ms);
    else deps.clock.set(ms);
    return json(200, { now: deps.clock.now() });
  };
  return [
    {
      name: '__emulator.state',
      method: 'GET',
      pattern: '/__emulator/state',
      handler: () =>
        json(200, {
          now: deps.clock.now(),
          manualClock: deps.clock instanceof ManualClock,
          apiframe: { apiKeys: deps.apiframe.apiKeys, jobIds: deps.apiframe.jobIds },
          useapi: { apiKeys: deps.useapi.tokens, jobIds: deps.useapi.jobIds },
          requestCount: deps.requests.length,
        }),
    },
    { name: '__emulator.clockAdvance', method: 'POST', pattern: '/__emulator/clock/advance', handler: (ctx) => setClock(ctx, 'advance') },
    { name: '__emulator.clockSet', method: 'POST', pattern: '/__emulator/clock/set', handler: (ctx) => setClock(ctx, 'set') },
    {
      name: '__emulator.addFault',
      method: 'POST',
      pattern: '/__emulator/faults',
      handler: (ctx) => {
        const body = parseBody(ctx);
        // Accept both {rule: {...}} and the bare rule.
        const rule = parseFaultRule(field(body, 'rule') ?? body);
        if (typeof rule === 'string') return json(400, { error: rule });
        const id = nextRuleId++;
        removers.set(id, deps.faults.add(rule));
        return json(201, { id });
      },
    },
    {
      name: '__emulator.removeFault',
      method: 'DELETE',
      pattern: '/__emulator/faults/:id',
      handler: (ctx) => {
        const id = Number(ctx.params['id']);
        const remove = removers.get(id);
        if (remove === undefined) return json(404, { error: 'no such rule' });
        remove();
        removers.delete(id);
        return { status: 204 };
      },
    },
    {
      name: '__emulator.clearFaults',
      method: 'DELETE',
      pattern: '/__emulator/faults',
      handler: () => {
        deps.faults.clear();
        removers.clear();
        return { status: 204 };
      },
    },
    {
      name: '__emulator.requests',
      method: 'GET',
      pattern: '/__emulator/requests',
      handler: () => json(200, { requests: deps.requests.slice(-1000) }),
    },
    {
      name: '__emulator.clearRequests',
      method: 'DELETE',
      pattern: '/__emulator/requests',
      handler: () => {
        deps.requests.length = 0;
        return { status: 204 };
      },
    },
    {
      name: '__emulator.apiframeAddJob',
      method: 'POST',
      pattern: '/__emulator/apiframe/jobs',
      handler: (ctx) => {
        const job = parseJob(parseBody(ctx));
        if (typeof job === 'string') return json(400, { error: job });
        deps.apiframe.addJob(job);
        return json(201, { id: job.id });
      },
    },
    {
      name: '__emulator.apiframeAddKey',
      method: 'POST',
      pattern: '/__emulator/apiframe/keys',
      handler: (ctx) => {
        const key = field(parseBody(ctx), 'key');
        if (typeof key !== 'string' || key.length === 0) return json(400, { error: 'key must be a string' });
        deps.apiframe.addKey(key);
        return { status: 204 };
      },
    },
    {
      name: '__emulator.apiframeListQuirk',
      method: 'POST',
      pattern: '/__emulator/apiframe/list-quirk',
      handler: (ctx) => {
        const q = field(parseBody(ctx), 'quirk');
        if (q !== 'none' && q !== 'repeat-page' && q !== 'lose-cursor') return json(400, { error: 'quirk must be none|repeat-page|lose-cursor' });
        deps.apiframe.setListQuirk(q);
        return { status: 204 };
      },
    },
    {
      name: '__emulator.useapiAccountState',
      method: 'POST',
      pattern: '/__emulator/useapi/account-state',
      handler: (ctx) => {
        const body = parseBody(ctx);
        const token = field(body, 'token');
        const state = field(body, 'state');
        const message = field(body, 'pendingModMessage');
        if (typeof token !== 'string' || !deps.useapi.tokens.includes(token)) return json(400, { error: 'token must be a known token' });
        if (state !== 'ok' && state !== 'no-subscription' && state !== 'pending-moderation') return json(400, { error: 'state must be ok|no-subscription|pending-moderation' });
        deps.useapi.setAccountState(token, state, typeof message === 'string' ? message : undefined);
        return { status: 204 };
      },
    },
    {
      name: '__emulator.useapiAddToken',
      method: 'POST',
      pattern: '/__emulator/useapi/tokens',
      handler: (ctx) => {
        const token = field(parseBody(ctx), 'token');
        if (typeof token !== 'string' || token.length === 0) return json(400, { error: 'token must be a string' });
        deps.useapi.addToken(token);
        return { status: 204 };
      },
    },
    {
      name: '__emulator.useapiRevokeToken',
      method: 'DELETE',
      pattern: '/__emulator/useapi/tokens/:token',
      handler: (ctx) => {
        deps.useapi.revokeToken(ctx.params['token'] ?? '');
        return { status: 204 };
      },
    },
    {
      name: '__emulator.apiframeRevokeKey',
      method: 'DELETE',
      pattern: '/__emulator/apiframe/keys/:key',
      handler: (ctx) => {
        deps.apiframe.revokeKey(ctx.params['key'] ?? '');
        return { status: 204 };
      },
    },
  ];
}
