import {
  createRemoteFetch,
  safeUrl,
  UnreachableError,
  NeedsSignInError,
  bodyExcerpt,
} from './remote-fetch.js';
import { isPermanentStatus } from './http-transport.js';
import { StartError } from './messages.js';
import { AbortGroup } from './abort-group.js';
import { createHttpClient, type HttpResponse } from './http-client.js';
import { readSseEvents } from './sse-parser.js';
import type { UpstreamAuth } from './upstream-auth.js';
import { parseMessage, type WireTransport } from './wire-transport.js';

export interface SseTransportOptions {
  name: string;
  url: string;
  headers?: Record<string, string>;
  auth?: UpstreamAuth;
  /** How long to wait for the `endpoint` event (ms). */
  endpointTimeoutMs?: number;
}

/**
 * Legacy HTTP+SSE client (spec 2024-11-05 "Transports: HTTP with SSE", still served by many
 * servers): one GET event stream whose first event, `endpoint`, names the URL to POST messages to;
 * every server message, answers included, arrives on that stream as a `message` event. The stream
 * ending means the session is gone, so the link is down and the supervisor reconnects.
 */
export function createSseTransport(opts: SseTransportOptions): WireTransport {
  const { name, url } = opts;
  const client = createHttpClient();
  const remoteFetch = createRemoteFetch({ name, headers: opts.headers, auth: opts.auth, send: client.send });
  const requests = new AbortGroup();
  const stream = requests.take();
  let endpoint: string | undefined;
  let closed = false;
  let dead = false;

  function die(reason: string): void {
    if (dead || closed) return;
    dead = true;
    requests.abortAll();
    client.close();
    transport.onclose?.(reason);
  }

  const transport: WireTransport = {
    async start() {
      let res: HttpResponse;
      try {
        res = await remoteFetch(
          url,
          { method: 'GET', signal: stream.signal },
          { accept: 'text/event-stream' },
        );
      } catch (err) {
        if (err instanceof NeedsSignInError) transport.onneedsauth?.(err.message);
        throw err;
      }
      if (!res.ok) {
        const words = `Upstream '${name}' answered HTTP ${res.status} when opening its SSE stream at ${safeUrl(url)}: ${await bodyExcerpt(res)}. Check mcpServers.${name}.url (and "type": "sse").`;
        throw isPermanentStatus(res.status) ? new StartError(words, true) : new Error(words);
      }
      if (!(res.header('content-type') ?? '').includes('text/event-stream')) {
        res.discard();
        throw new StartError(
          `Upstream '${name}' at ${safeUrl(url)} did not answer with an SSE stream; if it speaks Streamable HTTP, set mcpServers.${name}.type to "http".`,
          true,
        );
      }
      const events = readSseEvents(res.body);
      const first = await withTimeout(events.next(), opts.endpointTimeoutMs ?? 15_000, () => stream.abort());
      if (first === undefined || first.done || first.value.event !== 'endpoint') {
        stream.abort();
        throw new Error(
          `Upstream '${name}' opened an SSE stream at ${safeUrl(url)} but sent no "endpoint" event; it may not be a legacy SSE server (try "type": "http").`,
        );
      }
      const target = new URL(first.value.data.trim(), url);
      // The POST target must stay on the server's origin: messages carry the user's data and headers.
      if (target.origin !== new URL(url).origin) {
        stream.abort();
        throw new Error(
          `Upstream '${name}' named a message endpoint on another origin (${target.origin}); refusing to send there.`,
        );
      }
      endpoint = target.href;
      void (async () => {
        try {
          for await (const ev of events) {
            if (ev.event !== 'message') continue;
            const msg = parseMessage(ev.data);
            if (msg) transport.onmessage?.(msg);
          }
          die('closed its SSE stream');
        } catch (err) {
          die(`lost its SSE stream (${(err as Error).message})`);
        }
      })();
    },
    async send(message) {
      if (!endpoint || closed || dead) throw new Error(`Upstream '${name}' is not connected`);
      let res: HttpResponse;
      const ctl = requests.take();
      try {
        res = await remoteFetch(
          endpoint,
          { method: 'POST', body: JSON.stringify(message), signal: ctl.signal },
          { 'content-type': 'application/json' },
        );
      } catch (err) {
        requests.release(ctl);
        if (err instanceof UnreachableError) die(err.message);
        else if (err instanceof NeedsSignInError) transport.onneedsauth?.(err.message);
        throw err;
      }
      requests.release(ctl);
      if (res.status === 404) {
        res.discard();
        die('no longer knows our SSE session (HTTP 404)');
        throw new Error(`Upstream '${name}' no longer knows our SSE session`);
      }
      if (!res.ok)
        throw new Error(
          `Upstream '${name}' answered HTTP ${res.status} to a message at ${safeUrl(endpoint)}: ${await bodyExcerpt(res)}`,
        );
      res.discard();
    },
    async close() {
      closed = true;
      requests.abortAll();
      client.close();
    },
  };
  return transport;
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      onTimeout();
      resolve(undefined);
    }, ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e as Error)),
    );
  });
}
