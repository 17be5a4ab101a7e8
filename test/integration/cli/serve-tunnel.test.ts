import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  installFakeCloudflared,
  publicFetch,
  readFakeState,
} from '../../fixtures/fake-cloudflared/install.js';
import { waitGone } from '../tunnel/helpers.js';
import { killTree, makeSandbox, startCli, type CliProcess, type Sandbox } from '../../helpers/cli-harness.js';

describe('tunnelgate serve with the tunnel (fake cloudflared)', () => {
  let sandbox: Sandbox | undefined;
  let cli: CliProcess | undefined;
  let client: Client | undefined;
  after(async () => {
    await client?.close().catch(() => undefined);
    killTree(cli);
    await sandbox?.cleanup();
  });

  it('--auth none prints a secret-path connector URL that works through the tunnel; SIGTERM ends cloudflared too', async () => {
    sandbox = await makeSandbox();
    const stateFile = join(sandbox.dir, 'fake-state.json');
    const env = {
      ...sandbox.env,
      CLOUDFLARED_BIN: installFakeCloudflared(sandbox.dir),
      FAKE_CLOUDFLARED_STATE: stateFile,
      TUNNELGATE_REACHABILITY_CHECK: '0',
    };
    cli = startCli(['serve', '--port', '0', '--auth', 'none'], env);
    await cli.waitFor(/^MCP endpoint: http:\/\/127\.0\.0\.1:\d+\/mcp$/m);
    const [, connector, host, secret] = await cli.waitFor(
      /^Connector URL: (https:\/\/([a-z0-9.-]+\.trycloudflare\.com)\/s\/([A-Za-z0-9_-]+)\/mcp)$/m,
      30_000,
    );
    assert.ok(secret!.length >= 22, 'the secret path segment carries at least 128 bits');
    const state = readFakeState(stateFile);
    assert.equal(state?.publicHost, host);

    const edge = publicFetch(stateFile);
    client = new Client({ name: 'tunnel-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(connector!), { fetch: edge }));
    const tools = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(tools.includes('demo__echo'), tools.join(','));
    // Without the secret segment, the public side gets 404.
    const guess = await edge(`https://${host}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    assert.equal(guess.status, 404);
    await client.close();
    client = undefined;

    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    // Gone within the 300 ms the test used to sleep (time for init to reap it), checked as it goes.
    assert.deepEqual(await waitGone([state!.pid], 300), [], 'cloudflared outlived the gateway');
  });
});
