import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createTunnelgate, type Tunnelgate } from '../../../main/bootstrap.js';
import { createKeychainSecretStore } from '../../../main/secrets/keychain-secret-store.js';
import { startApiKeyMcpServer } from '../../fixtures/oauth-upstream/api-key-server.js';
import { startOAuthUpstreamFixture, type OAuthUpstreamFixture } from '../../fixtures/oauth-upstream/index.js';
import { createFetchBrowserOpener } from '../../helpers/browser-opener.js';
import { tsFixtureArgs } from '../../helpers/ts-fixture.js';
import { waitUntil } from '../../helpers/wait.js';

const service = `tunnelgate-leak-test-${randomBytes(6).toString('hex')}`;
const stdioServer = join(import.meta.dirname, '../../fixtures/oauth-upstream/secret-stdio-server.ts');
const v = (p: string) => `${p}-${randomBytes(16).toString('hex')}`;
const secrets = { fixture_api_key: v('hdr'), url_key: v('url'), env_key: v('env'), arg_key: v('arg') };
const rotatedKey = v('rot');
let fx: OAuthUpstreamFixture | undefined;
const allValues = () => [...Object.values(secrets), rotatedKey, ...(fx?.auth.issuedTokens() ?? [])];

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000) {
  await waitUntil(check, what, { timeoutMs });
}

