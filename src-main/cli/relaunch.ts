/**
 * `genwatch download` runs in a Node started with a small young generation.
 *
 * Why: a download streams every byte through short-lived 64 KiB buffers.
 * With V8's default semi-space (16 MiB and up) those buffers pile up between
 * scavenges; with 1 MiB they die young and cheaply. bench:download measured
 * ~20 % less wall time and peak RSS ~200 → ~125 MB. V8 reads the size only
 * at start-up (v8.setFlagsFromString afterwards has no effect), so the CLI
 * starts itself once more with the flag; Node's start-up (~50 ms) is the cost.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { CLI_OPTIONS } from './options';

/** The V8 flags a downloading process starts with (the bench's CLI runs use them too). */
export const DOWNLOAD_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** Set in the relaunched process (and by anyone who wants the CLI to stay in one process). */
export const NO_RELAUNCH_ENV = 'GENWATCH_NO_RELAUNCH';

/**
 * The node arguments to start this CLI again with, or null to go on in this
 * process: only for `download`,
 * only when the flags are missing, never twice.
 */
export function relaunchArgs(argv: readonly string[], execArgv: readonly string[], env: NodeJS.ProcessEnv): string[] | null {
  const script = argv[1];
  // Parsed like main() does, so an option's value (`--out DIR download`) is never taken for the command.
  const command = parseArgs({ args: argv.slice(2), options: CLI_OPTIONS, allowPositionals: true, strict: false }).positionals[0];
  if (command !== 'download' || script === undefined || env[NO_RELAUNCH_ENV] === '1') return null;
  if (DOWNLOAD_NODE_FLAGS.every((flag) => execArgv.includes(flag))) return null;
  return [...execArgv, ...DOWNLOAD_NODE_FLAGS, script, ...argv.slice(2)];
}

/** Signals passed on to the child: a terminal's Ctrl-C reaches both anyway; `kill`, supervisors and IDEs only reach this one. */
const FORWARDED: readonly NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGTERM'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs the CLI again as a child with `args` (stdio shared) and ends like it:
 * with its exit code, or killed by the same signal (so a shell loop around
 * `genwatch download` stops on Ctrl-C as it would without the relaunch).
 */
export function relaunch(args: string[]): Promise<number> {
  const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, [NO_RELAUNCH_ENV]: '1' } });
  const handlers = FORWARDED.map((signal) => {
    const handler = (): void => {
      try {
        child.kill(signal);
      } catch {
        // Already gone, or a signal this platform cannot send.
      }
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const detach = (): void => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
  return new Promise((done) => {
    child.once('error', () => {
      detach();
      done(1);
    });
    child.once('exit', (code, signal) => {
      detach();
      if (code !== null) return done(code);
      if (signal !== null && process.platform !== 'win32' && (FORWARDED.includes(signal) || signal === 'SIGPIPE')) {
        // Die the same way (our handlers are off, so the default action applies). Not for a crash
        // (SIGSEGV, SIGABRT…) or SIGKILL: the child's death is reported as an exit code instead.
        process.kill(process.pid, signal);
      }
      done(128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)));
    });
  });
}
