import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { killTree, makeSandbox, startCli, type CliProcess, type Sandbox } from '../../helpers/cli-harness.js';
import { isAlive, until } from './helpers.js';

const STUBBORN = resolve(import.meta.dirname, '../../fixtures/upstream/stubborn-server.cjs');

/** The pids the stubborn server wrote, once it has written them. */
function readPids(file: string): { server: number; grandchild: number } | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const pids = JSON.parse(readFileSync(file, 'utf8')) as { server: number; grandchild: number };
    return typeof pids.grandchild === 'number' ? pids : undefined;
  } catch {
    return undefined; // written while we read
  }
}

function kill(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

describe('stdio upstreams in their own process group, ended with the gateway (issue 10)', () => {
  let sandbox: Sandbox | undefined;
  let cli: CliProcess | undefined;
  const leftovers: number[] = [];
  afterEach(async () => {
    killTree(cli);
    cli = undefined;
    kill(leftovers.splice(0));
    await sandbox?.cleanup();
    sandbox = undefined;
  });

  it('kill -9 of `tunnelgate serve`: the server and its grandchild that ignores SIGTERM are gone soon after', async () => {
    sandbox = await makeSandbox();
    const pidFile = join(sandbox.dir, 'pids.json');
    const configFile = join(sandbox.dir, 'config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        mcpServers: {
          stubborn: { command: process.execPath, args: [STUBBORN, '--grandchild', `--pid-file=${pidFile}`] },
        },
      }),
    );
    cli = startCli(
      ['serve', '--port', '0', '--no-tunnel', '--auth', 'none', '--config', configFile],
      sandbox.env,
    );
    await cli.waitFor(/MCP endpoint: (http:\S+)/);
    await until(() => readPids(pidFile) !== undefined, 20_000, 'the stubborn server and its grandchild');
    const { server, grandchild } = readPids(pidFile)!;
    leftovers.push(server, grandchild);
    assert.ok(isAlive(server) && isAlive(grandchild));

    cli.child.kill('SIGKILL');
    await cli.exited;
    // The reaper's grace (1.5 s) between SIGTERM and SIGKILL, plus a loaded machine.
    await until(() => !isAlive(server) && !isAlive(grandchild), 15_000, 'server and grandchild gone');
  });
});
