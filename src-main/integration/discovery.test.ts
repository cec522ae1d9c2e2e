/** Discovery against the emulator over real HTTP: what the user removed stays removed. */
import { afterEach, describe, expect, it } from 'vitest';
import { createUndiciHttp } from '../adapters/undici-http';
import { GenwatchCore } from '../core/genwatch-core';
import { silentLogger } from '../core/ports';
import type { HttpPort } from '../core/ports';
import { apiframe } from '../core/providers/apiframe';
import { FakeClock } from '../core/testing/fake-clock';
import { fixedRandom, MemorySecretStore, RecordingKv, TrackingHttp } from '../core/testing/fakes';
import { runUntil } from '../core/testing/live-core';
import { DEMO_APIFRAME_KEY, demoScenario, startEmulator } from '../emulator';

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('discovery and removed jobs (emulator, real HTTP)', () => {
  it('a job the user removed is not brought back by the account\'s next look at the provider, nor after a restart', async () => {
    const clock = new FakeClock(T0);
    const emu = await startEmulator({ clock, scenario: demoScenario(T0) });
    cleanups.push(() => emu.close());
    const undici = createUndiciHttp();
    cleanups.push(() => undici.close());
    const http = new TrackingHttp(undici);
    const kv = new RecordingKv();
    const open = async (port: HttpPort): Promise<GenwatchCore> => {
      const core = await GenwatchCore.create({
        random: fixedRandom(0.5),
        secrets: new MemorySecretStore(),
        kv,
        logger: silentLogger,
        version: 't',
        platform: 't',
        http: port,
        clock,
        providers: [apiframe],
        environment: { GENWATCH_APIFRAME_URL: emu.providers.apiframe.baseUrl, APIFRAME_API_KEY: DEMO_APIFRAME_KEY },
      });
      cleanups.push(() => core.dispose());
      return core;
    };
    const core = await open(http);
    expect((await core.saveAccount({ provider: 'apiframe', accountId: 'default', discover: true })).ok).toBe(true);
    await runUntil({ clock, http }, () => core.listJobs().some((j) => j.status === 'completed'), 60_000);
    const removed = core.listJobs().find((j) => j.status === 'completed');
    if (!removed) throw new Error('nothing discovered');
    expect(core.removeJobs([removed.key])).toBe(1);
    const deadline = clock.now() + 5 * 60_000;
    await runUntil({ clock, http }, () => clock.now() > deadline, 10 * 60_000);
    expect(core.listJobs().some((j) => j.key === removed.key)).toBe(false);
    core.dispose();
    const again = await open(http);
    const later = clock.now() + 2 * 60_000;
    await runUntil({ clock, http }, () => clock.now() > later, 10 * 60_000);
    expect(again.listJobs().some((j) => j.key === removed.key)).toBe(false);
    // Added again by id, it is watched as any other.
    expect(again.addJobs('apiframe', removed.id)).toMatchObject({ ok: true, value: { added: [removed.id] } });
  });
});
