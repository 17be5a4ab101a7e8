import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createIdleTrim } from '../../../main/common/idle-trim.js';

const module = fileURLToPath(new URL('../../../main/common/idle-trim.ts', import.meta.url));
const MiB = 1024 * 1024;

/**
 * An idle trim on a hand-driven clock, timer and resident set: `at(ms)` sets the clock, `fire()` moves
 * it to when the pending timer is due and runs it, if any.
 */
function harness(growthBytes = 16 * MiB, waitForStartup = false) {
  let pending: (() => void) | undefined;
  let due = 0;
  const state = { resident: 20 * MiB, collections: 0, cleared: 0, waits: [] as number[], now: 0 };
  const trim = createIdleTrim({
    quietMs: 1000,
    laterQuietMs: 5000,
    growthBytes,
    waitForStartup,
    collect: () => {
      state.collections++;
      state.resident = 20 * MiB;
    },
    residentBytes: () => state.resident,
    now: () => state.now,
    setTimer: (fn, ms) => {
      state.waits.push(ms);
      due = state.now + ms;
      return (pending = fn);
    },
    clearTimer: () => {
      state.cleared++;
      pending = undefined;
    },
  });
  return {
    trim,
    state,
    get armed() {
      return pending !== undefined;
    },
    at(ms: number) {
      state.now = ms;
    },
    fire() {
      const fn = pending;
      pending = undefined;
      if (fn === undefined) return;
      state.now = Math.max(state.now, due);
      fn();
    },
  };
}

test('idle trim: the first quiet period after startup trims once', () => {
  const h = harness();
  h.trim.activity();
  h.fire();
  assert.equal(h.state.collections, 1);
  assert.equal(h.armed, false, 'an idle process keeps no timer');
});

test('idle trim: activity during the wait postpones the trim to a quiet period after the last of it', () => {
  const h = harness();
  h.trim.activity();
  h.at(600);
  h.trim.activity(); // a GC while waiting
  h.fire();
  assert.equal(h.state.collections, 0, 'not in the middle of a burst');
  assert.equal(h.armed, true);
  h.fire();
  assert.equal(h.state.collections, 1);
  assert.equal(h.state.now, 1600, 'a quiet period after the last activity, not a whole one more');
  assert.deepEqual(h.state.waits, [1000, 600]);
});

test('idle trim: later only when the resident set grew past the threshold since the last trim', () => {
  const h = harness(16 * MiB);
  h.trim.activity();
  h.fire();
  assert.equal(h.state.collections, 1);
  h.state.resident += 10 * MiB; // a few calls: not worth a last-resort GC
  h.trim.activity();
  h.fire();
  assert.equal(h.state.collections, 1);
  h.state.resident += 10 * MiB; // 20 MiB above what the last trim left
  h.trim.activity();
  h.fire();
  assert.equal(h.state.collections, 2);
});

test('idle trim: after the first trim, a longer quiet period (a trim deoptimizes hot code)', () => {
  const h = harness(16 * MiB);
  h.trim.activity();
  h.fire();
  assert.equal(h.state.collections, 1);
  h.state.resident += 20 * MiB; // a load run
  h.trim.activity();
  h.fire();
  assert.equal(h.state.collections, 2);
  h.state.resident += 20 * MiB;
  h.trim.activity(); // at 6000
  h.at(8000);
  h.trim.activity(); // a burst goes on while it waits
  h.fire();
  assert.equal(h.state.collections, 2);
  h.fire();
  assert.equal(h.state.collections, 3);
  assert.deepEqual(h.state.waits, [1000, 5000, 5000, 2000]);
});

test('idle trim: waiting for startup, no trim until started(), then after its quiet period', () => {
  const h = harness(16 * MiB, true);
  h.trim.activity(); // GCs while modules load and upstreams connect
  h.trim.activity();
  assert.equal(h.armed, false, 'startup is still going on');
  h.trim.started();
  assert.equal(h.armed, true);
  h.at(500);
  h.trim.activity(); // the first client's calls
  h.fire();
  assert.equal(h.state.collections, 0, 'not while the first calls run');
  h.fire();
  assert.equal(h.state.collections, 1);
  assert.deepEqual(h.state.waits, [1000, 500]);
  h.trim.started(); // a second call changes nothing
  assert.equal(h.armed, false);
});

test('idle trim: stop() drops the pending timer and ignores later activity', () => {
  const h = harness();
  h.trim.activity();
  h.trim.stop();
  assert.equal(h.state.cleared, 1);
  h.trim.activity();
  assert.equal(h.armed, false);
  assert.equal(h.state.collections, 0);
});

