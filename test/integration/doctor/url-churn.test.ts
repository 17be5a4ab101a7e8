import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createChatGptStandIn } from '../../fixtures/chatgpt/chatgpt-client.js';
import { publicFetch } from '../../fixtures/fake-cloudflared/install.js';
import { connectorUrl, startPublicGateway, statusWhere, type PublicGateway } from './doctor-harness.js';

// URL churn (issue 13): a quick tunnel comes back with a new URL; the grants approved for the old one
// hold tokens bound to it (RFC 8707 audience), so those connectors must be re-created in ChatGPT. The
// owner sees which, and may forget them.
describe('a quick tunnel with a new URL', { timeout: 120_000 }, () => {
  let g: PublicGateway;
  after(async () => g?.close());

  it('lists the grants bound to the old URL, says they must be re-created, and forgets them', async () => {
    g = await startPublicGateway();
    const control = g.tg.services.control;
    const edge = publicFetch(g.stateFile);
    const chatgpt = createChatGptStandIn({
      fetch: edge,
      serverUrl: g.connector,
      identity: 'dcr',
      speaks: 'session',
      approve: (id) => control.approve(id, ['mcp:full']),
    });
    const tokens = await chatgpt.connect();
    await chatgpt.handshake();
    const [grant] = await control.listGrants();
    assert.equal(grant?.resource, g.connector);
    assert.equal((await control.getStatus()).staleGrants, undefined, 'bound to the current URL');

    // The tunnel restarts (the app restarted, the laptop slept): the fake hands out a new host.
    await control.stopTunnel();
    await control.startTunnel();
    const next = await connectorUrl(g.tg);
    assert.notEqual(next, g.connector, 'a new quick-tunnel URL');
    const status = await statusWhere(g.tg, (s) => s.staleGrants?.length === 1, 30_000, 'stale grants');
    assert.deepEqual(status.staleGrants, [
      { grantId: grant.id, clientId: grant.clientId, clientName: grant.clientName, resource: g.connector },
    ]);
    assert.ok(status.urlChanged, 'the URL change is shown too');

    // Its token is bound to the old URL: through the new one it is refused.
    const refused = await edge(next, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${tokens.access_token}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(refused.status, 401);

    const report = await control.runDoctor();
    const step = report.steps.find((s) => s.id === 'stale-grants')!;
    assert.equal(step.level, 'warning');
    assert.ok(step.detail.includes(g.connector), step.detail);
    assert.match(step.fix ?? '', /Re-create those connectors in ChatGPT/);

    assert.equal(await control.forgetStaleGrants(), 1);
    assert.deepEqual(await control.listGrants(), []);
    await statusWhere(g.tg, (s) => s.staleGrants === undefined, 30_000, 'cleared');
    assert.equal(await control.forgetStaleGrants(), 0, 'nothing left to forget');
  });
});
