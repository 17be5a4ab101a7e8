/**
 * Test helpers shared by the renderer checks and the e2e test: build the renderer into a temp
 * folder, serve a folder on 127.0.0.1, launch Debian's Chromium (never a downloaded one), and
 * collect every page error and console error so a test can fail on them.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serveStatic } from '../../../main/control/static-files.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');

/** Builds the renderer with the project's Vite config into a fresh temp folder (not dist/). */
export async function buildRenderer(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const parent = await mkdtemp(join(tmpdir(), 'tg-renderer-'));
  const dir = join(parent, 'renderer');
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
    { cwd: ROOT, timeout: 120_000 },
  );
  return { dir, cleanup: () => rm(parent, { recursive: true, force: true }) };
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

/** The stub bridge as one script for page.addInitScript. */
export async function stubBridgeScript(): Promise<string> {
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

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}
