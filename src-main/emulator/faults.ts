/**
 * Fault injection: rules are checked per request before the route handler so
 * client code (poller, downloader) can be tested against rate limits, resets,
 * garbage bodies and truncated transfers.
 */
export type Fault =
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string>; retryAfterSeconds?: number }
  | { kind: 'latency'; ms: number }
  | { kind: 'reset' }
  | { kind: 'malformed-json' }
  | { kind: 'truncate' }
  /** Like truncate (about half the body), then a TCP reset instead of a clean close. */
  | { kind: 'reset-mid-body' };

export interface FaultRule {
  /** Route name like 'apiframe.getJob' or 'asset'; undefined matches every route. */
  route?: string;
  /** How many requests the rule applies to; default Infinity. */
  times?: number;
  /** Applies at most once to each distinct path (query included): "every file's link expires once", whatever the order. */
  oncePerPath?: boolean;
  fault: Fault;
}

export interface FaultInjector {
  /** Adds a rule; returns a function that removes it. */
  add(rule: FaultRule): () => void;
  clear(): void;
}

interface ActiveRule {
  route: string | undefined;
  remaining: number;
  fault: Fault;
  /** Paths it applied to (oncePerPath rules only). */
  seen: Set<string> | null;
}

export class FaultTable implements FaultInjector {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): () => void {
    const times = rule.times ?? Infinity;
    if (!(times >= 0)) throw new RangeError(`FaultRule.times must be >= 0, got ${String(rule.times)}`);
    const active: ActiveRule = { route: rule.route, remaining: times, fault: rule.fault, seen: rule.oncePerPath === true ? new Set() : null };
    this.rules.push(active);
    return () => {
      this.rules = this.rules.filter((r) => r !== active);
    };
  }

  clear(): void {
    this.rules = [];
  }

  /** First matching rule with budget left is consumed (decremented) and returned. */
  take(route: string, path = ''): Fault | undefined {
    for (const rule of this.rules) {
      if (rule.remaining <= 0) continue;
      if (rule.route !== undefined && rule.route !== route) continue;
      if (rule.seen !== null) {
        if (rule.seen.has(path)) continue;
        rule.seen.add(path);
      }
      rule.remaining -= 1;
      const fault = rule.fault;
      // Spent rules are dropped so the table does not grow in long runs.
      if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
      return fault;
    }
    return undefined;
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  402: 'Payment required',
  403: 'Forbidden',
  404: 'Not found',
  408: 'Request timeout',
  410: 'Gone',
  429: 'Too many requests',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

/** Default JSON body for an injected status fault. */
export function defaultFaultBody(status: number): string {
  return JSON.stringify({ error: REASONS[status] ?? `HTTP ${status}` });
}

/** Validates an untrusted rule (from the control API). Returns an error message or the rule. */
export function parseFaultRule(value: unknown): FaultRule | string {
  if (typeof value !== 'object' || value === null) return 'rule must be an object';
  const v = value as Record<string, unknown>;
  const route = v['route'];
  if (route !== undefined && typeof route !== 'string') return 'route must be a string';
  const times = v['times'];
  if (times !== undefined && (typeof times !== 'number' || times < 0)) return 'times must be a non-negative number';
  const f = v['fault'];
  if (typeof f !== 'object' || f === null) return 'fault must be an object';
  const fault = f as Record<string, unknown>;
  let parsed: Fault;
  switch (fault['kind']) {
    case 'status': {
      const status = fault['status'];
      if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) return 'status must be an HTTP status';
      const body = fault['body'];
      if (body !== undefined && typeof body !== 'string') return 'body must be a string';
      const ra = fault['retryAfterSeconds'];
      if (ra !== undefined && typeof ra !== 'number') return 'retryAfterSeconds must be a number';
      const headers = fault['headers'];
      let hdrs: Record<string, string> | undefined;
      if (headers !== undefined) {
        if (typeof headers !== 'object' || headers === null) return 'headers must be an object';
        hdrs = {};
        for (const [k, hv] of Object.entries(headers)) {
          if (typeof hv !== 'string') return 'header values must be strings';
          hdrs[k] = hv;
        }
      }
      parsed = { kind: 'status', status };
      if (body !== undefined) parsed.body = body;
      if (ra !== undefined) parsed.retryAfterSeconds = ra;
      if (hdrs !== undefined) parsed.headers = hdrs;
      break;
    }
    case 'latency': {
      const ms = fault['ms'];
      if (typeof ms !== 'number' || ms < 0) return 'ms must be a non-negative number';
      parsed = { kind: 'latency', ms };
      break;
    }
    case 'reset':
    case 'malformed-json':
    case 'truncate':
    case 'reset-mid-body':
      parsed = { kind: fault['kind'] };
      break;
    default:
      return 'unknown fault kind';
  }
  const oncePerPath = v['oncePerPath'];
  if (oncePerPath !== undefined && typeof oncePerPath !== 'boolean') return 'oncePerPath must be a boolean';
  const rule: FaultRule = { fault: parsed };
  if (route !== undefined) rule.route = route;
  if (times !== undefined) rule.times = times;
  if (oncePerPath !== undefined) rule.oncePerPath = oncePerPath;
  return rule;
}
