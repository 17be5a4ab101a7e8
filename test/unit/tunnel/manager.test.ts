import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Clock } from '../../../main/common/clock.js';
import { createTunnelManager, type TunnelManagerDeps } from '../../../main/tunnel/index.js';
import type { TunnelState } from '../../../main/tunnel/tunnel-state.js';
import type { TunnelChild, TunnelExit, TunnelSpawnSpec, UrlChange } from '../../../main/tunnel/types.js';

// The manager's logic against a scripted in-memory cloudflared (the spawner seam) and a scripted
// metrics server (the fetch seam). The real process path is covered in test/integration/tunnel/.
const dir = mkdtempSync(join(tmpdir(), 'tg-mgr-'));
const binary = join(dir, 'cloudflared');
writeFileSync(binary, '#!/bin/sh\n');
chmodSync(binary, 0o755);
after(() => rmSync(dir, { recursive: true, force: true }));

interface Scripted extends TunnelChild {
  spec: TunnelSpawnSpec;
  say(line: string): void;
  exit(code: number): void;
}

function scriptedSpawner(onSpawn: (c: Scripted) => void) {
  const spawned: Scripted[] = [];
  let nextPid = 5000;
  const spawn = (spec: TunnelSpawnSpec): TunnelChild => {
    const listeners: ((l: string) => void)[] = [];
    let resolveExit!: (e: TunnelExit) => void;
    const exited = new Promise<TunnelExit>((r) => (resolveExit = r));
    const pid = nextPid++;
    const child: Scripted = {
      spec,
      pid: () => pid,
      pids: () => [pid],
      onLine: (l) => void listeners.push(l),
      exited,
      stop: async () => resolveExit({ code: null, signal: 'SIGTERM' }),
      say: (line) => listeners.forEach((l) => l(line)),
      exit: (code) => resolveExit({ code, signal: null }),
    };
    spawned.push(child);
    setImmediate(() => onSpawn(child));
    return child;
  };
  return { spawn, spawned };
}

/** Metrics answers by path; `ready` can be flipped by the test. */
function metricsFetch(m: { ready: number; host: string | null }): typeof fetch {
  return async (input) => {
    const url = new URL(String(input));
    if (url.pathname === '/ready')
      return new Response(JSON.stringify({ status: m.ready }), { status: m.ready });
    if (url.pathname === '/quicktunnel' && m.host) return new Response(JSON.stringify({ hostname: m.host }));
    return new Response('404 page not found', { status: 404 });
  };
}

const banner = (host: string): string[] => [
  '2026-01-20T09:56:36Z INF +--------------------------------------------------------------------------------------------+',
  `2026-01-20T09:56:36Z INF |  https://${host}  |`,
  '2026-01-20T09:56:36Z INF +--------------------------------------------------------------------------------------------+',
];
const REGISTERED =
  '2026-01-20T09:56:37Z INF Registered tunnel connection connIndex=0 connection=5c94b68c-6732-40c1-9b49-9f8f6c23521d event=0 ip=198.41.192.67 location=las01 protocol=quic';

function until(
  manager: ReturnType<typeof createTunnelManager>,
  pred: (s: TunnelState) => boolean,
): Promise<TunnelState> {
  return new Promise((resolve, reject) => {
    if (pred(manager.state())) return resolve(manager.state());
    const timer = setTimeout(
      () => reject(new Error(`timeout; last ${JSON.stringify(manager.state())}`)),
      5000,
    );
    manager.on('state', function on(s: TunnelState) {
      if (!pred(s)) return;
      clearTimeout(timer);
      manager.off('state', on);
      resolve(s);
    });
  });
}

// Real timers, kept referenced: the product's clock unrefs its timers, and with the scripted
// cloudflared and fetch nothing else holds the process open while the manager polls (a test then
// ends as "still pending" when it runs after other files in the same process).
const referencedClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

const base = (over: Partial<TunnelManagerDeps>): TunnelManagerDeps => ({
  mode: 'quick',
  clock: referencedClock,
  localPort: 8740,
  cloudflaredPath: binary,
  dataDir: dir,
  env: {},
  checkReachable: async () => ({ ok: true, detail: 'ok' }),
  timeouts: { pollMs: 20, urlMs: 3000, readyMs: 3000 },
  ...over,
});

