/** The two handles every poller test harness gives its tests: add a job by id (watched at once) and read it back. */
import type { Job, ProviderId } from '../../../src-shared/job';
import { jobKey } from '../../../src-shared/job';
import { placeholderJob } from '../job-merge';
import type { JobStore } from '../job-store';
import type { Poller } from '../poller';

export function pollerJobHandles(store: JobStore, poller: Poller, provider: ProviderId): { add(id: string): string; job(id: string): Job } {
  const key = (id: string): string => jobKey(provider, 'default', id);
  return {
    add(id) {
      store.upsert(placeholderJob({ key: key(id), provider, accountId: 'default', id }));
      poller.watch(key(id));
      return key(id);
    },
    job(id) {
      const job = store.get(key(id));
      if (!job) throw new Error(`no job ${id}`);
      return job;
    },
  };
}
