// Builds everything a user runs: the main process and CLI (tsc -> dist/), the preload (one CommonJS
// file, as sandboxed preloads must be), and the renderer (Vite -> dist/renderer).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { bundlePreload } from './preload-bundle.mjs';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
chmodSync('dist/main/cli.js', 0o755);

if (existsSync('preload/index.ts')) {
  await bundlePreload('dist/preload/index.cjs');
}
if (existsSync('renderer/index.html')) {
  run(process.execPath, [
    'node_modules/vite/bin/vite.js',
    'build',
    '--config',
    'renderer/vite.config.ts',
    '--logLevel',
    'warn',
  ]);
}
console.log('build: dist/ ready');
