import { describe, expect, it } from 'vitest';
import { parseLaunchArgs, parseProtocolUrl, profileName } from './launch-args';

const EXE = '/opt/genwatch/genwatch';

describe('parseLaunchArgs', () => {
  it('--hidden starts in the tray', () => {
    expect(parseLaunchArgs([EXE, '--hidden'])).toEqual({ hidden: true, add: [] });
    expect(parseLaunchArgs([EXE])).toEqual({ hidden: false, add: [] });
  });

  it('--add in both forms, with an optional provider', () => {
    expect(parseLaunchArgs([EXE, '--add=a1,b2', '--add', 'c3'])).toEqual({ hidden: false, add: [{ provider: null, input: 'a1,b2\nc3' }] });
    expect(parseLaunchArgs([EXE, '--provider=useapi', '--add=x'])).toEqual({ hidden: false, add: [{ provider: 'useapi', input: 'x' }] });
    expect(parseLaunchArgs([EXE, '--provider=nope', '--add=x']).add[0]?.provider).toBeNull();
  });

  it('genwatch:// links on the command line (Windows/Linux second instance)', () => {
    expect(parseLaunchArgs([EXE, '--allow-file-access', 'genwatch://add?ids=a1,b2&provider=apiframe']).add).toEqual([{ provider: 'apiframe', input: 'a1,b2' }]);
  });

  it('Chromium switches and stray words are ignored; an empty --add adds nothing', () => {
    expect(parseLaunchArgs([EXE, '--enable-logging', 'out/main/index.js', '--add='])).toEqual({ hidden: false, add: [] });
  });
});

describe('parseProtocolUrl', () => {
  it('accepts add links in host or path form, repeated ids', () => {
    expect(parseProtocolUrl('genwatch://add?ids=a&ids=b')).toEqual({ provider: null, input: 'a\nb' });
    expect(parseProtocolUrl('genwatch:add?ids=a')).toEqual({ provider: null, input: 'a' });
    expect(parseProtocolUrl('genwatch://add/?ids=a&provider=useapi')).toEqual({ provider: 'useapi', input: 'a' });
  });

  it('refuses other schemes, actions and empty id lists', () => {
    for (const url of ['https://add?ids=a', 'genwatch://remove?ids=a', 'genwatch://add', 'genwatch://add?ids=%20', 'not a url']) expect(parseProtocolUrl(url), url).toBeNull();
  });
});

describe('profileName (GENWATCH_PROFILE)', () => {
  it('takes a plain name, lower-cased', () => {
    expect(profileName('e2e-1234')).toBe('e2e-1234');
    expect(profileName('Test')).toBe('test');
  });
  it('refuses anything that could be a path or is empty or too long', () => {
    for (const bad of [undefined, '', '../x', 'a/b', 'a\\b', '-x', '.hidden', 'x'.repeat(41), 'has space']) expect(profileName(bad), String(bad)).toBeNull();
  });
});
