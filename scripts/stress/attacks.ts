/**
 * Issue 10's attacks, each repeated on loopback with a bounded count against the real gateway.
 * Each returns rows for the table: what was measured, the figure, and whether the gateway held.
 */
import { existsSync, readFileSync, statSync, watch } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { approvedToken, authorize, pkce, register, type Gateway } from './gateway.js';
import { call, initialize } from './mcp.js';
import { fdCount, http, isAlive, openSlow, rssMiB, sleep, waitFor, type SlowSocket } from './net.js';

export interface Row {
  attack: string;
  measured: string;
  result: string;
  held: boolean;
}

const MCP_HEADERS = 'Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n';

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of await readdir(dir).catch(() => [] as string[])) total += (await stat(join(dir, f))).size;
  return total;
}

/** 160 slow /oauth/token bodies from one address; an approved client and another address go on. */
export async function slowTokens(gw: Gateway, token: string): Promise<Row[]> {
  const owner = { port: gw.publicPort, token };
  const { sessionId } = await initialize(owner);
  const head =
    `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1:${gw.publicPort}\r\n` +
    'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=';
  const slow: SlowSocket[] = [];
  for (let i = 0; i < 160; i++) slow.push(await openSlow(gw.publicPort, head, '127.0.0.2'));
  await sleep(300);
  const mcp = await call(owner, sessionId!, 'tools/call', {
    name: 'everything__echo',
    arguments: { message: 'hi' },
  });
  const meta = await http({
    port: gw.publicPort,
    path: '/.well-known/oauth-authorization-server',
    from: '127.0.0.3',
  });
  for (const s of slow) s.socket.destroy();
  return [
    {
      attack: '160 slow /oauth/token bodies, one address',
      measured: 'approved client tools/call',
      result: `${mcp.status} in ${mcp.ms} ms`,
      held: mcp.status === 200,
    },
    {
      attack: '',
      measured: 'metadata from another address',
      result: `${meta.status} in ${meta.ms} ms`,
      held: meta.status === 200,
    },
  ];
}

/** 300 unauthenticated POST /mcp whose bodies trickle in: are the sockets cut, what of the fds? */
export async function trickle(gw: Gateway): Promise<Row[]> {
  const before = fdCount(gw.pid);
  const head =
    `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${gw.publicPort}\r\n${MCP_HEADERS}` +
    'Content-Length: 100000\r\n\r\n{';
  const socks: SlowSocket[] = [];
  for (let i = 0; i < 300; i++) socks.push(await openSlow(gw.publicPort, head, '127.0.0.4'));
  let peak = fdCount(gw.pid);
  const tick = setInterval(() => {
    for (const s of socks) if (!s.isClosed()) s.socket.write(' ');
    peak = Math.max(peak, fdCount(gw.pid));
  }, 200);
  const t0 = Date.now();
  await waitFor(() => socks.every((s) => s.isClosed()), 10_000);
  const took = Date.now() - t0;
  clearInterval(tick);
  const cut = socks.filter((s) => s.isClosed()).length;
  for (const s of socks) s.socket.destroy();
  await sleep(300);
  const after = fdCount(gw.pid);
  return [
    {
      attack: '300 trickling unauthenticated POSTs',
      measured: 'sockets cut by the gateway',
      result: `${cut}/300 within ${took} ms`,
      held: cut === 300,
    },
    {
      attack: '',
      measured: 'gateway fds before / peak / after',
      result: `${before} / ${peak} / ${after}`,
      held: after <= before + 20,
    },
  ];
}

/** 500 registrations from 20 addresses: bytes written to clients.json. */
export async function registrationFlood(gw: Gateway): Promise<Row[]> {
  const authDir = join(gw.dataDir, 'auth');
  const file = join(authDir, 'clients.json');
  const sizeBefore = existsSync(file) ? statSync(file).size : 0;
  let written = 0;
  let writes = 0;
  const watcher = existsSync(authDir)
    ? watch(authDir, (_e, name) => {
        if (name !== 'clients.json' && !String(name).startsWith('clients.json')) return;
        writes++;
        try {
          written += statSync(file).size;
        } catch {
          // replaced while we looked
        }
      })
    : undefined;
  const statuses = new Map<number, number>();
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: 20 }, async (_, a) => {
      for (let i = 0; i < 25; i++) {
        const ok = await register(gw, `127.0.1.${a + 1}`, `flood ${a}-${i}`);
        const s = ok ? 201 : 0;
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
      }
    }),
  );
  await sleep(500);
  watcher?.close();
  const sizeAfter = existsSync(file) ? statSync(file).size : 0;
  return [
    {
      attack: '500 registrations from 20 addresses',
      measured: 'accepted / refused (rate limit)',
      result: `${statuses.get(201) ?? 0} / ${statuses.get(0) ?? 0} in ${Date.now() - t0} ms`,
      held: true,
    },
    {
      attack: '',
      measured: 'clients.json: writes, ~bytes written, size',
      result: `${writes} writes, ~${Math.round(written / 1024)} KiB, ${sizeBefore} -> ${sizeAfter} B`,
      held: written < 1024 * 1024,
    },
  ];
}

