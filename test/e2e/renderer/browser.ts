/**
 * Test helpers shared by the renderer checks and the e2e tests: build the renderer (once per test
 * run), serve a folder on 127.0.0.1, launch Debian's Chromium (never a downloaded one), and
 * collect every page error and console error so a test can fail on them.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { serveStatic } from '../../../main/control/static-files.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');

/**
 * Which React the bundle holds. 'production' is what `npm run build` ships (scripts/test.sh exports
 * NODE_ENV=test, which Vite would otherwise take for a development build: twice the size, slower to
 * load and render). 'development' keeps React's own checks (keys, DOM nesting, controlled inputs),
 * which report through console.error, for the check that visits every page.
 */
export type RendererMode = 'production' | 'development';

const builds = new Map<RendererMode, Promise<{ dir: string }>>();
let processCache: string | undefined;

/**
 * The renderer built with the project's Vite config (never dist/): once per process, and once per
 * test run where scripts/test.sh names a folder for the run (TUNNELGATE_TEST_CACHE), so that the
 * Chromium files in other processes reuse it. Nothing to clean up: test.sh removes its folder, and
 * a process without one removes its own when it exits.
 */
export function buildRenderer(mode: RendererMode = 'production'): Promise<{ dir: string }> {
  let built = builds.get(mode);
  if (!built) {
    built = sharedBuild(mode);
    builds.set(mode, built);
    // A failed build is not remembered: the next file tries again and reports its own error.
    built.catch(() => builds.delete(mode));
  }
  return built;
}

async function sharedBuild(mode: RendererMode): Promise<{ dir: string }> {
  let cache = process.env.TUNNELGATE_TEST_CACHE;
  if (!cache) {
    if (!processCache) {
      const own = (processCache = mkdtempSync(join(tmpdir(), 'tg-renderer-')));
      process.once('exit', () => rmSync(own, { recursive: true, force: true }));
    }
    cache = processCache;
  }
  const dir = join(cache, `renderer-${mode}`);
  if (existsSync(join(dir, 'index.html'))) return { dir };
  // Built aside, then renamed into place: a folder that exists is complete. Two processes may build
  // at once; the second rename fails (the folder is there) and that build is dropped.
  const aside = join(cache, `renderer-${mode}.${process.pid}`);
  await viteBuild(mode, aside);
  try {
    await rename(aside, dir);
  } catch {
    await rm(aside, { recursive: true, force: true });
  }
  return { dir };
}

async function viteBuild(mode: RendererMode, dir: string): Promise<void> {
  await promisify(execFile)(
    process.execPath,
    [
      join(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      join(ROOT, 'renderer/vite.config.ts'),
      '--outDir',
      dir,
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    { cwd: ROOT, timeout: 120_000, env: { ...process.env, NODE_ENV: mode } },
  );
}

/** A plain static server for the built renderer (the component checks use the stub bridge). */
export async function serveFolder(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    serveStatic(dir, path, res).catch(() => res.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

let stubScript: Promise<string> | undefined;

/** The stub bridge as one script for page.addInitScript (bundled once per process). */
export function stubBridgeScript(): Promise<string> {
  stubScript ??= bundleStub();
  return stubScript;
}

async function bundleStub(): Promise<string> {
  const out = await build({
    entryPoints: [join(ROOT, 'test/e2e/renderer/stub-bridge.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2022',
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
    timeout: 60_000,
  });
}

/** Every uncaught page error and console error, as text; a test asserts this stays empty. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  return errors;
}

const sessions = new WeakMap<Page, Promise<CDPSession>>();

/**
 * A PNG of the viewport, taken by Chromium with its faster PNG encoding (optimizeForSpeed: a larger
 * file, the same picture). The e2e files take about a hundred: 0.15 CPU-s each this way, 0.2
 * through page.screenshot (measured on the 2-core machine).
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}.png`);
  let session = sessions.get(page);
  if (!session) {
    session = page.context().newCDPSession(page);
    sessions.set(page, session);
  }
  const { data } = await (
    await session
  ).send('Page.captureScreenshot', {
    format: 'png',
    optimizeForSpeed: true,
  });
  await writeFile(file, Buffer.from(data, 'base64'));
  return file;
}
