#!/usr/bin/env node
// Makes dist/ current for a test run (scripts/test.sh): usage `node scripts/test-build.mjs FILE...`;
// prints the dist folder when the given tests use it, nothing otherwise.
//
// Why: tests that start the CLI (about 60 children) or the app's compiled entry run the compiled
// dist/main. Through the tsx loader each start compiled and loaded TypeScript again, about twice
// the CPU of `node dist/main/cli.js` (measured 2.1 vs 1.1 CPU-s), and main-entry.test.ts compiled
// the whole tree itself. CI builds dist/ right before `npm test`; in a clone, or after an edit, the
// compiled files are older than the sources and are emitted again here (tsc --noCheck: the same
// JavaScript without type checking, which `npm run typecheck` does; the preload bundle with esbuild
// as scripts/build.mjs does). So a test always runs the code of the tree it is in.
//
// Only when a test needs it: a file that reaches (through its relative imports under test/) one that
// reads TUNNELGATE_TEST_DIST. A run of unit tests after an edit does not pay for a build.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reaches } from './test-imports.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const DIST = join(ROOT, 'dist');
const MARK = 'TUNNELGATE_TEST_DIST';

/** Whether one of `entries` or a test-tree file it imports reads MARK. */
function needsDist(entries) {
  return reaches(entries, (_, text) => text.includes(MARK));
}

/** Newest modification time (ms) of the files below `dir` (or of `dir` itself, a file). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const e of readdirSync(path, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

const files = process.argv.slice(2);
if (!needsDist(files)) process.exit(0);

// What the compiled files come from (tsconfig.build.json's inputs and settings, the preload bundle).
const sources = Math.max(
  newest(join(ROOT, 'main')),
  newest(join(ROOT, 'preload')),
  ...['tsconfig.build.json', 'tsconfig.node.json', 'tsconfig.base.json'].map((f) => newest(join(ROOT, f))),
);
const cli = join(DIST, 'main', 'cli.js');
const preload = join(DIST, 'preload', 'index.cjs');
const built = Math.min(newest(cli), newest(preload));
if (built < sources) {
  // The start time becomes the build's time: a source saved while tsc runs still counts as newer.
  const started = new Date();
  process.stderr.write('test: dist/ is older than main/ or preload/: compiling it (tsc --noCheck)\n');
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--noCheck'],
      // Its messages go to stderr: stdout is the answer scripts/test.sh reads.
      { cwd: ROOT, stdio: ['ignore', 2, 2] },
    );
  } catch (err) {
    // tsc emits despite a syntax error: without this the next run would take that output as current.
    rmSync(cli, { force: true });
    throw err;
  }
  chmodSync(cli, 0o755);
  const { bundlePreload } = await import('./preload-bundle.mjs');
  await bundlePreload(preload);
  utimesSync(cli, started, started);
  utimesSync(preload, started, started);
}
process.stdout.write(`${DIST}\n`);
