/**
 * `genwatch cancel <provider> <jobId> [--yes]`: asks the provider to cancel a
 * running job. Cancelling cannot be undone, so it asks first on a terminal and
 * refuses to guess when nobody can answer (no TTY and no --yes).
 * Exit 0: cancelled; 1: not cancelled (declined, not running, unknown job,
 * provider trouble); 2: usage or key problem.
 */
import { withRetries } from './retries';
import type { Job } from '../../src-shared/job';
import { isRetryable } from '../../src-shared/result';
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
  // A try that failed after the request may have reached the provider (5xx, the network, a garbled
  // answer; not a 429) may have cancelled the job with its answer lost: the next try then hears "not running".
  let mayHaveActed = false;
  const result = await withRetries(
    id,
    async () => {
      const answer = await cancel(context, id);
      if (!answer.ok && answer.error.kind !== 'rate-limited' && isRetryable(answer.error.kind)) mayHaveActed = true;
      return answer;
    },
    io,
  );
  if (!result.ok) {
    if (mayHaveActed && result.error.kind === 'invalid-input') return lostAnswer(request, context, id, io);
    io.err(result.error.message);
    return result.error.kind === 'auth' ? EXIT.usage : EXIT.failed;
  }
  io.err(`${adapter.label} cancelled ${id}.`);
  // Show where the job ended up; a failed look-up does not undo the cancel.
  await showJob(adapter, context, id, io);
  return EXIT.ok;
}

/** Prints the job's line; null when it cannot be read. */
async function showJob(adapter: ProviderAdapter, context: ProviderContext, id: string, io: CancelIo): Promise<Job | null> {
  const after = await withRetries(id, () => adapter.getJob(context, id), io);
  if (!after.ok) return null;
  const job: Job = { ...after.value, watch: { state: 'done', message: null, lastCheckedAt: null, progressAt: null } };
  io.out(humanLine(job));
  return job;
}

/**
 * An earlier try's answer was lost and the provider now says the job is not
 * running: that try most likely cancelled it. The job's state decides: ended
 * without completing is the cancel done (exit 0); completed, or unreadable,
 * is not a cancel genwatch can vouch for (exit 1).
 */
async function lostAnswer(request: CancelRequest, context: ProviderContext, id: string, io: CancelIo): Promise<number> {
  const { adapter } = request;
  const job = await showJob(adapter, context, id, io);
  if (job?.status === 'failed') {
    io.err(`${adapter.label} cancelled ${id} (the answer to an earlier try was lost; the job has stopped without completing).`);
    return EXIT.ok;
  }
  const state = job === null ? 'its state could not be read' : `it is ${job.status}`;
  io.err(`${adapter.label} says ${id} is not running any more, and ${state}; the answer to an earlier try was lost, so that try may have cancelled it.`);
  return EXIT.failed;
}
