import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startAuthorization } from '../../e2e/oauth-client.js';
import { join } from 'node:path';
import { createActivityLog } from '../../../main/activity/index.js';
import {
  killTree,
  makeSandbox,
  runCli,
  startCli,
  type CliProcess,
  type Sandbox,
} from '../../helpers/cli-harness.js';

describe('tunnelgate commands (real child processes)', () => {
  let sandbox: Sandbox | undefined;
  let cli: CliProcess | undefined;
  afterEach(async () => {
    killTree(cli);
    cli = undefined;
    await sandbox?.cleanup();
    sandbox = undefined;
  });

  it('logs prints a table or JSON Lines, and --follow prints new events as they are written', async () => {
    sandbox = await makeSandbox();
    const empty = await runCli(['logs'], sandbox.env);
    assert.equal(empty.code, 0);
    assert.match(empty.stderr, /No activity recorded yet/);

    const log = createActivityLog({ dir: join(sandbox.dataDir, 'activity'), maxFileBytes: 500 });
    const record = (n: number): void =>
      log.record({
        time: Date.now(),
        kind: 'request',
        method: 'tools/call',
        target: `srv__t${n}`,
        upstream: 'srv',
        outcome: 'ok',
        durationMs: n,
        client: { name: 'ChatGPT' },
      });
    record(1);
    record(2);
    await log.flush();
    const json = await runCli(['logs', '--json', '--limit', '1'], sandbox.env);
    assert.deepEqual(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).target),
      ['srv__t2'],
    );

    cli = startCli(['logs', '--follow'], sandbox.env);
    await cli.waitFor(/srv__t2/);
    for (let i = 3; i <= 8; i++) {
      record(i); // enough to rotate files (maxFileBytes 500) while following
      await log.flush();
    }
    await cli.waitFor(/srv__t8/, 10_000);
    const lines = cli
      .stdout()
      .split('\n')
      .filter((l) => l.includes('srv__t'));
    assert.deepEqual(
      lines.map((l) => /srv__t\d+/.exec(l)![0]),
      ['srv__t1', 'srv__t2', 'srv__t3', 'srv__t4', 'srv__t5', 'srv__t6', 'srv__t7', 'srv__t8'],
    );
    assert.match(lines[0]!, /ChatGPT\s+tools\/call\s+srv__t1\s+srv\s+1ms {2}ok/);
    cli.child.kill('SIGINT');
    assert.equal((await cli.exited).code, 0);
    await log.close();
  });

  it('secrets set (from stdin), list and delete use the OS keychain', async () => {
    sandbox = await makeSandbox();
    const name = `cli-test-${process.pid}`;
    const set = await runCli(['secrets', 'set', name], sandbox.env, 'sk-cli-test-value\n');
    if (/keychain is not available/i.test(set.stderr)) {
      assert.equal(set.code, 1); // no Secret Service here: refused, never stored in plain text
      return;
    }
    assert.equal(set.code, 0, set.stderr);
    assert.doesNotMatch(set.stdout + set.stderr, /sk-cli-test-value/);
    const list = await runCli(['secrets', 'list'], sandbox.env);
    assert.ok(list.stdout.split('\n').includes(name), list.stdout + list.stderr);
    const del = await runCli(['secrets', 'delete', name], sandbox.env);
    assert.equal(del.code, 0, del.stderr);
    const again = await runCli(['secrets', 'delete', name], sandbox.env);
    assert.equal(again.code, 1);
  });

  it('approvals, approve and deny reach the running gateway through the 0600 control file', async () => {
    sandbox = await makeSandbox();
    const none = await runCli(['approvals'], sandbox.env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No running gateway found: .*control\.json does not exist/);

    // The public listener's loopback origin plays the public URL (PROTOCOL.md allows it for tests).
    const publicPort = await freePort();
    const origin = `http://127.0.0.1:${publicPort}`;
    // No config: the demo server's tools are what the approved client will see.
    cli = startCli(
      [
        'serve',
        '--port',
        '0',
        '--public-port',
        String(publicPort),
        '--no-tunnel',
        '--auth',
        'oauth',
        '--public-url',
        origin,
      ],
      sandbox.env,
    );
    await cli.waitFor(/^Dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/m);
    assert.match(cli.stdout(), new RegExp(`^Connector URL: ${origin}/mcp$`, 'm'));
    assert.match(cli.stdout(), new RegExp(`^Public listener: ${origin}$`, 'm'));
    assert.match(cli.stdout(), /^MCP endpoint: http:\/\/127\.0\.0\.1:\d+\/mcp$/m);
    assert.equal((await stat(join(sandbox.dataDir, 'control.json'))).mode & 0o777, 0o600);
    const empty = await runCli(['approvals'], sandbox.env);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stderr, /No client is waiting for approval/);

    const first = await startAuthorization(origin, 'CLI Approve Client');
    const second = await startAuthorization(origin, 'CLI Deny Client');
    const listed = await runCli(['approvals'], sandbox.env);
    assert.equal(listed.code, 0, listed.stderr);
    const line = listed.stdout.split('\n').find((l) => l.includes('CLI Approve Client'));
    assert.ok(line, listed.stdout);
    assert.ok(listed.stdout.includes('CLI Deny Client'));
    const code = /code (\S+)/.exec(line)![1]!;
    assert.match(line, /\(from 127\.0\.0\.1, asked \d+s ago;/, 'where and when it was asked');

    const approved = await runCli(['approve', code], sandbox.env);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /Approved CLI Approve Client .* with mcp:full/);
    const { accessToken } = await first.finish();
    const client = new Client({ name: 'approved', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${accessToken}` } },
      }),
    );
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'demo__echo'));
    await client.close();

    const denied = await runCli(['deny', second.requestId], sandbox.env);
    assert.equal(denied.code, 0, denied.stderr);
    await assert.rejects(second.finish());
    const bogus = await runCli(['approve', 'nope'], sandbox.env);
    assert.equal(bogus.code, 1);
    assert.match(bogus.stderr, /No pending request 'nope'/);

    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited).code, 0);
    // The control file is removed on a clean stop.
    const after = await runCli(['approvals'], sandbox.env);
    assert.match(after.stderr, /No running gateway found/);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
