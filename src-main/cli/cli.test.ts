/**
 * The built CLI as a user runs it: real processes, real HTTP against the
 * emulator started by `genwatch emulator`. Uses out/main/cli.js when present,
 * otherwise builds it once.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { JOB_STATUSES, JobSchema } from '../../src-shared/job';
import type { Job } from '../../src-shared/job';
import { bulkScenario, demoScenario, ManualClock, startEmulator, TEST_APIFRAME_KEY } from '../emulator';
import type { RunningEmulator } from '../emulator';
import { DOWNLOAD_NODE_FLAGS } from './relaunch';
import { cleanedAfterEach, cleanEnv, collect, ensureCliBuilt, run, start, startEmulatorProcess } from './testing/cli-process';

/** From the demo scenario (the emulator's default): a job that completes and the one whose model run fails. */
const DEMO = demoScenario(0).apiframe.jobs;
const COMPLETING_ID = DEMO.find((j) => j.outcome === 'completed' && j.startAt >= 0 && j.model === 'flux-pro')?.id ?? '';
const FAILING_ID = DEMO.find((j) => j.outcome === 'failed')?.id ?? '';

const { tempDirs, emulators } = cleanedAfterEach();

beforeAll(() => ensureCliBuilt(), 130_000);

/**
 * Demo-scenario jobs are created a few (scaled) seconds after the emulator
 * starts and are 404 until then; wait until the job exists before watching it.
 */
