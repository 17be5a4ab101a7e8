/**
 * esbuild bundles of a checkout's entry point for the side-by-side benches (list.ts, idle.ts): split
 * at dynamic imports, so what the shipped tsc build loads only when needed stays unloaded here too.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

/** Bundles `entry` (of `checkout`) into a folder of its own; returns the bundled entry's path. */
export async function bundle(checkout: string, entry: string, name: string, bench: string): Promise<string> {
  const { build } = await import('esbuild');
  const tag = createHash('sha256').update(checkout).digest('hex').slice(0, 8);
  // Beside node_modules, so that the bundle's external packages resolve as in `npm run bench`.
  const dir = join(root, `node_modules/.cache/tunnelgate-bench-${bench}-${tag}`);
  mkdirSync(dir, { recursive: true });
  const outdir = join(dir, name);
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [entry],
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    outExtension: { '.js': '.mjs' },
  });
  return join(outdir, `${basename(entry, '.ts')}.mjs`);
}

/** The bench's own script (for its child roles) and each checkout's CLI, for a side-by-side bench. */
export async function bundleSideBySide(
  bench: string,
  script: string,
  checkouts: readonly string[],
): Promise<{ self: string; clis: string[] }> {
  const self = await bundle(root, script, bench, bench);
  const clis = await Promise.all(
    checkouts.map((c, i) => bundle(c, join(c, 'main/cli.ts'), i === 0 ? 'cli' : `cli${i}`, bench)),
  );
  return { self, clis };
}
