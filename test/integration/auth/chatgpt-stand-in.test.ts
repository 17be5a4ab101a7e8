import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTunnelgate, type Tunnelgate } from '../../../main/bootstrap.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import { createTestClock } from '../../fixtures/auth/auth-harness.js';
import { createChatGptStandIn, type ChatGptStandIn } from '../../fixtures/chatgpt/chatgpt-client.js';
import { startChatGptSite, type ChatGptSite } from '../../fixtures/chatgpt/chatgpt-site.js';
import {
  installFakeCloudflared,
  publicFetch,
  readFakeState,
} from '../../fixtures/fake-cloudflared/install.js';
import { tempDir } from '../tunnel/helpers.js';

// The whole product as ChatGPT meets it: `serve` (bootstrap) public through the fake cloudflared, a
// real widget server (server-basic-react) and server-memory behind it, and a client that behaves as
// ChatGPT does, from the first 401 to a refresh race. The owner approves on the loopback side (the
// control service). chatgpt.com (its metadata document and JWKS) is a local TLS server reached
// through the injected fetcher; the product's address guard is not relaxed.
const root = join(import.meta.dirname, '../../..');
const pkg = (name: string) => join(root, 'node_modules/@modelcontextprotocol', name, 'dist/index.js');

describe('ChatGPT stand-in, end to end through the tunnel', { timeout: 180_000 }, () => {
  const { dir, cleanup } = tempDir();
  const clock = createTestClock();
  const lines: string[] = [];
  let site: ChatGptSite;
  let tg: Tunnelgate;
  let edge: typeof fetch;
  let serverUrl = '';

  before(async () => {
    site = await startChatGptSite({ clock });
    const configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        mcpServers: {
          apps: {
            command: process.execPath,
            args: [pkg('server-basic-react'), '--stdio'],
            tools: { readOnly: ['get-time'] },
          },
          memory: {
            command: process.execPath,
            args: [pkg('server-memory')],
            env: { MEMORY_FILE_PATH: join(dir, 'm.jsonl') },
          },
        },
      }),
    );
    // serve prints the connector URL once the tunnel is ready: that line is the signal to go on.
    let connectorShown = (): void => undefined;
    const shown = new Promise<void>((resolve) => (connectorShown = resolve));
    const note = (l: string): void => {
      lines.push(l);
      if (l.startsWith('Connector URL: https://')) connectorShown();
    };
    const stateFile = join(dir, 'fake-state.json');
    process.env.CLOUDFLARED_BIN = installFakeCloudflared(dir);
    process.env.FAKE_CLOUDFLARED_STATE = stateFile;
    process.env.TUNNELGATE_REACHABILITY_CHECK = '0';
    tg = await createTunnelgate({
      configPath,
      dataDir: join(dir, 'data'),
      port: 0,
      tunnel: true,
      auth: 'oauth',
      secretStore: createMemorySecretStore(),
      log: { info: (l) => note(l), warn: (l) => note(`warn: ${l}`) },
      authDeps: { cimdTransport: site.transport, clock },
    });
    await tg.start();
    edge = publicFetch(stateFile);
    await shown;
    serverUrl = `https://${readFakeState(stateFile)?.publicHost}/mcp`;
  });
  after(async () => {
    await tg?.stop().catch(() => undefined);
    await site?.close();
    delete process.env.FAKE_CLOUDFLARED_STATE;
    cleanup();
  });

  /** The owner, in the window or the dashboard: approves exactly the request ChatGPT is waiting on. */
  const ownerApproves = (scopes: string[]) => async (requestId: string) => {
    const pending = await tg.services.control.listApprovals();
    assert.ok(
      pending.some((p) => p.id === requestId),
      'the request shows in the approvals list',
    );
    await tg.services.control.approve(requestId, scopes);
  };

  /** tools/list, the widget tool's call, and resources/read of its ui:// template. */
  async function useWidget(client: ChatGptStandIn) {
    const { tools } = (await client.call('tools/list')) as { tools: Record<string, unknown>[] };
    const widget = tools.find((t) => (t._meta as { ui?: { resourceUri?: string } })?.ui?.resourceUri);
    assert.ok(widget, `a widget tool is listed: ${tools.map((t) => t.name).join(', ')}`);
    const uri = (widget._meta as { ui: { resourceUri: string } }).ui.resourceUri;
    assert.match(uri, /^ui:\/\//);
    const result = (await client.call('tools/call', { name: widget.name, arguments: {} })) as {
      content: unknown[];
      isError?: boolean;
    };
    assert.notEqual(result.isError, true, JSON.stringify(result));
    const read = (await client.call('resources/read', { uri })) as {
      contents: { uri: string; mimeType: string; text: string }[];
    };
    assert.equal(read.contents[0]?.mimeType, 'text/html;profile=mcp-app');
    assert.match(read.contents[0]?.text ?? '', /<html/i);
    return tools.map((t) => String(t.name));
  }

  it('ChatGPT (CIMD, private_key_jwt, 2026-07-28) connects, uses a widget, survives a refresh race', async () => {
    const chatgpt = createChatGptStandIn({
      fetch: edge,
      serverUrl,
      identity: { cimd: site },
      approve: ownerApproves(['mcp:full']),
    });
    await chatgpt.connect();
    const discovered = await chatgpt.handshake();
    assert.equal(chatgpt.era, 'modern');
    assert.deepEqual(discovered.supportedVersions, ['2026-07-28']);
    const names = await useWidget(chatgpt);
    assert.ok(names.includes('memory__create_entities'), 'a full grant sees write tools');

    const grants = (await tg.services.control.listGrants()).map((g) => g.id);
    const old = chatgpt.tokens!.refresh_token;
    const [a, b] = await chatgpt.refreshRace();
    assert.equal(a.refresh_token, b.refresh_token, 'both workers got the same successor');
    assert.deepEqual(
      (await tg.services.control.listGrants()).map((g) => g.id),
      grants,
      'the grant lives',
    );
    await useWidget(chatgpt);

    // The old token again, after the window: a replay. Revoked, and the owner is told everywhere.
    clock.advance(61_000);
    const late = await chatgpt.refresh(old);
    assert.equal(late.status, 400);
    assert.match(
      ((await late.json()) as { error_description: string }).error_description,
      /^refresh token reused; sign in again/,
    );
    assert.equal((await tg.services.control.listGrants()).length, grants.length - 1);
    assert.ok(
      lines.some((l) => /^warn: Tunnelgate revoked the access of ChatGPT .*refresh token reused/.test(l)),
      lines.join('\n'),
    );
    const events = await tg.services.control.getActivity({ limit: 50 });
    assert.ok(
      events.some((e) => e.method === 'auth/grant-revoked'),
      'an activity-log event',
    );
    const status = await tg.services.control.getStatus();
    assert.equal(status.revokedGrants?.[0]?.clientId, site.clientId);
    assert.equal(status.revokedGrants?.[0]?.reason, 'refresh-reuse');
  });

  it('a DCR client (none + PKCE) that speaks only 2025-11-25 falls back to initialize and does the same', async () => {
    const client = createChatGptStandIn({
      fetch: edge,
      serverUrl,
      identity: 'dcr',
      speaks: 'session',
      approve: ownerApproves(['mcp:full']),
    });
    await client.connect();
    await client.handshake();
    assert.equal(client.era, 'session');
    await useWidget(client);
    const [a, b] = await client.refreshRace();
    assert.equal(a.refresh_token, b.refresh_token);
    await useWidget(client);
  });

  it('a read-only grant sees read-only tools only, widget included', async () => {
    const chatgpt = createChatGptStandIn({
      fetch: edge,
      serverUrl,
      identity: { cimd: site },
      scope: 'mcp:read',
      approve: ownerApproves(['mcp:read']),
    });
    const t = await chatgpt.connect();
    assert.equal(t.scope, 'mcp:read');
    await chatgpt.handshake();
    const names = await useWidget(chatgpt);
    assert.ok(names.includes('memory__read_graph'), names.join(', '));
    assert.ok(!names.includes('memory__create_entities'), 'no write tool for a read-only grant');
    await assert.rejects(
      chatgpt.call('tools/call', { name: 'memory__create_entities', arguments: { entities: [] } }),
    );
    const [a, b] = await chatgpt.refreshRace();
    assert.equal(a.refresh_token, b.refresh_token);
    assert.equal(b.scope, 'mcp:read');
  });
});
