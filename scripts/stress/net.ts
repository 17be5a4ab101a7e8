/**
 * Loopback HTTP for the stress run: requests from a chosen 127.0.0.x source address (each address
 * is a different "client" to the gateway's per-address budgets), raw slow sockets, and what /proc
 * says about a process (open file descriptors, resident memory).
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  ms: number;
}

export interface Req {
  port: number;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Source address (127.0.0.2, ...): another client as far as the gateway can tell. */
  from?: string;
  timeoutMs?: number;
}

/** One request on a fresh connection; a timeout or a reset answers status 0 (never throws). */
export function http(r: Req): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const done = (status: number, headers: Answer['headers'], text: string): void =>
      resolve({ status, headers, text, ms: Math.round(performance.now() - t0) });
    const req = request(
      {
        host: '127.0.0.1',
        port: r.port,
        path: r.path,
        method: r.method ?? (r.body === undefined ? 'GET' : 'POST'),
        headers: { host: `127.0.0.1:${r.port}`, ...r.headers },
        agent: false,
        ...(r.from ? { localAddress: r.from } : {}),
        timeout: r.timeoutMs ?? 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => done(res.statusCode ?? 0, res.headers, text));
        res.on('error', () => done(res.statusCode ?? 0, res.headers, text));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(0, {}, ''));
    req.end(r.body);
  });
}

/** A raw connection that sends `head` (and maybe part of a body) and then trickles or waits. */
export interface SlowSocket {
  socket: Socket;
  /** Resolves when the server closes (or resets) the connection. */
  closed: Promise<void>;
  isClosed(): boolean;
  answered(): boolean;
}

export function openSlow(port: number, head: string, from?: string): Promise<SlowSocket> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', ...(from ? { localAddress: from } : {}) });
    let closedFlag = false;
    let answer = '';
    const closed = new Promise<void>((r) =>
      socket.once('close', () => {
        closedFlag = true;
        r();
      }),
    );
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write(head);
      resolve({ socket, closed, isClosed: () => closedFlag, answered: () => answer.length > 0 });
    });
    socket.once('error', () =>
      resolve({ socket, closed, isClosed: () => true, answered: () => answer.length > 0 }),
    );
  });
}

/** Open file descriptors of a process (Linux /proc). */
export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** Resident memory of a process in MiB (VmRSS). */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : -1;
  } catch {
    return -1;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped by its new parent) is gone for our purpose.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for `cond` (polling every 50 ms) up to `ms`; returns whether it held. */
export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}
