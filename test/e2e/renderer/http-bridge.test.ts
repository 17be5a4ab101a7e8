/**
 * The browser half of the headless dashboard: renderer/src/http-bridge.ts running in Chromium
 * against the real dashboard listener (over a control service with fake services behind it).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import { createControlService, type ControlService } from '../../../main/control/control-service.js';
import { generateControlToken } from '../../../main/control/http-guard.js';
import { createControlHttpListener, type ControlHttpListener } from '../../../main/control/http-listener.js';
import { createFakes, type Fakes } from '../../unit/control/fakes.js';
import { ROOT, collectErrors, openContext } from './browser.js';

type Win = {
  bridge: Record<string, (...a: unknown[]) => Promise<unknown>> &
    Record<string, (l: (v: unknown) => void) => () => void>;
  got: Record<string, unknown[]>;
  connection: boolean[];
};

describe('HTTP bridge in Chromium against the dashboard listener', { timeout: 120_000 }, () => {
  let dir: string;
  let fakes: Fakes;
  let service: ControlService;
  let listener: ControlHttpListener;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let port: number;
  const token = generateControlToken();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-bridge-'));
    const bundle = await build({
      stdin: {
        // The dashboard's own entry: it installs the bridge as window.tunnelgate when no preload did.
        contents: `import { installHttpBridgeIfNeeded } from './renderer/src/http-bridge';
          installHttpBridgeIfNeeded();
          const bridge = window.tunnelgate;
          window.bridge = bridge; window.got = {}; window.connection = [];
          for (const e of ['Status', 'Servers', 'Activity', 'Approvals']) bridge['on' + e]((v) => (window.got[e] ??= []).push(v));
          bridge.onConnection((c) => window.connection.push(c));`,
        resolveDir: ROOT,
        loader: 'ts',
      },
      bundle: true,
      write: false,
      format: 'iife',
      target: 'es2022',
      logLevel: 'silent',
    });
    await writeFile(join(dir, 'bridge.js'), bundle.outputFiles[0]!.text);
    await writeFile(
      join(dir, 'index.html'),
      '<!doctype html><title>bridge</title><script src="./bridge.js"></script>',
    );
    fakes = createFakes({ mcpServers: { memory: { command: 'node' } } });
    service = createControlService(fakes.deps);
    listener = createControlHttpListener({ service, token, staticDir: dir });
    ({ port } = await listener.listen(0));
    context = await openContext();
    page = await context.newPage();
    errors = collectErrors(page);
    await page.goto(`http://127.0.0.1:${port}/?token=${token}`);
    await page.waitForFunction(() => (globalThis as unknown as Win).connection?.includes(true));
  });
  after(async () => {
    await context?.close();
    await listener?.close();
    service?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('calls methods with the cookie and gets results', async () => {
    const status = await page.evaluate(() => (globalThis as unknown as Win).bridge.getStatus!());
    assert.equal((status as { gateway: { localUrl: string } }).gateway.localUrl, 'http://127.0.0.1:8740/mcp');
    await page.evaluate(() =>
      (globalThis as unknown as Win).bridge.saveServer!('everything', { command: 'npx', args: ['x'] }),
    );
    assert.deepEqual(fakes.config.current.mcpServers.everything, { command: 'npx', args: ['x'] });
  });

  it('turns a refused call into an Error carrying the message in words', async () => {
    const message = await page.evaluate(() =>
      (globalThis as unknown as Win).bridge.saveServer!('web', { url: 'htps:/x' }).then(
        () => 'resolved',
        (e: Error) => e.message,
      ),
    );
    assert.match(message, /mcpServers\.web\.url: not a URL/);
  });

  it('delivers events from the SSE stream to subscribers', async () => {
    fakes.activity.push({
      time: 1,
      kind: 'request',
      method: 'tools/call',
      target: 'memory__read_graph',
      outcome: 'ok',
    });
    await page.waitForFunction(() => ((globalThis as unknown as Win).got.Activity ?? []).length === 1);
    fakes.upstreams.changed();
    await page.waitForFunction(() => ((globalThis as unknown as Win).got.Servers ?? []).length >= 1);
  });

  it('says the gateway is gone, and catches up on what it missed after reconnecting', async () => {
    await listener.close();
    await page.waitForFunction(() => (globalThis as unknown as Win).connection.at(-1) === false);
    // Changes while the stream is down are not pushed to this page...
    fakes.tunnel.setState({
      phase: 'ready',
      url: 'https://missed-while-down.trycloudflare.com',
      reachable: 'yes',
    });
    listener = createControlHttpListener({ service, token, staticDir: dir });
    await listener.listen(port);
    // ...so on reconnect the bridge fetches the state afresh and hands it to the subscribers.
    await page.waitForFunction(() => (globalThis as unknown as Win).connection.at(-1) === true, undefined, {
      timeout: 15_000,
    });
    await page.waitForFunction(
      () =>
        ((globalThis as unknown as Win).got.Status ?? []).some(
          (s) =>
            (s as { gateway: { connectorUrl: string | null } }).gateway.connectorUrl ===
            'https://missed-while-down.trycloudflare.com/mcp',
        ),
      undefined,
      { timeout: 15_000 },
    );
    // Chromium logs the refused reconnects as console errors; nothing else may go wrong.
    assert.deepEqual(
      errors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to load resource/.test(e)),
      [],
    );
  });
});
