/**
 * The one module that touches `window.genwatch`. Everything else receives a
 * `GenwatchApi` (the real bridge or `ipc-double`) so it can run without main.
 */
import { BRIDGE_GLOBAL } from '../../../src-shared/bridge';
import type { GenwatchApi } from '../../../src-shared/bridge';
import type { AppError, Result } from '../../../src-shared/result';

export function hasBridge(): boolean {
  return typeof window !== 'undefined' && BRIDGE_GLOBAL in window && window.genwatch != null;
}

export function getBridge(): GenwatchApi {
  if (!hasBridge()) {
    throw new Error('The genwatch bridge is missing: the preload did not run.');
  }
  return window.genwatch;
}

/**
 * Awaits a bridge call and never throws: a rejected promise (main crashed,
 * handler missing) becomes an `internal` error value like any other failure.
 */
export async function settle<T>(call: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    const result = await call();
    if (result && typeof result === 'object' && 'ok' in result) return result;
    return { ok: false, error: { kind: 'malformed-response', message: 'The app returned an unexpected answer.' } };
  } catch (cause) {
    // The detail ("Error invoking remote method …") is for the developer console, not for the user.
    console.warn('bridge call failed', cause);
    return { ok: false, error: { kind: 'internal', message: 'genwatch could not do that just now; try again, and restart it if this keeps happening.' } };
  }
}

export function errorMessage(error: AppError): string {
  return error.message.trim() || 'That did not work, and genwatch got no reason for it; try again.';
}
