/** `genwatch demo`: the built-in emulator, a scripted mix of jobs, watched to the end. */
import { PROVIDER_LABELS } from '../../src-shared/job';
import type { Job } from '../../src-shared/job';
import { demoConfig, demoJobs } from '../composition/demo-mode';
import { ScaledClock, demoScenario, startEmulator } from '../emulator';
import { createHeadlessCore, noSecrets } from './compose';
import { watchJobs } from './watch';
import type { WatchIo } from './watch';

export function summaryTable(jobs: readonly Job[]): string {
  const rows = jobs
    .slice()
    .sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''))
    .map((job) => [
      job.id.slice(0, 8),
      job.model ?? '?',
      job.modality,
      job.status,
      job.status === 'failed' ? (job.error?.message ?? job.watch.message ?? '') : `${job.assets.length} asset${job.assets.length === 1 ? '' : 's'}`,
      job.cost ? (job.cost.refunded ? `${job.cost.credits} cr (refunded)` : `${job.cost.credits} cr`) : '',
    ]);
  const header = ['job', 'model', 'type', 'status', 'result', 'cost'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const completed = jobs.filter((j) => j.status === 'completed').length;
  const failed = jobs.filter((j) => j.status === 'failed').length;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', `${jobs.length} jobs: ${completed} completed, ${failed} failed.`].join('\n');
}

export async function runDemo(options: { speed: number; json: boolean; io: WatchIo }): Promise<number> {
  const clock = new ScaledClock(options.speed);
  const emulator = await startEmulator({ clock, scenario: demoScenario(clock.now()) });
  const jobs = demoJobs(emulator);
  const described = jobs.map(([provider, ids]) => `${ids.length} ${PROVIDER_LABELS[provider]}`).join(' and ');
  options.io.err(`genwatch demo: emulator at ${emulator.url}, ${described} jobs, ${options.speed}× speed.`);
  const headless = await createHeadlessCore({ environment: {}, secrets: noSecrets, intervalScale: 1 / options.speed });
  try {
    headless.core.enableDemo(demoConfig(emulator));
    const outcomes = await Promise.all(jobs.map(([provider, ids]) => watchJobs(headless.core, provider, ids, { json: options.json, io: options.io })));
    const watched = outcomes.flatMap((outcome) => outcome.jobs);
    if (!options.json) options.io.out(`\n${summaryTable(watched)}`);
    // Scripted failures are part of the demo; a job the watcher lost is not.
    if (outcomes.some((outcome) => outcome.code === 2)) return 2;
    return watched.some((job) => job.watch.state === 'error') ? 1 : 0;
  } finally {
    await headless.close();
    await emulator.close();
  }
}
