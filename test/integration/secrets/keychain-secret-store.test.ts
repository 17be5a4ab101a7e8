import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  createKeychainSecretStore,
  type KeychainSecretStore,
} from '../../../main/secrets/keychain-secret-store.js';
import { SecretStoreUnavailableError } from '../../../main/secrets/secret-store.js';
import { nodeArgs } from '../../helpers/cli-harness.js';

const exec = promisify(execFile);
const child = join(import.meta.dirname, 'keychain-child.mjs');
const service = `tunnelgate-test-${randomBytes(6).toString('hex')}`;
const secretA = `sk-A-${randomBytes(12).toString('hex')}`;
const secretB = `sk-B-${randomBytes(12).toString('hex')}`;
const rotated = `sk-R-${randomBytes(12).toString('hex')}`;

async function runChild(args: string[], env: NodeJS.ProcessEnv = process.env, stdin?: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const p = spawn(process.execPath, nodeArgs(child, ...args), {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    p.stdin.end(stdin ?? '');
  });
}

describe('keychain secret store (real Secret Service)', { timeout: 120_000 }, () => {
  let store: KeychainSecretStore;
  before(async () => {
    store = createKeychainSecretStore({ service, timeoutMs: 10_000 });
    const a = await store.availability();
    assert.ok(
      a.available,
      `A real keychain is needed: run through scripts/test.sh (dbus-run-session + gnome-keyring). Reason: ${a.reason}`,
    );
  });
  after(async () => {
    const cleanup = createKeychainSecretStore({ service });
    for (const n of await cleanup.list()) await cleanup.delete(n);
    await exec('secret-tool', ['clear', 'service', service]).catch(() => undefined);
  });

  it('sets, reads, rotates, lists and deletes; values really live in the Secret Service', async () => {
    await store.set('alpha', secretA);
    await store.set('oauth:srv:tokens', secretB);
    assert.equal(await store.get('alpha'), secretA);
    assert.deepEqual(await store.list(), ['alpha', 'oauth:srv:tokens']);
    // Independent check with libsecret's CLI: the entry is in the keyring under (service, name).
    const { stdout } = await exec('secret-tool', ['lookup', 'service', service, 'username', 'alpha']);
    assert.equal(stdout, secretA);
    const index = await exec('secret-tool', ['lookup', 'service', service, 'username', '#index']);
    assert.equal(index.stdout, JSON.stringify(['alpha', 'oauth:srv:tokens']), 'the index holds names only');

    await store.set('alpha', rotated);
    assert.equal(await store.get('alpha'), rotated);
    assert.equal(
      (await exec('secret-tool', ['lookup', 'service', service, 'username', 'alpha'])).stdout,
      rotated,
    );
    assert.deepEqual(await store.list(), ['alpha', 'oauth:srv:tokens']);
  });

  it('a restart (a new store, a new process) still sees every secret', async () => {
    const second = createKeychainSecretStore({ service });
    assert.equal(await second.get('alpha'), rotated);
    assert.deepEqual(await second.list(), ['alpha', 'oauth:srv:tokens']);
    const r = await runChild(['read', service, 'alpha', 'oauth:srv:tokens', 'missing']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      availability: { available: boolean };
      list: string[];
      values: Record<string, string | null>;
    };
    assert.deepEqual(out, {
      availability: { available: true },
      list: ['alpha', 'oauth:srv:tokens'],
      values: { alpha: rotated, 'oauth:srv:tokens': secretB, missing: null },
    });
  });

  it('serves values from memory after the first read, until clearCache()', async () => {
    assert.equal(await store.get('oauth:srv:tokens'), secretB);
    await exec('secret-tool', ['clear', 'service', service, 'username', 'oauth:srv:tokens']);
    assert.equal(await store.get('oauth:srv:tokens'), secretB, 'cached: no second keychain read');
    store.clearCache('oauth:srv:tokens');
    assert.equal(await store.get('oauth:srv:tokens'), undefined);
  });

  it('deletes, and the index follows', async () => {
    assert.equal(await store.delete('alpha'), true);
    assert.equal(await store.get('alpha'), undefined);
    assert.equal(await store.delete('alpha'), false);
    await store.delete('oauth:srv:tokens');
    assert.deepEqual(await store.list(), []);
    assert.deepEqual(await createKeychainSecretStore({ service }).list(), []);
  });

  it('the secrets CLI stores piped input in the keychain, lists and deletes it, never printing it', async () => {
    const set = await runChild(['cli', service, 'set', 'cli-secret'], process.env, `${secretA}\n`);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(await createKeychainSecretStore({ service }).get('cli-secret'), secretA);
    const list = await runChild(['cli', service, 'list']);
    assert.equal(list.stdout, 'cli-secret\n');
    const del = await runChild(['cli', service, 'delete', 'cli-secret']);
    assert.equal(del.code, 0);
    for (const r of [set, list, del]) assert.ok(!(r.stdout + r.stderr).includes(secretA));
    assert.deepEqual(await createKeychainSecretStore({ service }).list(), []);
  });

  it('long values (OAuth token records) survive a keychain with small entries, as on Windows', async () => {
    const small = createKeychainSecretStore({ service, maxEntryChars: 64 });
    const long = `{"accessToken":"${'a'.repeat(300)}${secretA}","refreshToken":"${secretB}"}`;
    await small.set('oauth:big:tokens', long);
    await small.set('big2', secretA);
    // Really split in the Secret Service: the main entry holds only a part.
    const main = await exec('secret-tool', ['lookup', 'service', service, 'username', 'oauth:big:tokens']);
    assert.ok(main.stdout.length <= 64 && !main.stdout.includes(secretB));
    assert.equal(
      await createKeychainSecretStore({ service, maxEntryChars: 64 }).get('oauth:big:tokens'),
      long,
    );
    assert.deepEqual(await createKeychainSecretStore({ service, maxEntryChars: 64 }).list(), [
      'big2',
      'oauth:big:tokens',
    ]);
    await small.set('oauth:big:tokens', 'short now');
    assert.equal(
      (
        await exec('secret-tool', ['lookup', 'service', service, 'username', 'oauth:big:tokens#1']).catch(
          () => ({ stdout: '' }),
        )
      ).stdout,
      '',
    );
    assert.equal(await small.delete('oauth:big:tokens'), true);
    await small.delete('big2');
    assert.deepEqual(await small.list(), []);
    // Nothing left behind in the keyring for this service.
    const left = await exec('secret-tool', ['search', '--all', 'service', service]).catch(() => ({
      stdout: '',
      stderr: '',
    }));
    assert.ok(!/attribute\.username = (oauth:big|big2)/.test(`${left.stdout}${left.stderr}`));
  });

  it('with no Secret Service: unavailable with a plain reason, and set refuses (no plain-text fallback)', async () => {
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/tunnelgate-test-bus' };
    const r = await runChild(['probe', service], env);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      availability: { available: boolean; reason?: string };
      setError?: { name: string; message: string };
      get: string | null;
      list: string[];
    };
    assert.equal(out.availability.available, false);
    assert.equal(
      out.availability.reason,
      'No Secret Service is running (install gnome-keyring or KeePassXC, or run inside a desktop session)',
    );
    assert.equal(out.setError?.name, new SecretStoreUnavailableError('x').name);
    assert.match(
      out.setError?.message ?? '',
      /The OS keychain is not available: No Secret Service is running .* not stored in plain text/,
    );
    assert.equal(out.get, null);
    assert.deepEqual(out.list, []);
    // And nothing reached the real keyring either.
    assert.equal(await store.get('probe-name'), undefined);
    const cli = await runChild(['cli', service, 'set', 'x'], env, 'value\n');
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /No Secret Service is running/);
  });
});
