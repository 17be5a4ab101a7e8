// What CallMap and CallSet are for (issue 16): a long-lived Map or Set whose table is in the old
// generation, with an entry per call coming and going, makes V8's scavenger keep and promote every
// call that went through it; these tables let go of a call when it is deleted. Measured in a child
// Node with V8's own GC trace: bytes promoted by scavenges, per call, each table in a fresh process.
// The Map and Set rows show the measurement sees the effect (they promote over a KiB per call).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';

const run = promisify(execFile);
const FIXTURE = fileURLToPath(new URL('../../fixtures/common/table-retention.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

async function promotedPerCall(kind: string): Promise<number> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--trace-gc-nvp', '--import', TSX, FIXTURE, kind],
    { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
  );
  let promoted = 0;
  for (const line of stdout.split('\n'))
    if (/\bgc=s\b/.test(line)) promoted += Number(/\bpromoted=(\d+)/.exec(line)?.[1] ?? 0);
  const calls = Number(/^calls=(\d+)$/m.exec(stdout)?.[1]);
  assert.ok(calls > 0, `the fixture finished (${kind}):\n${stdout.slice(-500)}`);
  return promoted / calls;
}

test('a promoted Map or Set keeps every call past the scavenges; CallMap and CallSet keep none', async () => {
  const per: Record<string, number> = {};
  for (const kind of ['Map', 'Set', 'CallMap', 'CallSet']) per[kind] = await promotedPerCall(kind);
  const shown = JSON.stringify(Object.fromEntries(Object.entries(per).map(([k, v]) => [k, Math.round(v)])));
  assert.ok(per['Map']! > 1024 && per['Set']! > 1024, `Map and Set promote over 1 KiB per call: ${shown}`);
  assert.ok(
    per['CallMap']! < 100 && per['CallSet']! < 100,
    `CallMap and CallSet under 100 bytes per call: ${shown}`,
  );
});
