/**
 * The official MCP Python SDK (PyPI `mcp`, 2.x) as a real client of `tunnelgate serve` over a real
 * upstream (server-everything on stdio): both eras the SDK speaks, and its OAuth client provider
 * through the public listener with the owner's approval over the control API.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectControlClient, type ControlClient } from '../../../main/control/http-client.js';
import { portForLater } from '../../helpers/free-port.js';
import {
  killTree,
  makeSandbox,
  ROOT,
  startCli,
  type CliProcess,
  type Sandbox,
} from '../../helpers/cli-harness.js';
import { waitForValue } from '../../helpers/wait.js';

const PYTHON = join(ROOT, '.tools/py/bin/python');
const SCRIPT = join(ROOT, 'test/fixtures/python-sdk/client.py');
const everything = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

interface Seen {
  protocolVersion: string;
  serverName: string | null;
  tools: string[];
  echo: { content: { type: string; text: string }[]; isError?: boolean };
  long: { content: { type: string; text: string }[] };
  progress: number[];
  resource: { uri: string; contents: { uri: string; text?: string }[] };
  prompts: string[];
  prompt: { messages: { role: string; content: { type: string; text: string } }[] };
  logs: string[];
  toggles: string[];
}

interface PythonClient {
  /** Does one run (a session in `mode`, `oauth` or not); `onLine` sees each stdout line meanwhile. */
  run(
    ask: { url: string; mode: string; oauth?: boolean },
    onLine?: (line: string, stdin: NodeJS.WritableStream) => void,
  ): Promise<Seen>;
  close(): Promise<void>;
}

/**
 * Starts the Python client in --runs mode: one interpreter for every run of this file (importing the
 * SDK costs each Python start about 1.5 CPU-s), each run its own HTTP client, session and OAuth
 * storage. The OAuth run answers `AUTHORIZE <url>` on stdin. The SDK is missing? The test fails and
 * says how to get it: .ci/run installs it, so a skip would only hide a broken install.
 */
