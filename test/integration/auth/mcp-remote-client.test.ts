import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createHttpsCimdTransport, type CimdTransport } from '../../../main/auth/cimd-transport.js';
import { portForLater } from '../../helpers/free-port.js';
import { startAuthGateway } from '../../fixtures/auth/gateway-harness.js';
import { startTlsServer } from '../../fixtures/auth/tls-cimd-server.js';

const root = resolve(import.meta.dirname, '../../..');
const browser = join(root, 'test/fixtures/auth/headless-browser.mjs');
const mcpRemoteClient = join(root, 'node_modules/mcp-remote/dist/client.js');

/** Runs mcp-remote-client to completion (it connects, lists tools and resources, then exits). */
function runClient(
  url: string,
  callbackPort: number,
  home: string,
  extraArgs: string[] = [],
  timeoutMs = 60_000,
): Promise<{ code: number | null; output: string }> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    MCP_REMOTE_CONFIG_DIR: join(home, 'mcp-auth'),
    // No desktop: xdg-open (bundled with `open`) falls back to $BROWSER, our headless browser.
    BROWSER: browser,
    HEADLESS_BROWSER_LOG: join(home, 'browser.log'),
  };
  const child = spawn(
    process.execPath,
    [mcpRemoteClient, url, String(callbackPort), '--host', '127.0.0.1', ...extraArgs],
    { env, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  // Keep stdin open: mcp-remote-client shuts down when its stdin ends.
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolveRun) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, output });
    });
  });
}

// One gateway for both flows (each start is a server-memory process and an auth service): it fetches
// Client ID Metadata Documents through fake DNS and real TLS on 127.0.0.1, which the DCR flow never uses.
let gw: Awaited<ReturnType<typeof startAuthGateway>>;
let srv: Awaited<ReturnType<typeof startTlsServer>>;
/** The CIMD flow's callback port, which its metadata document names. */
let cimdCallbackPort = 0;
before(async () => {
  srv = await startTlsServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        client_id: `https://cimd.test:${srv.port}${req.url}`,
        client_name: 'mcp-remote via CIMD',
        redirect_uris: [`http://127.0.0.1:${cimdCallbackPort}/oauth/callback`],
        token_endpoint_auth_method: 'none',
      }),
    );
  });
  const real = createHttpsCimdTransport({ ca: srv.ca });
  const transport: CimdTransport = {
    resolve: async () => [{ address: '93.184.216.34', family: 4 }],
    get: (url, _address, family, limits) => real.get(url, '127.0.0.1', family, limits),
  };
  gw = await startAuthGateway({ cimdTransport: transport });
});
after(async () => {
  await gw?.close();
  await srv?.close();
});

describe(
  'mcp-remote-client (third-party OAuth client: DCR + PKCE) through the real gateway',
  { timeout: 120_000 },
  () => {
    let home: string;
    before(async () => {
      home = await mkdtemp(join(tmpdir(), 'tg-mcpremote-'));
    });
    after(async () => {
      await rm(home, { recursive: true, force: true });
    });

    it('registers, waits for the owner, gets tokens and lists the tools; the token then calls a tool', async () => {
      const owner = gw.autoApprove(['mcp:full']);
      const { code, output } = await runClient(`${gw.base}/mcp`, await portForLater(), home);
      owner.off();
      const browserLog = await readFile(join(home, 'browser.log'), 'utf8').catch(() => '(no browser log)');
      assert.equal(code, 0, `${output}\n--- browser ---\n${browserLog}`);
      assert.equal(owner.approved.length, 1, 'exactly one approval by the owner');
      assert.match(output, /memory__read_graph/);
      assert.match(
        browserLog,
        /302 .*\/oauth\/approval\?request=.* -> http:\/\/127\.0\.0\.1:\d+\/oauth\/callback\?code=/,
      );
      const grants = gw.auth.listGrants();
      assert.equal(grants.length, 1);
      assert.equal(grants[0]!.redirectHost.startsWith('127.0.0.1:'), true);

      // The tokens mcp-remote stored are ordinary bearer tokens for this gateway: use one to call a tool.
      const files = await readdir(join(home, 'mcp-auth'), { recursive: true });
      const tokenFile = files.find((f) => String(f).endsWith('_tokens.json'));
      assert.ok(tokenFile, files.join(', '));
      const tokens = JSON.parse(await readFile(join(home, 'mcp-auth', String(tokenFile)), 'utf8')) as {
        access_token: string;
      };
      const client = new Client({ name: 'token-reuse', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${gw.base}/mcp`), {
          requestInit: { headers: { Authorization: `Bearer ${tokens.access_token}` } },
        }),
      );
      try {
        const result = await client.callTool({
          name: 'memory__create_entities',
          arguments: {
            entities: [
              { name: 'oauth', entityType: 'test', observations: ['called with an owner-approved token'] },
            ],
          },
        });
        assert.notEqual(result.isError, true, JSON.stringify(result));
        const graph = await client.callTool({ name: 'memory__read_graph', arguments: {} });
        assert.match(JSON.stringify(graph), /owner-approved token/);
      } finally {
        await client.close();
      }
      assert.ok(gw.auth.listGrants()[0]!.lastUsedAt !== undefined);
    });
  },
);

describe('mcp-remote-client identified by a Client ID Metadata Document', { timeout: 120_000 }, () => {
  it('the gateway fetches the document (fake DNS, real TLS on 127.0.0.1) and the flow completes', async () => {
    cimdCallbackPort = await portForLater();
    const home = await mkdtemp(join(tmpdir(), 'tg-mcpremote-cimd-'));
    try {
      const metadataUrl = `${srv.origin}/mcp-remote.json`;
      const owner = gw.autoApprove(['mcp:read']);
      const { code, output } = await runClient(`${gw.base}/mcp`, cimdCallbackPort, home, [
        '--client-metadata-url',
        metadataUrl,
      ]);
      owner.off();
      assert.equal(code, 0, output);
      assert.match(output, /memory__read_graph/);
      const grant = gw.auth.listGrants().find((g) => g.clientId === metadataUrl);
      assert.ok(grant, 'a grant for the document URL as client_id');
      assert.equal(grant.clientName, 'mcp-remote via CIMD');
      assert.deepEqual(grant.scopes, ['mcp:read']);
      assert.doesNotMatch(output, /memory__create_entities/, 'a read-only grant does not list write tools');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
