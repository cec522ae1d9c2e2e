import { describe, expect, it } from 'vitest';
import { failureKind } from './failure-reason';

const failed = (message: string, details: string | null = null, rawStatus = 'FAILED') => ({ rawStatus, error: { message, code: null, details } });

describe('failureKind', () => {
  it('names the kind of failure from the provider reason', () => {
    expect(failureKind(failed('Provider returned an error: content policy violation'))).toBe('moderated');
    expect(failureKind(failed('Banned prompt detected', 'Sorry! Our AI moderator thinks this prompt is probably against our community standards.'))).toBe('moderated');
    expect(failureKind(failed('Job failed', null, 'moderated'))).toBe('moderated');
    expect(failureKind(failed('Job cancelled by user'))).toBe('cancelled');
    expect(failureKind(failed('Generation timed out after 600 s'))).toBe('timeout');
    expect(failureKind(failed('Invalid parameter: --ar 99:1'))).toBe('parameter');
    expect(failureKind(failed('Unrecognized parameter(s): `--fast2`'))).toBe('parameter');
    expect(failureKind(failed('Midjourney returned an error'))).toBe('provider');
    expect(failureKind({ rawStatus: 'FAILED', error: null })).toBe('provider');
  });
});
