import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const module = fileURLToPath(new URL('../../../main/common/startup-tiering.ts', import.meta.url));

/**
 * A fresh Node that runs a hot function (enough calls for any tier), calls the returned release,
 * and runs it again; V8's --trace-opt says which tiers it compiled to, before and after. Compiles
 * run on the main thread (no concurrent recompilation), so each is done when the loop ends.
 */
function tiersSeen(deferArgs: string): { before: string[]; after: string[] } {
  const script = `
    const release = (await import(${JSON.stringify(module)})).deferOptimizingCompiler(${deferArgs});
    function hot(x) { return (x * 31 + 7) % 1013; }
    const run = () => { let s = 0; for (let i = 0; i < 3e6; i++) s += hot(i); return s; };
    run();
    console.log('--- released');
    release();
    run();`;
  const out = execFileSync(
    process.execPath,
    ['--trace-opt', '--no-concurrent-recompilation', '--import', 'tsx', '--input-type=module', '-e', script],
    { encoding: 'utf8' },
  );
  const [before, after] = out.split('--- released');
  const tiers = (text: string | undefined): string[] =>
    [...(text ?? '').matchAll(/completed compiling .*<JSFunction hot .*\(target (\w+)\)/g)].map((m) => m[1]!);
  return { before: tiers(before), after: tiers(after) };
}

test('deferOptimizingCompiler: no TurboFan until released, then TurboFan', () => {
  const { before, after } = tiersSeen('');
  assert.ok(!before.includes('TURBOFAN'), `TurboFan compiled while held back: ${before.join(', ')}`);
  assert.ok(after.includes('TURBOFAN'), `TurboFan is back once released: ${after.join(', ')}`);
});

test("deferOptimizingCompiler: leaves V8's tiering alone when the user set it (NODE_OPTIONS, flags)", () => {
  const { before } = tiersSeen(`{ NODE_OPTIONS: '--max-opt=2' }, []`);
  assert.ok(before.includes('TURBOFAN'), `TurboFan runs as V8 decides: ${before.join(', ')}`);
  assert.ok(tiersSeen(`{}, ['--jitless']`).before.includes('TURBOFAN'));
});

test("deferOptimizingCompiler: a tiering flag spelt with underscores is the user's choice too", () => {
  // V8 takes --no_turbofan as --no-turbofan: releasing would turn TurboFan on against it.
  for (const flags of ['--no_turbofan', '--max_opt=2']) {
    const { before } = tiersSeen(`{ NODE_OPTIONS: ${JSON.stringify(flags)} }, []`);
    assert.ok(before.includes('TURBOFAN'), `${flags}: TurboFan runs as V8 decides: ${before.join(', ')}`);
  }
});
