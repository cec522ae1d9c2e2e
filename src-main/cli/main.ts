#!/usr/bin/env node
/**
 * genwatch CLI: the same core as the app, headless.
 *   genwatch emulator [--port N] [--speed X]
 *   genwatch watch <provider> <jobId…> [--json] [--apiframe-url URL] [--useapi-url URL] [--poll-scale F]
 *   genwatch list <provider> [--status S] [--model M] [--since ISO] [--scope user|team] [--json]
 *   genwatch cancel <provider> <jobId> [--yes]
 *   genwatch download <provider> [jobId…] --out DIR [filters] [--json]
 *   genwatch demo [--speed X] [--json]
 *   genwatch keys set|delete <provider>   (key read from stdin)
 *   genwatch keys status
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { PROVIDER_IDS, ProviderIdSchema } from '../../src-shared/job';
import type { ProviderId } from '../../src-shared/job';
import { createKeytarSecrets } from '../adapters/keytar-secrets';
import { keychainAccount } from '../core/keys';
import { isLoopbackUrl, isHttpsOrLoopbackUrl, UNSAFE_API_BASE } from '../../src-shared/loopback';
import { PROVIDERS } from '../core/providers/registry';
import { ScaledClock, startEmulator } from '../emulator';
import { systemClock } from '../adapters/system-clock';
import type { ProviderAdapter, ProviderContext } from '../core/providers/provider';
import { cancelCommand } from './cancel';
import { createHeadlessCore } from './compose';
import { listJobs } from './list';
import { downloadCommand } from './download';
import { createResultDownload } from '../adapters/result-download';
import { nodeSha256 } from '../adapters/node-fs';
import { createBlockingFileSystem } from '../adapters/node-fs-blocking';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { runDemo } from './demo';
import { EXIT, watchJobs } from './watch';
import type { WatchIo } from './watch';
import { VERSION } from './version';
import { CLI_OPTIONS } from './options';
import { relaunch, relaunchArgs } from './relaunch';

const USAGE = `genwatch ${VERSION}: watch AI generation jobs from the terminal

Usage:
  genwatch watch <provider> <jobId...> [--json] [--apiframe-url URL] [--useapi-url URL] [--poll-scale F]
      Poll until every job is finished. Exit 0: all completed, 1: any failed, 2: usage or key problem.
      --json prints one JSON event per line on stdout; messages go to stderr.
  genwatch list <provider> [--status S] [--model M] [--since ISO] [--scope user|team] [--json]
      Every job of the account, newest first (all pages); --json prints one job per line in the common model.
      useapi (no history list): the jobs running right now, with each channel's load.
  genwatch cancel <provider> <jobId> [--yes]
      Cancel a running job (useapi). Asks for confirmation on a terminal; scripts must pass --yes.
  genwatch download <provider> [jobId...] --out DIR [--since ISO] [--until ISO] [--status S] [--model M]
                   [--concurrency N] [--limit-rate MBPS] [--force] [--fsync] [--json]
      Every asset of every matching job (or of the given ids) into DIR, with sidecars and a ledger:
      files already downloaded are skipped (--force fetches again). --fsync makes each file power-cut
      safe before it counts as done (slower). --concurrency: 1–16 files at a time (default 6).
      --status takes the provider's names (Apiframe: QUEUED, PROCESSING, COMPLETED, FAILED, any case);
      only completed jobs have files. Failed API calls are retried (backoff, Retry-After).
      Exit 0 all on disk, 1 some files or jobs failed, 2 usage or key problem.
  genwatch demo [--speed X] [--json]
      Start the built-in emulator with a scripted mix of jobs and watch them to the end.
  genwatch emulator [--port N] [--speed X]
      Run the provider emulator; prints one JSON line with base URLs, keys and job ids.
  genwatch keys set <provider>      Store a key (read from stdin) in the system keychain.
  genwatch keys delete <provider>   Remove a stored key.
  genwatch keys status              Which keys are set (last 4 characters only).

Providers: ${PROVIDER_IDS.join(', ')}.
Keys: system keychain, or APIFRAME_API_KEY / USEAPI_TOKEN for headless use.
Base URLs: --apiframe-url / --useapi-url or GENWATCH_APIFRAME_URL / GENWATCH_USEAPI_URL.
`;

/** The provider the running command talks to (for messages). */
let commandProvider = '<provider>';

// A reader that stops early (`genwatch download … --json | head -1`): the run goes on, its output is dropped.
let stdoutGone = false;
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  stdoutGone = true;
});

