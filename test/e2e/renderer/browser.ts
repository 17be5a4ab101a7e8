/**
 * Test helpers shared by the renderer checks and the e2e tests: build the renderer (once per test
 * run), serve a folder on 127.0.0.1, launch Debian's Chromium (never a downloaded one), and
 * collect every page error and console error so a test can fail on them.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type CDPSession,
  type Page,
} from 'playwright-core';
import { serveStatic } from '../../../main/control/static-files.js';
import { currentProductionBuild } from './current-build.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
/** Debian's /usr/bin/chromium, through a script that merges the --disable-features lists. */
const CHROMIUM = join(ROOT, 'test/e2e/renderer/chromium.sh');
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');
/**
 * Whether the Chromium tests take their screenshots: only when asked (TUNNELGATE_SCREENSHOTS=1, as
 * `npm run test:screenshots` does). They are for a person to look at, no assertion reads them, and
 * they were a tenth of these files' CPU in every `npm test` (about a hundred pictures, each with a
 * relayout for its width or colour scheme).
 */
export const SCREENSHOTS_ON = process.env.TUNNELGATE_SCREENSHOTS === '1';

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
 * The renderer built with the project's Vite config: dist/renderer when it is the current production
 * build (current-build.ts), otherwise built once per process, and once per test run where scripts/test.sh
 * names a folder for the run (TUNNELGATE_TEST_CACHE), so that the Chromium files in other processes
 * reuse it. Nothing to clean up: test.sh removes its folder, and
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
  // What `npm run build` made, when it is current (current-build.ts).
  const dist = mode === 'production' ? currentProductionBuild(ROOT) : undefined;
  if (dist) return { dir: dist };
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

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * A plain static server for the built renderer (the component checks use the stub bridge). Vite's
 * hashed assets are cached for good (their name changes with their content), so a fresh document
 * for each check reuses the script and Chromium's compiled code for it: 0.1 of the 0.6 CPU-s a
 * document costs (measured: 15 documents, 9.1 -> 7.6 CPU-s). index.html is fetched every time.
 */
export async function serveFolder(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path.startsWith('/assets/')) {
      // serveStatic answers no-cache; for an asset its writeHead gets this Cache-Control instead.
      const writeHead = res.writeHead.bind(res) as (status: number, headers?: OutgoingHttpHeaders) => unknown;
      res.writeHead = ((status: number, headers: OutgoingHttpHeaders = {}) =>
        writeHead(status, status === 200 ? { ...headers, 'Cache-Control': IMMUTABLE } : headers)) as never;
    }
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

const LAUNCH_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  // Headless Chromium builds the browser's own omnibox popup (a WebUI page of some 200 scripts) in a
  // renderer of its own for every new window, that is for every BrowserContext: about 2 of the 4
  // CPU-s a context and its first dashboard page cost (measured with SystemInfo.getProcessInfo on
  // Chromium 156; a trace showed the chrome://omnibox-popup.top-chrome loads). Nothing here uses it.
  // It also keeps a spare renderer process started for the next page; a new context cannot use it
  // (another storage partition), so each context started one, threw the old one away and started
  // another: 0.35 of the 1.3 CPU-s a context cost (measured: 15 contexts, 20.2 -> 15.0 CPU-s; the
  // process list shows one renderer per page without it). Navigations within a page keep their
  // process either way.
  '--disable-features=WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup,SpareRendererForSitePerProcess',
];

/** A Chromium of its own, closed by the caller (the benches; the tests share one: openContext). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_FLAGS, timeout: 60_000 });
}

/**
 * Where a group of test files in one process (scripts/test-plan.mjs) collects what is torn down once
 * all of them are done.
 */
const TEARDOWN = Symbol.for('tunnelgate.test.teardown');
let shared: Promise<Browser> | undefined;
let contexts = 0;

/**
 * A fresh BrowserContext (its own cookies, storage, permissions and pages: nothing carries over from
 * another file) in the one Chromium of this test process. Launching Chromium costs about 1.5 s and
 * 1.7 CPU-s on the 2-core machine (measured), so the files of a group share it: launched on first
 * use, closed with the group's teardown once every file is done. A process without that teardown (a
 * file run with plain `node --test`) closes it when its last context closes. The caller closes the
 * context. Should the process end any other way, Playwright kills the browsers it launched on exit
 * (test/e2e/renderer/shared-browser.test.ts checks both).
 */
export async function openContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
  contexts += 1;
  try {
    const context = await (await sharedChromium()).newContext(options);
    context.once('close', release);
    return context;
  } catch (err) {
    release();
    throw err;
  }
}

function sharedChromium(): Promise<Browser> {
  if (!shared) {
    const launched = (shared = launchChromium());
    launched.then(
      (browser) => {
        // A crashed or closed browser is not handed out again.
        browser.once('disconnected', () => {
          if (shared === launched) shared = undefined;
        });
        const teardown = (globalThis as Record<symbol, unknown>)[TEARDOWN];
        if (Array.isArray(teardown)) teardown.push(() => closeShared(launched));
      },
      () => {
        if (shared === launched) shared = undefined;
      },
    );
  }
  return shared;
}

function release(): void {
  contexts -= 1;
  const teardown = (globalThis as Record<symbol, unknown>)[TEARDOWN];
  if (contexts === 0 && !Array.isArray(teardown) && shared) void closeShared(shared);
}

async function closeShared(launched: Promise<Browser>): Promise<void> {
  if (shared === launched) shared = undefined;
  await (await launched).close().catch(() => undefined);
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
 * A PNG of the viewport when screenshots are on (SCREENSHOTS_ON; otherwise nothing), taken by
 * Chromium with its faster PNG encoding (optimizeForSpeed: a larger file, the same picture). The
 * e2e files take about a hundred: 0.15 CPU-s each this way, 0.2 through page.screenshot (measured
 * on the 2-core machine).
 */
export async function screenshot(page: Page, name: string): Promise<string | undefined> {
  if (!SCREENSHOTS_ON) return undefined;
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
