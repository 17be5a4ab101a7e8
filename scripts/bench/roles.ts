/**
 * Processes the bench starts from its own bundle (`node bench.mjs --role NAME ...`): the floor proxy,
 * an upstream that answers in plain JSON, and a stdio server with 100 tools. Each prints
 * `PORT <n>` (or nothing, for stdio) when ready.
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createInterface } from 'node:readline';

/**
 * The floor for any node:http proxy on this machine: one listener per upstream URL, forwarding
 * requests and answers as bytes over a keep-alive agent, parsing nothing (a gateway also parses
 * JSON-RPC, routes and logs). Like the gateway, it takes a request's body whole before sending it.
 */
export function floorProxy(urls: string[]): void {
  const agent = new Agent({ keepAlive: true, maxSockets: 256, noDelay: true });
  for (const [i, url] of urls.entries()) {
    const target = new URL(url);
    const server = createServer({ keepAliveTimeout: 65_000, noDelay: true }, (req, res) => {
      const chunks: Buffer[] = [];
      const send = (retried: boolean): void => {
        const up = request(
          {
            hostname: target.hostname,
            port: target.port,
            path: target.pathname,
            method: req.method,
            headers: req.headers,
            agent,
          },
          (upRes) => {
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            upRes.pipe(res);
            // An answer cut off upstream ends the client's too (pipe() would leave it waiting).
            upRes.on('close', () => void (upRes.complete || res.destroy()));
          },
        );
        up.on('error', (err: NodeJS.ErrnoException) => {
          // A reused keep-alive socket the upstream had just closed fails before any answer: the
          // upstream never saw the request, so it goes once more on a fresh socket, as the gateway,
          // undici and browsers do (without it a bench run failed with "floor: socket hang up").
          const stale = err.code === 'ECONNRESET' || err.code === 'EPIPE';
          if (!retried && stale && up.reusedSocket && !res.headersSent) send(true);
          else res.destroy();
        });
        up.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
      };
      // The body whole first (an MCP request is one small JSON), so that it can be sent again.
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => send(false));
    });
    server.listen(0, '127.0.0.1', () =>
      console.log(`PORT ${i} ${(server.address() as { port: number }).port}`),
    );
  }
}

/** A Streamable HTTP server (the SDK's own transport) that answers every POST with plain JSON. */
export async function jsonUpstream(): Promise<void> {
  const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
  const { StreamableHTTPServerTransport } =
    await import('@modelcontextprotocol/sdk/server/streamableHttp.js');
  const { z } = await import('zod');
  type Transport = InstanceType<typeof StreamableHTTPServerTransport>;
  const sessions = new Map<string, Transport>();
  const readJson = (req: IncomingMessage): Promise<unknown> =>
    new Promise((ok, fail) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          ok(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined);
        } catch (err) {
          fail(err as Error);
        }
      });
    });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    const sid = req.headers['mcp-session-id'];
    let transport = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (!transport) {
      if (sid !== undefined) return void res.writeHead(404).end();
      const server = new McpServer({ name: 'bench-json', version: '1.0.0' });
      server.registerTool(
        'echo',
        { description: 'Echoes the message', inputSchema: { message: z.string() } },
        async ({ message }) => ({ content: [{ type: 'text' as const, text: `Echo: ${message}` }] }),
      );
      const t: Transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (id) => void sessions.set(id, t),
      });
      await server.connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res, body);
  };
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as { port: number }).port}`));
}

/** A stdio MCP server with `count` tools (newline-delimited JSON-RPC, no SDK): for tools/list. */
export function toolsServer(count: number, prefix: string): void {
  const tools = Array.from({ length: count }, (_, i) => ({
    name: `${prefix}_tool_${i}`,
    description: `Tool ${i} of the ${prefix} server: looks something up and returns a short answer.`,
    inputSchema: {
      type: 'object',
      properties: { query: { type: 'string', description: 'What to look up' }, limit: { type: 'number' } },
      required: ['query'],
    },
    annotations: { readOnlyHint: true },
  }));
  const reply = (id: unknown, result: unknown): void =>
    void process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id, result })}\n`);
  createInterface({ input: process.stdin }).on('line', (line) => {
    let msg: { id?: unknown; method?: string; params?: { protocolVersion?: string } };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    if (msg.id === undefined || msg.method === undefined) return;
    if (msg.method === 'initialize')
      reply(msg.id, {
        protocolVersion: msg.params?.protocolVersion ?? '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: `bench-tools-${prefix}`, version: '1.0.0' },
      });
    else if (msg.method === 'tools/list') reply(msg.id, { tools });
    else if (msg.method === 'ping') reply(msg.id, {});
    else
      process.stdout.write(
        `${JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } })}\n`,
      );
  });
}
