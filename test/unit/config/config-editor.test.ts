import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createConfigEditor,
  findClaudeDesktopConfig,
  type ConfigEditor,
} from '../../../main/config/index.js';

describe('config editor (atomic saves) and Claude Desktop import', () => {
  let dir: string;
  let file: string;
  let editor: ConfigEditor;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-edit-'));
    file = join(dir, 'sub', 'config.json');
    editor = createConfigEditor({ path: file, platform: { platform: 'linux', env: {}, home: dir } });
  });
  afterEach(async () => {
    editor.close();
    await rm(dir, { recursive: true, force: true });
  });

  const onDisk = async (): Promise<{ mcpServers: Record<string, Record<string, unknown>> }> =>
    JSON.parse(await readFile(file, 'utf8'));

  it('saves, toggles and removes servers with mode 0600 and leaves no temp file', async () => {
    await editor.saveServer('gh', {
      url: 'https://api.example/mcp',
      headers: { Authorization: 'Bearer ${secret:gh}' },
    });
    await editor.saveServer('fs', { command: 'npx', args: ['-y', 'server-filesystem', '/tmp'] });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(Object.keys((await onDisk()).mcpServers), ['gh', 'fs']);
    assert.equal((await onDisk()).mcpServers.gh?.headers && 'Bearer ${secret:gh}', 'Bearer ${secret:gh}');

    await editor.setServerEnabled('fs', false);
    assert.equal((await onDisk()).mcpServers.fs?.enabled, false);
    await editor.setServerEnabled('fs', true);
    assert.equal('enabled' in ((await onDisk()).mcpServers.fs ?? {}), false);

    await editor.removeServer('gh');
    assert.deepEqual(Object.keys((await onDisk()).mcpServers), ['fs']);
    await assert.rejects(editor.removeServer('gh'), /No server named "gh"/);
    assert.deepEqual(
      (await readdir(join(dir, 'sub'))).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  it('refuses an invalid entry, naming field and file, and leaves the file as it was', async () => {
    await editor.saveServer('ok', { command: 'node' });
    const before = await readFile(file, 'utf8');
    await assert.rejects(
      editor.saveServer('bad', { url: 'htps:/x' }),
      /config\.json: mcpServers\.bad\.url: not a URL \(got 'htps:\/x'\)/,
    );
    assert.equal(await readFile(file, 'utf8'), before);
  });

  it('per-tool switches go through tools.deny (and allow, when there is one)', async () => {
    await editor.saveServer('s', { command: 'node', tools: { allow: ['a', 'b'] } });
    await editor.setToolEnabled('s', 'a', false);
    assert.deepEqual((await onDisk()).mcpServers.s?.tools, { allow: ['a', 'b'], deny: ['a'] });
    await editor.setToolEnabled('s', 'a', true);
    assert.deepEqual((await onDisk()).mcpServers.s?.tools, { allow: ['a', 'b'] });
    await editor.setToolEnabled('s', 'c', true);
    assert.deepEqual((await onDisk()).mcpServers.s?.tools, { allow: ['a', 'b', 'c'] });
    await editor.saveServer('g', { command: 'node', tools: { deny: ['write_*'] } });
    await assert.rejects(
      editor.setToolEnabled('g', 'write_file', true),
      /hidden by a pattern in mcpServers\.g\.tools\.deny/,
    );
  });

  it('serializes concurrent edits so none is lost', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => editor.saveServer(`s${i}`, { command: 'node' })));
    assert.equal(Object.keys((await onDisk()).mcpServers).length, 8);
  });

  it('does not overwrite a file the user broke by hand', async () => {
    await mkdir(join(dir, 'sub'), { recursive: true });
    await writeFile(file, '{ "mcpServers": { ');
    await assert.rejects(
      editor.saveServer('x', { command: 'node' }),
      /config\.json: not valid JSON at line 1:/,
    );
    assert.equal(await readFile(file, 'utf8'), '{ "mcpServers": { ');
  });

  it('imports Claude Desktop servers, skipping existing and invalid ones with reasons', async () => {
    const claudeDir = join(dir, '.config', 'Claude');
    await mkdir(claudeDir, { recursive: true });
    const claudeFile = join(claudeDir, 'claude_desktop_config.json');
    await writeFile(
      claudeFile,
      JSON.stringify({
        globalShortcut: 'Ctrl+Space',
        mcpServers: {
          memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
          fs: { command: 'npx', args: ['-y', 'x'], env: { TOKEN: 'abc' } },
          broken: { url: 'nope' },
          'has space': { command: 'x' },
        },
      }),
    );
    assert.equal(await findClaudeDesktopConfig({ platform: 'linux', env: {}, home: dir }), claudeFile);
    await editor.saveServer('fs', { command: 'node' });
    const result = await editor.importClaude();
    assert.equal(result.source, claudeFile);
    assert.deepEqual(result.added, ['memory']);
    assert.deepEqual(
      result.skipped.map((s) => s.name),
      ['fs', 'broken', 'has space'],
    );
    assert.match(result.skipped[0]!.reason, /already in the Tunnelgate config/);
    assert.match(result.skipped[1]!.reason, /url: not a URL/);
    const disk = await onDisk();
    assert.deepEqual(disk.mcpServers.memory, {
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-memory'],
    });
    assert.deepEqual(disk.mcpServers.fs, { command: 'node' });
    await assert.rejects(
      editor.importClaude(join(dir, 'nope.json')),
      /nope\.json: no Claude Desktop config here/,
    );
  });
});
