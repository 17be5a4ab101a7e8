#!/usr/bin/env node
// Plans a test run for scripts/test.sh: which test files share a Node process, and in which order the
// processes start. Usage: node scripts/test-plan.mjs OUT_DIR FILE... ; prints the files to hand to
// `node --test`, longest first, one a line.
//
// Why: starting a process for each of ~150 files (Node, the tsx loader, then the SDK, zod and the
// gateway's modules again) cost more CPU than the unit tests themselves (measured: the 68 unit files
// took 58 CPU-s in their own processes and 13 CPU-s in one). So files are grouped: each group is one
// generated file in OUT_DIR that imports each of its files inside a describe() named by the file's
// path, so a file's top-level before/after hooks stay its own, and runs the files one after another.
// A file that changes process-wide state (environment, cwd, process listeners, mocked globals) still
// gets a process of its own, as does every file when TEST_GROUPING=0. A test must hold its own
// process open while it waits (a file run alone may be kept alive by loader work at start-up; in a
// group it runs later): waiting only on unref'd timers ends it as "still pending".
//
// Order: the runner starts files in the order given, --test-concurrency at a time. Longest first
// (test/durations.txt, seconds measured per file on a quiet machine) keeps a long file from starting
// last while the other slots idle. A file missing from that list counts as DEFAULT_SECONDS.
//
// Chromium: the files that use it (they import test/e2e/renderer/browser.ts) share one browser per
// process, launched on first use: about 1.6 CPU-s each time on the 2-core machine (measured), so
// they go into as few groups as their times allow, rather than one launch in nearly every group.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { reaches } from './test-imports.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const DEFAULT_SECONDS = 3;
/**
 * How long a group may be (recorded seconds): fixed by TEST_GROUP_SECONDS, or else the size among
 * these whose plan finishes first on the run's slots (below). The runner's timeout is per process.
 */
const GROUP_SIZES = process.env.TEST_GROUP_SECONDS
  ? [Number(process.env.TEST_GROUP_SECONDS)]
  : [20, 25, 30, 35, 40, 45];
/** Processes the runner keeps going at once (scripts/test.sh passes its --test-concurrency). */
const SLOTS = Number(process.env.TEST_CONCURRENCY ?? 2);
/** What a process costs before its first test (Node, the tsx loader, node:test), in seconds. */
const START_SECONDS = 1.5;
const grouping = process.env.TEST_GROUPING !== '0';

/** What makes a file unsafe to share a process with others: it changes process-wide state. */
const PROCESS_WIDE =
  /process\.env(\.\w+|\[[^\]]+\])\s*=[^=]|delete process\.env|process\.chdir|process\.umask\(|mock\.(timers|method|module|property)|process\.(on|once|off|removeAllListeners)\(|process\.exitCode|setGlobalDispatcher|process\.setSourceMapsEnabled/;

const [outDir, ...args] = process.argv.slice(2);
if (!outDir || args.length === 0) {
  process.stderr.write('usage: node scripts/test-plan.mjs OUT_DIR FILE...\n');
  process.exit(2);
}

const recorded = new Map();
for (const line of readFileSync(join(ROOT, 'test/durations.txt'), 'utf8').split('\n')) {
  const m = /^(\d+(?:\.\d+)?)\s+(\S+)$/.exec(line.trim());
  if (m) recorded.set(m[2], Number(m[1]));
}

const BROWSER = join(ROOT, 'test/e2e/renderer/browser.ts');

/** Whether `file` imports (relatively, transitively, within test/) the shared Chromium's module. */
function usesChromium(file) {
  return reaches([file], (path) => path === BROWSER);
}

const files = args.map((f) => {
  const path = relative(ROOT, resolve(f)).split('\\').join('/');
  const own = !grouping || PROCESS_WIDE.test(readFileSync(resolve(f), 'utf8'));
  const seconds = recorded.get(path) ?? DEFAULT_SECONDS;
  return { path, abs: resolve(f), seconds, own, chromium: !own && usesChromium(resolve(f)) };
});

const shared = files
  .filter((f) => !f.own)
  .sort((a, b) => b.seconds - a.seconds || (a.path < b.path ? -1 : 1));

/** The processes (units) when groups hold about `size` seconds, longest first. */
function unitsFor(size) {
  const units = files.filter((f) => f.own).map((f) => ({ seconds: f.seconds, files: [f] }));
  const total = shared.reduce((s, f) => s + f.seconds, 0);
  const count = Math.min(shared.length, Math.max(1, Math.ceil(total / size)));
  // Longest file into the emptiest group: the groups come out about even. The Chromium files first,
  // into the fewest groups that hold their time; then the others into any group.
  const groups = Array.from({ length: count }, () => ({ seconds: 0, files: [] }));
  const chromium = shared.filter((f) => f.chromium);
  const browserGroups = Math.min(count, Math.ceil(chromium.reduce((s, f) => s + f.seconds, 0) / size));
  const place = (f, among) => {
    const g = among.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    g.files.push(f);
    g.seconds += f.seconds;
  };
  for (const f of chromium) place(f, groups.slice(0, browserGroups));
  for (const f of shared) if (!f.chromium) place(f, groups);
  units.push(...groups.filter((g) => g.files.length > 0));
  return units.sort((a, b) => b.seconds - a.seconds);
}

/**
 * When the last process of `units` ends if the runner starts them in order, SLOTS at a time. The
 * group count decides how evenly the slots finish: 19 processes on 3 slots left one slot 20 s
 * behind the others where 21 came out even (recorded times). Fewer, longer groups start fewer
 * processes; more, shorter ones fill the slots' tails.
 */
function finish(units) {
  const slots = new Array(Math.max(1, SLOTS)).fill(0);
  for (const u of units) {
    const i = slots.indexOf(Math.min(...slots));
    slots[i] += u.seconds + START_SECONDS;
  }
  return Math.max(...slots);
}

// The size whose plan ends soonest; a smaller size must win by more than 0.5 s (fewer processes).
let units = unitsFor(GROUP_SIZES[GROUP_SIZES.length - 1]);
for (const size of [...GROUP_SIZES].reverse()) {
  const candidate = unitsFor(size);
  if (finish(candidate) < finish(units) - 0.5) units = candidate;
}

const out = units.map((u, i) => {
  // A file of its own is wrapped too: every file's time then shows as one top-level suite in the
  // output (scripts/test-durations.mjs reads them). A group runs its files one after another.
  const ordered = [...u.files].sort((a, b) => (a.path < b.path ? -1 : 1));
  const file = join(outDir, `group-${String(i + 1).padStart(2, '0')}.test.mjs`);
  writeFileSync(
    file,
    [
      `// ${ordered.length} test files in one process (scripts/test-plan.mjs), about ${Math.round(u.seconds)} s.`,
      "import { after, describe } from 'node:test';",
      // What the files of this process share (one Chromium: test/e2e/renderer/browser.ts) is put
      // here to be torn down once, after the last file.
      "const teardown = (globalThis[Symbol.for('tunnelgate.test.teardown')] = []);",
      'after(() => Promise.all(teardown.map((down) => down())));',
      'const files = [',
      ...ordered.map((f) => `  ${JSON.stringify([f.path, pathToFileURL(f.abs).href])},`),
      '];',
      // Each file's import starts inside its suite, so the tests, suites and hooks it declares
      // belong to that suite; the suites then run one after another. (A file that fails to load
      // fails its own suite.)
      'for (const [name, url] of files) describe(name, () => import(url));',
      '',
    ].join('\n'),
  );
  return file;
});
process.stdout.write(out.join('\n') + '\n');
