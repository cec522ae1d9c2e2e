/**
 * IPC dispatch generated from the contract: one entry per method, every
 * payload validated before a handler sees it, the sender checked, unknown
 * channels refused, and every outcome returned as a Result envelope.
 * Transport-agnostic: Electron's ipcMain and the e2e harness both feed it.
 */
import type { z } from 'zod';
import { INVOKE_METHODS, invokeChannel } from '../../src-shared/channel-names';
import type { EventName, InvokeMethod } from '../../src-shared/channel-names';
import { eventContract, invokeContract } from '../../src-shared/ipc-contract';
import type { EventPayload, InvokeContract, Response } from '../../src-shared/ipc-contract';
import { err } from '../../src-shared/result';
import type { Result } from '../../src-shared/result';
import type { Logger } from './ports';

export type IpcHandlers = {
  [M in InvokeMethod]: (request: z.output<InvokeContract[M]['request']>) => Promise<Result<Response<M>>> | Result<Response<M>>;
};

export interface IpcSender {
  /** URL of the frame that sent the message (Electron: event.senderFrame.url). */
  url: string | null;
  /** Whether that frame is its window's top frame (Electron: senderFrame.parent === null): an embedded frame never is the app. */
  mainFrame: boolean;
}

export interface IpcRouter {
  readonly routes: readonly { method: InvokeMethod; channel: string }[];
  dispatch(channel: string, sender: IpcSender, payload: unknown): Promise<Result<unknown>>;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'request'}: ${issue.message}`)
    .join('; ');
}

/**
 * Whether `url` is the app's own page: for a file:// app the same file (host
 * and path; query and hash are the page's own), otherwise the same origin.
 * One rule for who may call main and where the window may go.
 */
export function isAppPage(appUrl: string, url: string): boolean {
  try {
    const expected = new URL(appUrl);
    const actual = new URL(url);
    if (expected.protocol === 'file:') return actual.protocol === 'file:' && actual.host === expected.host && actual.pathname === expected.pathname;
    return actual.origin === expected.origin;
  } catch {
    return false;
  }
}

/**
 * The sender of an IPC message as the router judges it, from Electron's
 * `event.senderFrame` (null once the frame is gone: then nobody is trusted).
 * Structural, so it is tested without Electron.
 */
export function senderFromFrame(frame: { url: string; parent: unknown } | null | undefined): IpcSender {
  return frame ? { url: frame.url, mainFrame: frame.parent === null } : { url: null, mainFrame: false };
}

/**
 * An event's payload as it may reach the window: checked against the
 * contract, unknown fields stripped (a field added to a core type never
 * reaches the page by accident). Job deltas are sent as they are: each job
 * was built by the core from schema-checked provider answers, holds nothing
 * secret, and checking a history import's thousands of jobs again costs
 * ~10 µs a job on the main thread.
 */
export function checkedEvent<E extends EventName>(name: E, payload: EventPayload<E>): EventPayload<E> {
  if (name === 'jobsDelta') return payload;
  return eventContract[name].parse(payload) as EventPayload<E>;
}

/** Trust only the app's own page in the window's top frame: never a frame that navigated elsewhere or an embedded one. */
export function makeSenderCheck(appUrl: string): (sender: IpcSender) => boolean {
  return (sender) => sender.mainFrame && sender.url !== null && isAppPage(appUrl, sender.url);
}

export function createIpcRouter(handlers: IpcHandlers, options: { isTrustedSender: (sender: IpcSender) => boolean; logger: Logger }): IpcRouter {
  const byChannel = new Map<string, InvokeMethod>(INVOKE_METHODS.map((method) => [invokeChannel(method), method]));
  const routes = INVOKE_METHODS.map((method) => ({ method, channel: invokeChannel(method) }));

  async function run<M extends InvokeMethod>(method: M, payload: unknown): Promise<Result<unknown>> {
    const contract = invokeContract[method];
    const parsed = contract.request.safeParse(payload ?? {});
    if (!parsed.success) return err('invalid-input', `Invalid request for ${method}: ${describeIssues(parsed.error)}.`);
    const handler = handlers[method] as (request: unknown) => Promise<Result<unknown>> | Result<unknown>;
    const result = await handler(parsed.data);
    if (!result.ok) return result;
    // Responses are checked too: a contract drift shows up as a clear error, not a broken UI.
    const checked = contract.response.safeParse(result.value);
    if (!checked.success) {
      options.logger.error('IPC response failed its schema', { method, issues: describeIssues(checked.error) });
      return err('internal', `genwatch produced an invalid ${method} response; please report this.`);
    }
    return { ok: true, value: checked.data };
  }

  return {
    routes,
    async dispatch(channel, sender, payload) {
      const method = byChannel.get(channel);
      if (!method) return err('forbidden', `Unknown IPC channel "${channel.slice(0, 80)}".`);
      if (!options.isTrustedSender(sender)) {
        options.logger.warn('IPC from untrusted sender refused', { channel, url: sender.url });
        return err('forbidden', 'This window is not allowed to talk to genwatch.');
      }
      try {
        return await run(method, payload);
      } catch (error) {
        options.logger.error('IPC handler threw', { method, error: String(error) });
        return err('internal', `genwatch hit an unexpected error while handling ${method}.`);
      }
    },
  };
}
