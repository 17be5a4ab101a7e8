/**
 * current-build.ts: the Chromium tests use dist/renderer instead of a Vite build of their own only
 * when it is the production build of the tree as it is now.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { currentProductionBuild } from './current-build.js';

describe('currentProductionBuild', () => {
  let root: string;
  const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 12, minutes));
  async function put(path: string, text: string, minutes: number) {
    const file = join(root, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
    await utimes(file, at(minutes), at(minutes));
  }
  const production = 'function h(){return jsx("div",{})}';
  const development = `console.error('Each child in a list should have a unique "key" prop.')`;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tg-current-build-'));
    // A source tree as dashboardBuildNeed knows one: renderer/ with its Vite config, and Vite.
    await put('node_modules/vite/bin/vite.js', '', 0);
    await put('renderer/vite.config.ts', '', 1);
    await put('renderer/src/app.tsx', '', 2);
    await put('preload/contract.ts', '', 3);
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('is undefined while nothing is built', () => {
    assert.equal(currentProductionBuild(root), undefined);
  });

  it('is dist/renderer when it is newer than every source and production React', async () => {
    await put('dist/renderer/index.html', '<script src="./assets/index-a1.js"></script>', 10);
    await put('dist/renderer/assets/index-a1.js', production, 10);
    assert.equal(currentProductionBuild(root), join(root, 'dist', 'renderer'));
  });

  it('is undefined when a source under renderer/ or preload/ changed since', async () => {
    await put('renderer/src/app.tsx', '// edited', 11);
    assert.equal(currentProductionBuild(root), undefined);
    await put('dist/renderer/index.html', '<script src="./assets/index-a1.js"></script>', 12);
    assert.equal(currentProductionBuild(root), join(root, 'dist', 'renderer'));
    await put('preload/contract.ts', '// edited', 13);
    assert.equal(currentProductionBuild(root), undefined);
  });

  it('is undefined when the build holds development React (built with NODE_ENV=test)', async () => {
    await put('dist/renderer/index.html', '<script src="./assets/index-b2.js"></script>', 20);
    await put('dist/renderer/assets/index-b2.js', development, 20);
    assert.equal(currentProductionBuild(root), undefined);
  });
});
