#!/usr/bin/env node
// Adds up every suite test-all.sh ran (checks, vitest projects, Playwright) into
// one line, "N passed, N failed, N skipped", and exits non-zero on any failure
// or a missing report (a suite that did not run is a failure, not a pass).
import { existsSync, readFileSync } from 'node:fs';

const totals = { passed: 0, failed: 0, skipped: 0 };
const rows = [];
const add = (name, passed, failed, skipped) => {
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  rows.push(`${name.padEnd(18)} ${passed} passed, ${failed} failed, ${skipped} skipped`);
};

if (existsSync('.cache/checks.txt')) {
  for (const line of readFileSync('.cache/checks.txt', 'utf8').trim().split('\n')) {
    const [state, name] = line.split(' ');
    add(`check ${name}`, state === 'pass' ? 1 : 0, state === 'pass' ? 0 : 1, 0);
  }
} else add('checks (missing)', 0, 1, 0);

for (const [name, file] of [
  ['vitest unit', '.cache/vitest-unit-results.json'],
  ['vitest keychain', '.cache/vitest-keychain-results.json'],
]) {
  if (!existsSync(file)) {
    add(`${name} (no report)`, 0, 1, 0);
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  // A file that failed to load counts as a failure even when it reported no tests.
  const brokenFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  add(name, r.numPassedTests, r.numFailedTests + brokenFiles, r.numPendingTests + (r.numTodoTests ?? 0));
  if (r.numTotalTests === 0) add(`${name} (ran no test)`, 0, 1, 0);
}

const pw = '.cache/playwright-results.json';
if (existsSync(pw)) {
  const s = JSON.parse(readFileSync(pw, 'utf8')).stats;
  add('playwright e2e', s.expected + s.flaky, s.unexpected, s.skipped);
  if ((JSON.parse(readFileSync(pw, 'utf8')).errors ?? []).length > 0) add('playwright (errors)', 0, 1, 0);
} else add('playwright (no report)', 0, 1, 0);

console.log(rows.join('\n'));
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
