// The preload as one CommonJS file, as sandboxed preloads must be (scripts/build.mjs, and
// scripts/test-build.mjs for the tests that run the compiled app).
import { build } from 'esbuild';

/** Bundles preload/index.ts (from the repository root as cwd) into `outfile`. */
export function bundlePreload(outfile) {
  return build({
    entryPoints: ['preload/index.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['electron'],
    target: 'node20',
    logLevel: 'warning',
  });
}
