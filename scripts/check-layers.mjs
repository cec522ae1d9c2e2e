#!/usr/bin/env node
// Layer rules, checked in CI independently of ESLint config: which folder may import what.
//   src-shared  imports nothing of the other layers
//   core        never electron / adapters / shell / cli / emulator / renderer / electron-store / keytar / undici / conf
//               (its tests included: tests that need real adapters or the emulator live in src-main/integration)
//   renderer    never node:*, electron, src-main
//   preload     only electron and src-shared
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

// The repo by default; a folder given as argument (the script's own test checks a planted violation).
const root = resolve(process.argv[2] ?? resolve(dirname(new URL(import.meta.url).pathname), '..'));
const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

/** `folder/` itself (an index import like '../emulator') or anything below it. */
const within = (target, folder) => target === folder.slice(0, -1) || target.startsWith(folder);

const rules = [
  { layer: 'src-shared', forbid: (spec, target) => within(target, 'src-main/') || within(target, 'src-renderer/') || within(target, 'src-preload/') || /^(electron|node:)/.test(spec) },
  {
    layer: 'src-main/core',
    forbid: (spec, target) =>
      /^(electron|electron-store|keytar|undici|conf)$/.test(spec) ||
      ['src-main/adapters/', 'src-main/shell/', 'src-main/cli/', 'src-main/emulator/', 'src-renderer/', 'src-preload/'].some((p) => within(target, p)),
  },
  { layer: 'src-renderer', forbid: (spec, target) => /^(node:|electron$)/.test(spec) || within(target, 'src-main/') || within(target, 'src-preload/') },
  { layer: 'src-preload', forbid: (spec, target) => !(spec === 'electron' || within(target, 'src-shared/')) },
  { layer: 'src-main/emulator', forbid: (spec, target) => /^(electron|electron-store|keytar)$/.test(spec) || within(target, 'src-main/shell/') || within(target, 'src-renderer/') },
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
  if (!existsSync(join(root, rule.layer))) continue;
  for (const file of files(join(root, rule.layer))) {
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
