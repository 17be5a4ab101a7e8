import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { createActivityLog, type ActivityLog } from '../../../main/activity/index.js';
import { createUpstreamAuthFactory } from '../../../main/auth/upstream/index.js';
import type { ServerConfig } from '../../../main/config/schema.js';
import { createGateway } from '../../../main/gateway/gateway.js';
import { createUpstreamManager, type UpstreamManager } from '../../../main/gateway/upstream/manager.js';
import { createKeychainSecretStore } from '../../../main/secrets/keychain-secret-store.js';
import { resolveSecretRefs } from '../../../main/secrets/secret-refs.js';
import { startApiKeyMcpServer } from '../../fixtures/oauth-upstream/api-key-server.js';
import { startOAuthUpstreamFixture, type OAuthUpstreamFixture } from '../../fixtures/oauth-upstream/index.js';
import { createLeapClock } from '../../fixtures/manual-clock.js';
import { createFetchBrowserOpener } from '../../helpers/browser-opener.js';
import { waitUntil } from '../../helpers/wait.js';

const service = `tunnelgate-gw-oauth-${randomBytes(6).toString('hex')}`;
const apiKeys = {
  header: `h-${randomBytes(16).toString('hex')}`,
  query: `q-${randomBytes(16).toString('hex')}`,
};

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  await waitUntil(check, what, { timeoutMs });
}

describe('gateway clients never see an upstream 401', { timeout: 120_000 }, () => {
  let fx: OAuthUpstreamFixture;
  let api: Awaited<ReturnType<typeof startApiKeyMcpServer>>;
  let manager: UpstreamManager;
  let gateway: ReturnType<typeof createGateway>;
  let activity: ActivityLog;
  let dataDir: string;
  let client: Client;
  // The fixture and the gateway's OAuth client share a clock: a token's lifetime passes at once.
  const clock = createLeapClock();

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tg-gw-oauth-'));
    fx = await startOAuthUpstreamFixture({ accessTokenTtlSec: 600, now: clock.now });
    api = await startApiKeyMcpServer(apiKeys);
    const store = createKeychainSecretStore({ service });
    assert.ok((await store.availability()).available, 'needs a real keychain (scripts/test.sh)');
    await store.set('api_header', apiKeys.header);
    await store.set('api_query', apiKeys.query);
    activity = createActivityLog({ dir: join(dataDir, 'activity') });
    const onSecretValues = (v: string[]) => activity.addSecretValues(v);
    manager = createUpstreamManager({
      resolve: (name, config) => resolveSecretRefs(config, store, { serverName: name, onSecretValues }),
      authFor: createUpstreamAuthFactory({
        store,
        opener: createFetchBrowserOpener(),
        onSecretValues,
        now: clock.now,
      }),
      backoff: { baseMs: 100, maxMs: 500 },
    });
    const servers: Record<string, ServerConfig> = {
      oauthy: { url: fx.mcpUrl },
      keyed: { url: `${api.url}?k=\${secret:api_query}`, headers: { 'X-Api-Key': '${secret:api_header}' } },
    };
    gateway = createGateway({ upstreams: manager, activity, servers });
    const { port } = await gateway.listen(0);
    await manager.apply(servers);
    client = new Client({ name: 'gw-oauth-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
  });
  after(async () => {
    await client?.close().catch(() => undefined);
    await gateway?.close();
    await manager?.close();
    await activity?.close();
    await Promise.all([fx?.close(), api?.close()]);
    const s = createKeychainSecretStore({ service });
    for (const n of await s.list()) await s.delete(n);
    await rm(dataDir, { recursive: true, force: true });
  });

  const toolNames = async () => (await client.listTools()).tools.map((t) => t.name).sort();
  const status = (n: string) => manager.get(n)?.state().status;
  /** A call's outcome as the gateway client sees it: a result, or a JSON-RPC error (never an HTTP status). */
  const call = async (name: string, args: Record<string, unknown>) => {
    try {
      return { result: await client.callTool({ name, arguments: args }) };
    } catch (e) {
      assert.ok(e instanceof McpError, `expected a JSON-RPC error, got ${String(e)}`);
      assert.notEqual(e.code, 401);
      return { error: e };
    }
  };

  it('needs sign-in shows as a JSON-RPC error; sign-in, silent refresh, revocation; the others keep serving', async () => {
    await until('settled', () => status('oauthy') === 'needs-auth' && status('keyed') === 'ready');
    assert.deepEqual(await toolNames(), ['keyed__add', 'keyed__echo']);
    const before = await call('oauthy__echo', { text: 'x' });
    assert.ok(
      before.error || before.result?.isError,
      'a call to the signed-out upstream fails as MCP, not as HTTP 401',
    );

    await manager.signIn('oauthy');
    await until('oauthy tools listed', async () => (await toolNames()).includes('oauthy__add'));
    const sum = await call('oauthy__add', { a: 20, b: 22 });
    assert.deepEqual(sum.result?.structuredContent, { sum: 42 });

    clock.advance(601_000); // past the access token's lifetime: refreshed, unnoticed
    const later = await call('oauthy__echo', { text: 'later' });
    assert.deepEqual(later.result?.content, [{ type: 'text', text: 'echo: later' }]);
    assert.ok(fx.auth.stats.refreshes >= 1);

    fx.auth.revokeRefreshTokens();
    fx.auth.expireAccessTokens();
    const revoked = await call('oauthy__echo', { text: 'revoked' });
    assert.ok(revoked.error || revoked.result?.isError);
    await until('oauthy needs-auth', () => status('oauthy') === 'needs-auth');
    assert.match(manager.get('oauthy')?.state().error ?? '', /sign in/i);
    const keyed = await call('keyed__echo', { text: 'still here' });
    assert.deepEqual(keyed.result?.content, [{ type: 'text', text: 'echo: still here' }]);

    // No token or key in the activity log (memory and files).
    await activity.flush();
    const events = JSON.stringify(activity.recent({ limit: 1000 }));
    assert.ok(events.includes('oauthy__add'), 'the calls were logged');
    const files = await readdir(join(dataDir, 'activity'));
    const disk = (await Promise.all(files.map((f) => readFile(join(dataDir, 'activity', f), 'utf8')))).join(
      '\n',
    );
    assert.ok(disk.includes('keyed__echo'));
    for (const v of [...fx.auth.issuedTokens(), apiKeys.header, apiKeys.query]) {
      assert.ok(!events.includes(v) && !disk.includes(v), 'a secret value reached the activity log');
    }
  });
});
