import { describe, expect, it, vi } from 'vitest';
import { errorMessage, settle } from './ipc';

describe('settle', () => {
  it('a bridge call that throws becomes one plain sentence; the technical detail stays out of it', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const result = await settle(() => Promise.reject(new Error("Error invoking remote method 'genwatch:jobs.add': Error: No handler registered")));
    expect(result).toEqual({ ok: false, error: { kind: 'internal', message: 'genwatch could not do that just now; try again, and restart it if this keeps happening.' } });
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  it('an error without a message still reads as a sentence, not as its kind', () => {
    expect(errorMessage({ kind: 'transient', message: '  ' })).toBe('That did not work, and genwatch got no reason for it; try again.');
    expect(errorMessage({ kind: 'auth', message: 'The key was refused.' })).toBe('The key was refused.');
  });
});
