// What a test file reaches through its relative imports within test/ (helpers, fixtures), for the
// run's planning: scripts/test-build.mjs (does a test read the compiled dist/?) and
// scripts/test-plan.mjs (does a test use the shared Chromium?). main/ is not followed: it reads
// neither mark. A static scan of `from '...'` and `import('...')`, enough for this tree's tests.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEST = join(resolve(fileURLToPath(new URL('..', import.meta.url))), 'test');

/** Whether `found(path, text)` holds for one of `entries` or a test-tree file they import. */
export function reaches(entries, found) {
  const seen = new Set();
  const queue = entries.map((f) => resolve(f));
  while (queue.length > 0) {
    const file = queue.pop();
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    if (found(file, text)) return true;
    for (const m of text.matchAll(/from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)) {
      const spec = resolve(dirname(file), m[1] ?? m[2]);
      if (spec.startsWith(TEST))
        queue.push(spec, spec.replace(/\.js$/, '.ts'), spec.replace(/\.js$/, '.tsx'));
    }
  }
  return false;
}