async function waitUntilCreated(baseUrl: string, key: string, id: string): Promise<void> {
  for (;;) {
    const response = await fetch(`${baseUrl}/v2/jobs/${id}`, { headers: { 'x-api-key': key } });
    await response.arrayBuffer();
    if (response.status === 200) return;
    if (response.status !== 404) throw new Error(`emulator answered ${response.status} for ${id}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function watchEnv(key: string): NodeJS.ProcessEnv {
  return cleanEnv({ APIFRAME_API_KEY: key });
}

interface Event {
  provider: string;
  id: string;
  status: string;
  rawStatus: string;
  progress: number;
}

function parseEvents(stdout: string): Event[] {
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  return lines.map((line) => {
    const event = JSON.parse(line) as Event;
    expect(event).toEqual(expect.objectContaining({ provider: 'apiframe', id: expect.any(String), status: expect.any(String), rawStatus: expect.any(String), progress: expect.any(Number) }));
    expect(JOB_STATUSES).toContain(event.status);
    return event;
  });
}

describe('genwatch emulator', () => {
  it('prints its base URL, keys and job ids as one JSON line, and exits 0 on SIGTERM', async () => {
    const { child, info, exited } = await startEmulatorProcess();
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.providers.apiframe.baseUrl).toBe(`${info.url}/apiframe`);
    expect(info.providers.apiframe.apiKeys.length).toBeGreaterThan(0);
    expect(info.providers.apiframe.jobIds).toContain(COMPLETING_ID);
    // One served request proves the process is past start-up (signal handlers installed).
    await waitUntilCreated(info.providers.apiframe.baseUrl, info.providers.apiframe.apiKeys[0] ?? '', DEMO[0]?.id ?? '');
    child.kill('SIGTERM');
    const result = await exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('SIGTERM');
  });

  it('exits on a SIGTERM sent as soon as its address line is read', async () => {
    const { child, exited } = await startEmulatorProcess();
    child.kill('SIGTERM');
    const result = await exited;
    // Graceful (0) in the common case; see the report about the start-up window in which
    // the default signal action still applies (the line is printed before handlers exist).
    expect(result.code === 0 || result.signal === 'SIGTERM').toBe(true);
  });
});

describe('genwatch watch', () => {
  it('--json: every line is an event, progress never goes down, and it ends completed at 100 % with exit 0', async () => {
    const { info } = await startEmulatorProcess();
    const { baseUrl, apiKeys } = info.providers.apiframe;
    await waitUntilCreated(baseUrl, apiKeys[0] ?? '', COMPLETING_ID);
    const result = await run(['watch', 'apiframe', COMPLETING_ID, '--json', '--apiframe-url', baseUrl, '--poll-scale', '0.2'], watchEnv(apiKeys[0] ?? ''));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const events = parseEvents(result.stdout);
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.every((e) => e.id === COMPLETING_ID)).toBe(true);
    for (let i = 1; i < events.length; i++) expect(events[i]?.progress).toBeGreaterThanOrEqual(events[i - 1]?.progress ?? 0);
    expect(events.at(-1)).toMatchObject({ status: 'completed', rawStatus: 'COMPLETED', progress: 100 });
  });

  it('a job whose model run fails ends with exit 1 and a failed event', async () => {
    const { info } = await startEmulatorProcess();
    const { baseUrl, apiKeys } = info.providers.apiframe;
    await waitUntilCreated(baseUrl, apiKeys[0] ?? '', FAILING_ID);
    const result = await run(['watch', 'apiframe', FAILING_ID, '--json', '--apiframe-url', baseUrl, '--poll-scale', '0.2'], watchEnv(apiKeys[0] ?? ''));
    expect(result.code).toBe(1);
    expect(parseEvents(result.stdout).at(-1)).toMatchObject({ id: FAILING_ID, status: 'failed', rawStatus: 'FAILED' });
  });

  it('a non-UUID id: exit 2, the reason on stderr, nothing on stdout, no request made', async () => {
    const { info } = await startEmulatorProcess();
    const { baseUrl, apiKeys } = info.providers.apiframe;
    const result = await run(['watch', 'apiframe', 'not-a-job-id', '--json', '--apiframe-url', baseUrl, '--poll-scale', '0.2'], watchEnv(apiKeys[0] ?? ''));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('not-a-job-id');
    expect(result.stderr).toMatch(/not an Apiframe job id/);
  });

  it('a wrong key: exit 2 with the rejection on stderr', async () => {
    const { info } = await startEmulatorProcess();
    const result = await run(
      ['watch', 'apiframe', COMPLETING_ID, '--json', '--apiframe-url', info.providers.apiframe.baseUrl, '--poll-scale', '0.2'],
      watchEnv('afk_definitely_not_valid'),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/key was rejected/i);
    expect(result.stderr).toMatch(/genwatch keys set apiframe/);
    expect(result.stderr).not.toMatch(/in Settings/);
  });

  it('no key anywhere (no env key, empty HOME, no session bus): exit 2 and says how to set one', async () => {
    const home = mkdtempSync(join(tmpdir(), 'genwatch-cli-home-'));
    tempDirs.push(home);
    const { DBUS_SESSION_BUS_ADDRESS: _bus, ...env } = cleanEnv({ HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local/share') });
    const result = await run(['watch', 'apiframe', COMPLETING_ID, '--apiframe-url', 'http://127.0.0.1:9/apiframe', '--poll-scale', '0.2'], env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/No Apiframe key/);
    expect(result.stderr).toContain('APIFRAME_API_KEY');
  });

  it('refuses --poll-scale below 1 against a non-loopback URL (exit 2)', async () => {
    const result = await run(['watch', 'apiframe', COMPLETING_ID, '--apiframe-url', 'https://api.apiframe.ai', '--poll-scale', '0.2'], watchEnv('afk_any_key_1234'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/loopback/);
  });

  it('a server asking for a pause longer than Node\'s timers take (Retry-After of 35 days, or a date in 2099) gets a pause, not a storm', async () => {
    const { createServer } = await import('node:http');
    for (const retryAfter of ['3000000', 'Wed, 21 Oct 2099 07:28:00 GMT']) {
      let requests = 0;
      const server = createServer((_req, res) => {
        requests++;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter });
        res.end('{"error":"slow down"}');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as { port: number };
      const child = start(['watch', 'apiframe', COMPLETING_ID, '--apiframe-url', `http://127.0.0.1:${port}`], watchEnv('afk_any_key_1234'));
      const exited = collect(child);
      await new Promise((r) => setTimeout(r, 1_500));
      child.kill('SIGTERM');
      const result = await exited;
      await new Promise<void>((r) => server.close(() => r()));
      expect(requests, retryAfter).toBe(1);
      expect(result.stderr).not.toContain('TimeoutOverflowWarning');
    }
  });

  it('refuses a --poll-scale so large it would stop polling for weeks (exit 2)', async () => {
    const result = await run(['watch', 'apiframe', COMPLETING_ID, '--apiframe-url', 'https://api.apiframe.ai', '--poll-scale', '1000000'], watchEnv('afk_any_key_1234'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--poll-scale must be a number from 0.001 to 100.');
  });

  it('an unknown command or provider is a usage error (exit 2)', async () => {
    expect((await run(['frobnicate'])).code).toBe(2);
    const badProvider = await run(['watch', 'dalle', COMPLETING_ID]);
    expect(badProvider.code).toBe(2);
    expect(badProvider.stderr).toMatch(/Unknown provider/);
  });
});