describe('tunnel manager (scripted cloudflared)', () => {
  it('builds the quick-tunnel command line and trusts /quicktunnel over the banner', async () => {
    const m = { ready: 503, host: 'metrics-says-this.trycloudflare.com' as string | null };
    const { spawn, spawned } = scriptedSpawner((c) => {
      banner('banner-says-this.trycloudflare.com').forEach((l) => c.say(l));
      m.ready = 200;
      c.say(REGISTERED);
    });
    const manager = createTunnelManager(
      base({ spawn, fetch: metricsFetch(m), env: { PATH: '/x', TUNNEL_URL: 'http://evil:1', HOME: '/h' } }),
    );
    await manager.start();
    const spec = spawned[0]?.spec;
    assert.ok(spec);
    assert.deepEqual(spec.args.slice(0, 3), ['tunnel', '--no-autoupdate', '--metrics']);
    assert.match(spec.args[3] ?? '', /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(spec.args.slice(4), ['--url', 'http://127.0.0.1:8740']);
    assert.equal(spec.env.TUNNEL_URL, undefined, 'inherited TUNNEL_* variables cannot redirect cloudflared');
    assert.equal(spec.env.HOME, '/h');
    assert.equal(manager.state().url, 'https://metrics-says-this.trycloudflare.com');
    assert.equal(manager.state().pid, 5000);
    await manager.close();
  });

  it('goes reconnecting when the edge connection drops and back to ready on the same URL, without url-changed', async () => {
    const m = { ready: 200, host: 'same-url-stays-here.trycloudflare.com' as string | null };
    let child: Scripted | undefined;
    const { spawn } = scriptedSpawner((c) => {
      child = c;
      banner('same-url-stays-here.trycloudflare.com').forEach((l) => c.say(l));
    });
    const manager = createTunnelManager(base({ spawn, fetch: metricsFetch(m) }));
    const changes: UrlChange[] = [];
    manager.on('url-changed', (c: UrlChange) => changes.push(c));
    await manager.start();
    assert.equal(manager.state().phase, 'ready');
    m.ready = 503;
    child?.say(
      '2026-01-20T10:00:00Z INF Unregistered tunnel connection connIndex=0 event=0 ip=198.41.200.193',
    );
    const lost = await until(manager, (s) => s.phase === 'reconnecting');
    assert.match(lost.error ?? '', /lost its connection/);
    m.ready = 200;
    child?.say(REGISTERED);
    const back = await until(manager, (s) => s.phase === 'ready');
    assert.equal(back.url, 'https://same-url-stays-here.trycloudflare.com');
    assert.deepEqual(changes, []);
    await manager.close();
  });

  it('backs off exponentially between restarts, then fails with the count', async () => {
    const delays: number[] = [];
    const clock: Clock = {
      ...referencedClock,
      setTimeout: (fn, ms) => (delays.push(ms), setTimeout(fn, ms)),
    };
    const { spawn, spawned } = scriptedSpawner((c) => {
      c.say('2026-01-20T10:00:00Z ERR Serve tunnel error error="connection with edge closed" connIndex=0');
      c.exit(2);
    });
    const manager = createTunnelManager(
      base({
        spawn,
        fetch: metricsFetch({ ready: 503, host: null }),
        clock,
        restart: { initialDelayMs: 11, maxDelayMs: 30, maxAttempts: 3 },
      }),
    );
    await manager.start();
    const s = manager.state();
    assert.equal(s.phase, 'failed');
    assert.equal(spawned.length, 4, 'the first run and three restarts');
    assert.equal(s.restarts, 3);
    assert.match(
      s.error ?? '',
      /cloudflared exited with code 2\..*connection with edge closed.*Gave up after 3 restarts/,
    );
    const backoff = delays.filter((d) => d === 11 || d === 22 || d === 30);
    assert.deepEqual(backoff, [11, 22, 30]);
    await manager.close();
  });

  it('passes the named token only in the environment and redacts it from every line', async () => {
    const token = 'eyJhIjoiZmFrZSIsInQiOiJ0dW5uZWwiLCJzIjoic2VjcmV0In0=';
    // /ready turns 200 only once the lines are out: a named tunnel polls from the start, and under load
    // the first poll could otherwise find it ready before the scripted child has said anything.
    const m = { ready: 503, host: null };
    const { spawn, spawned } = scriptedSpawner((c) => {
      c.say(`2026-01-20T10:00:00Z INF Settings: map[no-autoupdate:true token:${token}]`);
      m.ready = 200;
      c.say(REGISTERED);
    });
    const manager = createTunnelManager(
      base({
        mode: 'named',
        hostname: 'mcp.example.com',
        token: async () => token,
        spawn,
        fetch: metricsFetch(m),
      }),
    );
    const lines: string[] = [];
    manager.on('log', (l: string) => lines.push(l));
    await manager.start();
    const spec = spawned[0]?.spec;
    assert.deepEqual(spec?.args.at(-1), 'run');
    assert.ok(!spec?.args.some((a) => a.includes(token)));
    assert.equal(spec?.env.TUNNEL_TOKEN, token);
    assert.equal(manager.state().url, 'https://mcp.example.com');
    assert.ok(lines.some((l) => l.includes('token:*****')));
    assert.ok(!lines.some((l) => l.includes(token)));
    assert.ok(!manager.recentLog().some((l) => l.includes(token)));
    await manager.close();
  });

  it('reports unreachable with the probe detail, and checkReachability() re-checks', async () => {
    let ok = false;
    const { spawn } = scriptedSpawner((c) =>
      banner('probe-me-now-please.trycloudflare.com').forEach((l) => c.say(l)),
    );
    const manager = createTunnelManager(
      base({
        spawn,
        fetch: metricsFetch({ ready: 200, host: null }),
        checkReachable: async (origin) =>
          ok
            ? { ok: true, detail: `${origin} fine` }
            : { ok: false, detail: `${origin} answered 502 from Cloudflare` },
        reachabilityRetry: { attempts: 2, delayMs: 5 },
      }),
    );
    await manager.start();
    const no = await until(manager, (s) => s.reachable === 'no');
    assert.equal(
      no.reachableDetail,
      'https://probe-me-now-please.trycloudflare.com answered 502 from Cloudflare',
    );
    ok = true;
    const yes = await manager.checkReachability();
    assert.equal(yes.reachable, 'yes');
    await manager.close();
  });
});
