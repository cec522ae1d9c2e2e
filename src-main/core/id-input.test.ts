import { describe, expect, it } from 'vitest';
import { parseIdInput } from './id-input';
import { apiframe } from './providers/apiframe';
import type { ParsedId } from './providers/provider';
import { uuidFor } from './testing/apiframe-fixtures';

const A = uuidFor(1);
const B = uuidFor(2);
const C = uuidFor(3);

describe('parseIdInput', () => {
  it('splits on newlines (LF and CRLF), commas, semicolons, spaces and tabs', () => {
    const { ids, rejected } = parseIdInput(`${A}\r\n${B},${C}\n\n  ${uuidFor(4)};${uuidFor(5)}\t${uuidFor(6)} , `, apiframe);
    expect(ids).toEqual([A, B, C, uuidFor(4), uuidFor(5), uuidFor(6)]);
    expect(rejected).toEqual([]);
  });

  it('drops duplicates inside one paste, also when they differ only in case or come from a URL', () => {
    const { ids } = parseIdInput(`${A}\n${A.toUpperCase()}\nhttps://app.apiframe.ai/jobs/${A}\n${B}\n${A}`, apiframe);
    expect(ids).toEqual([A, B]);
  });

  it('reports invalid tokens with the provider reason and keeps the valid ones', () => {
    const { ids, rejected } = parseIdInput(`${A} nope ${B}`, apiframe);
    expect(ids).toEqual([A, B]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.input).toBe('nope');
    expect(rejected[0]?.reason).toMatch(/UUID/);
  });

  it('whitespace-only input yields nothing', () => {
    expect(parseIdInput(' \n\t ,; ', apiframe)).toEqual({ ids: [], rejected: [] });
  });

  it('caps the reported rejects at 200 plus one summary line with the remaining count', () => {
    const input = Array.from({ length: 250 }, (_, i) => `bad${i}`).join('\n');
    const { ids, rejected } = parseIdInput(input, apiframe);
    expect(ids).toEqual([]);
    expect(rejected).toHaveLength(201);
    expect(rejected[199]?.input).toBe('bad199');
    expect(rejected[200]?.reason).toBe('50 more invalid entries not listed');
  });

  it('exactly 200 rejects are all listed, without a summary line', () => {
    const { rejected } = parseIdInput(Array.from({ length: 200 }, (_, i) => `bad${i}`).join(' '), apiframe);
    expect(rejected).toHaveLength(200);
    expect(rejected.every((r) => r.input.startsWith('bad'))).toBe(true);
  });

  it('truncates a very long rejected token in the report', () => {
    const { rejected } = parseIdInput('x'.repeat(5_000), apiframe);
    expect(rejected[0]?.input).toHaveLength(120);
  });

  it('uses the provider’s normalised id (whatever parseId returns)', () => {
    const shouting = { parseId: (token: string): ParsedId => ({ ok: true, id: token.toUpperCase() }) };
    expect(parseIdInput('ab Ab cd', shouting).ids).toEqual(['AB', 'CD']);
  });
});
