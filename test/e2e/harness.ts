/**
 * One real headless gateway (createTunnelgate) with real stdio upstreams, the real dashboard
 * listener serving a freshly built renderer, and Debian's Chromium: what the dashboard e2e files
 * share. `shots()` takes a page state in light and dark, at 1280x800 and at a narrow 420 px.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { Page } from 'playwright-core';
import { createTunnelgate, type Tunnelgate, type TunnelgateOptions } from '../../main/bootstrap.js';
import { generateControlToken } from '../../main/control/http-guard.js';
import { createControlHttpListener, type ControlHttpListener } from '../../main/control/http-listener.js';
import { createMemorySecretStore } from '../../main/secrets/memory-secret-store.js';
import {
  ROOT,
  SCREENSHOTS_ON,
  buildRenderer,
  collectErrors,
  openContext,
  screenshot,
} from './renderer/browser.js';

export { ROOT };

export const pkg = (name: string, file = 'dist/index.js'): string =>
  join(ROOT, 'node_modules/@modelcontextprotocol', name, file);

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Harness {
  dir: string;
  tg: Tunnelgate;
  /** http://127.0.0.1:PORT (the gateway's MCP listener). */
  origin: string;
  dashboardUrl: string;
  /** In a browser context of its own (renderer/browser.ts openContext). */
  page: Page;
  errors: string[];
  logs: string[];
  close(): Promise<void>;
}

/**
 * The harnesses a describe block starts (push each): closed after the block, and each must have
 * seen no page or console error.
 */
export function closedAfterAll(): Harness[] {
  const harnesses: Harness[] = [];
  after(async () => {
    for (const h of harnesses) {
      const errors = h.errors;
      await h.close();
      assert.deepEqual(errors, [], 'no page or console errors');
    }
  });
  return harnesses;
}

/**
 * Starts everything. `config` is written as the config file (`dir` is substituted for `$DIR` in
 * it); `options` go to createTunnelgate (default: no tunnel, memory secret store).
 */
export async function startHarness(
  config: (dir: string) => Record<string, unknown>,
  options: Partial<TunnelgateOptions> = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'tg-e2e-'));
  const built = await buildRenderer();
  const port = await freePort();
  const configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify(config(dir), null, 2));
  const logs: string[] = [];
  const tg = await createTunnelgate({
    configPath,
    port,
    tunnel: false,
    dataDir: join(dir, 'data'),
    secretStore: createMemorySecretStore(),
    log: { info: (l) => logs.push(l), warn: (l) => logs.push(`WARN ${l}`) },
    ...options,
  });
  await tg.start();
  const listener: ControlHttpListener = createControlHttpListener({
    service: tg.services.control,
    token: generateControlToken(),
    staticDir: built.dir,
  });
  const { dashboardUrl } = await listener.listen(0);
  const context = await openContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = collectErrors(page);
  return {
    dir,
    tg,
    origin: `http://127.0.0.1:${port}`,
    dashboardUrl,
    page,
    errors,
    logs,
    async close() {
      await context.close().catch(() => undefined);
      await listener.close();
      await tg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Screenshots of the current state: light and dark, 1280x800 and 420x800 (the narrow window), or
 * only the `widths` given. Leaves the page light at 1280x800. Only when screenshots are on
 * (SCREENSHOTS_ON). Otherwise the page still renders once dark at the narrowest width, without a
 * picture, so that the files' "no page or console error" checks cover the narrow and dark layouts too.
 * Files: test-output/screenshots/<name>-<scheme>-<width>.png.
 */
export async function shots(page: Page, name: string, widths = [1280, 420]): Promise<void> {
  // Light at each width, then dark at each width going back: one relayout per change of width or
  // scheme (each costs about as much as a picture).
  const order = SCREENSHOTS_ON
    ? [
        ...widths.map((width) => ['light', width] as const),
        ...[...widths].reverse().map((width) => ['dark', width] as const),
      ]
    : [['dark', Math.min(...widths)] as const];
  const size = page.viewportSize();
  const dark = await page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches");
  let at = { colorScheme: dark ? 'dark' : 'light', width: size?.height === 800 ? size.width : 0 };
  const go = async (colorScheme: 'light' | 'dark', width: number) => {
    if (colorScheme !== at.colorScheme) await page.emulateMedia({ colorScheme });
    if (width !== at.width) await page.setViewportSize({ width, height: 800 });
    at = { colorScheme, width };
  };
  for (const [colorScheme, width] of order) {
    await go(colorScheme, width);
    // Two frames: layout and paint settle after the change before the picture is taken.
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    await screenshot(page, `${name}-${colorScheme}-${width}`);
  }
  await go('light', 1280);
}
