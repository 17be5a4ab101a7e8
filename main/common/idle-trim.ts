import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Quiet time (no garbage collection) after which the process counts as idle, for the startup trim. */
const QUIET_MS = 1000;
/**
 * Quiet time before each later trim. A last-resort collection lets go of the maps V8 keeps alive for
 * its optimized code (a memory-reducing GC skips "retained maps"), so every hot function that
 * embeds one is deoptimized ("marking dependent code ... reason: weak objects" in --trace-deopt) and
 * the next burst runs unoptimized while some 100-160 functions are compiled again. After 1 s of quiet,
 * a client calling in bursts paid that on each burst: 1.4-1.6 ms of CPU per call in the block after a
 * trim against 0.7-0.9 ms (c=16, issue 16). Startup has no hot code to lose, so it keeps 1 s.
 */
const LATER_QUIET_MS = 5000;
/**
 * Growth of the resident set since the last trim that is worth giving back (a last-resort GC costs
 * tens of ms).
 */
const GROWTH_BYTES = 16 * 1024 * 1024;

export interface IdleTrimDeps {
  /** Gives memory back: a full, compacting collection that also shrinks the young generation. */
  collect(): void;
  /** Resident bytes now (the process's RSS in trimWhenIdle). */
  residentBytes(): number;
  /** Quiet time before the first trim (startup). */
  quietMs?: number;
  /** Quiet time before each later trim (after a load): longer, a trim costs the JIT's work. */
  laterQuietMs?: number;
  growthBytes?: number;
  /**
   * No trim before started() is called: startup (modules, upstreams connecting, their catalogs) is
   * garbage a trim in its middle would leave behind. Without it, the first activity starts the wait.
   */
  waitForStartup?: boolean;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
  /** The clock activity is timed on (ms); performance.now() by default. */
  now?: () => number;
}

export interface IdleTrim {
  /** Something ran (a GC happened, or startup): the next trim waits for a quiet period after it. */
  activity(): void;
  /** Startup is over (see IdleTrimDeps.waitForStartup): the first trim follows the next quiet period. */
  started(): void;
  stop(): void;
}

/**
 * Gives memory back once the process goes quiet (issue 16). V8 grows the old generation under load
 * and then keeps its pages: after a load run of `serve`, 30 s of idle gave nothing back (RSS 128 MiB,
 * 54 MiB of heap of which 20 MiB live), and neither did an ordinary forced GC (the pages stay, only
 * half full). Only a memory-reducing collection (what V8 does on a low-memory notification) compacts
 * the old generation, returns its free pages and shrinks the young generation: RSS 128 -> 88 MiB.
 * V8's own memory reducer did not run within those 30 s, so this does it: after `quietMs` without
 * activity (`laterQuietMs` once it trimmed), when the resident set grew by `growthBytes` since the
 * last trim (always the first time: startup leaves a full young generation behind). The trim comes a
 * quiet period after the last activity, so nothing runs mid-burst, and an idle process has no timer.
 */
export function createIdleTrim(deps: IdleTrimDeps): IdleTrim {
  const quietMs = deps.quietMs ?? QUIET_MS;
  const laterQuietMs = deps.laterQuietMs ?? LATER_QUIET_MS;
  const growth = deps.growthBytes ?? GROWTH_BYTES;
  const setTimer = deps.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms).unref());
  const clearTimer = deps.clearTimer ?? ((t: unknown) => clearTimeout(t as NodeJS.Timeout));
  /** Resident bytes right after the last trim; undefined before the first. */
  let baseline: number | undefined;
  let timer: unknown;
  const now = deps.now ?? (() => performance.now());
  /** When the last activity was. */
  let last = 0;
  let stopped = false;
  let starting = deps.waitForStartup === true;

  const quiet = (): void => {
    timer = undefined;
    // Activity while it waited: on to a quiet period after the last of it, not a whole period more
    // from now (which put the trim 5 to 10 s after a load: a bench run that looks for the memory
    // back within 10 s missed it in two runs of three).
    const left = last + (baseline === undefined ? quietMs : laterQuietMs) - now();
    if (left > 0) {
      timer = setTimer(quiet, Math.ceil(left));
      return;
    }
    if (baseline !== undefined && deps.residentBytes() - baseline < growth) return;
    deps.collect();
    baseline = deps.residentBytes();
  };
  const arm = (): void => {
    timer = setTimer(quiet, baseline === undefined ? quietMs : laterQuietMs);
  };
  const trim: IdleTrim = {
    activity() {
      if (stopped || starting) return;
      last = now();
      if (timer === undefined) arm();
    },
    started() {
      if (!starting) return;
      starting = false;
      trim.activity();
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimer(timer);
      timer = undefined;
    },
  };
  return trim;
}

