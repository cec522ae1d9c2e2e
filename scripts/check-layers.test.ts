/** The layer checker itself: it must fail on a planted violation, not only pass on the repo. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, 'check-layers.mjs');

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'genwatch-layers-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const check = (root: string) => spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });

describe('scripts/check-layers.mjs', () => {
  it('passes a tree that keeps to the rules', () => {
    const result = check(tree({ 'src-main/core/a.ts': "import { b } from './b';\n", 'src-main/core/b.ts': 'export const b = 1;\n', 'src-renderer/src/x.ts': "import type { Job } from '../../src-shared/job';\n" }));
    expect(result.status, result.stderr).toBe(0);
  });

  it.each([
    ['the core importing an adapter', 'src-main/core/poller.ts', "import { createUndiciHttp } from '../adapters/undici-http';\n"],
    ['a core test importing the emulator', 'src-main/core/poller.test.ts', "import { startEmulator } from '../emulator';\n"],
    ['the core importing electron', 'src-main/core/x.ts', "import { app } from 'electron';\n"],
    ['the renderer importing Node', 'src-renderer/src/lib/x.ts', "import { readFileSync } from 'node:fs';\n"],
    ['the renderer importing main code', 'src-renderer/src/lib/y.ts', "import { GenwatchCore } from '../../../src-main/core/genwatch-core';\n"],
    ['the preload importing a node module', 'src-preload/index.ts', "import { z } from 'zod';\n"],
    ['the shared contract importing main code', 'src-shared/job.ts', "import { x } from '../src-main/core/x';\n"],
  ])('fails on %s', (_what, path, content) => {
    const result = check(tree({ [path]: content }));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(path);
  });
});
