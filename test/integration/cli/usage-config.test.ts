import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makeSandbox, runCli, runInProcess, type Sandbox } from '../../helpers/cli-harness.js';

describe('tunnelgate usage and config commands', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.cleanup();
    sandbox = undefined;
  });

  it('unknown commands and options are usage errors (exit 2); --help works for each command', async () => {
    sandbox = await makeSandbox();
    const unknownCommand = await runCli(['sever'], sandbox.env); // the real process: exit code 2
    assert.equal(unknownCommand.code, 2);
    assert.match(unknownCommand.stderr, /tunnelgate: unknown command 'sever'/);
    const unknownFlag = await runInProcess(['serve', '--prot', '9'], sandbox.env);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /unknown option --prot[\s\S]*Usage: tunnelgate serve/);
    const badPort = await runInProcess(['serve', '--port', 'eighty'], sandbox.env);
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /--port must be a whole number from 0 to 65535 \(got 'eighty'\)/);
    const badAuth = await runInProcess(['serve', '--auth', 'basic'], sandbox.env);
    assert.equal(badAuth.code, 2);
    assert.match(badAuth.stderr, /--auth must be one of none, oauth/);
    for (const cmd of [['serve'], ['logs'], ['secrets'], ['config'], ['approvals'], ['approve'], ['deny']]) {
      const help = await runInProcess([...cmd, '--help'], sandbox.env);
      assert.equal(help.code, 0, `${cmd.join(' ')} --help: ${help.stderr}`);
      assert.match(help.stdout, /Usage:/);
    }
  });

  it('config path, validate and import-claude', async () => {
    sandbox = await makeSandbox();
    const defaultPath = join(sandbox.configDir, 'tunnelgate', 'config.json');
    const path = await runInProcess(['config', 'path'], sandbox.env);
    assert.equal(path.stdout.trim(), defaultPath);
    const viaEnv = await runInProcess(['config', 'path'], { ...sandbox.env, TUNNELGATE_CONFIG: '/x/y.json' });
    assert.equal(viaEnv.stdout.trim(), '/x/y.json');

    const missing = await runInProcess(['config', 'validate'], sandbox.env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No config at .*: "tunnelgate serve" would start the built-in demo server/);

    await mkdir(join(sandbox.configDir, 'Claude'), { recursive: true });
    await writeFile(
      join(sandbox.configDir, 'Claude', 'claude_desktop_config.json'),
      JSON.stringify({
        mcpServers: {
          memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
          bad: { url: 'x' },
        },
      }),
    );
    const imported = await runInProcess(['config', 'import-claude'], sandbox.env);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /added: memory/);
    assert.match(imported.stdout, /skipped bad: url: not a URL/);
    assert.deepEqual(Object.keys(JSON.parse(await readFile(defaultPath, 'utf8')).mcpServers), ['memory']);
    const again = await runInProcess(['config', 'import-claude'], sandbox.env);
    assert.match(again.stdout, /skipped memory: a server with this name is already in the Tunnelgate config/);

    const valid = await runInProcess(['config', 'validate'], sandbox.env);
    assert.equal(valid.code, 0, valid.stderr);
    assert.match(valid.stdout, /is valid: 1 server \(memory\)/);
    await writeFile(
      defaultPath,
      JSON.stringify({
        mcpServers: {
          gh: { url: 'https://x.example/mcp', headers: { Authorization: 'Bearer ${secret:gh-token}' } },
        },
      }),
    );
    const refs = await runInProcess(['config', 'validate'], sandbox.env);
    assert.equal(refs.code, 0, refs.stderr);
    assert.match(refs.stdout, /Secrets it refers to .*: gh-token$/m);
    await writeFile(
      defaultPath,
      JSON.stringify({ mcpServers: { gh: { command: 'x', env: { T: '${secret:gh' } } } }),
    );
    const badRef = await runInProcess(['config', 'validate'], sandbox.env);
    assert.equal(badRef.code, 1);
    assert.match(badRef.stderr, /gh\.env\.T: a "\$\{secret:" reference is not closed/);
    await writeFile(defaultPath, '{\n  "mcpServers": {\n    "a": { "command": 1 }\n  }\n}');
    const invalid = await runInProcess(['config', 'validate'], sandbox.env);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /config\.json: mcpServers\.a\.command: expected string, got number/);
    await writeFile(defaultPath, '{\n  "mcpServers": {,\n}');
    const syntax = await runInProcess(['config', 'validate'], sandbox.env);
    assert.match(syntax.stderr, /config\.json: not valid JSON at line 2:18: expected a property name/);
  });

  it('a port already in use is a clear start failure (exit 1), not a crash', async () => {
    sandbox = await makeSandbox();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const { port } = blocker.address() as AddressInfo;
      const r = await runCli(['serve', '--port', String(port), '--no-tunnel', '--auth', 'none'], sandbox.env);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(`Cannot start: Port ${port} on 127\\.0\\.0\\.1 is already in use.*--port N`),
      );
      assert.doesNotMatch(r.stdout, /MCP endpoint/);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
