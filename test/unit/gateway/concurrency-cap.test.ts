import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { rawInitialize, rawPost, startFakeGateway } from '../../helpers/mcp-gateway-fixture.js';

/**
 * The local MCP endpoint caps requests in flight with 503 + Retry-After and serves again once the
 * slow ones finish. (The public listener has its own budgets: edge-budgets.test.ts.)
 */
describe('gateway: concurrency cap on the local MCP endpoint', () => {
  let cleanup: (() => Promise<void>) | undefined;
  after(async () => cleanup?.());

  it('slow calls beyond the cap get 503 with Retry-After; afterwards the gateway serves again', async () => {
    const g = await startFakeGateway({ concurrency: { max: 3, retryAfterSeconds: 7 } });
    cleanup = () => g.gateway.close();
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

    // Three slow MCP calls fill the three slots.
    const held = Promise.all([slowCall(1), slowCall(2), slowCall(3)] as const);
    const deadline = Date.now() + 5000;
    while (g.gateway.inFlight() < 3) {
      assert.ok(Date.now() < deadline, `only ${g.gateway.inFlight()} requests reached the gateway`);
      await new Promise((r) => setTimeout(r, 10));
    }

    const refusedCall = await rawPost(
      g.url,
      {
        jsonrpc: '2.0',
        id: 4,
        method: 'tools/call',
        params: { name: 'a__slow', arguments: { steps: 1, delayMs: 1 } },
      },
      headers,
    );
    assert.equal(refusedCall.status, 503);
    assert.equal(refusedCall.headers.get('retry-after'), '7');
    assert.match(refusedCall.text, /More than 3 requests are in progress/);

    const [one, two, three] = await held;
    assert.equal(one.status, 200);
    assert.match(JSON.stringify(one.body), /done after 1 steps/);
    assert.equal(two.status, 200);
    assert.equal(three.status, 200);

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

    // A client that goes away before its answer frees its slot too.
    const ac = new AbortController();
    const gone = fetch(g.url, {
      method: 'POST',
      signal: ac.signal,
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 20,
        method: 'tools/call',
        params: { name: 'a__slow', arguments: { steps: 1, delayMs: 60_000 } },
      }),
    }).catch((e: Error) => e);
    const deadline3 = Date.now() + 5000;
    while (g.gateway.inFlight() < 1) {
      assert.ok(Date.now() < deadline3, 'the call did not reach the gateway');
      await new Promise((r) => setTimeout(r, 10));
    }
    ac.abort();
    await gone;
    const deadline4 = Date.now() + 5000;
    while (g.gateway.inFlight() > 0) {
      assert.ok(Date.now() < deadline4, 'the slot of a call whose client went away was not released');
      await new Promise((r) => setTimeout(r, 10));
    }
  });
});
