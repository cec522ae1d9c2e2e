/** The CLI's options: one table for parsing the command line (main.ts) and for deciding on a relaunch (relaunch.ts). */
import type { ParseArgsConfig } from 'node:util';

export const CLI_OPTIONS = {
  json: { type: 'boolean' },
  port: { type: 'string' },
  speed: { type: 'string' },
  'apiframe-url': { type: 'string' },
  'useapi-url': { type: 'string' },
  'poll-scale': { type: 'string' },
  status: { type: 'string' },
  model: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  out: { type: 'string' },
  concurrency: { type: 'string' },
  'limit-rate': { type: 'string' },
  force: { type: 'boolean' },
  fsync: { type: 'boolean' },
  scope: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;