/** 11 addresses x 5 authorization requests fill the approval queue; then the owner signs in. */
export async function approvalFlood(gw: Gateway): Promise<Row[]> {
  let queued = 0;
  await Promise.all(
    Array.from({ length: 11 }, async (_, a) => {
      const from = `127.0.2.${a + 1}`;
      const clientId = await register(gw, from, `queue flood ${a}`);
      if (!clientId) return;
      for (let i = 0; i < 5; i++) {
        const r = await authorize(gw, clientId, pkce().challenge, from);
        if (r.requestId) queued++;
      }
    }),
  );
  const t0 = Date.now();
  let ownerResult = 'refused';
  let held = false;
  try {
    await approvedToken(gw, '127.0.0.1', 'Owner');
    ownerResult = `signed in (token) in ${Date.now() - t0} ms`;
    held = true;
  } catch (err) {
    ownerResult = `refused: ${(err as Error).message}`;
  }
  return [
    {
      attack: '55 authorization requests from 11 addresses',
      measured: "queued; then the owner's own sign-in",
      result: `${queued} queued; owner ${ownerResult}`,
      held,
    },
  ];
}

/** Tool calls with 64 KB arguments through the gateway: its memory and the log files. */
export async function activityFlood(gw: Gateway, calls: number): Promise<Row[]> {
  const local = { port: gw.port };
  const { sessionId } = await initialize(local);
  const logDir = join(gw.dataDir, 'activity');
  const rssBefore = rssMiB(gw.pid);
  // 64 KB of arguments as 16 strings of 4,000 characters: under any per-string cap (the attack).
  const args: Record<string, string> = { message: 'x'.repeat(4000) };
  for (let k = 0; k < 15; k++) args[`k${k}`] = 'y'.repeat(4000);
  let ok = 0;
  let next = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < calls) {
        next++;
        const r = await call(local, sessionId!, 'tools/call', {
          name: 'everything__echo',
          arguments: args,
        });
        if (r.status === 200) ok++;
      }
    }),
  );
  const took = Date.now() - t0;
  await sleep(500);
  const rssAfter = rssMiB(gw.pid);
  const bytes = await folderBytes(logDir);
  return [
    {
      attack: `${calls} tool calls with 64 KB arguments`,
      measured: 'gateway RSS before -> after (MiB)',
      result: `${rssBefore} -> ${rssAfter} (${ok} ok in ${took} ms)`,
      held: rssAfter - rssBefore < 200,
    },
    {
      attack: '',
      measured: 'activity log files',
      result: `${(bytes / 1024 / 1024).toFixed(1)} MiB (${Math.round(bytes / calls)} B per call)`,
      held: bytes / calls < 40_000,
    },
  ];
}

/** One approved client opens 1,100 sessions; another client's session must survive. */
export async function sessionFlood(gw: Gateway, tokenA: string, tokenB: string): Promise<Row[]> {
  const b = { port: gw.publicPort, token: tokenB, from: '127.0.0.6' };
  const { sessionId } = await initialize(b);
  const a = { port: gw.publicPort, token: tokenA, from: '127.0.0.5' };
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < 1100) {
        next++;
        const { answer } = await initialize(a);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      }
    }),
  );
  const after = await call(b, sessionId!, 'tools/list', {});
  const summary = [...statuses].map(([s, n]) => `${n}x${s}`).join(', ');
  return [
    {
      attack: '1,100 sessions from one client',
      measured: "flood answers; other client's session",
      result: `${summary}; other: ${after.status}`,
      held: after.status === 200,
    },
  ];
}

/** kill -9 of the gateway: the stdio server's grandchild that ignores SIGTERM must go too. */
export async function killGateway(gw: Gateway): Promise<Row[]> {
  await waitFor(() => existsSync(gw.pidFile), 10_000);
  const { server, grandchild } = JSON.parse(readFileSync(gw.pidFile, 'utf8')) as {
    server: number;
    grandchild: number;
  };
  const aliveBefore = isAlive(server) && isAlive(grandchild);
  const t0 = Date.now();
  gw.child.kill('SIGKILL');
  const gone = await waitFor(() => !isAlive(server) && !isAlive(grandchild), 10_000);
  const result = gone ? `both gone ${Date.now() - t0} ms after` : 'still running after 10 s';
  if (!gone)
    for (const pid of [server, grandchild])
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
  return [
    {
      attack: 'kill -9 of the gateway',
      measured: 'stdio server + grandchild ignoring SIGTERM',
      result: aliveBefore ? result : 'fixture did not start',
      held: aliveBefore && gone,
    },
  ];
}