function startPython(): PythonClient {
  if (!existsSync(PYTHON))
    assert.fail(
      `The MCP Python SDK is not installed (no ${PYTHON}). Run "bash scripts/install-python-sdk.sh" ` +
        '(needs python3 with venv and pip; .ci/run does it).',
    );
  const child = spawn(PYTHON, ['-W', 'ignore::DeprecationWarning', SCRIPT, '--runs'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let pending = '';
  let onLine: ((line: string) => void) | undefined;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    pending += d;
    for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
      onLine?.(pending.slice(0, i));
      pending = pending.slice(i + 1);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const failure = (why: string): Error =>
    new Error(`the Python client ${why}\nstdout:\n${out}\nstderr:\n${err}`);
  return {
    run(ask, watch) {
      return new Promise<Seen>((resolve, reject) => {
        const timer = setTimeout(() => reject(failure('gave no result within 90 s')), 90_000);
        const settle = (): void => {
          clearTimeout(timer);
          onLine = undefined;
        };
        onLine = (line) => {
          if (line.startsWith('RESULT ')) {
            settle();
            resolve(JSON.parse(line.slice('RESULT '.length)) as Seen);
          } else if (line.startsWith('ERROR ')) {
            settle();
            reject(failure(`failed: ${JSON.parse(line.slice('ERROR '.length)) as string}`));
          } else watch?.(line, child.stdin);
        };
        void exited.then((code) => {
          settle();
          reject(failure(`exited ${code}`));
        });
        child.stdin.write(`${JSON.stringify(ask)}\n`);
      });
    },
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** What every run must have seen, whichever era and authentication. */
function assertFullSession(seen: Seen, era: string): void {
  assert.equal(seen.protocolVersion, era);
  assert.equal(seen.serverName, 'tunnelgate');
  for (const t of ['everything__echo', 'everything__trigger-long-running-operation', 'everything__get-sum'])
    assert.ok(seen.tools.includes(t), `${t} in ${seen.tools.join(', ')}`);
  assert.deepEqual(seen.echo.content, [{ type: 'text', text: 'Echo: hello from Python' }]);
  assert.deepEqual(seen.progress, [1, 2, 3], 'one progress notification per step, in order');
  assert.match(seen.long.content[0]!.text, /Long running operation completed/);
  assert.match(seen.resource.uri, /^demo:\/\//);
  assert.equal(seen.resource.contents[0]?.uri, seen.resource.uri);
  assert.ok((seen.resource.contents[0]?.text ?? '').length > 0, 'the resource has text');
  assert.ok(seen.prompts.includes('everything__args-prompt'), seen.prompts.join(', '));
  assert.deepEqual(seen.prompt.messages, [
    { role: 'user', content: { type: 'text', text: "What's weather in Lisbon, PT?" } },
  ]);
  // The log message sent during the toggle's call reaches the client that made it (any level: debug asked).
  assert.match(seen.toggles[0]!, /^Started simulated/);
  assert.match(seen.toggles[1]!, /^Stopped simulated/);
  assert.ok(
    seen.logs.some((l) => /^[a-z]+: [A-Za-z]+[- ]level[- ]message/.test(l)),
    `a log message from server-everything, got ${JSON.stringify(seen.logs)}`,
  );
}

describe('the official MCP Python SDK against tunnelgate serve', { timeout: 240_000 }, () => {
  let sandbox: Sandbox;
  let cli: CliProcess | undefined;
  let local: string;
  let origin: string;
  let control: ControlClient;
  let python: PythonClient | undefined;

  before(async () => {
    // The interpreter loads the SDK while the gateway starts.
    python = startPython();
    sandbox = await makeSandbox();
    const config = join(sandbox.dir, 'config.json');
    await writeFile(
      config,
      JSON.stringify({
        mcpServers: { everything: { command: process.execPath, args: [everything, 'stdio'] } },
      }),
    );
    // The public listener's loopback origin plays the public URL (PROTOCOL.md allows it for tests).
    const publicPort = await portForLater();
    origin = `http://127.0.0.1:${publicPort}`;
    cli = startCli(
      ['serve', '--port', '0', '--public-port', String(publicPort), '--no-tunnel', '--auth', 'oauth'].concat([
        '--public-url',
        origin,
        '--config',
        config,
      ]),
      sandbox.env,
    );
    // The dashboard line comes after the control file is written.
    await cli.waitFor(/^Dashboard: http:\/\/127\.0\.0\.1:\d+\//m, 60_000);
    local = /^MCP endpoint: (http:\/\/127\.0\.0\.1:\d+\/mcp)$/m.exec(cli.stdout())![1]!;
    control = await connectControlClient(sandbox.dataDir);
    await waitForValue(
      async () =>
        (await control.listServers()).find((s) => s.name === 'everything')?.status === 'ready'
          ? true
          : undefined,
      'server-everything to be ready',
      { timeoutMs: 60_000 },
    );
  });
  after(async () => {
    await python?.close();
    if (cli) {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
    killTree(cli);
    await sandbox?.cleanup();
  });

  test('session era (initialize, 2025-11-25): tools, progress, resource, prompt and a log message', async () => {
    assertFullSession(await python!.run({ url: local, mode: 'legacy' }), '2025-11-25');
  });

  test('2026-07-28 era (server/discover, then stateless requests): the same, logs by per-request level', async () => {
    assertFullSession(await python!.run({ url: local, mode: 'auto' }), '2026-07-28');
  });

  test('OAuth (DCR, PKCE, owner approval over the control API) through the public listener', async () => {
    const browse = async (url: string): Promise<string> => {
      const res = await fetch(url, { redirect: 'manual' });
      const to = res.headers.get('location');
      assert.ok(res.status === 302 && to, `${url} answered ${res.status}: ${await res.text()}`);
      return new URL(to, origin).href;
    };
    let browser: Promise<void> | undefined;
    const seen = await python!.run({ url: `${origin}/mcp`, mode: 'auto', oauth: true }, (line, stdin) => {
      if (!line.startsWith('AUTHORIZE ')) return;
      // The user's browser: authorization URL -> waiting page; the owner approves in the app; the page
      // then redirects to the client's callback, whose URL goes back to the client.
      browser = (async () => {
        const authUrl = new URL(line.slice('AUTHORIZE '.length));
        assert.equal(authUrl.searchParams.get('resource'), `${origin}/mcp`);
        const waiting = await browse(authUrl.href);
        const request = await waitForValue(
          async () => (await control.listApprovals()).find((a) => a.clientName === 'Python SDK client'),
          'the Python client in the approval queue',
        );
        await control.approve(request.id, ['mcp:full']);
        stdin.write(`${await browse(waiting)}\n`);
      })();
      browser.catch((e: unknown) => {
        stdin.write('\n'); // the client fails on its empty callback; the assertion below shows why
        throw e;
      });
    });
    await browser;
    assertFullSession(seen, '2026-07-28');
    const grants = await control.listGrants();
    assert.deepEqual(
      grants.map((g) => g.clientName),
      ['Python SDK client'],
    );
  });
});
