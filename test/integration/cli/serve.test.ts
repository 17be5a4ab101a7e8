import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawn } from 'node:child_process';
import {
  cliCommand,
  descendants,
  isAlive,
  killTree,
  makeSandbox,
  ROOT,
  runCli,
  serverMemoryEntry,
  startCli,
  type CliProcess,
  type Sandbox,
} from '../../helpers/cli-harness.js';
import { waitForValue, waitUntil } from '../../helpers/wait.js';

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'cli-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

async function until<T>(fn: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  return waitForValue(fn, what, { timeoutMs: ms });
}

describe('tunnelgate serve (real child process)', () => {
  let sandbox: Sandbox | undefined;
  let cli: CliProcess | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    await client?.close().catch(() => undefined);
    client = undefined;
    killTree(cli);
    cli = undefined;
    await sandbox?.cleanup();
    sandbox = undefined;
  });

  it('serves stdio upstreams, hot-reloads the config, logs calls, and exits 0 on SIGTERM leaving no child', async () => {
    sandbox = await makeSandbox();
    const configFile = join(sandbox.dir, 'config.json');
    const memory = (file: string) => ({
      command: process.execPath,
      args: [serverMemoryEntry()],
      env: { MEMORY_FILE_PATH: join(sandbox!.dir, file) },
    });
    await writeFile(configFile, JSON.stringify({ mcpServers: { mem: memory('a.jsonl') } }));

    cli = startCli(
      ['serve', '--port', '0', '--no-tunnel', '--auth', 'none', '--config', configFile],
      sandbox.env,
    );
    const [, url] = await cli.waitFor(/^MCP endpoint: (http:\/\/127\.0\.0\.1:\d+\/mcp)$/m);
    assert.ok(url);

    client = await connect(url);
    assert.equal(client.getServerVersion() !== undefined, true);
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('mem__read_graph'), names.join(','));
    const result = await client.callTool({
      name: 'mem__create_entities',
      arguments: { entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote notes'] }] },
    });
    assert.notEqual(result.isError, true, JSON.stringify(result));

    // Hot reload: add a second server in the file; the running gateway starts it.
    await writeFile(
      configFile,
      JSON.stringify({ mcpServers: { mem: memory('a.jsonl'), notes: memory('b.jsonl') } }),
    );
    await until(
      async () =>
        (await client!.listTools()).tools.some((t) => t.name === 'notes__read_graph') ? true : undefined,
      'notes__read_graph',
    );

    // An invalid edit is kept out and reported on stderr, naming field and file.
    await writeFile(configFile, JSON.stringify({ mcpServers: { mem: { url: 'htps:/x' } } }));
    await until(
      async () => (/config\.json: mcpServers\.mem\.url: not a URL/.test(cli!.stderr()) ? true : undefined),
      'the invalid-config message',
    );
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'notes__read_graph'));

    // Two stdio upstreams run as descendants of the CLI: they must be gone after SIGTERM.
    const pids = descendants(cli.child.pid!);
    assert.ok(pids.length >= 2, `expected upstream processes, found ${pids.join(',')}`);
    await client.close();
    client = undefined;

    const t0 = Date.now();
    cli.child.kill('SIGTERM');
    const { code } = await cli.exited;
    const took = Date.now() - t0;
    assert.equal(code, 0, cli.stderr());
    assert.ok(took < 5000, `exit took ${took} ms`);
    // The last line says the stop is over, not "stopping...".
    assert.match(cli.stderr(), /^SIGTERM: stopping Tunnelgate\.\.\.$/m);
    assert.match(cli.stderr(), /\nTunnelgate stopped\.\n$/);
    // Signalled processes may take a moment to be reaped on a loaded machine; a leaked one stays.
    await waitUntil(() => pids.filter(isAlive).length === 0, 'the upstream processes to end with the CLI', {
      timeoutMs: 5000,
      detail: () => `still alive: ${pids.filter(isAlive).join(', ')}`,
    });

    // `logs --json` prints the recorded events, with the call to the upstream among them.
    const logs = await runCli(['logs', '--json', '--limit', '1000'], sandbox.env);
    assert.equal(logs.code, 0, logs.stderr);
    const events = logs.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { method: string; target?: string; upstream?: string; outcome: string });
    const call = events.find((e) => e.method === 'tools/call' && e.target === 'mem__create_entities');
    assert.ok(call, logs.stdout);
    assert.equal(call.upstream, 'mem');
    assert.equal(call.outcome, 'ok');
    assert.ok(events.some((e) => e.method === 'config/invalid'));
    const table = await runCli(['logs', '--limit', '100'], sandbox.env);
    assert.match(table.stdout, /tools\/call\s+mem__create_entities\s+mem\s+\d+ms {2}ok/);
  });

  it('starts the demo server with no config, mentions a Claude Desktop config, and serves the widget', async () => {
    sandbox = await makeSandbox();
    await mkdir(join(sandbox.configDir, 'Claude'), { recursive: true });
    await writeFile(
      join(sandbox.configDir, 'Claude', 'claude_desktop_config.json'),
      JSON.stringify({ mcpServers: { m: { command: 'npx' } } }),
    );
    cli = startCli(['serve', '--port', '0', '--no-tunnel', '--auth', 'none'], sandbox.env);
    const [, url] = await cli.waitFor(/^MCP endpoint: (http:\/\/127\.0\.0\.1:\d+\/mcp)$/m);
    assert.match(
      cli.stdout(),
      /No config found at .*tunnelgate\/config\.json: serving the built-in demo server/,
    );
    assert.match(
      cli.stdout(),
      /claude_desktop_config\.json with 1 server: run "tunnelgate config import-claude"/,
    );
    client = await connect(url!);
    const tools = (await client.listTools()).tools;
    assert.deepEqual(tools.map((t) => t.name).sort(), [
      'demo__current_time',
      'demo__echo',
      'demo__show_clock',
    ]);
    const uri = (tools.find((t) => t.name === 'demo__show_clock')!._meta as { ui: { resourceUri: string } })
      .ui.resourceUri;
    const read = await client.readResource({ uri });
    assert.equal((read.contents[0] as { mimeType: string }).mimeType, 'text/html;profile=mcp-app');
    const echo = await client.callTool({ name: 'demo__echo', arguments: { text: 'through the gateway' } });
    assert.deepEqual(echo.content, [{ type: 'text', text: 'through the gateway' }]);
    await client.close();
    client = undefined;
    // `doctor` on a gateway started with --no-tunnel: no "Go public" button exists there to press.
    const doctor = await runCli(['doctor'], sandbox.env, undefined, 60_000);
    assert.equal(doctor.code, 1, doctor.stderr);
    assert.match(
      doctor.stdout,
      /Fix: This gateway was started without a tunnel .*restart "tunnelgate serve" without --no-tunnel/,
    );
    assert.doesNotMatch(doctor.stdout, /Go public/);
    cli.child.kill('SIGINT');
    assert.equal((await cli.exited).code, 0);
    assert.match(cli.stderr(), /^SIGINT: stopping Tunnelgate\.\.\.\nTunnelgate stopped\.\n$/m);
  });

  // `npm run serve` is npm, then `sh -c`, then node. A SIGTERM to npm ends npm and the shell only: a
  // newcomer found the gateway still serving, re-parented. Here the shell is the parent that goes.
  it('started by an npm script, stops with its upstreams when its parent is killed', async () => {
    sandbox = await makeSandbox();
    const configFile = join(sandbox.dir, 'config.json');
    await writeFile(
      configFile,
      JSON.stringify({ mcpServers: { mem: { command: process.execPath, args: [serverMemoryEntry()] } } }),
    );
    // `; :` keeps sh from exec-ing node (as Debian's sh does for npm's script line).
    const shell = spawn(
      'sh',
      ['-c', '"$@"; :', 'sh', ...cliCommand(['serve', '--port', '0', '--no-tunnel', '--config', configFile])],
      { cwd: ROOT, env: { ...sandbox.env, npm_lifecycle_event: 'serve' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    shell.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    shell.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    let left: number[] = [];
    try {
      await waitUntil(() => /^MCP endpoint: /m.test(out), 'the MCP endpoint line', { timeoutMs: 30_000 });
      const [gateway] = descendants(shell.pid!);
      assert.ok(gateway !== undefined, 'the gateway runs under the shell');
      left = [gateway, ...descendants(gateway)];
      assert.ok(left.length > 1, 'the memory server runs under the gateway');
      shell.kill('SIGTERM'); // only the shell: what npm's death leaves behind
      await waitUntil(() => !isAlive(gateway), 'the gateway to exit', { timeoutMs: 10_000 });
      await waitUntil(() => left.every((pid) => !isAlive(pid)), 'its children to exit', { timeoutMs: 5_000 });
      await waitUntil(() => /Tunnelgate stopped\./.test(err), 'the last line', { timeoutMs: 5_000 });
      assert.match(err, /^npm run exited: stopping Tunnelgate\.\.\.$/m);
    } finally {
      shell.kill('SIGKILL');
      for (const pid of left) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('refuses a bad config naming the field and the file, with a non-zero exit', async () => {
    sandbox = await makeSandbox();
    const configFile = join(sandbox.dir, 'my-config.json');
    await writeFile(configFile, JSON.stringify({ mcpServers: { github: { url: 'htps:/x' } } }));
    const r = await runCli(['serve', '--port', '0', '--no-tunnel', '--config', configFile], sandbox.env);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`the config file ${configFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} has errors`),
    );
    assert.match(r.stderr, /my-config\.json: mcpServers\.github\.url: not a URL \(got 'htps:\/x'\)/);
    assert.doesNotMatch(r.stdout, /MCP endpoint/);
  });
});
