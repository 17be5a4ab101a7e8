import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { waitUntil } from '../../helpers/wait.js';

const root = resolve(import.meta.dirname, '../../..');
export const EVERYTHING = resolve(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
export const MEMORY = resolve(root, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');
export const FILESYSTEM = resolve(root, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');

export type Raw = Record<string, unknown>;

/**
 * A free TCP port for a server we cannot bind to port 0 (server-everything takes PORT and listens on
 * every interface). Picked outside the kernel's ephemeral range, so that a `listen(0)` in another test
 * process cannot be handed the same port between our check and the server's bind.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port found between 20000 and 30000');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const srv = createServer();
    srv.once('error', () => ok(false));
    srv.listen(port, () => srv.close(() => ok(true)));
  });
}

export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `check` holds; fails after `ms`. */
export async function until(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  await waitUntil(check, what, { timeoutMs: ms });
}

/** server-everything over HTTP ('streamableHttp' or 'sse') on a port; resolves once it listens. */
export async function startEverything(
  mode: 'streamableHttp' | 'sse',
  port: number,
): Promise<{ child: ChildProcess; url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [EVERYTHING, mode], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`server-everything ${mode} did not start`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      if (/listening|running/i.test(String(d))) {
        clearTimeout(t);
        ok();
      }
    });
    child.once('exit', (code) => fail(new Error(`server-everything ${mode} exited with ${code}`)));
  });
  child.stderr!.resume();
  const url = mode === 'sse' ? `http://127.0.0.1:${port}/sse` : `http://127.0.0.1:${port}/mcp`;
  return {
    child,
    url,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null || child.signalCode !== null) return ok();
        child.once('exit', () => ok());
        child.kill('SIGKILL');
      }),
  };
}

/**
 * An SDK Client on a stdio transport that records every message exactly as it came off the wire
 * (JSON.parse of each line), for "same as a direct connection" comparisons.
 */
export async function directStdioClient(command: string, args: string[], env: Record<string, string> = {}) {
  const wire: Raw[] = [];
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, ...env } });
  let buf = '';
  const transport: Transport = {
    async start() {
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.trim()) continue;
          const msg = JSON.parse(line) as Raw;
          wire.push(msg);
          transport.onmessage?.(msg as JSONRPCMessage);
        }
      });
    },
    async send(m) {
      child.stdin!.write(JSON.stringify(m) + '\n');
    },
    async close() {
      child.kill('SIGKILL');
    },
  };
  const client = new Client(
    { name: 'direct', version: '1.0.0' },
    {
      capabilities: {
        sampling: {},
        elicitation: { form: {}, url: {} },
        roots: { listChanged: true },
        extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } },
      },
    },
  );
  client.setRequestHandler(
    (await import('@modelcontextprotocol/sdk/types.js')).ListRootsRequestSchema,
    async () => ({ roots: [] }),
  );
  await client.connect(transport);
  return {
    client,
    wire,
    /** The raw `result` of the last answer to `method` seen on the wire. */
    lastResult(id: unknown): Raw {
      const m = wire.find((w) => w.id === id && 'result' in w);
      if (!m) throw new Error(`no result for id ${String(id)}`);
      return m.result as Raw;
    },
    close: () => client.close(),
  };
}

/** Every item of a list method, read from raw wire answers (all pages) of a direct client. */
export async function directList(
  d: Awaited<ReturnType<typeof directStdioClient>>,
  method: 'tools/list' | 'prompts/list' | 'resources/list',
  field: string,
): Promise<Raw[]> {
  const before = d.wire.length;
  if (method === 'tools/list') {
    let cursor: string | undefined;
    do cursor = (await d.client.listTools(cursor ? { cursor } : undefined)).nextCursor;
    while (cursor);
  } else if (method === 'prompts/list') {
    let cursor: string | undefined;
    do cursor = (await d.client.listPrompts(cursor ? { cursor } : undefined)).nextCursor;
    while (cursor);
  } else {
    let cursor: string | undefined;
    do cursor = (await d.client.listResources(cursor ? { cursor } : undefined)).nextCursor;
    while (cursor);
  }
  return d.wire
    .slice(before)
    .filter((m) => 'result' in m && Array.isArray((m.result as Raw)[field]))
    .flatMap((m) => (m.result as Raw)[field] as Raw[]);
}

/** A fetch that records every JSON-RPC message in response bodies (JSON or SSE) as raw JSON. */
export function capturingFetch(wire: Raw[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const type = res.headers.get('content-type') ?? '';
    if (!res.body || !(type.includes('json') || type.includes('event-stream'))) return res;
    const [mine, theirs] = res.body.tee();
    void (async () => {
      const text = await new Response(mine).text();
      if (type.includes('json')) wire.push(JSON.parse(text) as Raw);
      else
        for (const line of text.split(/\r?\n/))
          if (line.startsWith('data:') && line.slice(5).trim()) wire.push(JSON.parse(line.slice(5)) as Raw);
    })().catch(() => {});
    return new Response(theirs, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/**
 * Starts server-everything's long-running operation (10 s, a progress notification every 100 ms)
 * through `target`. `running` resolves at its first progress notification, when the call is surely
 * in flight upstream (instead of a sleep that assumed it was), or when the call ends first: the
 * caller's assertions then say so instead of a wait hanging.
 */
export function longCall(
  target: {
    request(
      method: string,
      params: Raw,
      options?: { signal?: AbortSignal; onProgress?: () => void },
    ): Promise<Raw>;
  },
  options: { signal?: AbortSignal } = {},
): { call: Promise<Raw>; running: Promise<void> } {
  let progressed!: () => void;
  const first = new Promise<void>((r) => (progressed = r));
  const call = target.request(
    'tools/call',
    {
      name: 'trigger-long-running-operation',
      arguments: { duration: 10, steps: 100 },
      _meta: { progressToken: 'in-flight' },
    },
    { ...options, onProgress: () => progressed() },
  );
  const settled = call.then(
    () => {},
    () => {},
  );
  return { call, running: Promise.race([first, settled]) };
}
