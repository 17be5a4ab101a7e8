import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { createUpstream } from '../../../main/gateway/upstream/connection.js';
import { isAlive, until } from './helpers.js';

const STUBBORN = resolve(import.meta.dirname, '../../fixtures/upstream/stubborn-server.cjs');

/** Pids whose process group is `pgid` (from /proc/<pid>/stat, field 5). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

test('close escalates to SIGKILL for a server that ignores stdin EOF and SIGTERM, and stops its children', async () => {
  const up = createUpstream(
    {
      name: 'stubborn',
      kind: 'stdio',
      config: { command: process.execPath, args: [STUBBORN, '--grandchild'] },
    },
    { shutdown: { stdinGraceMs: 200, termGraceMs: 300 } },
  );
  await up.start();
  assert.equal(up.state().protocolVersion, '2025-06-18');
  const pid = up.pid!;
  await until(() => groupMembers(pid).length === 2, 5000, 'grandchild started');
  const members = groupMembers(pid);
  const t0 = Date.now();
  await up.close();
  const took = Date.now() - t0;
  assert.ok(took >= 450, `waited for both grace periods (${took} ms)`);
  assert.ok(took < 5000);
  assert.equal(isAlive(pid), false);
  await until(() => members.every((p) => !isAlive(p)), 3000, 'every process of the group gone');
  assert.equal(up.state().status, 'stopped');
});

test('a server that dies while its own child still holds the pipes is noticed at once, and the child is stopped', async () => {
  const up = createUpstream(
    {
      name: 'orphaning',
      kind: 'stdio',
      config: { command: process.execPath, args: [STUBBORN, '--grandchild', '--grandchild-holds-pipes'] },
    },
    { shutdown: { stdinGraceMs: 200, termGraceMs: 300 } },
  );
  try {
    await up.start();
    const pid = up.pid!;
    await until(() => groupMembers(pid).length === 2, 5000, 'grandchild started');
    const grandchild = groupMembers(pid).find((p) => p !== pid)!;
    process.kill(pid, 'SIGKILL');
    await until(() => up.state().status === 'failed', 5000, 'the death noticed');
    assert.match(up.state().error!, /^Upstream 'orphaning' was killed by signal SIGKILL/);
    await until(() => !isAlive(grandchild), 3000, 'grandchild stopped');
  } finally {
    await up.close();
  }
});
