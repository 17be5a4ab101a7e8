import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  killTree,
  makeSandbox,
  runCli,
  serverMemoryEntry,
  startCli,
  type CliProcess,
  type Sandbox,
} from '../../helpers/cli-harness.js';

describe('tunnelgate secrets with a running gateway', () => {
  let sandbox: Sandbox | undefined;
  let cli: CliProcess | undefined;
  let client: Client | undefined;
  after(async () => {
    await client?.close().catch(() => undefined);
    killTree(cli);
    await sandbox?.cleanup();
  });

  it('a server waiting for a missing secret starts once `secrets set` stores it through the gateway', async (t) => {
    sandbox = await makeSandbox();
    const name = `memfile-${process.pid}`;
    const configFile = join(sandbox.dir, 'config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        mcpServers: {
          mem: {
            command: process.execPath,
            args: [serverMemoryEntry()],
            env: { MEMORY_FILE_PATH: `\${secret:${name}}` },
          },
        },
      }),
    );
    cli = startCli(
      ['serve', '--port', '0', '--no-tunnel', '--auth', 'none', '--config', configFile],
      sandbox.env,
    );
    const [, url] = await cli.waitFor(/^MCP endpoint: (http:\/\/127\.0\.0\.1:\d+\/mcp)$/m);
    await cli.waitFor(/^Dashboard: /m);
    if (/keychain is not available/i.test(cli.stderr())) {
      t.skip(
        'no Secret Service on this machine (scripts/test.sh starts one when gnome-keyring is installed)',
      );
      return;
    }
    client = new Client({ name: 'secrets-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url!)));
    assert.equal((await client.listTools()).tools.length, 0, 'mem must wait for its secret');

    const secretValue = join(sandbox.dir, 'memory.jsonl');
    const set = await runCli(['secrets', 'set', name], sandbox.env, `${secretValue}\n`);
    assert.equal(set.code, 0, set.stderr);
    const deadline = Date.now() + 20_000;
    let names: string[] = [];
    while (Date.now() < deadline) {
      names = (await client.listTools()).tools.map((tool) => tool.name);
      if (names.includes('mem__read_graph')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(names.includes('mem__read_graph'), `tools: ${names.join(',')}`);

    const list = await runCli(['secrets', 'list'], sandbox.env);
    assert.ok(list.stdout.split('\n').includes(name), list.stdout);
    const del = await runCli(['secrets', 'delete', name], sandbox.env);
    assert.equal(del.code, 0, del.stderr);
    await client.close();
    client = undefined;
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
  });
});