const io: WatchIo = {
  out: (line) => void (stdoutGone || process.stdout.write(`${line}\n`)),
  // Messages from the core speak of the app's Settings; here keys are set with `genwatch keys set`.
  err: (line) => process.stderr.write(`${line.replaceAll(' in Settings', ` with \`genwatch keys set ${commandProvider}\``)}\n`),
};

class UsageError extends Error {}

function providerArg(value: string | undefined): ProviderId {
  const parsed = ProviderIdSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`Unknown provider "${value ?? ''}": use one of ${PROVIDER_IDS.join(', ')}.`);
  commandProvider = parsed.data;
  return parsed.data;
}

function numberArg(name: string, value: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(max === Number.MAX_SAFE_INTEGER ? `--${name} must be a number ≥ ${min}.` : `--${name} must be a number from ${min} to ${max}.`);
  return n;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8').trim();
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const done = (signal: string): void => resolve(signal);
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
}

async function cmdEmulator(values: Record<string, string | boolean | undefined>): Promise<number> {
  const port = numberArg('port', values['port'] as string | undefined, 0, 0);
  const speed = numberArg('speed', values['speed'] as string | undefined, 1, 0.01);
  const emulator = await startEmulator({ port, clock: new ScaledClock(speed) });
  const { apiframe, useapi } = emulator.providers;
  // Handlers first: a caller may send SIGTERM the moment it reads the ready line.
  const signalled = waitForSignal();
  const describe = (p: { baseUrl: string; apiKeys: string[]; jobIds: string[] }): Record<string, unknown> => ({ baseUrl: p.baseUrl, apiKeys: p.apiKeys, jobIds: p.jobIds });
  io.out(JSON.stringify({ url: emulator.url, providers: { apiframe: describe(apiframe), useapi: describe(useapi) } }));
  const signal = await signalled;
  io.err(`emulator: ${signal}, shutting down`);
  await emulator.close();
  return EXIT.ok;
}

/** The environment with --<provider>-url flags applied; the base URL of `provider` (the one the command talks to) must be safe. */
function environmentWithFlags(values: Record<string, string | boolean | undefined>, provider: ProviderId): Record<string, string | undefined> {
  const environment: Record<string, string | undefined> = { ...process.env };
  for (const adapter of PROVIDERS) {
    const flag = values[`${adapter.id}-url`];
    if (typeof flag === 'string') environment[adapter.env.baseUrl] = flag;
    const base = environment[adapter.env.baseUrl];
    if (adapter.id === provider && base !== undefined && base !== '' && !isHttpsOrLoopbackUrl(base)) throw new UsageError(`${typeof flag === 'string' ? `--${adapter.id}-url` : adapter.env.baseUrl} ${UNSAFE_API_BASE}.`);
  }
  return environment;
}

function adapterFor(provider: ProviderId): ProviderAdapter {
  const adapter = PROVIDERS.find((p) => p.id === provider);
  if (!adapter) throw new UsageError(`Provider ${provider} is not supported by this build yet.`);
  return adapter;
}

async function cmdList(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number> {
  const provider = providerArg(positionals[0]);
  const adapter = adapterFor(provider);
  const scope = values['scope'];
  if (scope !== undefined && scope !== 'user' && scope !== 'team') throw new UsageError('--scope must be user or team.');
  const headless = await createHeadlessCore({ environment: environmentWithFlags(values, provider) });
  try {
    const account = headless.core.activeAccount(provider);
    const credentials = headless.core.credentials(provider, account);
    if (!credentials) {
      io.err(`No ${adapter.label} key: set ${adapter.env.apiKey}, or run \`genwatch keys set ${provider}\`.`);
      return EXIT.usage;
    }
    const context: ProviderContext = { http: headless.http, clock: systemClock, accountId: account, ...credentials };
    if (!adapter.listJobs && adapter.listRunning) {
      for (const flag of ['status', 'model', 'since', 'scope']) {
        if (values[flag] !== undefined) throw new UsageError(`${adapter.label} has no job history: \`list ${provider}\` shows the running jobs only, without --${flag}.`);
      }
      return await listRunningJobs(adapter, context, values['json'] === true);
    }
    return await listJobs(
      adapter,
      context,
      {
        json: values['json'] === true,
        ...(typeof values['status'] === 'string' ? { status: values['status'] } : {}),
        ...(typeof values['model'] === 'string' ? { model: values['model'] } : {}),
        ...(typeof values['since'] === 'string' ? { since: values['since'] } : {}),
        ...(scope ? { scope } : {}),
      },
      io,
    );
  } finally {
    await headless.close();
  }
}