type GcFunction = (options?: { type?: string; execution?: string; flavor?: string }) => void;

/**
 * V8's last-resort collection (repeated full GCs with compaction, the young generation shrunk), as
 * run on a low-memory notification. Node exposes no such call, so the `gc` function is taken from a
 * fresh context created while --expose-gc is set (flags are still writable at runtime: Node turns
 * V8's freeze-after-init off), then the flag goes back off so no later context gets it.
 */
function lastResortCollector(): () => void {
  let gc = (globalThis as { gc?: GcFunction }).gc;
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    try {
      gc = runInNewContext('gc') as GcFunction;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  const collect = gc;
  return () => {
    collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    // A marking V8 had already started (concurrently, under load) is finished by the first pass
    // with the compaction it chose at its start, often none: under CPU load 3 trims in 8 left the
    // old generation 50-58 MiB resident for 37 MiB live, the same as an ordinary full GC. The
    // second pass starts its own marking, for memory, and compacts.
    if (fragmented()) collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  };
}

/** The old generation is resident at more than 1.25x what it holds (beyond a page's worth). */
function fragmented(): boolean {
  const old = getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
  return old !== undefined && old.physical_space_size > 1.25 * old.space_used_size + 256 * 1024;
}

/**
 * Trims this process whenever it goes quiet: activity is every garbage collection (a process that
 * allocates nothing has nothing to give back). For `serve` and the app's main process. Returns the
 * stop function.
 */
export function trimWhenIdle(
  options: {
    quietMs?: number;
    laterQuietMs?: number;
    growthBytes?: number;
    /**
     * Settles when the gateway has started (its upstreams ready or failed): the first trim waits for
     * it. A trim at the first quiet second of startup (a stdio server takes that long to answer) left
     * the upstreams' catalogs and the rest of startup behind: idle RSS 76.7 to 81.3 MiB in `npm run
     * bench:idle`, by when that second came.
     */
    startup?: Promise<unknown>;
    /** After each trim, with the heap's resident bytes before and after it. */
    onTrim?: (before: number, after: number) => void;
  } = {},
): () => void {
  const collect = lastResortCollector();
  const heapBytes = (): number => getHeapStatistics().total_physical_size;
  const trim = createIdleTrim({
    quietMs: options.quietMs,
    laterQuietMs: options.laterQuietMs,
    growthBytes: options.growthBytes,
    collect() {
      const before = heapBytes();
      collect();
      options.onTrim?.(before, heapBytes());
    },
    // The resident set, not the heap's pages: a load grows both, the heap by less once calls die
    // young (issue 16). After the per-call tables stopped promoting every call, 30 s of load no
    // longer grew the heap by 16 MiB: no trim followed, and RSS stayed at 95-100 MiB (1.5x idle);
    // measured by RSS, the trim comes 5 s after the load and takes it to 78 MiB.
    residentBytes: () => process.memoryUsage.rss(),
    waitForStartup: options.startup !== undefined,
  });
  const observer = new PerformanceObserver(() => trim.activity());
  observer.observe({ entryTypes: ['gc'] });
  if (options.startup) void options.startup.finally(() => trim.started());
  else trim.activity(); // startup
  return () => {
    observer.disconnect();
    trim.stop();
  };
}
