/**
 * The headless dashboard end to end: a real gateway (createTunnelgate) with a real stdio upstream
 * added from the UI, the real dashboard listener serving the freshly built renderer, Debian's
 * Chromium driving it, an OAuth client asking for access, and an MCP client whose call shows up
 * live in the Activity log. Any page or console error fails the run. With TUNNELGATE_SCREENSHOTS=1
 * (npm run test:screenshots), screenshots of every page go to test-output/screenshots/e2e-*.png.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { BrowserContext, Page } from 'playwright-core';
import { createTunnelgate, type Tunnelgate } from '../../main/bootstrap.js';
import { generateControlToken } from '../../main/control/http-guard.js';
import { createControlHttpListener, type ControlHttpListener } from '../../main/control/http-listener.js';
import { createMemorySecretStore } from '../../main/secrets/memory-secret-store.js';
import { ROOT, buildRenderer, collectErrors, openContext, screenshot } from './renderer/browser.js';
import { shots } from './harness.js';
import { startAuthorization, type StartedAuthorization } from './oauth-client.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('headless dashboard against a real gateway', { timeout: 300_000 }, () => {
  let dir: string;
  let tg: Tunnelgate;
  let listener: ControlHttpListener;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let origin: string;
  let localPort: number;
  let dashboardUrl: string;
  let mcp: Client | undefined;
  let flow: StartedAuthorization;
  let accessToken: string;
  const logs: string[] = [];
  const configPath = () => join(dir, 'config.json');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-e2e-'));
    const built = await buildRenderer();
    localPort = await freePort();
    const publicPort = await freePort();
    // The public listener plays the public URL (no tunnel here); the local MCP endpoint is separate.
    origin = `http://127.0.0.1:${publicPort}`;
    // gateway.publicUrl: the loopback origin plays the public URL (no tunnel in this test).
    await writeFile(
      configPath(),
      JSON.stringify({ mcpServers: {}, gateway: { publicUrl: origin } }, null, 2),
    );
    tg = await createTunnelgate({
      configPath: configPath(),
      port: localPort,
      publicPort,
      tunnel: false,
      auth: 'oauth',
      publicUrl: origin,
      dataDir: join(dir, 'data'),
      secretStore: createMemorySecretStore(),
      log: { info: (l) => logs.push(l), warn: (l) => logs.push(`WARN ${l}`) },
    });
    await tg.start();
    listener = createControlHttpListener({
      service: tg.services.control,
      token: generateControlToken(),
      staticDir: built.dir,
    });
    ({ dashboardUrl } = await listener.listen(0));
    context = await openContext({ viewport: { width: 1280, height: 820 } });
    page = await context.newPage();
    errors = collectErrors(page);
  });

  after(async () => {
    await mcp?.close().catch(() => {});
    await context?.close();
    await listener?.close();
    await tg?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    assert.deepEqual(errors ?? [], [], 'no page or console errors during the whole run');
  });

  it('opens with the token link and shows the connector URL and the checklist', async () => {
    await page.goto(dashboardUrl);
    assert.ok(!page.url().includes('token='), 'the token leaves the address bar');
    await page.getByTestId('connector-url').waitFor();
    assert.equal(await page.getByTestId('connector-url').textContent(), `${origin}/mcp`);
    assert.equal(await page.getByTestId('local-url').textContent(), `http://127.0.0.1:${localPort}/mcp`);
    assert.equal(await page.getByTestId('public-listener').textContent(), origin);
    const checks = await page
      .locator('[data-check]')
      .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-check')}=${e.getAttribute('data-done')}`));
    assert.deepEqual(checks, ['gatewayRunning=yes', 'tunnelReady=no', 'reachable=no', 'clientApproved=no']);
    // A loopback public URL is for local clients: the sidebar must not claim the gateway is public.
    assert.equal(await page.getByTestId('sidebar-status').textContent(), 'Local only');
    await screenshot(page, 'e2e-connect');
  });

  it('adds a stdio server from the UI and shows its tools once it runs', async () => {
    await page.getByRole('link', { name: 'Servers' }).click();
    await page.getByText('No servers yet').waitFor();
    await page.getByRole('button', { name: 'Add server' }).first().click();
    await page.getByLabel('Name', { exact: true }).fill('memory');
    await page.getByLabel('Command').fill(process.execPath);
    await page
      .getByLabel('Arguments')
      .fill(join(ROOT, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js'));
    await page.getByLabel('Environment').fill(`MEMORY_FILE_PATH=${join(dir, 'memory.jsonl')}`);
    await page.locator('form[aria-label="Add a server"]').getByRole('button', { name: 'Add server' }).click();
    const card = page.locator('[data-server="memory"]');
    await card.locator('.pill', { hasText: 'Running' }).waitFor({ timeout: 60_000 });
    await card
      .getByTestId('tool-count')
      .filter({ hasText: /^[1-9]\d* tools$/ })
      .waitFor({ timeout: 30_000 });
    await card.getByRole('button', { name: /tools/ }).click();
    await card.getByText('memory__read_graph').waitFor();
    await card.getByText('memory__create_entities').waitFor();
    const saved = JSON.parse(await readFile(configPath(), 'utf8')) as {
      mcpServers: Record<string, { command: string }>;
    };
    assert.equal(saved.mcpServers.memory?.command, process.execPath, 'the server went into the config file');
    await screenshot(page, 'e2e-servers');
  });

  it('shows a client that hit /authorize, with its pairing code, and approves it', async () => {
    await page.getByRole('link', { name: /Approvals/ }).click();
    await page.getByText('No pending requests').waitFor();
    flow = await startAuthorization(origin, 'E2E Connector');
    const card = page.locator(`[data-request="${flow.requestId}"]`);
    await card.waitFor(); // arrives live over SSE
    const code = (await card.getByTestId('pairing-code').textContent()) ?? '';
    assert.match(code, /\S{4,}/);
    assert.ok(
      flow.approvalPage.includes(code),
      'the dashboard shows the same pairing code as the sign-in page',
    );
    assert.match((await card.textContent()) ?? '', /E2E Connector/);
    // Where and when it was asked, as the public listener saw it (no tunnel: the socket's address).
    assert.equal(await card.getByTestId('request-address').textContent(), '127.0.0.1');
    assert.match((await card.getByTestId('request-age').textContent()) ?? '', /^\d+ s ago$/);
    assert.equal(await page.locator('.nav .badge').textContent(), '1');
    await screenshot(page, 'e2e-approvals');
    await card.getByRole('button', { name: 'Approve all tools' }).click();
    await page.getByText('No pending requests').waitFor();
    // Approved, but the client has not fetched its token yet: the page says so rather than going blank.
    const waiting = page.locator(`[data-approved="${flow.requestId}"]`);
    await waiting.getByText('approved, waiting for E2E Connector to finish connecting').waitFor();
    await shots(page, 'e2e-approvals-waiting');
    // The client redeems its code; the grant then shows up live among the approved clients.
    ({ accessToken } = await flow.finish());
    await page.locator('table[aria-label="Approved clients"]', { hasText: 'E2E Connector' }).waitFor();
    await waiting.waitFor({ state: 'detached' });
    await screenshot(page, 'e2e-approvals-granted');
    await page.getByRole('link', { name: 'Connect' }).click();
    await page.locator('[data-check="clientApproved"][data-done="yes"]').waitFor();
  });

  it('shows a tool call live in the Activity log, with its detail, and filters it', async () => {
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.locator('.page-subtitle', { hasText: /(entry|entries), newest first/ }).waitFor();
    mcp = new Client({ name: 'e2e-mcp-client', version: '1.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${accessToken}` } },
      }),
    );
    const result = await mcp.callTool({
      name: 'memory__create_entities',
      arguments: {
        entities: [{ name: 'Tunnelgate-e2e', entityType: 'app', observations: ['seen in the log'] }],
      },
    });
    assert.notEqual(result.isError, true);

    const row = page.locator('.log-row', { hasText: 'memory__create_entities' });
    await row.first().waitFor({ timeout: 15_000 }); // no reload: pushed over SSE
    // The row may show the call in flight first ("running"); it settles in place.
    await row.first().locator('[data-outcome="ok"]').waitFor({ timeout: 15_000 });
    await row.first().click();
    const detail = page.getByTestId('activity-detail');
    await detail.waitFor();
    assert.match((await page.getByTestId('detail-request').textContent()) ?? '', /Tunnelgate-e2e/);
    assert.match((await page.getByTestId('detail-response').textContent()) ?? '', /Tunnelgate-e2e/);
    assert.match((await page.getByTestId('detail-duration').textContent()) ?? '', /\d+(\.\d+)? (ms|s)/);
    await screenshot(page, 'e2e-activity');

    await page.getByLabel('Tool').fill('create_entities');
    await page.locator('.page-subtitle', { hasText: /^1 of \d+ entries/ }).waitFor();
    await page.getByLabel('Search').fill('no-such-call-anywhere');
    await page.getByText('Nothing matches').waitFor();
    await page.getByRole('button', { name: 'Reset' }).click();
    await page.locator('.log-row', { hasText: 'memory__create_entities' }).first().waitFor();

    // Export hands over the retained log as JSONL, one event per line.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^tunnelgate-activity-\d{8}-\d{6}\.jsonl$/);
    const text = await readFile(await download.path(), 'utf8');
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { target?: string });
    assert.ok(
      lines.some((e) => e.target === 'memory__create_entities'),
      text.slice(0, 500),
    );
  });

  it('shows the settings of the running gateway', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Port').waitFor();
    assert.equal(await page.getByLabel('Port').inputValue(), String(localPort));
    assert.equal(
      await page.getByLabel('Mode').inputValue(),
      'quick',
      'no tunnel.mode in the config: quick when going public',
    );
    assert.equal(
      await page.getByLabel('Launch at login').isDisabled(),
      true,
      'headless: launch at login is the app’s',
    );
    await screenshot(page, 'e2e-settings');
  });
});
