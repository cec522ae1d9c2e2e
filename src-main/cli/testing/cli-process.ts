/**
 * The built CLI as real child processes, for the CLI tests: build it once,
 * spawn it with a clean environment, collect its output, and kill whatever a
 * test left running (call `killChildren` from the test file's afterEach).
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach } from 'vitest';

export const ROOT = resolve(__dirname, '../../..');
export const CLI = join(ROOT, 'out/main/cli.js');
/** The download engine's worker thread, built with the CLI (electron-vite builds every main entry together). */
export const ENGINE_HOST = join(ROOT, 'out/main/engine-host.js');

export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ProviderInfo {
  baseUrl: string;
  apiKeys: string[];
  jobIds: string[];
}

/** The JSON line `genwatch emulator` prints first. */
export interface EmulatorInfo {
  url: string;
  providers: { apiframe: ProviderInfo; useapi: ProviderInfo };
}

const children = new Set<ChildProcess>();

/** Has `killChildren` kill `child` too (for a process not started by `start`). */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  return child;
}

/** SIGKILLs every child started here that is still running. */
export function killChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}

/** True when out/main/cli.js (or the transfer worker) is missing or older than any of `sources` (absolute paths). */
function stale(sources: string[]): boolean {
  if (!existsSync(CLI) || !existsSync(ENGINE_HOST)) return true;
  const built = statSync(CLI).mtimeMs;
  return sources.some((source) => existsSync(source) && statSync(source).mtimeMs > built);
}

/** Builds out/main/cli.js (and engine-host.js) when it is missing or older than `sources`; for a beforeAll with a long timeout. */
export async function ensureCliBuilt(sources: string[] = []): Promise<void> {
  if (!stale(sources)) return;
  await new Promise<void>((done, fail) => {
    execFile('npx', ['electron-vite', 'build'], { cwd: ROOT, timeout: 120_000 }, (error) => (error ? fail(error) : done()));
  });
}

/** The parent's environment without anything that would hand the CLI a key or a base URL. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dropped = new Set(['APIFRAME_API_KEY', 'USEAPI_TOKEN', 'GENWATCH_APIFRAME_URL', 'GENWATCH_USEAPI_URL']);
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !dropped.has(name)));
  return { ...env, ...extra };
}

export function start(args: string[], env: NodeJS.ProcessEnv = cleanEnv()): ChildProcess {
  return track(spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

export function collect(child: ChildProcess): Promise<Exited> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((done) => child.on('close', (code, signal) => done({ code, signal, stdout, stderr })));
}

export function run(args: string[], env?: NodeJS.ProcessEnv): Promise<Exited> {
  return collect(start(args, env));
}

/** Starts `genwatch emulator` and reads the JSON line it prints first. */
export async function startEmulatorProcess(speed = 5): Promise<{ child: ChildProcess; info: EmulatorInfo; exited: Promise<Exited> }> {
  const child = start(['emulator', '--speed', String(speed)]);
  const exited = collect(child);
  const line = await new Promise<string>((done, fail) => {
    let buffer = '';
    child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline >= 0) done(buffer.slice(0, newline));
    });
    child.on('close', (code) => fail(new Error(`emulator exited (${String(code)}) before printing its address`)));
  });
  return { child, info: JSON.parse(line) as EmulatorInfo, exited };
}

/**
 * What a CLI test file starts and must stop after each test: in-process
 * emulators to close and temp folders to remove (spawned CLIs are killed too).
 */
export function cleanedAfterEach(): { tempDirs: string[]; emulators: Array<{ close(): Promise<void> }> } {
  const tempDirs: string[] = [];
  const emulators: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const emu of emulators.splice(0)) await emu.close();
    killChildren();
    for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return { tempDirs, emulators };
}

