import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createKeychainSecretStore } from '../../../main/secrets/keychain-secret-store.js';
import { nodeArgs } from '../../helpers/cli-harness.js';

const service = `tunnelgate-tty-test-${randomBytes(6).toString('hex')}`;
const child = join(import.meta.dirname, 'keychain-child.mjs');
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('tunnelgate secrets set on a real terminal', { timeout: 60_000 }, () => {
  after(async () => {
    const s = createKeychainSecretStore({ service });
    for (const n of await s.list()) await s.delete(n);
  });

  it('reads the value with echo off (a pseudo-terminal from script(1)) and stores it in the keychain', async () => {
    const value = `tty-${randomBytes(12).toString('hex')}`;
    const command = [process.execPath, ...nodeArgs(child, 'cli', service, 'set', 'typed')]
      .map(quote)
      .join(' ');
    // script(1) runs the command on a new pty and copies our stdin to it, the pty's output to our stdout.
    const p = spawn('script', ['-qfec', command, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: process.env,
    });
    let out = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    const done = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      p.on('error', reject);
      p.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        // Type only once the prompt shows: raw mode is on by then, so the terminal echoes nothing.
        if (out.includes('typing is hidden')) resolve();
      });
    });
    p.stdin.write(`${value}\r`);
    const code = await done;
    clearTimeout(timer);
    p.stdin.destroy();
    assert.equal(code, 0, out);
    assert.match(out, /Stored secret "typed" in the keychain/);
    assert.ok(!out.includes(value), `the value was echoed to the terminal:\n${out}`);
    assert.equal(await createKeychainSecretStore({ service }).get('typed'), value);
  });
});
