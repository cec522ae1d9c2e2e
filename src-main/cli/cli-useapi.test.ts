/**
 * The built CLI with useapi.net: `watch useapi`, `list useapi` (running jobs)
 * and `cancel`, as real processes over real HTTP. The `genwatch emulator`
 * process serves the demo scenario; tests that need a job to stay put use an
 * in-process emulator on a ManualClock instead. Builds out/main/cli.js when it
 * is missing or older than the sources these tests are about.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobSchema } from '../../src-shared/job';
import { demoScenario, DEMO_USEAPI_TOKEN, makeUseapiJobId, ManualClock, startEmulator, TEST_USEAPI_TOKEN } from '../emulator';
import type { RunningEmulator, Scenario, UseapiJobScript } from '../emulator';
import { useapi } from '../core/providers/useapi';
import { jsonResponse, ScriptedHttp } from '../core/testing/fakes';
import { FakeClock } from '../core/testing/fake-clock';
import { cancelCommand } from './cancel';
import type { CancelIo } from './cancel';
import { CLI, cleanEnv, collect, ensureCliBuilt, killChildren, ROOT, run, startEmulatorProcess, track } from './testing/cli-process';
import type { EmulatorInfo, Exited } from './testing/cli-process';

const SOURCES = [
  'src-main/cli/main.ts',
  'src-main/cli/cancel.ts',
  'src-main/core/providers/useapi.ts',
  'src-main/core/providers/useapi-wire.ts',
  'src-main/core/providers/registry.ts',
].map((path) => join(ROOT, path));

/** The demo scenario's useapi jobs (what `genwatch emulator` serves). */
const DEMO = demoScenario(0).useapi?.jobs ?? [];
const COMPLETING = DEMO.find((j) => j.outcome === 'completed' && j.startAt >= 0 && j.verb === 'imagine' && j.jobType === 'image')?.jobid ?? '';
const FINISHED = DEMO.find((j) => j.startAt < 0)?.jobid ?? '';
const MODERATED = DEMO.find((j) => j.outcome === 'moderated')?.jobid ?? '';

const emulators: RunningEmulator[] = [];

afterEach(async () => {
  for (const emu of emulators.splice(0)) await emu.close();
  killChildren();
});

beforeAll(() => ensureCliBuilt(SOURCES), 130_000);

/** Starts `genwatch emulator` (demo scenario, speed 10) and returns the JSON line it prints first. */
async function startDemoEmulator(): Promise<EmulatorInfo> {
  return (await startEmulatorProcess(10)).info;
}

const useapiEnv = (baseUrl: string, token: string): NodeJS.ProcessEnv => cleanEnv({ USEAPI_TOKEN: token, GENWATCH_USEAPI_URL: baseUrl });

interface Event {
  provider: string;
  id: string;
  status: string;
  rawStatus: string;
  progress: number;
  error: string | null;
}

function events(stdout: string): Event[] {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Event);
}

// ---- in-process emulator on a ManualClock: jobs only move when a test says so ----

const T0 = Date.parse('2026-03-15T10:00:00.000Z');
const CHANNEL = '1234567890123456789';

function longJob(seed: string): UseapiJobScript {
  return {
    jobid: makeUseapiJobId(seed, 'image', { channel: CHANNEL }),
    token: TEST_USEAPI_TOKEN,
    channel: CHANNEL,
    verb: 'imagine',
    jobType: 'image',
    prompt: `long ${seed}`,
    startAt: T0,
    createdMs: 1_000,
    progressMs: 600_000,
    outcome: 'completed',
  };
}

async function manualEmulator(...jobs: UseapiJobScript[]): Promise<RunningEmulator> {
  const clock = new ManualClock(T0);
  const scenario: Scenario = { apiframe: { apiKeys: [], jobs: [] }, useapi: { tokens: [TEST_USEAPI_TOKEN], jobs } };
  const emu = await startEmulator({ clock, scenario });
  emulators.push(emu);
  clock.advance(60_000);
  return emu;
}

describe('genwatch emulator (useapi)', () => {
  it('prints the useapi base URL, token and job ids next to Apiframe', async () => {
    const info = await startDemoEmulator();
    expect(info.providers.useapi.baseUrl).toBe(`${info.url}/useapi`);
    expect(info.providers.useapi.apiKeys).toEqual([DEMO_USEAPI_TOKEN]);
    expect(info.providers.useapi.jobIds).toEqual(DEMO.map((j) => j.jobid));
    expect(info.providers.apiframe.jobIds.length).toBeGreaterThan(0);
  });
});

