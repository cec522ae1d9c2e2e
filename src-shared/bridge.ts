/**
 * Builds the renderer-facing API from the method and event names. The preload
 * calls it with ipcRenderer; the e2e harness runs the same built preload in
 * Chromium. Only names are imported here (no schemas), keeping the preload small.
 */
import { EVENT_NAMES, INVOKE_METHODS, eventChannel, invokeChannel } from './channel-names';
import type { EventName, InvokeMethod } from './channel-names';
import type { EventPayload, Request, Response } from './ipc-contract';
import type { Result } from './result';

export type GenwatchApi = {
  readonly [M in InvokeMethod]: (request: Request<M>) => Promise<Result<Response<M>>>;
} & {
  /** Subscribe to a pushed event; returns the unsubscribe function. */
  readonly on: <E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) => () => void;
};

export interface BridgeTransport {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  subscribe(channel: string, listener: (payload: unknown) => void): () => void;
}

export const BRIDGE_GLOBAL = 'genwatch';

export function buildBridge(transport: BridgeTransport): GenwatchApi {
  const api: Record<string, unknown> = {};
  for (const method of INVOKE_METHODS) {
    const channel = invokeChannel(method);
    api[method] = (request: unknown) => transport.invoke(channel, request);
  }
  const known = new Set<string>(EVENT_NAMES);
  api['on'] = (event: string, listener: (payload: unknown) => void) => {
    if (!known.has(event)) throw new Error(`Unknown event "${event}"`);
    return transport.subscribe(eventChannel(event as EventName), listener);
  };
  return Object.freeze(api) as GenwatchApi;
}
