/**
 * Latency and throughput, measured the way a client lives: calls back to back (so work a path leaves
 * behind after answering delays its own next call, as it would for a real client), in short blocks
 * that alternate between paths so that load from the rest of the machine hits every path alike.
 */
import { cpuMs, tree } from './processes.js';
import type { Call } from './clients.js';

export interface Path {
  key: string;
  call: Call;
  /** Process in the middle (gateway, proxy, peer): its CPU per call is reported. */
  middle?: number;
  /** Pids behind the middle whose CPU counts as the upstream's (resolved when measured). */
  upstream?: () => number[];
}

export interface Latency {
  p50: number;
  p99: number;
  n: number;
}

export interface Throughput {
  rate: number;
  /** calls/s in each round (the paths take their turns within a round, so a round's rates compare). */
  rounds: number[];
  /** ms of CPU per call: the middle process, and everything (client + middle + upstream). */
  middleCpu: number;
  upstreamCpu: number;
  clientCpu: number;
}

/** One call; a failure names the path it happened on (a bench run stops at the first). */
function named(p: Path): Promise<void> {
  return p.call().catch((err: unknown) => {
    throw new Error(`${p.key}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  });
}

/**
 * The paths' order in round `r`: a shuffle (seeded, so a run can be repeated). A rotation kept each
 * path behind the same neighbour in every round, and a path's first calls pay for what the one
 * before it left behind (its garbage, the upstream's state): with 17 paths and 10 rounds, the fetch
 * rows always followed the SDK rows, a bias of their own in the fetch/node:http agreement.
 */
function orderOf<T>(items: T[], r: number): T[] {
  let seed = (r + 1) * 0x9e3779b1;
  const next = (): number => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export async function warm(paths: Path[], calls: number): Promise<void> {
  for (const p of paths) for (let i = 0; i < calls; i++) await named(p);
}

/** p50/p99 at concurrency 1: `rounds` rounds of `block` back-to-back calls per path. */
export async function latency(paths: Path[], rounds: number, block: number): Promise<Map<string, Latency>> {
  const samples = new Map(paths.map((p) => [p.key, [] as number[]]));
  for (let r = 0; r < rounds; r++) {
    for (const p of orderOf(paths, r)) {
      const s = samples.get(p.key)!;
      for (let i = 0; i < block; i++) {
        const t = performance.now();
        await named(p);
        s.push(performance.now() - t);
      }
    }
  }
  const out = new Map<string, Latency>();
  for (const [key, s] of samples) {
    s.sort((a, b) => a - b);
    out.set(key, { p50: quantile(s, 0.5), p99: quantile(s, 0.99), n: s.length });
  }
  return out;
}

/**
 * p50/p99 of a few paths called one call each in turn (in a shuffled order per turn), `turns` times:
 * every path is sampled at the same moments, so the machine's drift falls on all of them alike. For
 * comparisons of differences (the fetch/node:http agreement), where whole-run blocks left each
 * client's rows measured at different moments.
 */
export async function interleaved(paths: Path[], turns: number): Promise<Map<string, Latency>> {
  const samples = new Map(paths.map((p) => [p.key, [] as number[]]));
  for (let r = 0; r < turns; r++) {
    for (const p of orderOf(paths, r)) {
      const t = performance.now();
      await named(p);
      samples.get(p.key)!.push(performance.now() - t);
    }
  }
  const out = new Map<string, Latency>();
  for (const [key, s] of samples) {
    s.sort((a, b) => a - b);
    out.set(key, { p50: quantile(s, 0.5), p99: quantile(s, 0.99), n: s.length });
  }
  return out;
}

/**
 * What `path` adds to p50 over `base`, paired in time: `pairs` times a block of `block` back-to-back
 * calls to each (which one goes first alternates), then the median over the pairs of the difference
 * of the two blocks' medians. Back to back, so that work a path leaves behind after answering delays
 * its own next call (as in latency(), unlike interleaved()); paired, so that the machine's drift
 * between blocks taken seconds apart falls on both alike.
 */
export async function pairedGap(path: Path, base: Path, pairs: number, block: number): Promise<number> {
  const blockOf = async (p: Path): Promise<number> => {
    const s: number[] = [];
    for (let i = 0; i < block; i++) {
      const t = performance.now();
      await named(p);
      s.push(performance.now() - t);
    }
    return median(s);
  };
  const gaps: number[] = [];
  for (let r = 0; r < pairs; r++) {
    const [a, b] = r % 2 === 0 ? [path, base] : [base, path];
    const first = await blockOf(a);
    const second = await blockOf(b);
    gaps.push(a === path ? first - second : second - first);
  }
  return median(gaps);
}

/** The median of `xs` (left unsorted). */
export function median(xs: readonly number[]): number {
  return quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
}

export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

/** Calls per second at `concurrency`, with CPU per call of each process, over `rounds` rounds. */
export async function throughput(
  paths: Path[],
  concurrency: number,
  rounds: number,
  roundMs: number,
): Promise<Map<string, Throughput>> {
  const totals = new Map(
    paths.map((p) => [p.key, { calls: 0, ms: 0, middle: 0, upstream: 0, client: 0, rounds: [] as number[] }]),
  );
  for (let r = 0; r < rounds; r++) {
    for (const p of orderOf(paths, r)) {
      const t = totals.get(p.key)!;
      const ups = p.upstream?.() ?? [];
      const cpu = (): [number, number, number] => [
        p.middle === undefined ? 0 : cpuMs(p.middle),
        ups.reduce((sum, pid) => sum + cpuMs(pid), 0),
        cpuMs(process.pid),
      ];
      const before = cpu();
      const start = performance.now();
      const end = start + roundMs;
      let calls = 0;
      const worker = async (): Promise<void> => {
        while (performance.now() < end) {
          await named(p);
          calls++;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const ms = performance.now() - start;
      const after = cpu();
      t.calls += calls;
      t.ms += ms;
      t.rounds.push((calls * 1000) / ms);
      t.middle += after[0] - before[0];
      t.upstream += after[1] - before[1];
      t.client += after[2] - before[2];
    }
  }
  const out = new Map<string, Throughput>();
  for (const [key, t] of totals)
    out.set(key, {
      rate: (t.calls * 1000) / t.ms,
      rounds: t.rounds,
      middleCpu: t.middle / t.calls,
      upstreamCpu: t.upstream / t.calls,
      clientCpu: t.client / t.calls,
    });
  return out;
}

/** The pids under `pid` other than itself (a peer's or the gateway's stdio server). */
export function childrenOf(pid: number): number[] {
  return tree(pid).slice(1);
}
