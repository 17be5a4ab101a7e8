/**
 * Work deferred until this loop turn's I/O callbacks and their ticks are done: one setImmediate per
 * turn runs everything queued in it, instead of an Immediate per call (issue 16: each call deferred
 * two things, its timeout and abort listener, and the settling of its response promise).
 */
let fns: ((arg: never) => void)[] = [];
let args: unknown[] = [];

/** Runs `fn(arg)` in the next check phase (as setImmediate(fn, arg) would), in the order queued. */
export function afterTurn<T>(fn: (arg: T) => void, arg: T): void {
  fns.push(fn as (arg: never) => void);
  args.push(arg);
  if (fns.length === 1) setImmediate(runQueued);
}

function runQueued(): void {
  const run = fns;
  const with_ = args;
  fns = [];
  args = [];
  for (let i = 0; i < run.length; i++) {
    try {
      run[i]!(with_[i] as never);
    } catch (err) {
      // As a throw from its own Immediate would be (uncaught), without losing the rest of the turn's work.
      process.nextTick(rethrow, err);
    }
  }
}

function rethrow(err: unknown): never {
  throw err;
}
