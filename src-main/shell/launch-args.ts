/**
 * What a command line (ours at start-up, or a second instance's) asks for:
 * start hidden, and job ids to add — as `--add=<ids>` / `--add <ids>`
 * (optionally `--provider=<id>`), or as a `genwatch://add?ids=…` link the OS
 * hands over. Pure, so every form is unit-tested.
 */
import { PROVIDER_IDS } from '../../src-shared/vocabulary';
import type { ProviderId } from '../../src-shared/vocabulary';
import { HIDDEN_FLAG, PROTOCOL_SCHEME } from './app-identity';

export interface AddRequest {
  /** null: the default provider (Apiframe) — the core validates the ids. */
  provider: ProviderId | null;
  /** Raw id input, as if pasted (the core's parser splits and validates it). */
  input: string;
}

export interface LaunchRequest {
  hidden: boolean;
  add: AddRequest[];
}

/** Longest input we pass on from a command line or link (the core has its own cap too). */
const MAX_INPUT = 100_000;

function providerOf(value: string | null | undefined): ProviderId | null {
  return value && (PROVIDER_IDS as readonly string[]).includes(value) ? (value as ProviderId) : null;
}

/** Parses `genwatch://add?ids=a,b&provider=useapi`; anything else is null. */
export function parseProtocolUrl(url: string): AddRequest | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${PROTOCOL_SCHEME}:`) return null;
  // `genwatch://add?…` puts "add" in the host; `genwatch:add?…` in the path.
  const action = (parsed.host || parsed.pathname).replace(/^\/+|\/+$/g, '');
  if (action !== 'add') return null;
  const ids = parsed.searchParams.getAll('ids').join('\n').slice(0, MAX_INPUT);
  if (!ids.trim()) return null;
  return { provider: providerOf(parsed.searchParams.get('provider')), input: ids };
}

/**
 * `argv` as Electron gives it (executable first; in dev also the script).
 * Chromium switches and unknown arguments are ignored.
 */
export function parseLaunchArgs(argv: readonly string[]): LaunchRequest {
  const add: AddRequest[] = [];
  let hidden = false;
  let provider: ProviderId | null = null;
  const pendingInputs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === HIDDEN_FLAG) hidden = true;
    else if (arg.startsWith('--provider=')) provider = providerOf(arg.slice('--provider='.length));
    else if (arg.startsWith('--add=')) pendingInputs.push(arg.slice('--add='.length));
    else if (arg === '--add' && i + 1 < argv.length) pendingInputs.push(argv[++i] ?? '');
    else if (arg.toLowerCase().startsWith(`${PROTOCOL_SCHEME}:`)) {
      const request = parseProtocolUrl(arg);
      if (request) add.push(request);
    }
  }
  const input = pendingInputs.join('\n').slice(0, MAX_INPUT);
  if (input.trim()) add.unshift({ provider, input });
  return { hidden, add };
}

/**
 * GENWATCH_PROFILE: a separate profile (tests, trying things out) with its
 * own settings, jobs, keychain entries and single-instance lock. A plain
 * name only, so it can never point the app's data somewhere else.
 */
export function profileName(value: string | undefined): string | null {
  return value !== undefined && /^[a-z0-9][a-z0-9-]{0,39}$/i.test(value) ? value.toLowerCase() : null;
}
