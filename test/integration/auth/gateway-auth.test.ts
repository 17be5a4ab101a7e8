import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pkcePair } from '../../fixtures/auth/auth-harness.js';
import { startAuthGateway } from '../../fixtures/auth/gateway-harness.js';

type Gw = Awaited<ReturnType<typeof startAuthGateway>>;

/** Plain HTTP with a chosen Host header (what cloudflared forwards for the public host). */
function get(
  gw: Gw,
  path: string,
  host: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: gw.port, path, headers: { Host: host, 'Cf-Connecting-Ip': '203.0.113.50' } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Registers, authorizes, approves (as the owner) with `scopes`, and returns an access token. */
async function tokenFor(gw: Gw, scopes: string[]): Promise<string> {
  const redirectUri = 'https://chatgpt.com/connector_platform_oauth_redirect';
  const reg = await fetch(`${gw.base}/oauth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      client_name: 'ChatGPT',
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'none',
      application_type: 'web',
    }),
  });
  const { client_id } = (await reg.json()) as { client_id: string };
  const { verifier, challenge } = pkcePair();
  const u = new URL(`${gw.base}/oauth/authorize`);
  for (const [k, v] of Object.entries({
    client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource: `${gw.base}/mcp/`,
  }))
    u.searchParams.set(k, v);
  const approval = new URL((await fetch(u, { redirect: 'manual' })).headers.get('location')!, gw.base);
  await gw.auth.approve(approval.searchParams.get('request')!, scopes);
  const back = new URL((await fetch(approval, { redirect: 'manual' })).headers.get('location')!);
  const tok = await fetch(`${gw.base}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      code_verifier: verifier,
      client_id,
      redirect_uri: redirectUri,
      resource: `${gw.base}/mcp`,
    }),
  });
  return ((await tok.json()) as { access_token: string }).access_token;
}

async function connectWith(gw: Gw, token: string): Promise<Client> {
  const client = new Client({ name: 'chatgpt-like', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${gw.base}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

describe('auth through the real gateway front', { timeout: 90_000 }, () => {
  let gw: Gw;
  before(async () => {
    gw = await startAuthGateway();
  });
  after(async () => gw.close());

  it('unauthenticated /mcp: 401 with the challenge the front passes through unchanged', async () => {
    const res = await fetch(`${gw.base}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    assert.equal(res.status, 401);
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer resource_metadata="${gw.base}/.well-known/oauth-protected-resource/mcp", scope="mcp:full"`,
    );
  });

  it('serves metadata for the public host once the gateway knows it, and refuses other hosts', async () => {
    gw.gateway.setPublicOrigin('https://words-here.trycloudflare.com');
    const ok = await get(gw, '/.well-known/oauth-protected-resource/mcp', 'words-here.trycloudflare.com');
    assert.equal(ok.status, 200);
    const rebinding = await get(gw, '/.well-known/oauth-authorization-server', 'evil.example');
    assert.equal(rebinding.status, 403);
    assert.equal((await get(gw, '/anything-else', 'words-here.trycloudflare.com')).status, 404);
    gw.gateway.setPublicOrigin(null);
  });

  it('a read-only grant sees and calls only read-only tools; a full grant sees all', async () => {
    const read = await connectWith(gw, await tokenFor(gw, ['mcp:read']));
    const full = await connectWith(gw, await tokenFor(gw, ['mcp:full']));
    try {
      const readNames = (await read.listTools()).tools.map((t) => t.name).sort();
      const fullNames = (await full.listTools()).tools.map((t) => t.name);
      assert.deepEqual(readNames, ['memory__open_nodes', 'memory__read_graph', 'memory__search_nodes']);
      assert.ok(fullNames.includes('memory__create_entities'));
      const refused = await read
        .callTool({ name: 'memory__create_entities', arguments: { entities: [] } })
        .then(
          (r) => JSON.stringify(r),
          (e: Error) => e.message,
        );
      assert.match(refused, /read-only|not found|Unknown tool/i);
      const graph = await read.callTool({ name: 'memory__read_graph', arguments: {} });
      assert.notEqual(graph.isError, true);
    } finally {
      await read.close();
      await full.close();
    }
  });
});

describe("mode 'none' through the real gateway front", { timeout: 90_000 }, () => {
  let gw: Gw;
  before(async () => {
    gw = await startAuthGateway({ mode: 'none' });
  });
  after(async () => gw.close());

  it('serves MCP at the secret path only; /mcp and the OAuth endpoints are 404', async () => {
    const [path] = gw.auth.mcpPaths();
    const client = new Client({ name: 'no-auth', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.base + path!)));
    try {
      assert.ok((await client.listTools()).tools.length >= 9);
    } finally {
      await client.close();
    }
    for (const p of ['/mcp', '/.well-known/oauth-authorization-server', '/oauth/register']) {
      const res = await fetch(gw.base + p, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 404, p);
      assert.equal(
        (await res.text()).includes(path!.split('/')[2]!),
        false,
        'the 404 never reveals the secret',
      );
    }
  });
});
