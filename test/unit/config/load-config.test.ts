import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfigText } from '../../../main/config/index.js';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('config loading', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the file and the field of a bad URL, with the value given', () => {
    const err = errorOf(() =>
      parseConfigText('{"mcpServers":{"github":{"url":"htps:/x"}}}', '/home/u/config.json'),
    );
    assert.equal(err.message, "config.json: mcpServers.github.url: not a URL (got 'htps:/x')");
    assert.equal(err.file, '/home/u/config.json');
  });

  it('isolation: per-client only for a local server, perClient only with it, limits named', () => {
    const ok = parseConfigText(
      JSON.stringify({
        mcpServers: {
          m: { command: 'x', isolation: 'per-client', perClient: { maxProcesses: 2, idleMs: 5000 } },
          r: { url: 'https://a.example/mcp', isolation: 'shared' },
        },
      }),
      'c.json',
    );
    assert.deepEqual(ok.config.mcpServers['m'], {
      command: 'x',
      isolation: 'per-client',
      perClient: { maxProcesses: 2, idleMs: 5000 },
    });
    const err = errorOf(() =>
      parseConfigText(
        JSON.stringify({
          mcpServers: {
            remote: { url: 'https://a.example/mcp', isolation: 'per-client' },
            loose: { command: 'x', perClient: { maxProcesses: 2 } },
            typo: { command: 'x', isolation: 'private' },
            zero: { command: 'x', isolation: 'per-client', perClient: { maxProcesses: 0 } },
          },
        }),
        'c.json',
      ),
    );
    const lines = err.message.split('\n');
    assert.ok(
      lines.some((l) =>
        l.startsWith(
          'c.json: mcpServers.remote.isolation: "per-client" starts one process per client, so it needs a local server',
        ),
      ),
      err.message,
    );
    assert.ok(
      lines.some((l) =>
        l.startsWith('c.json: mcpServers.loose.perClient: applies only with "isolation": "per-client"'),
      ),
      err.message,
    );
    assert.ok(
      lines.includes(
        'c.json: mcpServers.typo.isolation: must be one of "shared", "per-client" (got \'private\')',
      ),
      err.message,
    );
    assert.ok(
      lines.includes('c.json: mcpServers.zero.perClient.maxProcesses: at least 1 (got 0)'),
      err.message,
    );
  });

  it('reports a server entry against the shape its keys suggest', () => {
    const err = errorOf(() =>
      parseConfigText(
        JSON.stringify({
          mcpServers: {
            fs: { command: 'npx', args: 'x' },
            r: { url: 'https://a.example/mcp', type: 'ws' },
            e: {},
          },
        }),
        'c.json',
      ),
    );
    const lines = err.message.split('\n');
    assert.ok(lines.includes('c.json: mcpServers.fs.args: expected array, got string'), err.message);
    assert.ok(
      lines.some((l) => l.startsWith('c.json: mcpServers.r.type: must be one of "http", "sse"')),
      err.message,
    );
    assert.ok(
      lines.includes(
        'c.json: mcpServers.e: needs either "command" (a local program) or "url" (a remote server)',
      ),
      err.message,
    );
  });

  it('names unknown fields, bad names and wrong types elsewhere in the file', () => {
    const err = errorOf(() =>
      parseConfigText(
        JSON.stringify({
          mcpServers: { 'bad name': { command: 'x' }, ok: { command: 'x', colour: 1 } },
          gateway: { port: 'eighty' },
        }),
        'c.json',
      ),
    );
    assert.match(err.message, /c\.json: mcpServers\["bad name"\]: invalid name: server names use letters/);
    assert.match(err.message, /c\.json: mcpServers\.ok: unknown field "colour"/);
    assert.match(err.message, /c\.json: gateway\.port: expected number, got string \(got 'eighty'\)/);
    const url = errorOf(() =>
      parseConfigText(JSON.stringify({ gateway: { publicUrl: 'example.com' } }), 'c.json'),
    );
    assert.match(url.message, /^c\.json: gateway\.publicUrl: not a URL .*\(got 'example\.com'\)$/);
  });

  it('never echoes header, env or args values, nor the query or user-info of a URL (they may be pasted credentials)', () => {
    const q = errorOf(() =>
      parseConfigText(
        JSON.stringify({ mcpServers: { a: { url: 'htps://u:pw@x.example/sse?token=abc' } } }),
        'c.json',
      ),
    );
    assert.equal(q.message, "c.json: mcpServers.a.url: not a URL (got 'htps://...@x.example/sse?...')");
    const err = errorOf(() =>
      parseConfigText(
        JSON.stringify({ mcpServers: { a: { url: 'https://x.example', headers: { Authorization: 42 } } } }),
        'c.json',
      ),
    );
    assert.match(err.message, /mcpServers\.a\.headers\.Authorization: expected string, got number$/);
  });

  it('gives line:column for JSON syntax errors without quoting the file', () => {
    const text = '{\n  "mcpServers": {\n    "a": { "command": "x", },\n  }\n}';
    const err = errorOf(() => parseConfigText(text, '/tmp/config.json'));
    assert.equal(err.message, 'config.json: not valid JSON at line 3:28: trailing comma before "}"');
    const err2 = errorOf(() => parseConfigText('{"a": sk-secret-value}', 'c.json'));
    assert.equal(err2.message, 'c.json: not valid JSON at line 1:7: unexpected character "s"');
    const err3 = errorOf(() => parseConfigText('{"mcpServers": {', 'c.json'));
    assert.match(err3.message, /^c\.json: not valid JSON at line 1:17: /);
  });

  it('keeps secret references as text and applies defaults', () => {
    const { config } = parseConfigText(
      JSON.stringify({
        mcpServers: {
          gh: { url: 'https://api.example/mcp', headers: { Authorization: 'Bearer ${secret:gh}' } },
        },
      }),
      'c.json',
    );
    const gh = config.mcpServers.gh;
    assert.ok(gh && 'url' in gh);
    assert.equal(gh.headers?.Authorization, 'Bearer ${secret:gh}');
    assert.deepEqual(parseConfigText('', 'c.json').config.mcpServers, {});
  });

  it('loads from disk: absent file is undefined, a folder or bad file is a ConfigError naming it', async () => {
    assert.equal(await loadConfig(join(dir, 'missing.json')), undefined);
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ mcpServers: { m: { command: 'node', args: ['x.js'] } } }));
    const loaded = await loadConfig(file);
    assert.equal(loaded?.path, file);
    assert.deepEqual(Object.keys(loaded?.config.mcpServers ?? {}), ['m']);
    await mkdir(join(dir, 'folder.json'));
    await assert.rejects(loadConfig(join(dir, 'folder.json')), /folder\.json: is a folder/);
    await writeFile(file, '[1,2]');
    await assert.rejects(loadConfig(file), /config\.json: must be a JSON object/);
  });
});
