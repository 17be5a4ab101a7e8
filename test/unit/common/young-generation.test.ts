import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const module = fileURLToPath(new URL('../../../main/common/young-generation.ts', import.meta.url));

/** New-space capacity (MiB) of a fresh Node after bursts of short-lived and some kept objects. */
function newSpaceAfterBurst(cap: number | undefined): number {
  const script = `
    const { getHeapSpaceStatistics } = await import('node:v8');
    ${cap !== undefined ? `(await import(${JSON.stringify(module)})).capYoungGeneration(${cap});` : ''}
    let keep = [];
    for (let i = 0; i < 2e6; i++) {
      const o = { i, s: 'x' + i };
      if (i % 10 === 0) keep.push(o);
      if (keep.length > 50000) keep = [];
      // Like a server: work in short tasks, with the event loop (and GC observers) in between.
      if (i % 20000 === 0) await new Promise((r) => setImmediate(r));
    }
    const s = getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
    console.log(s.space_size / 1048576);`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  return Number(out.trim());
}

test('capYoungGeneration: the young generation grows up to the cap and no further', () => {
  const grown = newSpaceAfterBurst(undefined);
  assert.ok(grown >= 16, `without a cap V8 grows the young generation (${grown} MiB)`);
  const capped = newSpaceAfterBurst(8 * 1024 * 1024);
  assert.ok(capped <= 8, `capped at 8 MiB (${capped} MiB)`);
});
