import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createTunnelgate, type Tunnelgate, type TunnelgateOptions } from '../../../main/bootstrap.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import { rawHttp } from '../../helpers/mcp-gateway-fixture.js';
import { freePort } from '../upstream/helpers.js';

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
});
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/**
 * Issue 10: one listener per audience. The local MCP endpoint works for a newcomer's client whatever
 * the tunnel does; the public listener never treats a request as local, whatever its Host says.
 */
describe('bootstrap: the local MCP endpoint and the public listener', () => {
  const dirs: string[] = [];
  const running = new Set<Tunnelgate>();
  after(async () => {
    for (const tg of running) await tg.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function start(extra: TunnelgateOptions) {
    const dir = await mkdtemp(join(tmpdir(), 'tg-listeners-'));
    dirs.push(dir);
    const lines: string[] = [];
    const tg = await createTunnelgate({
      configPath: join(dir, 'config.json'),
      dataDir: join(dir, 'data'),
      port: 0,
      secretStore: createMemorySecretStore(),
      platform: { platform: 'linux', env: {}, home: dir },
      log: { info: (l) => lines.push(l), warn: (l) => lines.push(`warn: ${l}`) },
      ...extra,
    });
    running.add(tg);
    return { tg, info: await tg.start(), lines };
  }

  async function listTools(endpoint: string): Promise<string[]> {
    const client = new Client({ name: 'newcomer', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(endpoint)));
    try {
      return (await client.listTools()).tools.map((t) => t.name);
    } finally {
      await client.close();
    }
  }

  it('a local MCP client works while the tunnel has failed to start (it used to get 401)', async () => {
    // No cloudflared anywhere: the tunnel fails at once; OAuth is on because the gateway meant to go public.
    const { tg, info, lines } = await start({
      tunnelDeps: { env: { CLOUDFLARED_BIN: '', PATH: join(tmpdir(), 'tg-no-such-dir') } },
    });
    assert.equal(tg.services.auth?.mode, 'oauth');
    assert.ok(info.publicPort, 'the public listener runs');
    assert.notEqual(info.publicPort, info.port);
    assert.ok(lines.includes(`MCP endpoint: http://127.0.0.1:${info.port}/mcp`), lines.join('\n'));
    assert.ok(lines.includes(`Public listener: http://127.0.0.1:${info.publicPort}`), lines.join('\n'));
    assert.ok((await listTools(info.endpoint)).includes('demo__echo'));
    const status = await tg.services.control.getStatus();
    assert.equal(status.gateway.localUrl, info.endpoint);
    assert.equal(status.gateway.publicListener, `http://127.0.0.1:${info.publicPort}`);
  });

  it('with --no-tunnel the local client works too, and nothing public listens', async () => {
    const { info } = await start({ tunnel: false });
    assert.equal(info.publicPort, undefined);
    assert.ok((await listTools(info.endpoint)).includes('demo__echo'));
  });

  it('oauth: a request on the public listener with Host 127.0.0.1 is never local (401, connection closed)', async () => {
    const { info } = await start({ tunnel: false, auth: 'oauth', publicUrl: 'https://mcp.example.org' });
    const port = info.publicPort!;
    // What nginx's default proxy_pass sends: Host rewritten to the origin, no forwarding headers.
    const r = await rawHttp(port, { headers: { ...JSON_HEADERS, host: `127.0.0.1:${port}` }, body: INIT });
    assert.equal(r.status, 401);
    assert.match(String(r.headers['www-authenticate']), /resource_metadata="https:\/\/mcp\.example\.org\//);
    assert.equal(r.headers.connection, 'close');
  });

  it('--auth none in public: plain /mcp on the public listener is 404 whatever the Host; the secret path works', async () => {
    const { tg, info } = await start({ tunnel: false, auth: 'none', publicUrl: 'https://mcp.example.org' });
    const port = info.publicPort!;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'mcp.example.org']) {
      const r = await rawHttp(port, { headers: { ...JSON_HEADERS, host }, body: INIT });
      assert.equal(r.status, 404, host);
    }
    const secretPath = tg.services.auth!.mcpPaths()[0]!;
    assert.match(secretPath, /^\/s\/[A-Za-z0-9_-]{43}\/mcp$/);
    const ok = await rawHttp(port, {
      path: secretPath,
      headers: { ...JSON_HEADERS, host: 'mcp.example.org' },
      body: INIT,
    });
    assert.equal(ok.status, 200);
    // The local endpoint needs no secret: it serves this computer only.
    assert.ok((await listTools(info.endpoint)).includes('demo__echo'));
  });

  it('gateway.localTokenSecret makes the local endpoint require that bearer token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tg-listeners-'));
    dirs.push(dir);
    const secrets = createMemorySecretStore();
    await secrets.set('local-mcp', 'local-token-value-0123456789');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ gateway: { localTokenSecret: 'local-mcp' } }));
    const { info } = await start({
      tunnel: false,
      configPath: join(dir, 'config.json'),
      secretStore: secrets,
    });
    const port = info.port;
    const host = `127.0.0.1:${port}`;
    const refused = await rawHttp(port, { headers: { ...JSON_HEADERS, host }, body: INIT });
    assert.equal(refused.status, 401);
    assert.match(refused.text, /gateway\.localTokenSecret/);
    assert.doesNotMatch(refused.text, /local-token-value/);
    const ok = await rawHttp(port, {
      headers: { ...JSON_HEADERS, host, authorization: 'Bearer local-token-value-0123456789' },
      body: INIT,
    });
    assert.equal(ok.status, 200);
  });

  it('--public-url without --public-port: a stable public port, and a warning naming where the proxy must (and must not) point', async () => {
    const stable = await freePort();
    const { info, lines } = await start({
      tunnel: false,
      publicUrl: 'https://mcp.example.org',
      defaultPublicPort: stable,
    });
    assert.equal(info.publicPort, stable);
    const warning = lines.find((l) => l.startsWith('warn: Point your reverse proxy'));
    assert.ok(warning, lines.join('\n'));
    assert.match(warning, new RegExp(`public listener http://127\\.0\\.0\\.1:${stable} `));
    assert.match(warning, new RegExp(`Never at the MCP endpoint http://127\\.0\\.0\\.1:${info.port}/mcp`));
    assert.match(warning, /--public-port N or gateway\.publicPort/);
  });

  it('a loopback --public-url names the public listener itself; a chosen --public-port needs no warning', async () => {
    const wanted = await freePort();
    const loop = await start({
      tunnel: false,
      publicUrl: `http://127.0.0.1:${wanted}`,
      defaultPublicPort: 1,
    });
    assert.equal(loop.info.publicPort, wanted);
    assert.ok(!loop.lines.some((l) => l.includes('Point your reverse proxy')), loop.lines.join('\n'));
    const fixed = await freePort();
    const chosen = await start({ tunnel: false, publicUrl: 'https://mcp.example.org', publicPort: fixed });
    assert.equal(chosen.info.publicPort, fixed);
    assert.ok(!chosen.lines.some((l) => l.includes('Point your reverse proxy')), chosen.lines.join('\n'));
  });
});