describe('genwatch watch useapi', () => {
  it('--json: a job progresses and completes (exit 0), events keyed by the plain id', async () => {
    const info = await startDemoEmulator();
    const { baseUrl } = info.providers.useapi;
    const result = await run(['watch', 'useapi', COMPLETING, '--json', '--poll-scale', '0.1'], useapiEnv(baseUrl, DEMO_USEAPI_TOKEN));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const all = events(result.stdout);
    expect(all.every((e) => e.provider === 'useapi' && e.id === COMPLETING)).toBe(true);
    for (let i = 1; i < all.length; i++) expect(all[i]?.progress).toBeGreaterThanOrEqual(all[i - 1]?.progress ?? 0);
    expect(all.some((e) => e.rawStatus === 'progress')).toBe(true);
    expect(all.at(-1)).toMatchObject({ status: 'completed', rawStatus: 'completed', progress: 100 });
  });

  it('an id pasted as a URL with %3A works (--useapi-url flag instead of the environment)', async () => {
    const info = await startDemoEmulator();
    const { baseUrl } = info.providers.useapi;
    const pasted = `https://api.useapi.net/v3/midjourney/jobs/${encodeURIComponent(FINISHED)}`;
    const result = await run(['watch', 'useapi', pasted, '--json', '--useapi-url', baseUrl, '--poll-scale', '0.1'], cleanEnv({ USEAPI_TOKEN: DEMO_USEAPI_TOKEN }));
    expect(result.code).toBe(0);
    expect(events(result.stdout).at(-1)).toMatchObject({ id: FINISHED, status: 'completed' });
  });

  it('a moderated job: exit 1, the last event failed with rawStatus moderated', async () => {
    const info = await startDemoEmulator();
    const result = await run(['watch', 'useapi', MODERATED, '--json', '--poll-scale', '0.1'], useapiEnv(info.providers.useapi.baseUrl, DEMO_USEAPI_TOKEN));
    expect(result.code).toBe(1);
    expect(events(result.stdout).at(-1)).toMatchObject({ id: MODERATED, status: 'failed', rawStatus: 'moderated', error: 'Banned prompt detected' });
  });

  it('an invalid id: exit 2 with the reason, nothing on stdout', async () => {
    const info = await startDemoEmulator();
    const result = await run(['watch', 'useapi', 'j123-bot', '--json'], useapiEnv(info.providers.useapi.baseUrl, DEMO_USEAPI_TOKEN));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/j123-bot: not a useapi\.net job id/);
  });

  it('596 (pending moderation message): exit 2 with the account-hold message, not a failed job', async () => {
    const job = longJob('hold');
    const emu = await manualEmulator(job);
    emu.useapi.setAccountState(TEST_USEAPI_TOKEN, 'pending-moderation', 'Solve the CAPTCHA in Discord.');
    const result = await run(['watch', 'useapi', job.jobid, '--json', '--poll-scale', '0.1'], useapiEnv(emu.providers.useapi.baseUrl, TEST_USEAPI_TOKEN));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/holds this account until you acknowledge a moderation\/CAPTCHA message in Midjourney \("Solve the CAPTCHA in Discord\."\)/);
    expect(events(result.stdout).every((e) => e.status !== 'failed')).toBe(true);
  });

  it('402 (no subscription): exit 2 with the subscription message', async () => {
    const job = longJob('pay');
    const emu = await manualEmulator(job);
    emu.useapi.setAccountState(TEST_USEAPI_TOKEN, 'no-subscription');
    const result = await run(['watch', 'useapi', job.jobid, '--poll-scale', '0.1'], useapiEnv(emu.providers.useapi.baseUrl, TEST_USEAPI_TOKEN));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no active subscription/);
  });
});

describe('genwatch list useapi', () => {
  it('prints the running jobs with channel and elapsed time, and the channel load on stderr', async () => {
    const jobs = [longJob('a'), longJob('b')];
    const emu = await manualEmulator(...jobs);
    const result = await run(['list', 'useapi'], useapiEnv(emu.providers.useapi.baseUrl, TEST_USEAPI_TOKEN));
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(2);
    for (const job of jobs) expect(lines.some((l) => l.includes(job.jobid) && l.includes(`channel ${CHANNEL}`) && l.includes('elapsed 01:00'))).toBe(true);
    expect(result.stderr).toContain(`2 running jobs (channels: ${CHANNEL} 2/3).`);
    expect(emu.requests.map((r) => r.route)).toEqual(['useapi.listRunning']);
  });

  it('--json: one job per line in the common model', async () => {
    const emu = await manualEmulator(longJob('json'));
    const result = await run(['list', 'useapi', '--json'], useapiEnv(emu.providers.useapi.baseUrl, TEST_USEAPI_TOKEN));
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(1);
    const parsed = JobSchema.parse(JSON.parse(lines[0] ?? ''));
    expect(parsed).toMatchObject({ provider: 'useapi', id: longJob('json').jobid, status: 'running', modality: 'image' });
  });

  it('history filters are refused (exit 2); no token is exit 2; a 402 is exit 1 with the message', async () => {
    const emu = await manualEmulator(longJob('flags'));
    const env = useapiEnv(emu.providers.useapi.baseUrl, TEST_USEAPI_TOKEN);
    const flags = await run(['list', 'useapi', '--status', 'completed'], env);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toMatch(/running jobs only, without --status/);
    const noKey = await run(['list', 'useapi'], cleanEnv({ GENWATCH_USEAPI_URL: emu.providers.useapi.baseUrl }));
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/No useapi\.net Midjourney key: set USEAPI_TOKEN/);
    emu.useapi.setAccountState(TEST_USEAPI_TOKEN, 'no-subscription');
    const payment = await run(['list', 'useapi'], env);
    expect(payment.code).toBe(1);
    expect(payment.stderr).toMatch(/no active subscription/);
  });
});

