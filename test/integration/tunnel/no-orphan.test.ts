import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, it } from 'node:test';
import { installFakeCloudflared } from '../../fixtures/fake-cloudflared/install.js';
import { nodeArgs } from '../../helpers/cli-harness.js';
import { isAlive, tempDir, waitGone } from './helpers.js';

const host = resolve(import.meta.dirname, 'gateway-host.mjs');
const { dir, cleanup } = tempDir();
after(cleanup);

/** Parent pid from /proc (Linux), to find the watchdog between the gateway and cloudflared. */
function parentOf(pid: number): number | null {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return null;
  const fields = readFileSync(stat, 'utf8')
    .replace(/^.*\)\s+/, '')
    .split(' ');
  return Number(fields[1]);
}

it('leaves no cloudflared behind when the gateway process is SIGKILLed', { timeout: 30_000 }, async () => {
  const binary = installFakeCloudflared(dir);
  const gateway = spawn(process.execPath, nodeArgs(host, binary, join(dir, 'state.json'), dir), {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const line = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error('gateway host did not report a ready tunnel')), 20_000);
      createInterface({ input: gateway.stdout }).once('line', (l) => {
        clearTimeout(timer);
        res(l);
      });
    });
    const { pid, phase } = JSON.parse(line) as { pid: number; phase: string };
    assert.equal(phase, 'ready');
    assert.ok(isAlive(pid), 'cloudflared runs while the gateway does');
    const watchdog = parentOf(pid);
    const pids = [pid, ...(watchdog && watchdog !== gateway.pid ? [watchdog] : [])];
    if (process.platform === 'linux')
      assert.equal(pids.length, 2, 'cloudflared runs under the watchdog, not directly under the gateway');

    gateway.kill('SIGKILL');
    assert.deepEqual(await waitGone(pids, 8000), [], 'cloudflared and its watchdog died with the gateway');
  } finally {
    if (gateway.exitCode === null) gateway.kill('SIGKILL');
  }
});
