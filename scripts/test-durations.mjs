#!/usr/bin/env node
// Rewrites test/durations.txt from the TAP output of a whole `npm test` run on a quiet machine:
//   npm test > run.tap && node scripts/test-durations.mjs < run.tap
// Each test file is one top-level suite named by its path (scripts/test-plan.mjs), whose
// duration_ms is that file's time. The plan uses these to start long files first and size groups.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const tap = readFileSync(0, 'utf8').split('\n');
const seconds = new Map();
for (let i = 0; i < tap.length; i++) {
  const m = /^(?:not )?ok \d+ - (test\/\S+\.test\.tsx?)$/.exec(tap[i]);
  if (!m) continue;
  for (let j = i + 1; j < Math.min(i + 5, tap.length); j++) {
    const d = /^ {2}duration_ms: ([\d.]+)/.exec(tap[j]);
    if (d) {
      seconds.set(m[1], Number(d[1]) / 1000);
      break;
    }
  }
}
if (seconds.size === 0) {
  process.stderr.write('no per-file suites in the input: give it the TAP output of scripts/test.sh\n');
  process.exit(1);
}
const file = fileURLToPath(new URL('../test/durations.txt', import.meta.url));
const header = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('#'));
const lines = [...seconds]
  .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  .map(([path, s]) => `${Math.max(s, 0.1).toFixed(1)} ${path}`);
writeFileSync(file, [...header, ...lines, ''].join('\n'));
process.stdout.write(`${lines.length} files written to test/durations.txt\n`);
