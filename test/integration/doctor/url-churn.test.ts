import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createChatGptStandIn } from '../../fixtures/chatgpt/chatgpt-client.js';
import { publicFetch } from '../../fixtures/fake-cloudflared/install.js';
import { makeSandbox, runCli, type Sandbox } from '../../helpers/cli-harness.js';
import { connectorUrl, startPublicGateway, statusWhere, type PublicGateway } from './doctor-harness.js';

// URL churn (issue 13): a quick tunnel comes back with a new URL; the grants approved for the old one
// hold tokens bound to it (RFC 8707 audience), so those connectors must be re-created in ChatGPT. The
// owner sees which, and may forget them.
describe('a quick tunnel with a new URL', { timeout: 120_000 }, () => {
  let g: PublicGateway;
  let sandbox: Sandbox | undefined;
  after(async () => {
    await g?.close();
    await sandbox?.cleanup();
  });

  it('lists the grants bound to the old URL, says they must be re-created, and forgets them', async () => {
    // With the control listener, so the CLI finds this gateway (control.json in its data folder).
    g = await startPublicGateway({ dashboard: true });
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

    // Headless: `tunnelgate doctor` warns (exit 0), `tunnelgate approvals --forget-stale` forgets.
    sandbox = await makeSandbox();
    const env = { ...sandbox.env, TUNNELGATE_DATA_DIR: g.dataDir };
    const doctor = await runCli(['doctor'], env, undefined, 60_000);
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
    assert.match(doctor.stdout, /^WARN {2}Clients bound to the current URL \(\d+ ms\)$/m);
    assert.match(doctor.stdout, /Fix: Re-create those connectors in ChatGPT/);
    const forget = await runCli(['approvals', '--forget-stale'], env, undefined, 30_000);
    assert.equal(forget.code, 0, forget.stderr);
    assert.match(
      forget.stdout,
      new RegExp(`^Forgetting .* \\(${grant.id}\\), bound to ${g.connector.replace(/[.]/g, '\\.')}$`, 'm'),
    );
    assert.match(forget.stderr, /Forgot 1 client\(s\); re-create their connectors in ChatGPT/);
    assert.deepEqual(await control.listGrants(), []);
    await statusWhere(g.tg, (s) => s.staleGrants === undefined, 30_000, 'cleared');
    assert.equal(await control.forgetStaleGrants(), 0, 'nothing left to forget');
  });
});
