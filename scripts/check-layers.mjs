#!/usr/bin/env node
// Layer rules, checked in CI independently of ESLint config: which folder may import what.
//   src-shared  imports nothing of the other layers
//   core        never electron / adapters / shell / cli / emulator / renderer / electron-store / keytar / undici / conf
//   renderer    never node:*, electron, src-main
//   preload     only electron and src-shared
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

const rules = [
  { layer: 'src-shared', forbid: (spec, target) => target.startsWith('src-main/') || target.startsWith('src-renderer/') || target.startsWith('src-preload/') || /^(electron|node:)/.test(spec) },
  {
    layer: 'src-main/core',
    forbid: (spec, target) =>
      /^(electron|electron-store|keytar|undici|conf)$/.test(spec) ||
      ['src-main/adapters/', 'src-main/shell/', 'src-main/cli/', 'src-main/emulator/', 'src-renderer/', 'src-preload/'].some((p) => target.startsWith(p)),
  },
  { layer: 'src-renderer', forbid: (spec, target) => /^(node:|electron$)/.test(spec) || target.startsWith('src-main/') || target.startsWith('src-preload/') },
  { layer: 'src-preload', forbid: (spec, target) => !(spec === 'electron' || target.startsWith('src-shared/')) },
  { layer: 'src-main/emulator', forbid: (spec, target) => /^(electron|electron-store|keytar)$/.test(spec) || target.startsWith('src-main/shell/') || target.startsWith('src-renderer/') },
];

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|svelte|js|mjs)$/.test(name)) yield path;
  }
}

const violations = [];
for (const rule of rules) {
  for (const file of files(join(root, rule.layer))) {
    if (/\.test\.ts$/.test(file) && rule.layer === 'src-main/core') {
      // tests may import adapters/emulator to run integration tests; the shipped core may not
      if (!/\/testing\//.test(file)) continue;
    }
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? match[3];
      if (!spec) continue;
      const target = spec.startsWith('.') ? relative(root, resolve(dirname(file), spec)) : spec;
      if (rule.forbid(spec, target)) violations.push(`${relative(root, file)}: imports "${spec}" (${rule.layer} must not)`);
    }
  }
}
if (violations.length > 0) {
  console.error(`Layer rules broken:\n  ${violations.join('\n  ')}`);
  process.exit(1);
}
console.log('layer rules: ok');