describe('genwatch demo', () => {
  it('--speed 20 exits 0 and prints a summary with a "jobs:" line', async () => {
    const result = await run(['demo', '--speed', '20']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\d+ jobs: \d+ completed, \d+ failed\./);
  });

  it('watches every demo job of both providers to its scripted end', async () => {
    const scripted = demoScenario(0);
    const outcomes = [...scripted.apiframe.jobs.map((j) => j.outcome), ...(scripted.useapi?.jobs ?? []).map((j) => j.outcome)];
    const completed = outcomes.filter((o) => o === 'completed').length;
    expect(scripted.useapi?.jobs.length ?? 0).toBeGreaterThan(0);
    const result = await run(['demo', '--speed', '20']);
    expect(result.stdout).toContain(`${outcomes.length} jobs: ${completed} completed, ${outcomes.length - completed} failed.`);
  });
});

describe('genwatch list', () => {
  const T0 = Date.parse('2026-03-15T10:00:00.000Z');
  const HISTORY = 250;
  const scenario = bulkScenario({ startMs: T0, running: 0, completedHistory: HISTORY });

  /** An in-process emulator (manual clock) holding a 250-job history for TEST_APIFRAME_KEY. */
  async function historyEmulator(): Promise<RunningEmulator> {
    const emu = await startEmulator({ clock: new ManualClock(T0), scenario });
    emulators.push(emu);
    return emu;
  }

  const listCalls = (emu: RunningEmulator) => emu.requests.filter((r) => r.route === 'apiframe.listJobs');

  function parseJobs(stdout: string): Job[] {
    return stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .map((line) => {
        const parsed = JobSchema.safeParse(JSON.parse(line));
        expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 2))).toBe(true);
        return parsed.success ? parsed.data : (undefined as never);
      });
  }

  it('--json: every job of every page, one common-model job per line, newest first, exit 0', async () => {
    const emu = await historyEmulator();
    const result = await run(['list', 'apiframe', '--json', '--apiframe-url', emu.providers.apiframe.baseUrl], watchEnv(TEST_APIFRAME_KEY));
    expect(result.code).toBe(0);
    const jobs = parseJobs(result.stdout);
    expect(jobs).toHaveLength(HISTORY);
    expect(new Set(jobs.map((j) => j.id))).toEqual(new Set(scenario.apiframe.jobs.map((j) => j.id.toLowerCase())));
    expect(jobs.every((j) => j.provider === 'apiframe' && (j.status === 'completed' || j.status === 'failed'))).toBe(true);
    const created = jobs.map((j) => Date.parse(j.createdAt ?? ''));
    for (let i = 1; i < created.length; i++) expect(created[i]).toBeLessThanOrEqual(created[i - 1] ?? Infinity);
    expect(listCalls(emu)).toHaveLength(3);
    expect(result.stderr).toContain(`${HISTORY} jobs (3 pages).`);
  });

  it('a page that fails for a passing reason (503) is asked for again: every job still listed, exit 0', async () => {
    const emu = await historyEmulator();
    emu.faults.add({ route: 'apiframe.listJobs', times: 1, fault: { kind: 'status', status: 503 } });
    const result = await run(['list', 'apiframe', '--json', '--apiframe-url', emu.providers.apiframe.baseUrl], watchEnv(TEST_APIFRAME_KEY));
    expect(result.code).toBe(0);
    expect(parseJobs(result.stdout)).toHaveLength(HISTORY);
    expect(result.stderr).toMatch(/the job list: .*HTTP 503.*trying again/);
  });

  it('without --json prints one human line per job', async () => {
    const emu = await historyEmulator();
    const result = await run(['list', 'apiframe', '--apiframe-url', emu.providers.apiframe.baseUrl], watchEnv(TEST_APIFRAME_KEY));
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(HISTORY);
    expect(lines.every((l) => /COMPLETED|FAILED/.test(l))).toBe(true);
  });

  it('--status and --model are sent as list filters and only matching jobs are printed', async () => {
    const emu = await historyEmulator();
    const result = await run(['list', 'apiframe', '--json', '--status', 'completed', '--model', 'midjourney', '--apiframe-url', emu.providers.apiframe.baseUrl], watchEnv(TEST_APIFRAME_KEY));
    expect(result.code).toBe(0);
    const jobs = parseJobs(result.stdout);
    const expected = scenario.apiframe.jobs.filter((j) => j.outcome === 'completed' && j.model === 'midjourney');
    expect(jobs.map((j) => j.id).sort()).toEqual(expected.map((j) => j.id.toLowerCase()).sort());
    // The emulator filtered them (the CLI prints what the list returns), so the filters reached it.
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(HISTORY / 2);
  });

  it('--since stops at the first older job without fetching further pages', async () => {
    const emu = await historyEmulator();
    const sorted = [...scenario.apiframe.jobs].sort((a, b) => b.startAt - a.startAt);
    const cutoff = sorted[29]?.startAt ?? 0;
    const since = new Date(cutoff).toISOString();
    const result = await run(['list', 'apiframe', '--json', '--since', since, '--apiframe-url', emu.providers.apiframe.baseUrl], watchEnv(TEST_APIFRAME_KEY));
    expect(result.code).toBe(0);
    const jobs = parseJobs(result.stdout);
    const expected = sorted.filter((j) => j.startAt >= cutoff);
    expect(jobs.map((j) => j.id)).toEqual(expected.map((j) => j.id.toLowerCase()));
    expect(listCalls(emu)).toHaveLength(1);
  });

  it('a bad --since is a usage error (exit 2) before any request', async () => {
    const emu = await historyEmulator();
    for (const since of ['yesterday', '2026-13-45', '15/03/2026']) {
      const result = await run(['list', 'apiframe', '--since', since, '--apiframe-url', emu.providers.apiframe.baseUrl], watchEnv(TEST_APIFRAME_KEY));
      expect(result.code, since).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/--since must be an ISO date/);
    }
    expect(listCalls(emu)).toEqual([]);
  });

  it('a bad --scope is a usage error (exit 2)', async () => {
    const result = await run(['list', 'apiframe', '--scope', 'everyone', '--apiframe-url', 'http://127.0.0.1:9/apiframe'], watchEnv(TEST_APIFRAME_KEY));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--scope must be user or team/);
  });

  it('a rejected key: exit 2 with the reason on stderr and nothing on stdout', async () => {
    const emu = await historyEmulator();
    const result = await run(['list', 'apiframe', '--json', '--apiframe-url', emu.providers.apiframe.baseUrl], watchEnv('afk_definitely_not_valid'));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/key was rejected/i);
  });

  it('a server error on the list that does not pass: exit 1 with the provider message on stderr, after 4 tries', async () => {
    const emu = await historyEmulator();
    emu.faults.add({ route: 'apiframe.listJobs', fault: { kind: 'status', status: 503 } });
    const result = await run(['list', 'apiframe', '--json', '--apiframe-url', emu.providers.apiframe.baseUrl], watchEnv(TEST_APIFRAME_KEY));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/HTTP 503/);
    expect(result.stderr).toMatch(/4 of 4/);
    expect(listCalls(emu)).toHaveLength(4);
  });
});

