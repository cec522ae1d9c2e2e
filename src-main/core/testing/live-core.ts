/**
 * The real GenwatchCore for integration tests: on a FakeClock, with in-memory
 * stores, over whatever HttpPort the test brings (undici against the loopback
 * emulator), and the helpers that move fake time only once requests are done.
 */
import { GenwatchCore } from '../genwatch-core';
import type { CoreDeps } from '../genwatch-core';
import { silentLogger } from '../ports';
import { settleMicrotasks } from './fake-clock';
import type { FakeClock } from './fake-clock';
import { fixedRandom, MemorySecretStore, RecordingKv } from './fakes';
import type { TrackingHttp } from './fakes';

/** One finished poll cycle: requests made and jobs that became terminal during it. */
export interface CycleRecord {
  requests: number;
  finished: number;
}

/**
 * GenwatchCore.create with what every live test fixes (random 0.5, in-memory
 * secrets and kv, silent logger, a test version and platform). With `cycles`,
 * each finished poll cycle is recorded there.
 */
export async function createLiveCore(deps: Pick<CoreDeps, 'http' | 'clock' | 'providers' | 'environment'>, cycles?: CycleRecord[]): Promise<GenwatchCore> {
  let terminal = 0;
  let core: GenwatchCore | null = null;
  const onCycle: CoreDeps['onCycle'] = (_provider, _account, requests) => {
    const now = core?.listJobs().filter((j) => j.status === 'completed' || j.status === 'failed').length ?? 0;
    cycles?.push({ requests, finished: now - terminal });
    terminal = now;
  };
  core = await GenwatchCore.create({
    random: fixedRandom(0.5),
    secrets: new MemorySecretStore(),
    kv: new RecordingKv(),
    logger: silentLogger,
    version: '0.0.0-test',
    platform: 'test',
    ...deps,
    ...(cycles ? { onCycle } : {}),
  });
  return core;
}

/** Lets fired timers start their requests, waits for every response, then lets the core react. */
export async function settleIo(http: TrackingHttp): Promise<void> {
  await settleMicrotasks(2);
  await http.idle();
  await settleMicrotasks(3);
}

/** Fires the fake clock's timers one due time after another until `done()` holds. */
export async function runUntil(w: { clock: FakeClock; http: TrackingHttp }, done: () => boolean, limitMs: number): Promise<void> {
  const deadline = w.clock.now() + limitMs;
  const settle = (): Promise<void> => settleIo(w.http);
  await settle();
  while (!done()) {
    const next = w.clock.nextDueAt();
    if (next === null) throw new Error('runUntil: nothing is scheduled and the condition does not hold');
    if (next > deadline) throw new Error(`runUntil: condition not met within ${limitMs} ms of fake time`);
    await w.clock.advanceAndSettle(next - w.clock.now(), settle);
  }
}
