/**
 * `genwatch cancel <provider> <jobId> [--yes]`: asks the provider to cancel a
 * running job. Cancelling cannot be undone, so it asks first on a terminal and
 * refuses to guess when nobody can answer (no TTY and no --yes).
 * Exit 0: cancelled; 1: not cancelled (declined, not running, unknown job,
 * provider trouble); 2: usage or key problem.
 */
import { withRetries } from './retries';
import type { Job } from '../../src-shared/job';
import type { ProviderAdapter, ProviderContext } from '../core/providers/provider';
import { humanLine } from './job-events';
import { EXIT } from './watch';
import type { WatchIo } from './watch';

export interface CancelIo extends WatchIo {
  /** Whether a person can answer the confirmation (stdin is a terminal). */
  interactive: boolean;
  /** Asks one question and resolves with the answer line. */
  ask(question: string): Promise<string>;
}

export interface CancelRequest {
  adapter: ProviderAdapter;
  /** Null when the account has no key. */
  context: ProviderContext | null;
  input: string;
  yes: boolean;
}

export async function cancelCommand(request: CancelRequest, io: CancelIo): Promise<number> {
  const { adapter, context } = request;
  const parsed = adapter.parseId(request.input);
  if (!parsed.ok) {
    io.err(`${request.input}: ${parsed.reason}`);
    return EXIT.usage;
  }
  const cancel = adapter.cancelJob;
  if (!cancel) {
    io.err(`${adapter.label} does not let genwatch cancel jobs.`);
    return EXIT.usage;
  }
  if (!context) {
    io.err(`No ${adapter.label} key: set ${adapter.env.apiKey}, or run \`genwatch keys set ${adapter.id}\`.`);
    return EXIT.usage;
  }
  const id = parsed.id;
  if (!request.yes) {
    if (!io.interactive) {
      io.err(`Not cancelling ${id} without confirmation: run again with --yes to cancel it from a script.`);
      return EXIT.usage;
    }
    const answer = await io.ask(`Cancel ${adapter.label} job ${id}? This cannot be undone. [y/N] `);
    if (!/^\s*y(es)?\s*$/i.test(answer)) {
      io.err('Not cancelled.');
      return EXIT.failed;
    }
  }
  const result = await withRetries(id, () => cancel(context, id), io);
  if (!result.ok) {
    io.err(result.error.message);
    return result.error.kind === 'auth' ? EXIT.usage : EXIT.failed;
  }
  io.err(`${adapter.label} cancelled ${id}.`);
  // Show where the job ended up; a failed look-up does not undo the cancel.
  const after = await withRetries(id, () => adapter.getJob(context, id), io);
  if (after.ok) {
    const job: Job = { ...after.value, watch: { state: 'done', message: null, lastCheckedAt: null, progressAt: null } };
    io.out(humanLine(job));
  }
  return EXIT.ok;
}