describe('genwatch download', () => {
  const T0 = Date.parse('2026-03-15T10:00:00.000Z');
  const DAY = 86_400_000;

  async function historyEmulator(completed: number): Promise<{ emu: RunningEmulator; env: NodeJS.ProcessEnv }> {
    const emu = await startEmulator({ clock: new ManualClock(T0), scenario: bulkScenario({ startMs: T0, running: 0, completedHistory: completed, modality: 'image', seed: 9 }) });
    emulators.push(emu);
    return { emu, env: cleanEnv({ APIFRAME_API_KEY: TEST_APIFRAME_KEY, GENWATCH_APIFRAME_URL: emu.providers.apiframe.baseUrl }) };
  }

  const outDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'genwatch-cli-dl-'));
    tempDirs.push(dir);
    return dir;
  };

  it('downloads every asset of the completed jobs since a date, each list item enriched to its full result, then skips them on a second run', async () => {
    const { emu, env } = await historyEmulator(60);
    const out = outDir();
    const since = new Date(T0 - 30 * DAY).toISOString().slice(0, 10);
    const first = await run(['download', 'apiframe', '--out', out, '--since', since, '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    const events = first.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; state?: string; path?: string; jobId?: string });
    const files = events.filter((e) => e.type === 'file');
    const summary = events.find((e) => e.type === 'summary') as { done: number; failed: number } | undefined;
    expect(files.length).toBeGreaterThan(0);
    expect(files.every((f) => f.state === 'done')).toBe(true);
    expect(summary).toMatchObject({ done: files.length, failed: 0 });
    // Every downloaded job was fetched once by id for its full result (the list only carries one URL).
    const jobIds = new Set(files.map((f) => f.jobId));
    expect(emu.requests.filter((r) => r.route === 'apiframe.getJob').length).toBe(jobIds.size);
    for (const file of files) expect(existsSync(join(out, file.path ?? '\0')), file.path).toBe(true);

    const second = await run(['download', 'apiframe', '--out', out, '--since', since, '--json'], env);
    expect(second.code).toBe(0);
    const again = second.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; state?: string });
    expect(again.filter((e) => e.type === 'file').every((e) => e.state === 'skipped')).toBe(true);
  });

  it('exits 1 when files fail (assets answering 500) and reports them', async () => {
    const { emu, env } = await historyEmulator(3);
    emu.faults.add({ route: 'asset', fault: { kind: 'status', status: 500 } });
    const result = await run(['download', 'apiframe', '--out', outDir(), '--concurrency', '2'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✖/);
    expect(result.stderr).toMatch(/0 downloaded, 0 already there, \d+ failed/);
  }, 60_000);

  it('usage errors exit 2: no --out, a bad --since, an invalid job id', async () => {
    const { env } = await historyEmulator(1);
    expect((await run(['download', 'apiframe'], env)).code).toBe(2);
    const badSince = await run(['download', 'apiframe', '--out', outDir(), '--since', 'yesterday'], env);
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toMatch(/--since must be an ISO date/);
    const badId = await run(['download', 'apiframe', 'not-a-job', '--out', outDir()], env);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/not an Apiframe job id/);
    const badRate = await run(['download', 'apiframe', '--out', outDir(), '--limit-rate', 'fast'], env);
    expect(badRate.code).toBe(2);
    expect(badRate.stderr).toMatch(/--limit-rate must be a number/);
  });

  it('API calls failing for a passing reason are made again (the list after a 429 with Retry-After, a full result after two 500s); the run then downloads everything', async () => {
    const { emu, env } = await historyEmulator(3);
    emu.faults.add({ route: 'apiframe.listJobs', times: 1, fault: { kind: 'status', status: 429, retryAfterSeconds: 1 } });
    emu.faults.add({ route: 'apiframe.getJob', times: 2, fault: { kind: 'status', status: 500 } });
    const started = performance.now();
    const result = await run(['download', 'apiframe', '--out', outDir(), '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000); // the Retry-After was waited out
    expect(result.stderr).toMatch(/trying again in/);
    const summary = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; done?: number; failedJobs?: number }).find((e) => e.type === 'summary');
    expect(summary).toMatchObject({ failed: 0, failedJobs: 0 });
    expect(summary?.done).toBeGreaterThan(0);
    expect(emu.requests.filter((r) => r.route === 'apiframe.listJobs').length).toBe(2);
  }, 30_000);

  it('a job whose full result cannot be read is a failure, not silently dropped: its own JSON line, exit 1, the other jobs still downloaded', async () => {
    const { emu, env } = await historyEmulator(3);
    // Every try of the first job's full result fails (4 tries); the next jobs' succeed.
    emu.faults.add({ route: 'apiframe.getJob', times: 4, fault: { kind: 'status', status: 500 } });
    const result = await run(['download', 'apiframe', '--out', outDir(), '--json'], env);
    expect(result.code).toBe(1);
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; state?: string; id?: string; error?: string; failedJobs?: number; done?: number });
    const failedJobs = events.filter((e) => e.type === 'job' && e.state === 'failed');
    expect(failedJobs).toHaveLength(1);
    expect(failedJobs[0]?.error).toMatch(/full result could not be read.*500/);
    expect(events.find((e) => e.type === 'summary')).toMatchObject({ failed: 0, failedJobs: 1 });
    expect(events.filter((e) => e.type === 'file' && e.state === 'done').length).toBeGreaterThan(0);
    expect(result.stderr).toMatch(/1 job not downloadable/);
  }, 30_000);

  it('bad dates, filters with ids, an --out that is a file and a key bound for plain http elsewhere: exit 2 in one sentence, before any request', async () => {
    const { emu, env } = await historyEmulator(1);
    const cases: Array<[string[], RegExp]> = [
      [['--since', '2026-03-10', '--until', '2026-03-01'], /--until 2026-03-01 is before --since 2026-03-10/],
      [['--since', '2026-02-30'], /2026-02-30 is not a day in the calendar/],
      [['job-id-ignored', '--since', '2026-03-01'], /--since filter the account's history: with job ids, give only the ids/],
      [['--apiframe-url', 'http://192.0.2.2:9/apiframe'], /--apiframe-url must be https:\/\/, or http:\/\/ to this computer/],
    ];
    for (const [args, message] of cases) {
      const ids = args[0]?.startsWith('--') ? [] : [args[0] ?? ''];
      const flags = ids.length > 0 ? args.slice(1) : args;
      // The id case needs a real id shape to get past parsing: the check on filters comes first.
      const result = await run(['download', 'apiframe', ...ids.map(() => '00000000-0000-4000-8000-000000000000'), '--out', outDir(), ...flags], env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    const file = join(outDir(), 'a-file');
    writeFileSync(file, 'x');
    const onFile = await run(['download', 'apiframe', '--out', file], env);
    expect(onFile.code).toBe(2);
    expect(onFile.stderr).toMatch(/--out: .*a-file is a file, not a folder/);
    expect(emu.requests.filter((r) => r.route.startsWith('apiframe.'))).toEqual([]);
    // Only the provider the command talks to is held to it: a bad useapi URL does not stop an Apiframe run.
    const other = await run(['list', 'apiframe', '--json'], { ...env, GENWATCH_USEAPI_URL: 'http://192.0.2.2/useapi' });
    expect(other.code, other.stderr).toBe(0);
  });

  it('a date-only --until includes that whole day', async () => {
    const { env } = await historyEmulator(40);
    const listed = await run(['list', 'apiframe', '--status', 'COMPLETED', '--json'], env);
    const jobs = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Job);
    const days = [...new Set(jobs.map((j) => (j.createdAt ?? '').slice(0, 10)))].sort();
    const day = days[1] ?? '';
    const expected = new Set(jobs.filter((j) => j.createdAt?.startsWith(day)).map((j) => j.id));
    expect(expected.size).toBeGreaterThan(0);
    const result = await run(['download', 'apiframe', '--out', outDir(), '--since', day, '--until', day, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const got = new Set(result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; jobId?: string }).filter((e) => e.type === 'file').map((e) => e.jobId));
    expect(got).toEqual(expected);
  }, 30_000);

  it('--limit-rate caps the speed and still downloads everything', async () => {
    const { env } = await historyEmulator(2);
    const rate = 0.1; // MB/s: the run takes a few seconds, far longer than without a cap
    const started = performance.now();
    const result = await run(['download', 'apiframe', '--out', outDir(), '--limit-rate', String(rate), '--json'], env);
    const elapsed = performance.now() - started;
    expect(result.code).toBe(0);
    const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; state?: string; bytes?: number });
    const done = events.filter((e) => e.type === 'file' && e.state === 'done');
    expect(done.length).toBeGreaterThan(0);
    // A lower bound only: whatever came in beyond the 64 KiB burst took at least bytes / rate.
    const bytes = done.reduce((sum, e) => sum + (e.bytes ?? 0), 0);
    expect(bytes).toBeGreaterThan(256 * 1024);
    expect(elapsed).toBeGreaterThanOrEqual(((bytes - 64 * 1024) / (rate * 1024 * 1024)) * 1000 * 0.9);
  }, 60_000);

  /** Command lines of running processes that mention `text` (Linux /proc). */
  const processesWith = (text: string): string[] =>
    readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        } catch {
          return '';
        }
      })
      .filter((cmd) => cmd.includes(text));

  it.skipIf(process.platform !== 'linux')('downloads run in a relaunched Node with a small young generation; SIGTERM to the CLI stops both processes and the CLI ends by that signal (Linux: reads /proc)', async () => {
    const { env } = await historyEmulator(2);
    const out = outDir();
    const child = start(['download', 'apiframe', '--out', out, '--limit-rate', '0.05'], env);
    const exited = collect(child);
    // Until the relaunched child has exec'd: between fork and exec it still shows the parent's command line.
    const relaunched = (): number => processesWith(out).filter((cmd) => DOWNLOAD_NODE_FLAGS.every((flag) => cmd.includes(flag))).length;
    for (let i = 0; i < 200 && (processesWith(out).length < 2 || relaunched() < 1); i++) await new Promise((r) => setTimeout(r, 25));
    const running = processesWith(out);
    expect(running).toHaveLength(2);
    expect(running.filter((cmd) => DOWNLOAD_NODE_FLAGS.every((flag) => cmd.includes(flag)))).toHaveLength(1);
    child.kill('SIGTERM');
    const result = await exited;
    // Ends like the child did: killed by SIGTERM (a shell loop around it stops, as without the relaunch).
    expect(result.signal).toBe('SIGTERM');
    for (let i = 0; i < 40 && processesWith(out).length > 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(processesWith(out)).toEqual([]);
  }, 30_000);
});
