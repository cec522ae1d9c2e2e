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

/** The V8 flags a downloading process starts with (the bench's CLI runs use them too). */
export const DOWNLOAD_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** Set in the relaunched process (and by anyone who wants the CLI to stay in one process). */
export const NO_RELAUNCH_ENV = 'GENWATCH_NO_RELAUNCH';

/**
 * The node arguments to start this CLI again with, or null to go on in this
 * process: only for `download`, only when the flags are missing, never twice.
 */
export function relaunchArgs(argv: readonly string[], execArgv: readonly string[], env: NodeJS.ProcessEnv): string[] | null {
  const [script, command] = [argv[1], argv[2]];
  if (command !== 'download' || script === undefined || env[NO_RELAUNCH_ENV] === '1') return null;
  if (DOWNLOAD_NODE_FLAGS.every((flag) => execArgv.includes(flag))) return null;
  return [...execArgv, ...DOWNLOAD_NODE_FLAGS, script, ...argv.slice(2)];
}

/**
 * Runs the CLI again as a child with `args` (stdio shared) and resolves with
 * its exit code. Ctrl-C reaches both processes (same process group): this one
 * ignores it and lets the child stop cleanly; SIGTERM/SIGHUP are passed on.
 */
export function relaunch(args: string[]): Promise<number> {
  const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, [NO_RELAUNCH_ENV]: '1' } });
  const forward = (signal: NodeJS.Signals) => (): void => void child.kill(signal);
  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ['SIGINT', () => undefined],
    ['SIGTERM', forward('SIGTERM')],
    ['SIGHUP', forward('SIGHUP')],
  ];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return new Promise((done) => {
    const finish = (code: number): void => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
      done(code);
    };
    child.once('error', () => finish(1));
    // A child killed by a signal exits like a shell reports it: 128 + the signal's number.
    child.once('exit', (code, signal) => finish(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1)));
  });
}
