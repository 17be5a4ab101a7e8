import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PublicAuthHook } from '../../../main/auth/types.js';
import { SCOPE_FULL } from '../../../preload/contract.js';
import { rawHttp, rawInitialize, rawPost, startFakeGateway } from '../../helpers/mcp-gateway-fixture.js';

/**
 * The public listener caps requests in flight (below a quick tunnel's 200) with 503 + Retry-After,
 * for MCP calls and auth's own routes alike, and serves again once the slow ones finish.
 */
describe('gateway: concurrency cap on the public listener', () => {
  let cleanup: (() => Promise<void>) | undefined;
  after(async () => cleanup?.());

  it('slow calls beyond the cap get 503 with Retry-After; afterwards the gateway serves again', async () => {
    // An auth hook whose /oauth/slow route waits for the test to open the gate (a slow token request).
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    const hook: PublicAuthHook = {
      mcpPaths: () => ['/mcp'],
      async handle(_req: IncomingMessage, res: ServerResponse, url: URL) {
        if (url.pathname !== '/oauth/slow') return false;
        await gate;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        return true;
      },
      authenticate: async () => ({ ok: true, principal: { kind: 'local', scopes: [SCOPE_FULL] } }),
    };
    const g = await startFakeGateway({ auth: hook, concurrency: { max: 3, retryAfterSeconds: 7 } });
    cleanup = async () => {
      openGate();
      await g.gateway.close();
    };
    const { sessionId } = await rawInitialize(g.url);
    assert.ok(sessionId);
    const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const slowCall = (id: number) =>
      rawPost(
        g.url,
        {
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name: 'a__slow', arguments: { steps: 1, delayMs: 2500 } },
        },
        headers,
      );

    // Two slow MCP calls and one slow OAuth request fill the three slots.
    const held = Promise.all([
      slowCall(1),
      slowCall(2),
      rawHttp(g.port, { method: 'GET', path: '/oauth/slow' }),
    ] as const);
    const deadline = Date.now() + 5000;
    while (g.gateway.inFlight() < 3) {
      assert.ok(Date.now() < deadline, `only ${g.gateway.inFlight()} requests reached the gateway`);
      await new Promise((r) => setTimeout(r, 10));
    }

    const refusedCall = await rawPost(
      g.url,
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'a__slow', arguments: { steps: 1, delayMs: 1 } },
      },
      headers,
    );
    assert.equal(refusedCall.status, 503);
    assert.equal(refusedCall.headers.get('retry-after'), '7');
    const refusedAuth = await rawHttp(g.port, { method: 'GET', path: '/oauth/slow' });
    assert.equal(refusedAuth.status, 503);
    assert.equal(refusedAuth.headers['retry-after'], '7');
    assert.match(refusedAuth.text, /More than 3 requests are in progress/);

    openGate();
    const [one, two, oauth] = await held;
    assert.equal(one.status, 200);
    assert.match(JSON.stringify(one.body), /done after 1 steps/);
    assert.equal(two.status, 200);
    assert.equal(oauth.status, 200);

    // Slots come back when responses finish: the gateway serves normally again.
    const deadline2 = Date.now() + 5000;
    while (g.gateway.inFlight() > 0) {
      assert.ok(Date.now() < deadline2, 'slots were not released');
      await new Promise((r) => setTimeout(r, 10));
    }
    const again = await Promise.all(
      [10, 11, 12].map((id) => rawPost(g.url, { jsonrpc: '2.0', id, method: 'tools/list' }, headers)),
    );
    for (const r of again) assert.equal(r.status, 200);
    assert.ok(JSON.stringify(again[0]!.body).includes('a__slow'));
  });
});
