import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  DEMO_WIDGET_SKYBRIDGE_URI,
  DEMO_WIDGET_URI,
  MCP_APP_MIME_TYPE,
  SKYBRIDGE_MIME_TYPE,
  demoBuiltin,
} from '../../../main/gateway/demo/demo-server.js';
import { openContext } from '../renderer/browser.js';

describe('built-in demo server', () => {
  let client: Client;
  before(async () => {
    client = new Client({ name: 'demo-test', version: '1.0.0' });
    await client.connect(await demoBuiltin());
  });
  after(async () => {
    await client.close();
  });

  it('lists echo, current_time and a widget tool whose _meta points at ui:// resources', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['current_time', 'echo', 'show_clock']);
    const clock = tools.find((t) => t.name === 'show_clock')!;
    assert.deepEqual((clock._meta as { ui?: unknown }).ui, { resourceUri: DEMO_WIDGET_URI });
    assert.equal(clock._meta?.['openai/outputTemplate'], DEMO_WIDGET_SKYBRIDGE_URI);
    for (const t of tools) assert.equal(t.annotations?.readOnlyHint, true, t.name);
  });

  it('answers calls', async () => {
    const echo = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    assert.deepEqual(echo.content, [{ type: 'text', text: 'hello' }]);
    const time = await client.callTool({ name: 'current_time', arguments: { timeZone: 'Europe/Paris' } });
    const sc = time.structuredContent as { iso: string; timeZone: string };
    assert.equal(sc.timeZone, 'Europe/Paris');
    assert.ok(Math.abs(Date.parse(sc.iso) - Date.now()) < 60_000);
    const bad = await client.callTool({ name: 'current_time', arguments: { timeZone: 'Mars/Olympus' } });
    assert.equal(bad.isError, true);
    assert.match(JSON.stringify(bad.content), /Unknown time zone 'Mars\/Olympus'/);
  });

  it('serves the widget as self-contained HTML with the MCP Apps and Apps SDK MIME types', async () => {
    const { resources } = await client.listResources();
    assert.deepEqual(
      resources.map((r) => [r.uri, r.mimeType]).sort(),
      [
        [DEMO_WIDGET_SKYBRIDGE_URI, SKYBRIDGE_MIME_TYPE],
        [DEMO_WIDGET_URI, MCP_APP_MIME_TYPE],
      ].sort(),
    );
    const read = await client.readResource({ uri: DEMO_WIDGET_URI });
    const content = read.contents[0] as { mimeType: string; text: string };
    assert.equal(content.mimeType, MCP_APP_MIME_TYPE);
    assert.match(content.text, /^<!doctype html>/);
    // No remote scripts, styles or images: the widget must render under a CSP with no allowed origins.
    assert.doesNotMatch(content.text, /\bsrc\s*=|<link\b|https?:\/\//i);
  });

  it('renders the tool result in real Chromium through the MCP Apps postMessage bridge', async (t) => {
    const html = ((await client.readResource({ uri: DEMO_WIDGET_URI })).contents[0] as { text: string }).text;
    const result = await client.callTool({ name: 'show_clock', arguments: { timeZone: 'Asia/Tokyo' } });
    // A minimal host: serves the widget in an iframe, answers ui/initialize, then sends the tool result.
    const host = `<!doctype html><body><iframe id="f" sandbox="allow-scripts" srcdoc="${html.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"></iframe>
<script>
window.initialized = false;
const f = document.getElementById('f');
window.addEventListener('message', (e) => {
  const m = e.data;
  if (m.method === 'ui/initialize') f.contentWindow.postMessage({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: '2026-01-26', hostInfo: { name: 'test', version: '1' }, hostCapabilities: {}, hostContext: {} } }, '*');
  if (m.method === 'ui/notifications/initialized') {
    window.initialized = true;
    f.contentWindow.postMessage({ jsonrpc: '2.0', method: 'ui/notifications/tool-result', params: ${JSON.stringify(result)} }, '*');
  }
});
</script></body>`;
    const server: Server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(host),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const context = await openContext();
    t.after(() => context.close());
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(
      () => (globalThis as unknown as { initialized: boolean }).initialized,
      undefined,
      { timeout: 10_000 },
    );
    const frame = page.frameLocator('#f');
    await frame.locator('#zone').filter({ hasText: 'Time in Asia/Tokyo' }).waitFor({ timeout: 10_000 });
    assert.match(await frame.locator('#time').innerText(), /\d{1,2}:\d{2}:\d{2}/);
    assert.deepEqual(errors, []);
  });
});
