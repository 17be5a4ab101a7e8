/**
 * In a clone of the repository, `serve` builds the dashboard when dist/renderer is missing or older
 * than renderer/, so `npm ci` then `npm run serve` gives a working dashboard (issue 11: a newcomer got
 * a blank page). An installed package ships dist/renderer and has no renderer/ sources: nothing to do.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or package) root: main/cli/ is two folders below it, dist/main/cli/ three. */
export function packageRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const up2 = resolve(here, '..', '..');
  return existsSync(join(up2, 'package.json')) ? up2 : resolve(here, '..', '..', '..');
}

/** Newest modification time (ms) of the files below `dir`; 0 when it does not exist. */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const t = statSync(join(entry.parentPath, entry.name)).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

export type DashboardBuildNeed = 'none' | 'missing' | 'stale';

/** Whether the dashboard at `root` needs building: only a source tree (renderer/ and Vite) ever does. */
export function dashboardBuildNeed(root: string): DashboardBuildNeed {
  const config = join(root, 'renderer', 'vite.config.ts');
  if (!existsSync(config) || !existsSync(join(root, 'node_modules', 'vite', 'bin', 'vite.js'))) return 'none';
  const built = join(root, 'dist', 'renderer', 'index.html');
  if (!existsSync(built)) return 'missing';
  const sources = Math.max(newestMtime(join(root, 'renderer')), newestMtime(join(root, 'preload')));
  return sources > statSync(built).mtimeMs ? 'stale' : 'none';
}

/**
 * Builds the dashboard with Vite when it is missing or stale, passing Vite's progress lines to `log`.
 * Rejects with Vite's last lines when the build fails; the gateway still starts without it.
 */
export async function ensureDashboardBuilt(root: string, log: (line: string) => void): Promise<boolean> {
  const need = dashboardBuildNeed(root);
  if (need === 'none') return false;
  log(
    need === 'missing'
      ? 'Building the dashboard (first run only, about 10 s)...'
      : 'Rebuilding the dashboard (renderer/ changed since the last build)...',
  );
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  const tail: string[] = [];
  const onData = (chunk: Buffer): void => {
    for (const raw of chunk.toString('utf8').split(/\r?\n/)) {
      const l = raw.trimEnd();
      if (!l) continue;
      tail.push(l);
      if (tail.length > 20) tail.shift();
      // Progress only: the per-file size table is noise here.
      if (!/^(\.\.\/)?dist\/renderer\//.test(l.trim())) log(`  dashboard: ${l.trim()}`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const code = await new Promise<number | null>((res, rej) => {
    child.once('error', rej);
    child.once('close', res);
  });
  if (code !== 0) {
    throw new Error(
      `building the dashboard failed (vite exited with ${code}); run "npm run build" to see why:\n  ${tail.join('\n  ')}`,
    );
  }
  log(`Dashboard built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return true;
}
