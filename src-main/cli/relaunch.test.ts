import { describe, expect, it } from 'vitest';
import { DOWNLOAD_NODE_FLAGS, NO_RELAUNCH_ENV, relaunchArgs } from './relaunch';

describe('relaunchArgs', () => {
  const argv = ['/usr/bin/node', '/app/out/main/cli.js', 'download', 'apiframe', '--out', '/tmp/x'];

  it('starts `download` again with the flags, keeping node options and every argument', () => {
    expect(relaunchArgs(argv, ['--enable-source-maps'], {})).toEqual(['--enable-source-maps', ...DOWNLOAD_NODE_FLAGS, '/app/out/main/cli.js', 'download', 'apiframe', '--out', '/tmp/x']);
  });

  it('never for other commands, never twice, never when asked not to', () => {
    expect(relaunchArgs(['/usr/bin/node', '/app/out/main/cli.js', 'watch', 'apiframe', 'x'], [], {})).toBeNull();
    expect(relaunchArgs(['/usr/bin/node', '/app/out/main/cli.js'], [], {})).toBeNull();
    expect(relaunchArgs(argv, [...DOWNLOAD_NODE_FLAGS], {})).toBeNull();
    expect(relaunchArgs(argv, [], { [NO_RELAUNCH_ENV]: '1' })).toBeNull();
  });

  it('finds the command after leading options, never taking an option\'s value for it', () => {
    expect(relaunchArgs(['/usr/bin/node', '/app/cli.js', '--json', 'download', 'apiframe'], [], {})).toEqual([...DOWNLOAD_NODE_FLAGS, '/app/cli.js', '--json', 'download', 'apiframe']);
    expect(relaunchArgs(['/usr/bin/node', '/app/cli.js', '--out', '/tmp/x', 'download', 'apiframe'], [], {})).toEqual([...DOWNLOAD_NODE_FLAGS, '/app/cli.js', '--out', '/tmp/x', 'download', 'apiframe']);
    expect(relaunchArgs(['/usr/bin/node', '/app/cli.js', '--out', 'download', 'watch'], [], {})).toBeNull();
  });
});