/** Why `dir` cannot take downloads (created if missing; a probe file written and removed), or null. */
async function unusableFolder(dir: string): Promise<string | null> {
  const existing = await stat(dir).catch(() => null);
  if (existing !== null && !existing.isDirectory()) return `--out: ${dir} is a file, not a folder.`;
  const probe = join(dir, `.genwatch-probe-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '', { flag: 'wx' });
    await rm(probe, { force: true });
    return null;
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : String(e);
    return `--out: genwatch cannot write into ${dir} (${code}); choose another folder.`;
  }
}

async function cmdDownload(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number> {
  const provider = providerArg(positionals[0]);
  const adapter = adapterFor(provider);
  const out = values['out'];
  if (typeof out !== 'string' || out.length === 0) throw new UsageError('Give the folder to download into with --out DIR.');
  const concurrency = numberArg('concurrency', values['concurrency'] as string | undefined, 6, 1);
  const limitRate = numberArg('limit-rate', values['limit-rate'] as string | undefined, 0, 0);
  // Before any network work: a folder that cannot take files fails now, in one sentence.
  const unusable = await unusableFolder(resolve(out));
  if (unusable !== null) throw new UsageError(unusable);
  const headless = await createHeadlessCore({ environment: environmentWithFlags(values, provider) });
  const downloadHttp = createResultDownload();
  try {
    const account = headless.core.activeAccount(provider);
    const credentials = headless.core.credentials(provider, account);
    if (!credentials) {
      io.err(`No ${adapter.label} key: set ${adapter.env.apiKey}, or run \`genwatch keys set ${provider}\`.`);
      return EXIT.usage;
    }
    return await downloadCommand(
      adapter,
      { http: headless.http, clock: systemClock, accountId: account, ...credentials },
      // Blocking file I/O: harmless on a CLI's own thread, and ~20 % faster than the thread pool (bench:download).
      { http: downloadHttp, fs: createBlockingFileSystem(), hasher: nodeSha256, clock: systemClock, random: Math.random },
      {
        ids: positionals.slice(1),
        out: resolve(out),
        concurrency: Math.min(16, Math.floor(concurrency)),
        ...(limitRate > 0 ? { maxBytesPerSecond: Math.round(limitRate * 1024 * 1024) } : {}),
        force: values['force'] === true,
        fsync: values['fsync'] === true,
        json: values['json'] === true,
        ...(typeof values['since'] === 'string' ? { since: values['since'] } : {}),
        ...(typeof values['until'] === 'string' ? { until: values['until'] } : {}),
        ...(typeof values['status'] === 'string' ? { status: values['status'] } : {}),
        ...(typeof values['model'] === 'string' ? { model: values['model'] } : {}),
      },
      io,
    );
  } finally {
    await downloadHttp.close();
    await headless.close();
  }
}

