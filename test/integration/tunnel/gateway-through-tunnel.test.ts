import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createAuthService } from '../../../main/auth/auth-service.js';
import { createGateway } from '../../../main/gateway/gateway.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/index.js';
import { createTunnelManager, type TunnelState } from '../../../main/tunnel/index.js';
import { installFakeCloudflared, readFakeState } from '../../fixtures/fake-cloudflared/install.js';
import { tempDir } from './helpers.js';

// End to end: a real gateway over a real stdio MCP server (server-memory), published through the
// fake cloudflared; an MCP client reaches it by the "public" URL with the public Host header.
const require = createRequire(import.meta.url);
const memoryServer = require.resolve('@modelcontextprotocol/server-memory/dist/index.js');
const { dir, cleanup } = tempDir();
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  cleanup();
});

it(
  'an MCP client reaches the gateway through the tunnel by its public URL',
  { timeout: 60_000 },
  async () => {
    const servers = {
      memory: {
        command: process.execPath,
        args: [memoryServer],
        env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
      },
    };
    const upstreams = createUpstreamManager({});
    closers.push(() => upstreams.close());
    await upstreams.apply(servers);
    // The public listener always authenticates: here --auth none's secret path is the key.
    let publicOrigin: string | null = null;
    const auth = await createAuthService({
      mode: 'none',
      publicOrigin: () => publicOrigin,
      secrets: createMemorySecretStore(),
      dataDir: join(dir, 'auth'),
    });
    closers.push(() => auth.close());
    const mcpPath = auth.mcpPaths()[0]!;
    const gateway = createGateway({ upstreams, servers, auth });
    closers.push(() => gateway.close());
    await gateway.listen(0);
    // The tunnel forwards to the public listener, never to the local MCP endpoint.
    const { port } = await gateway.listenPublic(0);

    const stateFile = join(dir, 'fake-state.json');
    const tunnel = createTunnelManager({
      mode: 'quick',
      localPort: port,
      cloudflaredPath: installFakeCloudflared(dir),
      dataDir: dir,
      env: { PATH: process.env.PATH, FAKE_CLOUDFLARED_STATE: stateFile },
      checkReachable: async () => ({ ok: true, detail: 'checked by the MCP client below' }),
      timeouts: { pollMs: 100 },
    });
    closers.push(() => tunnel.close());
    // What bootstrap does: the tunnel host joins the gateway's Host allow-list (DNS-rebinding guard).
    tunnel.on('state', (s: TunnelState) => {
      publicOrigin = s.phase === 'ready' ? s.url : null;
      gateway.setPublicOrigin(publicOrigin);
    });
    await tunnel.start();
    const state = tunnel.state();
    assert.equal(state.phase, 'ready');
    const fake = readFakeState(stateFile);
    assert.equal(state.url, fake?.publicUrl);

    // The fake's edge listener plays https://<words>.trycloudflare.com.
    const edge = new URL(`http://127.0.0.1:${fake?.forwardPort}${mcpPath}`);
    const client = new Client({ name: 'tunnel-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(edge));
    closers.push(() => client.close());
    const { tools } = await client.listTools();
    assert.ok(
      tools.some((t) => t.name === 'memory__create_entities'),
      tools.map((t) => t.name).join(', '),
    );
    const created = await client.callTool({
      name: 'memory__create_entities',
      arguments: {
        entities: [{ name: 'tunnel', entityType: 'test', observations: ['reached through the fake edge'] }],
      },
    });
    assert.notEqual(created.isError, true, JSON.stringify(created));
    const read = await client.callTool({ name: 'memory__read_graph', arguments: {} });
    assert.match(JSON.stringify(read.content), /reached through the fake edge/);

    // (node:http, because fetch does not let a caller set Host.)
    const withPublicHost = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: mcpPath,
            method: 'POST',
            headers: {
              host: fake?.publicHost ?? '',
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
            },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: {
              protocolVersion: '2025-06-18',
              capabilities: {},
              clientInfo: { name: 'x', version: '1' },
            },
          }),
        );
      });
    assert.equal(await withPublicHost(), 200, 'the tunnel host is allowed while the tunnel is up');

    // Once the tunnel stops, its host leaves the allow-list: the same request is refused.
    await tunnel.stop();
    assert.equal(await withPublicHost(), 403);
  },
);
