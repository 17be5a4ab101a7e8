/**
 * Whether a tree's dist/renderer can stand in for a test build of the renderer (browser.ts
 * buildRenderer): CI runs `npm run build` right before `npm test`, and a second Vite build of the
 * same files cost about 1.1 CPU-s (measured on the 2-core machine).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dashboardBuildNeed } from '../../../main/cli/dashboard-build.js';

/**
 * React's development build logs this for a list without keys (one of its own checks); its
 * production build has none of those messages.
 */
const DEVELOPMENT_REACT = 'Each child in a list should have a unique';

/**
 * `root`/dist/renderer when it is the production build of the tree: newer than renderer/ and
 * preload/ (the check `serve` makes: main/cli/dashboard-build.ts), with no development React in its
 * scripts (Vite builds one when NODE_ENV says development or test). Otherwise undefined.
 */
export function currentProductionBuild(root: string): string | undefined {
  const dir = join(root, 'dist', 'renderer');
  const assets = join(dir, 'assets');
  if (dashboardBuildNeed(root) !== 'none' || !existsSync(assets)) return undefined;
  const scripts = readdirSync(assets).filter((f) => f.endsWith('.js'));
  if (scripts.length === 0) return undefined;
  const development = scripts.some((f) => readFileSync(join(assets, f), 'utf8').includes(DEVELOPMENT_REACT));
  return development ? undefined : dir;
}
