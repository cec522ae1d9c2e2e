/**
 * `genwatch watch <provider> <id…>`: polls until every job settles.
 * Exit 0: all completed; 1: any failed (or unknown to the provider); 2: usage or auth problem.
 */
import type { Job, ProviderId } from '../../src-shared/job';
import type { GenwatchCore } from '../core/genwatch-core';
import { eventSignature, humanLine, isSettled, jobEvent } from './job-events';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface WatchIo {
  out(line: string): void;
  err(line: string): void;
}

export interface WatchOutcome {
  code: number;
  jobs: Job[];
}

/** Watches the given ids (already validated by the caller) and resolves when all settle. */
export function watchJobs(core: GenwatchCore, provider: ProviderId, ids: readonly string[], options: { json: boolean; io: WatchIo }): Promise<WatchOutcome> {
  const { io } = options;
  const added = core.addJobs(provider, ids.join('\n'));
  if (!added.ok) {
    io.err(added.error.message);
    return Promise.resolve({ code: EXIT.usage, jobs: [] });
  }
  if (added.value.rejected.length > 0) {
    for (const r of added.value.rejected) io.err(`${r.input}: ${r.reason}`);
    return Promise.resolve({ code: EXIT.usage, jobs: [] });
  }
  // The terminal prints every progress step, so progress is being watched.
  core.setProgressWatched('cli', true);
  const accountId = core.activeAccount(provider);
  const keys = new Set(ids.map((id) => `${provider}:${accountId}:${id.toLowerCase()}`));
  const watched = (): Job[] => core.listJobs().filter((job) => keys.has(job.key));
  const seen = new Map<string, string>();

  return new Promise((resolve) => {
    const report = (job: Job): void => {
      const signature = eventSignature(job);
      if (seen.get(job.key) === signature) return;
      seen.set(job.key, signature);
      if (options.json) io.out(JSON.stringify(jobEvent(job)));
      else io.out(humanLine(job));
    };
    const settle = (): void => {
      const jobs = watched();
      if (!jobs.every(isSettled)) return;
      unsubscribe();
      const authProblem = jobs.some((job) => job.watch.state === 'paused');
      const failed = jobs.some((job) => job.status === 'failed' || job.watch.state === 'error');
      if (authProblem) {
        const message = jobs.find((job) => job.watch.state === 'paused')?.watch.message;
        if (message) io.err(message);
      }
      resolve({ code: authProblem ? EXIT.usage : failed ? EXIT.failed : EXIT.ok, jobs });
    };
    const unsubscribe = core.onJobsDelta((delta) => {
      for (const job of delta.upserted) if (keys.has(job.key)) report(job);
      settle();
    });
  });
}