async function cmdWatch(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number> {
  const provider = providerArg(positionals[0]);
  const ids = positionals.slice(1);
  if (ids.length === 0) throw new UsageError('Give at least one job id to watch.');
  const environment = environmentWithFlags(values, provider);
  const adapter = adapterFor(provider);
  const baseUrl = environment[adapter.env.baseUrl] ?? adapter.defaultBaseUrl;
  const pollScale = numberArg('poll-scale', values['poll-scale'] as string | undefined, 1, 0.001, 100);
  if (pollScale < 1 && !isLoopbackUrl(baseUrl)) {
    throw new UsageError('--poll-scale below 1 is only allowed against a loopback URL (the emulator), never a real API.');
  }
  const headless = await createHeadlessCore({ environment, intervalScale: pollScale });
  try {
    if (!headless.core.hasUserKey(provider)) {
      io.err(`No ${adapter.label} key: set ${adapter.env.apiKey}, or run \`genwatch keys set ${provider}\`.`);
      return EXIT.usage;
    }
    // Pasted forms (URLs, %3A, quotes) are normalised here so the events match the watched keys;
    // invalid tokens pass through unchanged and are reported by watchJobs.
    const normalised = ids.map((id) => {
      const parsed = adapter.parseId(id);
      return parsed.ok ? parsed.id : id;
    });
    const outcome = await watchJobs(headless.core, provider, normalised, { json: values['json'] === true, io });
    return outcome.code;
  } finally {
    await headless.close();
  }
}

/** `list` for providers without a history (useapi.net): the running-jobs list, one line per job. */
async function listRunningJobs(adapter: ProviderAdapter, context: ProviderContext, json: boolean): Promise<number> {
  const listRunning = adapter.listRunning;
  if (!listRunning) throw new UsageError(`${adapter.label} cannot list jobs.`);
  const snapshot = await listRunning(context, { scope: 'user' });
  if (!snapshot.ok) {
    io.err(snapshot.error.message);
    return snapshot.error.kind === 'auth' ? EXIT.usage : EXIT.failed;
  }
  for (const job of snapshot.value.jobs) {
    const { partial: _partial, ...rest } = job;
    if (json) {
      io.out(JSON.stringify({ ...rest, watch: { state: 'watching', message: null, lastCheckedAt: null, progressAt: null } }));
      continue;
    }
    const raw = (job.raw ?? {}) as { channel?: unknown; elapsed?: unknown };
    const channel = typeof raw.channel === 'string' ? `  channel ${raw.channel}` : '';
    const elapsed = typeof raw.elapsed === 'string' ? `  elapsed ${raw.elapsed}` : '';
    io.out(`▶ ${job.id}  ${job.modality}${channel}  created ${job.createdAt ?? '?'}${elapsed}`);
  }
  const count = snapshot.value.jobs.length;
  const load = (snapshot.value.channels ?? []).map((c) => `${c.id} ${c.running}/${c.maxJobs ?? '?'}`).join(', ');
  io.err(`${count} running job${count === 1 ? '' : 's'}${load ? ` (channels: ${load})` : ''}.`);
  return EXIT.ok;
}

async function cmdCancel(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number> {
  const provider = providerArg(positionals[0]);
  const input = positionals[1];
  if (input === undefined || positionals.length > 2) throw new UsageError('Give exactly one job id to cancel.');
  const adapter = adapterFor(provider);
  const headless = await createHeadlessCore({ environment: environmentWithFlags(values, provider) });
  try {
    const account = headless.core.activeAccount(provider);
    const credentials = headless.core.credentials(provider, account);
    const context: ProviderContext | null = credentials ? { http: headless.http, clock: systemClock, accountId: account, ...credentials } : null;
    return await cancelCommand(
      { adapter, context, input, yes: values['yes'] === true },
      {
        ...io,
        interactive: process.stdin.isTTY === true,
        async ask(question) {
          const prompt = createInterface({ input: process.stdin, output: process.stderr });
          try {
            return await prompt.question(question);
          } finally {
            prompt.close();
          }
        },
      },
    );
  } finally {
    await headless.close();
  }
}

async function cmdKeys(positionals: string[]): Promise<number> {
  const [action, providerName] = positionals;
  const secrets = createKeytarSecrets();
  const availability = await secrets.availability();
  if (action === 'status') {
    if (!availability.available) io.err(availability.message ?? 'The system keychain is not available.');
    for (const provider of PROVIDER_IDS) {
      const key = availability.available ? await secrets.get(keychainAccount(provider, 'default')) : null;
      io.out(`${provider}: ${key ? `set (…${key.slice(-4)}) in the system keychain` : 'not set'}`);
    }
    return EXIT.ok;
  }
  if (action !== 'set' && action !== 'delete') throw new UsageError('Use `genwatch keys set|delete <provider>` or `genwatch keys status`.');
  const provider = providerArg(providerName);
  if (!availability.available) {
    io.err(`${availability.message ?? 'The system keychain is not available.'} Use ${PROVIDERS.find((p) => p.id === provider)?.env.apiKey ?? 'the environment variable'} instead.`);
    return EXIT.usage;
  }
  if (action === 'delete') {
    const removed = await secrets.delete(keychainAccount(provider, 'default'));
    io.err(removed ? `${provider} key removed from the keychain.` : `No ${provider} key was stored.`);
    return EXIT.ok;
  }
  if (process.stdin.isTTY) io.err(`Paste the ${provider} key and press Ctrl-D:`);
  const key = await readStdin();
  if (key.length < 8) {
    io.err('That does not look like an API key (too short); nothing stored.');
    return EXIT.usage;
  }
  await secrets.set(keychainAccount(provider, 'default'), key);
  io.err(`${provider} key stored in the system keychain (…${key.slice(-4)}).`);
  return EXIT.ok;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: CLI_OPTIONS,
  });
  const [command, ...rest] = positionals;
  if (values.version) {
    io.out(VERSION);
    return EXIT.ok;
  }
  if (values.help || !command) {
    (command ? io.out : io.err)(USAGE);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  switch (command) {
    case 'emulator':
      return cmdEmulator(values);
    case 'watch':
      return cmdWatch(values, rest);
    case 'list':
      return cmdList(values, rest);
    case 'download':
      return cmdDownload(values, rest);
    case 'demo':
      return runDemo({ speed: numberArg('speed', values.speed, 3, 0.1), json: values.json === true, io });
    case 'cancel':
      return cmdCancel(values, rest);
    case 'keys':
      return cmdKeys(rest);
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}

const relaunchWith = relaunchArgs(process.argv, process.execArgv, process.env);
(relaunchWith !== null ? relaunch(relaunchWith) : main(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      io.err(`${error.message}\n\n${USAGE}`);
      process.exitCode = EXIT.usage;
      return;
    }
    io.err(`genwatch: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = EXIT.usage;
  },
);
