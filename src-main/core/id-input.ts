/**
 * Splits pasted text into job ids: one per line, or separated by spaces,
 * commas or semicolons. Each token is checked by the provider before any
 * request; duplicates inside one paste are dropped silently.
 */
import type { ProviderAdapter } from './providers/provider';

export interface ParsedInput {
  ids: string[];
  rejected: { input: string; reason: string }[];
}

const MAX_REPORTED_REJECTS = 200;

export function parseIdInput(input: string, provider: Pick<ProviderAdapter, 'parseId'>): ParsedInput {
  const seen = new Set<string>();
  const ids: string[] = [];
  const rejected: ParsedInput['rejected'] = [];
  let rejectedCount = 0;
  for (const token of input.split(/[\s,;]+/)) {
    if (token.length === 0) continue;
    const parsed = provider.parseId(token);
    if (!parsed.ok) {
      rejectedCount++;
      if (rejected.length < MAX_REPORTED_REJECTS) rejected.push({ input: token.slice(0, 120), reason: parsed.reason });
      continue;
    }
    if (seen.has(parsed.id)) continue;
    seen.add(parsed.id);
    ids.push(parsed.id);
  }
  if (rejectedCount > rejected.length) {
    rejected.push({ input: '…', reason: `${rejectedCount - rejected.length} more invalid entries not listed` });
  }
  return { ids, rejected };
}
