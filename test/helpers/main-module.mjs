// For a test's child process written in plain JavaScript that needs the product's modules (a
// keychain store in a second process, a gateway process to SIGKILL): where to import main/<path> from.
// scripts/test.sh names the compiled tree in TUNNELGATE_TEST_DIST (scripts/test-build.mjs compiles
// it from this checkout when older than main/): the child then starts as plain node, about 1 CPU-s
// less than loading the TypeScript through tsx. Without it the sources are imported, and the
// spawning test starts the child with `--import tsx` (cli-harness.ts: nodeArgs).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** URL of main/<path> (say 'secrets/keychain-secret-store'): the compiled .js, or the .ts source. */
export function mainModule(path) {
  const dist = process.env.TUNNELGATE_TEST_DIST;
  return dist
    ? pathToFileURL(join(dist, 'main', `${path}.js`)).href
    : new URL(`../../main/${path}.ts`, import.meta.url).href;
}
