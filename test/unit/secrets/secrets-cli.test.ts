import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import type { SecretInput } from '../../../main/secrets/read-secret-input.js';
import { runSecretsCommand } from '../../../main/secrets/secrets-cli.js';
import type { SecretStore } from '../../../main/secrets/secret-store.js';

function collect() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

async function run(args: string[], store: SecretStore, input: { piped?: string; typed?: string[] } = {}) {
  const stdout = collect();
  const stderr = collect();
  const stdin = new PassThrough() as PassThrough & SecretInput;
  const rawModes: boolean[] = [];
  const isTTY = input.typed !== undefined;
  if (isTTY) stdin.setRawMode = (m: boolean) => rawModes.push(m);
  const code = runSecretsCommand(args, { store, stdin, stdout: stdout.stream, stderr: stderr.stream, isTTY });
  if (input.piped !== undefined) stdin.end(input.piped);
  for (const key of input.typed ?? []) {
    await new Promise((r) => setImmediate(r));
    stdin.write(key);
  }
  return { code: await code, out: stdout.text(), err: stderr.text(), rawModes };
}

describe('tunnelgate secrets', () => {
  it('set reads piped stdin to EOF and trims one trailing newline', async () => {
    const store = createMemorySecretStore();
    const r = await run(['set', 'github'], store, { piped: 'ghp_abc\n\n' });
    assert.equal(r.code, 0, r.err);
    assert.equal(await store.get('github'), 'ghp_abc\n');
    assert.match(r.out, /Stored secret "github" in the keychain/);
    assert.doesNotMatch(r.out + r.err, /ghp_abc/);
    const again = await run(['set', 'github'], store, { piped: 'rotated\r\n' });
    assert.equal(again.code, 0);
    assert.match(again.out, /Replaced secret "github"/);
    assert.equal(await store.get('github'), 'rotated');
  });

  it('set on a terminal reads in raw mode (no echo), handles backspace, ends at Enter', async () => {
    const store = createMemorySecretStore();
    const r = await run(['set', 'linear'], store, { typed: ['lin', 'x', '\u007f', '_key', '\r'] });
    assert.equal(r.code, 0, r.err);
    assert.equal(await store.get('linear'), 'lin_key');
    assert.deepEqual(r.rawModes, [true, false]);
    assert.doesNotMatch(r.out + r.err, /lin_key|linx|_key/);
    assert.match(r.err, /typing is hidden/);
  });

  it('Ctrl-C on a terminal stores nothing', async () => {
    const store = createMemorySecretStore();
    const r = await run(['set', 'linear'], store, { typed: ['abc', '\u0003'] });
    assert.equal(r.code, 1);
    assert.match(r.err, /Cancelled: nothing was stored/);
    assert.deepEqual(await store.list(), []);
  });

  it('refuses empty values, bad names and an unavailable keychain', async () => {
    const store = createMemorySecretStore();
    assert.equal((await run(['set', 'x'], store, { piped: '\n' })).code, 1);
    const bad = await run(['set', 'bad name'], store, { piped: 'v' });
    assert.equal(bad.code, 1);
    assert.match(bad.err, /Invalid secret name "bad name"/);
    const down = createMemorySecretStore({ unavailableReason: 'No Secret Service is running' });
    const r = await run(['set', 'x'], down, { piped: 'value' });
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /The OS keychain is not available: No Secret Service is running\. Secrets are not stored in plain text/,
    );
    const l = await run(['list'], down);
    assert.equal(l.code, 1);
    assert.match(l.err, /No Secret Service is running/);
  });

  it('list prints names only; delete removes, and says when there was nothing', async () => {
    const store = createMemorySecretStore({
      initial: { b: 'value-b', a: 'value-a', 'oauth:srv:tokens': '{"access_token":"t"}' },
    });
    const l = await run(['list'], store);
    assert.equal(l.code, 0);
    assert.equal(l.out, 'a\nb\noauth:srv:tokens\n');
    assert.doesNotMatch(l.out + l.err, /value-|access_token/);
    const d = await run(['delete', 'oauth:srv:tokens'], store);
    assert.equal(d.code, 0);
    assert.deepEqual(await store.list(), ['a', 'b']);
    const none = await run(['delete', 'zzz'], store);
    assert.equal(none.code, 1);
    assert.match(none.err, /No secret named "zzz"/);
  });

  it('prints usage for anything else', async () => {
    const store = createMemorySecretStore();
    for (const args of [[], ['get', 'a'], ['set'], ['list', 'x'], ['delete']]) {
      const r = await run(args, store);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, /Usage:/);
    }
  });
});