describe('genwatch cancel', () => {
  it('without --yes and without a terminal: exit 2, nothing sent', async () => {
    const job = longJob('no-tty');
    const emu = await manualEmulator(job);
    const result = await run(['cancel', 'useapi', job.jobid], useapiEnv(emu.providers.useapi.baseUrl, TEST_USEAPI_TOKEN));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/without confirmation: run again with --yes/);
    expect(emu.requests).toEqual([]);
  });

  it('--yes: DELETE sent (id percent-encoded), exit 0, the job shown failed "Job cancelled by user"; again → exit 1 "not running"', async () => {
    const job = longJob('yes');
    const emu = await manualEmulator(job);
    const env = useapiEnv(emu.providers.useapi.baseUrl, TEST_USEAPI_TOKEN);
    const result = await run(['cancel', 'useapi', job.jobid, '--yes'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`cancelled ${job.jobid}`);
    expect(result.stdout).toMatch(/✖ .*failed.*Job cancelled by user/);
    expect(emu.requests.filter((r) => r.route === 'useapi.cancel').map((r) => [r.method, r.status, r.path.includes('%3A')])).toEqual([['DELETE', 204, true]]);
    const again = await run(['cancel', 'useapi', job.jobid, '-y'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not running any more/);
  });

  it('a cancel whose answer is lost (the job stopped, the connection cut) is tried again; "not running" then is reported as the cancel it was, exit 0', async () => {
    const job = longJob('lost');
    const emu = await manualEmulator(job);
    emu.faults.add({ route: 'useapi.cancel', times: 1, fault: { kind: 'truncate' } });
    const result = await run(['cancel', 'useapi', job.jobid, '--yes'], useapiEnv(emu.providers.useapi.baseUrl, TEST_USEAPI_TOKEN));
    expect(result.code).toBe(0);
    expect(emu.requests.filter((r) => r.route === 'useapi.cancel')).toHaveLength(2);
    expect(result.stderr).toMatch(/trying again/);
    expect(result.stderr).toContain(`cancelled ${job.jobid} (the answer to an earlier try was lost`);
    expect(result.stdout).toMatch(/✖ .*failed.*Job cancelled by user/);
  });

  it('an unknown job is exit 1 (not found); a provider without cancel is exit 2', async () => {
    const emu = await manualEmulator(longJob('x'));
    const unknown = makeUseapiJobId('unknown', 'image', { channel: CHANNEL });
    const notFound = await run(['cancel', 'useapi', unknown, '--yes'], useapiEnv(emu.providers.useapi.baseUrl, TEST_USEAPI_TOKEN));
    expect(notFound.code).toBe(1);
    expect(notFound.stderr).toMatch(/nothing to cancel/);
    const apiframe = await run(['cancel', 'apiframe', 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', '--yes'], cleanEnv({ APIFRAME_API_KEY: 'afk_whatever_key', GENWATCH_APIFRAME_URL: emu.providers.apiframe.baseUrl }));
    expect(apiframe.code).toBe(2);
    expect(apiframe.stderr).toMatch(/Apiframe does not let genwatch cancel jobs/);
  });

  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasScript)('on a terminal it asks first: "y" cancels, anything else does not (via script(1) for a pty)', async () => {
    const jobs = [longJob('tty-yes'), longJob('tty-no')];
    const emu = await manualEmulator(...jobs);
    const env = useapiEnv(emu.providers.useapi.baseUrl, TEST_USEAPI_TOKEN);
    const inTerminal = (id: string, answer: string): Promise<Exited> => {
      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} cancel useapi ${JSON.stringify(id)}`;
      const child = track(spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] }));
      const exited = collect(child);
      // The pty buffers the answer until the prompt reads it.
      child.stdin?.write(`${answer}\n`);
      return exited;
    };
    const declined = await inTerminal(jobs[1]?.jobid ?? '', 'n');
    expect(declined.stdout).toMatch(/Cancel useapi\.net Midjourney job .* \[y\/N\]/);
    expect(declined.stdout).toMatch(/Not cancelled\./);
    expect(declined.code).toBe(1);
    const accepted = await inTerminal(jobs[0]?.jobid ?? '', 'y');
    expect(accepted.code).toBe(0);
    expect(emu.requests.filter((r) => r.route === 'useapi.cancel')).toHaveLength(1);
  });
});

describe('cancelCommand (in process)', () => {
  const ID = 'j1023141520123456789i-u12345-c1234567890123456789-bot:midjourney';
  function fakeIo(interactive: boolean, answer: string): CancelIo & { lines: string[]; errors: string[]; questions: string[] } {
    const lines: string[] = [];
    const errors: string[] = [];
    const questions: string[] = [];
    return {
      lines,
      errors,
      questions,
      interactive,
      out: (line) => lines.push(line),
      err: (line) => errors.push(line),
      ask: (question) => {
        questions.push(question);
        return Promise.resolve(answer);
      },
    };
  }
  const context = (http: ScriptedHttp): Parameters<typeof cancelCommand>[0]['context'] => ({ http, clock: new FakeClock(), baseUrl: 'https://api.useapi.test', apiKey: 'token-1234', accountId: 'default' });

  it('asks on a terminal and sends nothing when declined', async () => {
    const http = new ScriptedHttp();
    const io = fakeIo(true, 'no');
    expect(await cancelCommand({ adapter: useapi, context: context(http), input: ID, yes: false }, io)).toBe(1);
    expect(io.questions).toEqual([`Cancel useapi.net Midjourney job ${ID}? This cannot be undone. [y/N] `]);
    expect(http.requests).toEqual([]);
  });

  it('"yes" cancels, then shows the job once more', async () => {
    const http = new ScriptedHttp().enqueue({ status: 204, headers: {}, body: '' }, jsonResponse(200, { jobid: ID, status: 'failed', error: 'Job cancelled by user', code: 499 }));
    const io = fakeIo(true, ' YES ');
    expect(await cancelCommand({ adapter: useapi, context: context(http), input: `"${ID}"`, yes: false }, io)).toBe(0);
    expect(http.requests.map((r) => r.method)).toEqual(['DELETE', 'GET']);
    expect(io.lines[0]).toMatch(/failed.*Job cancelled by user/);
  });

  it('"not running" after a try whose answer was lost: exit 1 when the job completed (the cancel cannot be vouched for); after a 429 (the provider did nothing) the plain refusal', async () => {
    const lost = new ScriptedHttp().enqueue(jsonResponse(502, { error: 'Bad gateway' }), jsonResponse(400, { error: 'Job is not running' }), jsonResponse(200, { jobid: ID, status: 'completed', response: { imageUx: [] } }));
    const io = fakeIo(false, '');
    expect(await cancelCommand({ adapter: useapi, context: context(lost), input: ID, yes: true }, io)).toBe(1);
    expect(lost.requests.map((r) => r.method)).toEqual(['DELETE', 'DELETE', 'GET']);
    expect(io.errors.at(-1)).toMatch(/not running any more, and it is completed; the answer to an earlier try was lost/);
    const limited = new ScriptedHttp().enqueue(jsonResponse(429, { error: 'Too many requests' }), jsonResponse(400, { error: 'Job is not running' }));
    const io2 = fakeIo(false, '');
    expect(await cancelCommand({ adapter: useapi, context: context(limited), input: ID, yes: true }, io2)).toBe(1);
    expect(limited.requests.map((r) => r.method)).toEqual(['DELETE', 'DELETE']);
    expect(io2.errors.at(-1)).toMatch(/did not cancel the job: it is not running any more/);
  });

  it('a missing key is exit 2 before anything is asked', async () => {
    const io = fakeIo(true, 'y');
    expect(await cancelCommand({ adapter: useapi, context: null, input: ID, yes: false }, io)).toBe(2);
    expect(io.questions).toEqual([]);
    expect(io.errors[0]).toMatch(/set USEAPI_TOKEN/);
  });

  it('a rejected token is exit 2; the cancel stands even if the follow-up look-up fails', async () => {
    const rejected = new ScriptedHttp().enqueue(jsonResponse(401, { error: 'Unauthorized' }));
    expect(await cancelCommand({ adapter: useapi, context: context(rejected), input: ID, yes: true }, fakeIo(false, ''))).toBe(2);
    const flaky = new ScriptedHttp().enqueue({ status: 204, headers: {}, body: '' }, new Error('ECONNRESET'));
    const io = fakeIo(false, '');
    expect(await cancelCommand({ adapter: useapi, context: context(flaky), input: ID, yes: true }, io)).toBe(0);
    expect(io.lines).toEqual([]);
  });
});
