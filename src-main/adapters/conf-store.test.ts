import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Conf from 'conf';
import { describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../core/ports';
import { openConfStore } from './conf-store';
import type { ConfLike } from './conf-store';

const openIn = (cwd: string) =>
  openConfStore(() => new Conf({ cwd, configName: 'genwatch', projectName: 'genwatch-test' }) as unknown as ConfLike, { cwd, logger: silentLogger });

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'genwatch-conf-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('conf-backed KeyValueStore (real files)', () => {
  it('persists values across instances', () => {
    const cwd = tempDir();
    openIn(cwd).store.set('settings', { theme: 'dark' });
    expect(openIn(cwd).store.get('settings')).toEqual({ theme: 'dark' });
  });

  it('moves a corrupt file aside with a warning and starts fresh instead of crashing', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'genwatch.json'), '{"settings": {"theme": "da');
    const opened = openIn(cwd);
    expect(opened.recovered).toMatch(/could not be read and was moved to .*genwatch\.json\.corrupt-/);
    expect(opened.store.get('settings')).toBeUndefined();
    const aside = readdirSync(cwd).find((name) => name.startsWith('genwatch.json.corrupt-'));
    expect(aside).toBeDefined();
    expect(readFileSync(join(cwd, aside ?? ''), 'utf8')).toBe('{"settings": {"theme": "da');
    opened.store.set('jobs', []);
    expect(openIn(cwd).recovered).toBeNull();
  });
});
