/**
 * The floor for tools/list (list.ts, main.ts): a bare node:http server that answers with the
 * gateway's own tools/list response (same bytes, same headers, JSON framing as the gateway sends it)
 * from memory. capture() takes that response from a running gateway, floorServer() serves it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { join } from 'node:path';
import type { Children } from './processes.js';

/** The gateway's answer to one tools/list, as sent: its headers (names as written) and body bytes. */
async function capture(url: string, sid: string): Promise<{ headers: Record<string, string>; body: Buffer }> {
  return new Promise((ok, fail) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': sid,
          'mcp-protocol-version': '2025-11-25',
          'content-length': String(Buffer.byteLength(body)),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (let i = 0; i < res.rawHeaders.length; i += 2)
            headers[res.rawHeaders[i]!] = res.rawHeaders[i + 1]!;
          ok({ headers, body: Buffer.concat(chunks) });
        });
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

/**
 * The floor: answers initialize with a session id, a notification with 202, and tools/list with the
 * gateway's captured answer (its id spliced in, as any server must), from a Buffer held in memory.
 */
export function floorServer(file: string): void {
  const { headers, body } = JSON.parse(readFileSync(file, 'utf8')) as {
    headers: Record<string, string>;
    body: string;
  };
  const prefix = '{"jsonrpc":"2.0","id":1,';
  if (!body.startsWith(prefix)) throw new Error(`unexpected answer: ${body.slice(0, 80)}`);
  const rest = Buffer.from(body.slice(prefix.length - 1)); // from the "," after the id
  const keep = Object.fromEntries(
    Object.entries(headers).filter(([k]) => !/^(date|connection|keep-alive|content-length)$/i.test(k)),
  );
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; method: string };
      if (msg.id === undefined) return void res.writeHead(202).end();
      if (msg.method === 'initialize') {
        const init = JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: {} });
        return void res.writeHead(200, keep).end(init);
      }
      const head = Buffer.from(`{"jsonrpc":"2.0","id":${JSON.stringify(msg.id)}`);
      res.writeHead(200, { ...keep, 'Content-Length': String(head.length + rest.length) });
      res.write(head);
      res.end(rest);
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as { port: number }).port}`));
}

/** A session of its own for capturing one answer. */
async function sessionOf(url: string): Promise<string> {
  const agent = new Agent();
  return new Promise((ok, fail) => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'bench', version: '1' },
      },
    });
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': String(Buffer.byteLength(body)),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => ok(String(res.headers['mcp-session-id'])));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

/**
 * Starts the floor (`node <bench> --role list-floor FILE`, the bench's own bundle) with the answer
 * of the gateway at `url`, kept in `dir`. Resolves with its pid, its MCP URL and the answer's size.
 */
export async function startListFloor(
  children: Children,
  bench: string,
  url: string,
  dir: string,
): Promise<{ pid: number; url: string; bytes: number }> {
  const answer = await capture(url, await sessionOf(url));
  const file = join(dir, 'answer.json');
  writeFileSync(file, JSON.stringify({ headers: answer.headers, body: answer.body.toString('utf8') }));
  const floor = children.start('tools/list floor', process.execPath, [bench, '--role', 'list-floor', file]);
  const port = (await floor.waitFor(/^PORT (\d+)$/))[1];
  return { pid: floor.pid, url: `http://127.0.0.1:${port}/mcp`, bytes: answer.body.length };
}