/**
 * A fresh Node (no --expose-gc, as serve and Electron run) after a load: objects that lived long
 * enough to be promoted, a third of them still held, and a young generation grown to its maximum.
 * Then trimWhenIdle; prints the heap spaces before and right after its first trim.
 */
function trimInChild(): Record<string, number | string> {
  const script = `
    const v8 = await import('node:v8');
    const vm = await import('node:vm');
    const m = await import(${JSON.stringify(module)});
    const space = (name) => {
      const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === name);
      return { phys: s.physical_space_size / 1048576, used: s.space_used_size / 1048576 };
    };
    let old = [];
    const keep = [];
    for (let i = 0; i < 6e5; i++) {
      old.push({ i, s: 'payload ' + i, a: [i, i + 1] });
      if (i % 3 === 0) keep.push(old[i]);
      if (i % 20000 === 0) await new Promise((r) => setImmediate(r));
    }
    old = undefined;
    const newBefore = space('new_space').phys;
    // The spaces right after the first trim (V8's own memory reducer may compact some seconds later).
    // The trim's timer is unref'd (it never keeps a process alive): this one waits for it.
    const alive = setInterval(() => {}, 1000);
    const after = await new Promise((resolve) =>
      m.trimWhenIdle({ quietMs: 20, onTrim: () => resolve({ young: space('new_space'), old: space('old_space') }) }),
    );
    clearInterval(alive);
    console.log(JSON.stringify({
      newBefore,
      newAfter: after.young.phys,
      oldPhys: after.old.phys,
      oldUsed: after.old.used,
      kept: keep.length,
      globalGc: typeof globalThis.gc,
      contextGc: vm.runInNewContext('typeof gc'),
    }));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 90_000, // a trim that never comes fails here
  });
  return JSON.parse(out.trim()) as Record<string, number | string>;
}

// An ordinary full GC here leaves the young generation at 32 MiB and the old one at 59 MiB for 37
// MiB live (pages a third full stay); the trim shrinks one and compacts the other.
test('trimWhenIdle: a process that goes quiet after a load compacts its heap, and leaves gc unexposed', () => {
  const r = trimInChild();
  assert.ok(Number(r['newBefore']) >= 8, `the young generation grew first (${r['newBefore']} MiB)`);
  assert.ok(Number(r['newAfter']) <= 2);
  assert.ok(
    Number(r['oldPhys']) <= 1.25 * Number(r['oldUsed']),
    `old generation compacted: ${r['oldPhys']} MiB resident for ${r['oldUsed']} MiB used`,
  );
  assert.equal(r['kept'], 200000);
  assert.equal(r['globalGc'], 'undefined');
  assert.equal(r['contextGc'], 'undefined', 'later contexts do not get gc');
});

// Growth is measured on the resident set (issue 16): memory outside V8's heap (a Buffer here, Node's
// sockets and buffers under load) counts, and a load whose calls die young still gets its trim.
test('trimWhenIdle: a later trim follows growth of the resident set outside the heap', () => {
  const script = `
    const m = await import(${JSON.stringify(module)});
    const alive = setInterval(() => {}, 1000);
    let trims = 0;
    let first;
    const firstTrim = new Promise((resolve) => (first = resolve));
    let second;
    const secondTrim = new Promise((resolve) => (second = resolve));
    m.trimWhenIdle({ quietMs: 20, laterQuietMs: 100, onTrim: () => (++trims === 1 ? first() : second()) });
    await firstTrim;
    const rss0 = process.memoryUsage.rss();
    const big = Buffer.alloc(64 * 1048576, 1); // resident, and not V8's heap
    // A little short-lived garbage: some scavenges (the activity that arms the trim), no heap growth.
    for (let i = 0; i < 50; i++) {
      let junk = [];
      for (let k = 0; k < 2e4; k++) junk.push({ k });
      junk = undefined;
      await new Promise((r) => setImmediate(r));
    }
    const came = await Promise.race([secondTrim.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
    clearInterval(alive);
    console.log(JSON.stringify({ came, trims, grewMiB: (process.memoryUsage.rss() - rss0) / 1048576, kept: big.length }));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const r = JSON.parse(out.trim()) as { came: boolean; trims: number; grewMiB: number };
  assert.ok(r.grewMiB >= 32, `the Buffer is resident (${r.grewMiB} MiB)`);
  assert.equal(r.came, true, `a second trim came (${r.trims} in all)`);
});
