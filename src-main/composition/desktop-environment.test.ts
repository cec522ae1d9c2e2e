import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../core/providers/registry';
import { desktopEnvironment } from './desktop-environment';

describe('desktopEnvironment', () => {
  const env = { GENWATCH_APIFRAME_URL: 'https://evil.example', GENWATCH_USEAPI_URL: 'https://proxy.example', USEAPI_TOKEN: 'tok', HOME: '/home/u' };

  it('packaged: a base URL counts only beside its key (a keychain key never follows a variable to another server)', () => {
    const out = desktopEnvironment(env, true, PROVIDERS);
    expect(out['GENWATCH_APIFRAME_URL']).toBeUndefined();
    expect(out['GENWATCH_USEAPI_URL']).toBe('https://proxy.example');
    expect(out['USEAPI_TOKEN']).toBe('tok');
    expect(out['HOME']).toBe('/home/u');
  });

  it('unpackaged (development, the Electron specs): everything counts', () => {
    expect(desktopEnvironment(env, false, PROVIDERS)).toEqual(env);
  });
});