describe(
  'secrets through a whole gateway session: rotation, restart, and no leaks',
  { timeout: 120_000 },
  () => {
    let root: string;
    let api: Awaited<ReturnType<typeof startApiKeyMcpServer>>;
    let tg: Tunnelgate | undefined;
    const logLines: string[] = [];

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'tg-leak-'));
      await mkdir(join(root, 'config'));
      api = await startApiKeyMcpServer({ header: secrets.fixture_api_key, query: secrets.url_key });
      fx = await startOAuthUpstreamFixture({ accessTokenTtlSec: 2 });
      const store = createKeychainSecretStore({ service });
      assert.ok((await store.availability()).available, 'needs a real keychain (scripts/test.sh)');
      for (const [k, val] of Object.entries(secrets)) await store.set(k, val);
      const config = {
        mcpServers: {
          keyed: {
            url: `${api.url}?k=\${secret:url_key}`,
            headers: { 'X-Api-Key': '${secret:fixture_api_key}' },
          },
          local: {
            command: process.execPath,
            args: tsFixtureArgs(stdioServer, '--token=${secret:arg_key}'),
            env: { FIXTURE_ENV_SECRET: '${secret:env_key}' },
          },
          oauthy: { url: fx.mcpUrl },
        },
        tunnel: { mode: 'off' },
      };
      await writeFile(join(root, 'config', 'config.json'), JSON.stringify(config, null, 2));
    });
    after(async () => {
      await tg?.stop().catch(() => undefined);
      await api?.close();
      await fx?.close();
      const s = createKeychainSecretStore({ service });
      for (const n of await s.list()) await s.delete(n);
      await rm(root, { recursive: true, force: true });
    });

    const start = async () => {
      tg = await createTunnelgate({
        configPath: join(root, 'config', 'config.json'),
        dataDir: join(root, 'data'),
        port: 0,
        tunnel: false,
        auth: 'none',
        secretStore: createKeychainSecretStore({ service }),
        browserOpener: createFetchBrowserOpener(),
        log: { info: (l) => logLines.push(l), warn: (l) => logLines.push(l) },
      });
      const info = await tg.start();
      const status = (n: string) => tg?.services.upstreams.get(n)?.state().status;
      await until(
        'upstreams settled',
        () =>
          status('keyed') === 'ready' &&
          status('local') === 'ready' &&
          ['ready', 'needs-auth'].includes(status('oauthy') ?? ''),
      );
      const client = new Client({ name: 'leak-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(info.endpoint)));
      return { client, status };
    };
    const text = (r: unknown) => (r as { content: Array<{ text: string }> }).content[0]?.text ?? '';

    it('uses header, URL, env and arg secrets and OAuth tokens; rotates and deletes; restarts; no value reaches a file, event or message', async () => {
      let { client, status } = await start();
      const names = (await client.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(names, ['keyed__add', 'keyed__echo', 'local__has_secrets', 'local__reveal']);
      // OAuth upstream: signed in through the control service (the window's Sign in action).
      assert.equal(status('oauthy'), 'needs-auth');
      await tg!.services.control.signIn('oauthy');
      await until('oauthy ready', () => status('oauthy') === 'ready');
      assert.equal(
        text(await client.callTool({ name: 'oauthy__echo', arguments: { text: 'signed in' } })),
        'echo: signed in',
      );
      assert.deepEqual(
        JSON.parse(text(await client.callTool({ name: 'local__has_secrets', arguments: {} }))),
        { argLength: secrets.arg_key.length, envLength: secrets.env_key.length },
      );
      // A careless upstream echoes its secrets back, and a client sends one as an argument.
      assert.equal(
        text(await client.callTool({ name: 'local__reveal', arguments: {} })),
        `arg=${secrets.arg_key} env=${secrets.env_key}`,
      );
      assert.equal(
        text(await client.callTool({ name: 'keyed__echo', arguments: { text: secrets.url_key } })),
        `echo: ${secrets.url_key}`,
      );
      // An upstream's error that echoes its credential reaches the client masked.
      const leaky = await client.getPrompt({ name: 'local__leaky' }).catch((e: Error) => e);
      assert.ok(leaky instanceof Error, 'the prompt fails');
      assert.match(leaky.message, /upstream refused the key \[redacted\]/);
      assert.ok(!leaky.message.includes(secrets.env_key), 'the key reached the client in an error');

      // Rotation through the running gateway's store (what the window's Settings does), then a retry.
      api.setKeys({ header: rotatedKey, query: secrets.url_key });
      await tg!.services.secrets.set('fixture_api_key', rotatedKey);
      await tg!.services.upstreams.retry('keyed');
      await until('keyed ready after rotation', () => status('keyed') === 'ready');
      assert.equal(
        text(await client.callTool({ name: 'keyed__echo', arguments: { text: 'rotated' } })),
        'echo: rotated',
      );

      // A deleted secret: that server is misconfigured with a message naming it; the other keeps serving.
      await tg!.services.secrets.delete('env_key');
      await tg!.services.upstreams.retry('local');
      await until('local misconfigured', () => status('local') === 'misconfigured');
      assert.match(tg!.services.upstreams.get('local')?.state().error ?? '', /env_key/);
      assert.equal(text(await client.callTool({ name: 'keyed__add', arguments: { a: 1, b: 2 } })), '3');
      await tg!.services.secrets.set('env_key', secrets.env_key);

      const events = JSON.stringify(tg!.services.activity.recent({ limit: 1000 }));
      const states = JSON.stringify(tg!.services.upstreams.states());
      await client.close();
      await tg!.stop();

      // Restart with a fresh store instance: the rotated secret persisted in the keychain.
      ({ client, status } = await start());
      assert.equal(
        text(await client.callTool({ name: 'keyed__echo', arguments: { text: 'after restart' } })),
        'echo: after restart',
      );
      // The OAuth tokens persisted too (refreshed as needed): no second sign-in.
      assert.equal(status('oauthy'), 'ready');
      assert.equal(
        text(await client.callTool({ name: 'oauthy__echo', arguments: { text: 'after restart' } })),
        'echo: after restart',
      );
      assert.equal(fx!.auth.stats.authorizations, 1);
      assert.equal(status('local'), 'ready');
      const events2 = JSON.stringify(tg!.services.activity.recent({ limit: 1000 }));
      await client.close();
      await tg!.stop();
      tg = undefined;

      // The activity log really recorded these calls (so the search below is not vacuous)...
      const files = await filesUnder(root);
      const contents = await Promise.all(files.map(async (f) => ({ f, body: await readFile(f, 'latin1') })));
      const activity = contents.filter(
        (c) => c.f.includes(join(root, 'data')) && c.body.includes('local__reveal'),
      );
      assert.ok(activity.length >= 1, `activity files under ${join(root, 'data')}: ${files.join(', ')}`);
      assert.ok(activity.some((c) => c.body.includes('[redacted]')));
      assert.ok(events.includes('local__reveal') && events.includes('[redacted]'));
      // ...and no secret value is in any file under the config and data (and log) folders, any event,
      // any upstream state or error message, or anything printed.
      for (const value of allValues()) {
        for (const { f, body } of contents)
          assert.ok(!body.includes(value), `a secret value leaked into ${f}`);
        assert.ok(
          !events.includes(value) && !events2.includes(value),
          'a secret value leaked into an activity event',
        );
        assert.ok(!states.includes(value), 'a secret value leaked into an upstream state');
        assert.ok(!logLines.join('\n').includes(value), 'a secret value leaked into the log output');
      }
    });
  },
);
