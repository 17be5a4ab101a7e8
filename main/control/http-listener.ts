/**
 * The headless dashboard: a second loopback listener (never the public one, never tunneled) that
 * serves the built renderer and the window contract over HTTP:
 *   POST /api/<method>  body: JSON array of arguments  ->  {"result": ...} | {"error": "..."}
 *   GET  /api/events    Server-Sent Events: one event per name in API_EVENTS (status, servers, ...)
 * Every request needs the random token; the first page load carries it as ?token= and trades it for
 * an HttpOnly, SameSite=Strict cookie.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  API_EVENTS,
  API_METHODS,
  subscriberOf,
  type TunnelgateApi,
  type Unsubscribe,
} from '../../preload/contract.js';
import { readBody, sendJson as sendJsonBody } from '../common/http-body.js';
import { createServer } from '../common/node-http.js';
import { secretEquals } from '../auth/secret-equals.js';
import { isAllowedHost, isAllowedOrigin, presentedToken, sessionCookie } from './http-guard.js';
import { serveStatic } from './static-files.js';

/** Largest API request body accepted (a pasted config or secret fits easily). */
const MAX_BODY_BYTES = 1 << 20;
/** SSE comment interval, so idle proxies and browsers keep the stream open. */
const HEARTBEAT_MS = 15_000;

export interface ControlHttpListenerOptions {
  service: TunnelgateApi;
  token: string;
  /** Folder of the built renderer (dist/renderer). */
  staticDir: string;
  log?: (message: string) => void;
}

export interface ControlHttpListener {
  /** Binds 127.0.0.1 (port 0: a free one) and resolves with the port and the dashboard link. */
  listen(port?: number): Promise<{ port: number; dashboardUrl: string }>;
  port(): number | null;
  close(): Promise<void>;
}

const METHODS = new Set<string>(API_METHODS);

const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

/** The dashboard API's answers carry user data: never cached, never sniffed. */
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonBody(res, status, body, JSON_HEADERS);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(text + '\n');
}

export function createControlHttpListener(opts: ControlHttpListenerOptions): ControlHttpListener {
  const log = opts.log ?? (() => {});
  let server: Server | undefined;
  let boundPort: number | null = null;
  const streams = new Set<ServerResponse>();

  async function callApi(method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!METHODS.has(method)) return sendJson(res, 404, { error: `Unknown method '${method}'.` });
    // A JSON content type cannot be sent cross-site without a CORS preflight, which we never answer.
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      return sendJson(res, 415, {
        error: 'Send the arguments as a JSON array with Content-Type: application/json.',
      });
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    if (!body.ok) {
      if (body.reason === 'too-large')
        return sendJson(res, 413, { error: 'Request body too large (limit 1 MiB).' });
      return sendJson(res, 400, { error: 'The request body did not arrive complete.' });
    }
    let args: unknown;
    try {
      args = body.text.trim() === '' ? [] : JSON.parse(body.text);
    } catch {
      return sendJson(res, 400, { error: 'Request body is not valid JSON.' });
    }
    if (!Array.isArray(args))
      return sendJson(res, 400, { error: 'The request body must be a JSON array of arguments.' });
    try {
      const fn = opts.service[method as (typeof API_METHODS)[number]] as (
        ...a: unknown[]
      ) => Promise<unknown>;
      const result = await fn(...args);
      sendJson(res, 200, { result: result ?? null });
    } catch (err) {
      sendJson(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
  }

  function openEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-store',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    res.write('retry: 2000\n: connected\n\n');
    streams.add(res);
    const send = (event: string) => (data: unknown) => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    // Every event of the contract, so a new one reaches the headless dashboard as it reaches the window.
    const subs: Unsubscribe[] = API_EVENTS.map((event) => {
      const subscribe = opts.service[subscriberOf(event)] as (
        listener: (data: unknown) => void,
      ) => Unsubscribe;
      return subscribe.call(opts.service, send(event));
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const end = (): void => {
      clearInterval(heartbeat);
      for (const off of subs) off();
      streams.delete(res);
    };
    req.on('close', end);
    res.on('close', end);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const port = boundPort ?? 0;
    if (!isAllowedHost(req.headers.host, port)) {
      return sendText(
        res,
        403,
        `Refused: this dashboard answers only to Host 127.0.0.1:${port} or localhost:${port}.`,
      );
    }
    if (!isAllowedOrigin(req.headers.origin, port)) {
      return sendText(res, 403, 'Refused: requests from other sites are not allowed.');
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const queryToken = url.searchParams.get('token');
    if (
      queryToken !== null &&
      (req.method === 'GET' || req.method === 'HEAD') &&
      !url.pathname.startsWith('/api/')
    ) {
      if (!secretEquals(queryToken, opts.token))
        return sendText(
          res,
          401,
          'Wrong dashboard token. Open the Dashboard link that `tunnelgate serve` printed.',
        );
      // Trade the token in the address for a cookie and drop it from the address bar and history.
      url.searchParams.delete('token');
      res.writeHead(303, {
        Location: url.pathname + url.search,
        'Set-Cookie': sessionCookie(port, opts.token),
        'Cache-Control': 'no-store',
      });
      res.end();
      return;
    }
    const token = presentedToken(req, port);
    if (token === undefined || !secretEquals(token, opts.token)) {
      if (url.pathname.startsWith('/api/'))
        return sendJson(res, 401, { error: 'Missing or wrong dashboard token.' });
      return sendText(
        res,
        401,
        'This dashboard needs its token: open the Dashboard link that `tunnelgate serve` printed (http://127.0.0.1:PORT/?token=...).',
      );
    }
    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'Use GET for /api/events.' });
      return openEvents(req, res);
    }
    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'Use POST for API calls.' });
      return callApi(url.pathname.slice('/api/'.length), req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed');
    return serveStatic(opts.staticDir, url.pathname, res, req.method === 'HEAD');
  }

  return {
    listen(port = 0) {
      return new Promise((resolveListen, reject) => {
        const s = createServer((req, res) => {
          handle(req, res).catch((err: unknown) => {
            log(`dashboard: request failed: ${err instanceof Error ? err.message : String(err)}`);
            if (!res.headersSent) sendText(res, 500, 'Internal error');
            else res.end();
          });
        });
        s.once('error', reject);
        // 127.0.0.1 rather than localhost, which may resolve to ::1 only (CONVENTIONS.md #8).
        s.listen(port, '127.0.0.1', () => {
          s.off('error', reject);
          server = s;
          boundPort = (s.address() as AddressInfo).port;
          resolveListen({
            port: boundPort,
            dashboardUrl: `http://127.0.0.1:${boundPort}/?token=${opts.token}`,
          });
        });
      });
    },
    port: () => boundPort,
    async close() {
      for (const r of streams) r.end();
      streams.clear();
      const s = server;
      server = undefined;
      if (!s) return;
      await new Promise<void>((r) => {
        s.close(() => r());
        s.closeAllConnections();
      });
    },
  };
}
