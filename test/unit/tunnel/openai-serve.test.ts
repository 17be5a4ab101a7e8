import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ActivityEvent } from '../../../main/activity/types.js';
import { createGateway } from '../../../main/gateway/gateway.js';
import { runExchange } from '../../../main/tunnel/in-process-exchange.js';
import { openAiTunnelPrincipal } from '../../../main/tunnel/openai-tunnel-provider.js';
import { FakeUpstream, FakeUpstreamSource } from '../../helpers/mcp-fake-upstream.js';
import { buildTestServer } from '../../helpers/mcp-test-server.js';

// The tunnel's requests go through gateway.serveAuthenticated without a socket: the principal decides
// tool visibility exactly as an OAuth grant's scope would, and the activity log names the tunnel.
describe('serving a tunnel request in process', () => {
  const source = new FakeUpstreamSource();
  const events: Omit<ActivityEvent, 'id'>[] = [];
  const gateway = createGateway({ upstreams: source, activity: { record: (e) => events.push(e) } });
  after(async () => {
    await gateway.close();
    for (const u of source.list()) (u as FakeUpstream).crash();
  });

  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'openai-mcp', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const listAs = async (readOnly: boolean): Promise<string[]> => {
    const principal = openAiTunnelPrincipal('tunnel_x', readOnly);
    const r = await runExchange(
      (req, res) => gateway.serveAuthenticated(req, res, principal),
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/list',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: meta } }),
      },
      () => undefined,
      new AbortController().signal,
    );
    assert.equal(r?.status, 200, r?.body);
    const tools = (JSON.parse(r!.body) as { result: { tools: { name: string }[] } }).result.tools;
    return tools.map((t) => t.name);
  };

  it('full access sees every tool; tunnel.readOnly only the read-only ones; the log names the tunnel', async () => {
    source.add(await new FakeUpstream('a', () => buildTestServer('a')).start());
    const all = await listAs(false);
    const ro = await listAs(true);
    assert.ok(ro.length > 0 && ro.length < all.length, `read-only ${ro.length} of ${all.length}`);
    assert.ok(ro.every((n) => all.includes(n)));
    assert.ok(events.some((e) => e.client?.id === 'openai-tunnel:tunnel_x'));
  });

  it('a session-era call answers with its JSON headers and the session id (raw header lists too)', async () => {
    const principal = openAiTunnelPrincipal('tunnel_y', false);
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      runExchange(
        (req, res) => gateway.serveAuthenticated(req, res, principal),
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...headers,
          },
          body: JSON.stringify(body),
        },
        () => undefined,
        new AbortController().signal,
      );
    const init = await post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    const sid = init?.headers['mcp-session-id'];
    assert.equal(typeof sid, 'string');
    const call = await post(
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { 'mcp-session-id': sid as string, 'mcp-protocol-version': '2025-11-25' },
    );
    assert.equal(call?.status, 200, call?.body);
    assert.equal(call?.headers['content-type'], 'application/json');
    assert.equal(call?.headers['mcp-session-id'], sid);
    assert.equal(Number(call?.headers['content-length']), Buffer.byteLength(call!.body));
    assert.deepEqual(Object.keys(call!.headers).sort(), ['content-length', 'content-type', 'mcp-session-id']);
  });

  it('an aborted exchange closes the response and resolves undefined', async () => {
    const ctrl = new AbortController();
    let closed = false;
    const r = runExchange(
      (_req, res) => {
        res.once('close', () => (closed = true));
        ctrl.abort();
      },
      { method: 'POST', headers: {}, body: '{}' },
      () => undefined,
      ctrl.signal,
    );
    assert.equal(await r, undefined);
    await new Promise((res) => setImmediate(res));
    assert.equal(closed, true);
  });
});
