/**
 * One HTTP exchange with the gateway's MCP handling, without a socket: a request that reads like a
 * node:http IncomingMessage and a response that records what the gateway writes (JSON, or SSE split
 * into messages as they arrive). OpenAI's tunnel delivers requests by long-poll, so there is no
 * connection to serve them on; this lets the same front (sessions, eras, router, activity log) answer
 * them. Aborting `signal` closes the response, which the front treats as the client going away
 * (it cancels the upstream call).
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

export interface ExchangeRequest {
  method: 'POST' | 'DELETE';
  /** Lower-case names, one value each (as node:http presents them). */
  headers: Record<string, string>;
  body?: string;
}

export interface ExchangeResult {
  status: number;
  headers: Record<string, string | string[]>;
  /** True when the answer was an SSE stream (its messages went to `onMessage`). */
  sse: boolean;
  /** The body of a non-SSE answer. */
  body: string;
}

/** The gateway side: serves one request (e.g. gateway.serveAuthenticated bound to a principal). */
export type ExchangeServe = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

class TunnelRequest extends Readable {
  readonly httpVersion = '1.1';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: Record<string, string>,
    body: string | undefined,
  ) {
    super();
    if (body !== undefined) this.push(Buffer.from(body, 'utf8'));
    this.push(null);
  }
  override _read(): void {}
}

function isRawList(headers: unknown): headers is readonly string[] {
  return Array.isArray(headers);
}

class TunnelResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  destroyed = false;
  writableEnded = false;
  private readonly head = new Map<string, string | string[]>();
  private chunks: Buffer[] = [];
  private sseBuffer = '';
  private isSse = false;

  constructor(
    private readonly onMessage: (message: unknown) => void,
    private readonly onDone: (r: ExchangeResult | undefined) => void,
  ) {
    super();
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.head.set(name.toLowerCase(), Array.isArray(value) ? [...(value as string[])] : String(value));
    return this;
  }
  getHeader(name: string): string | string[] | undefined {
    return this.head.get(name.toLowerCase());
  }
  hasHeader(name: string): boolean {
    return this.head.has(name.toLowerCase());
  }
  removeHeader(name: string): void {
    this.head.delete(name.toLowerCase());
  }
  /** As node:http's: headers as an object, or as a raw list `[name, value, name, value, ...]`. */
  writeHead(
    status: number,
    headers?: Record<string, string | number | readonly string[]> | readonly string[],
  ): this {
    this.statusCode = status;
    if (isRawList(headers))
      for (let i = 0; i + 1 < headers.length; i += 2) this.setHeader(headers[i]!, headers[i + 1]!);
    else for (const [k, v] of Object.entries(headers ?? {})) this.setHeader(k, v);
    this.headersSent = true;
    this.isSse = /text\/event-stream/i.test(String(this.head.get('content-type') ?? ''));
    return this;
  }
  flushHeaders(): void {
    this.headersSent = true;
  }
  write(chunk: string | Buffer, cb?: () => void): boolean {
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (this.destroyed || this.writableEnded) return false;
    if (this.isSse) this.feedSse(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    else this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    cb?.();
    return true;
  }
  end(chunk?: string | Buffer | (() => void)): this {
    if (this.writableEnded || this.destroyed) return this;
    if (chunk !== undefined && typeof chunk !== 'function') this.write(chunk);
    else if (!this.headersSent) this.writeHead(this.statusCode);
    this.writableEnded = true;
    const body = Buffer.concat(this.chunks).toString('utf8');
    this.chunks = [];
    this.onDone({ status: this.statusCode, headers: Object.fromEntries(this.head), sse: this.isSse, body });
    // node:http emits both once a response is done; the concurrency cap listens to either.
    queueMicrotask(() => {
      this.emit('finish');
      this.emit('close');
    });
    return this;
  }
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (!this.writableEnded) this.onDone(undefined);
    queueMicrotask(() => this.emit('close'));
    return this;
  }

  /** SSE (WHATWG HTML §9.2): events end at a blank line; `data:` lines join; comments are ignored. */
  private feedSse(text: string): void {
    this.sseBuffer += text.replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = this.sseBuffer.indexOf('\n\n')) !== -1) {
      const block = this.sseBuffer.slice(0, end);
      this.sseBuffer = this.sseBuffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data === '') continue;
      try {
        this.onMessage(JSON.parse(data) as unknown);
      } catch {
        // A data line that is not JSON carries no MCP message; nothing to forward.
      }
    }
  }
}

/**
 * Runs one request through `serve`. Resolves with the answer once the response ends, or with
 * undefined when `signal` aborted first (the response is then closed, cancelling the work).
 */
export function runExchange(
  serve: ExchangeServe,
  request: ExchangeRequest,
  onMessage: (message: unknown) => void,
  signal: AbortSignal,
): Promise<ExchangeResult | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ExchangeResult | undefined): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const req = new TunnelRequest(request.method, '/mcp', request.headers, request.body);
    const res = new TunnelResponse((m) => {
      if (!settled) onMessage(m);
    }, done);
    const onAbort = (): void => {
      res.destroy();
      done(undefined);
    };
    if (signal.aborted) return done(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    // The front is written against node:http's types; these two implement the part it uses
    // (headers, method, body stream; writeHead/write/end/destroy and the 'close' event).
    Promise.resolve(serve(req as unknown as IncomingMessage, res as unknown as ServerResponse)).catch(
      (err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end(
            JSON.stringify({
              jsonrpc: '2.0',
              id: null,
              error: { code: -32603, message: `Internal error in the gateway: ${(err as Error).message}` },
            }),
          );
        } else res.destroy();
      },
    );
  });
}
