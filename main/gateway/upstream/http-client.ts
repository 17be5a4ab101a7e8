import type {
  Agent as HttpAgent,
  ClientRequest,
  ClientRequestArgs,
  IncomingMessage,
  OutgoingHttpHeaders,
} from 'node:http';
import { Agent as HttpAgentClass, request as httpRequest } from '../../common/node-http.js';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { CallSet } from '../../common/call-tables.js';
import { afterTurn } from './after-turn.js';

/** One HTTP request to a remote upstream. Header names must be lower case. */
export interface HttpRequestInit {
  method: string;
  /**
   * Not changed once sent: the client keeps the list form of the last headers object it sent, and
   * reuses it when the next request passes the same object (as a transport's POSTs do).
   */
  headers: OutgoingHttpHeaders;
  body?: string;
  /** Aborting destroys the request and its response body (the caller stops waiting for the answer). */
  signal?: AbortSignal;
  /**
   * The same as `signal` for the per-call path, without the cost of an AbortSignal per request; it
   * also hears of the response first (RequestHandle.onResponse).
   */
  handle?: RequestHandle;
}

/**
 * Stops one request (and its response body) at a time. An AbortController per call costs an
 * EventTarget, a listener and its removal; this is a field and a method. `signal` is made on demand
 * for the slow paths that need one (waiting before a resumption). A subclass may read the response
 * from its event (onResponse).
 */
export class RequestHandle {
  aborted = false;
  private req: ClientRequest | undefined;
  private res: IncomingMessage | undefined;
  private ctl: AbortController | undefined;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    if (this.req && stoppable(this.req, this.res)) this.req.destroy(abortError());
    this.req = undefined;
    this.res = undefined;
    this.ctl?.abort();
  }

  get signal(): AbortSignal {
    this.ctl ??= new AbortController();
    if (this.aborted) this.ctl.abort();
    return this.ctl.signal;
  }

  /** @internal the client's current request for this handle. */
  attach(req: ClientRequest, res?: IncomingMessage): void {
    this.req = req;
    this.res = res;
  }

  /**
   * Called in the 'response' event itself. A reader started from here in a microtask meets the body
   * that came with the headers without waiting for the promise chain (issue 16). Returning true says it
   * does: the send() promise then settles after this turn (afterTurn), so that what the reader
   * sets off (a call's answer on its way to its client) does not share this turn's microtasks with
   * the caller's continuation.
   */
  onResponse(res: HttpResponse): boolean {
    void res;
    return false;
  }
}

/** An answer whose body has not been read yet: read it with text(), stream `body`, or discard() it. */
export interface HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  /** A response header (lower-case name), joined with ", " when repeated. */
  header(name: string): string | undefined;
  /** The whole body as UTF-8 text. */
  text(): Promise<string>;
  /** The raw body, for event streams. */
  readonly body: IncomingMessage;
  /** The body is not wanted: drain a short one so the keep-alive socket is reused, destroy a long one. */
  discard(): void;
}

export type HttpSend = (url: string, init: HttpRequestInit) => Promise<HttpResponse>;

export interface HttpClientOptions {
  /**
   * Sockets per upstream origin. Each call in flight holds one (plus the optional GET stream), so this
   * bounds the calls the gateway forwards to one upstream at once; the rest queue in the agent.
   */
  maxSockets?: number;
  /** Largest answer body text() reads (bytes); default MAX_ANSWER_BYTES. */
  maxAnswerBytes?: number;
}

/**
 * Largest JSON answer read from an upstream. A longer one is cut off with an error instead of being
 * buffered: past about 512 Mi characters Node cannot make it a string, and the throw from inside the
 * response's 'end' event would take the whole gateway down (every client, every upstream) because one
 * remote server (e.g. its server/discover answer) was broken or hostile. MCP answers are far smaller.
 */
export const MAX_ANSWER_BYTES = 128 * 1024 * 1024;

/** Bodies up to this size are drained instead of destroying the socket (a new TCP connect costs more). */
const DRAIN_LIMIT = 64 * 1024;

/**
 * HTTP/1.1 over keep-alive node:http(s) agents, one pair per upstream. Cheaper per call than fetch()
 * (no WHATWG streams, Headers or Response objects), and it lets a finished SSE answer leave its
 * socket reusable. A POST that fails because a reused idle socket was closed under it (ECONNRESET
 * before any response byte) is sent once more on a fresh socket, as browsers and undici do: the
 * server never saw it.
 */
export function createHttpClient(opts: HttpClientOptions = {}) {
  // No `timeout` option: it would add a listener and a timer refresh to every request. Idle sockets
  // are closed ahead of the server by the agent itself when the server sends a Keep-Alive timeout
  // hint (Node servers do), and a reused socket that was closed anyway is retried (below).
  // noDelay: a request is one write; Nagle could only hold back the rest of a large body.
  // Only what differs from Node's defaults (scheduling is 'lifo' already; the agent adds noDelay
  // itself when it is missing): every request copies these options into a dictionary-mode object in
  // Agent.addRequest, which costs about 100 bytes per property (issue 16).
  const agentOptions = {
    keepAlive: true,
    maxSockets: opts.maxSockets ?? 128,
    maxFreeSockets: 64,
    noDelay: true,
  };
  let http: HttpAgent | undefined;
  let https: HttpsAgent | undefined;
  let closed = false;
  /** Parsed request targets by URL string: a transport talks to one or two URLs for its whole life. */
  const targets = new Map<string, Target>();
  /** The header list of the last headers object and target sent: a transport repeats them (issue 16). */
  let listOf:
    | { headers: OutgoingHttpHeaders; target: Target; list: readonly string[]; sized: readonly string[] }
    | undefined;

  /** The request's headers as a flat list, content-length included (see headerList). */
  function headersOf(t: Target, init: HttpRequestInit): readonly string[] {
    if (listOf?.headers !== init.headers || listOf.target !== t) {
      const list = headerList(t, init.headers);
      listOf = { headers: init.headers, target: t, list, sized: [...list, 'content-length', ''] };
    }
    if (init.body === undefined) return listOf.list;
    // A copy per request with a body, its length filled in: the cached lists are never changed
    // (node:http keeps a reference to what it is given, in the agent's queue and a new socket's options).
    const sized = listOf.sized.slice();
    sized[sized.length - 1] = String(Buffer.byteLength(init.body));
    return sized;
  }

  function target(url: string): Target {
    let t = targets.get(url);
    if (t) return t;
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    if (!secure && u.protocol !== 'http:') throw new TypeError(`unsupported URL scheme ${u.protocol}`);
    // As fetch() did: credentials in a URL end up in logs and history; they belong in headers.
    if (u.username || u.password)
      throw new TypeError('the URL carries a user name or password; put credentials in "headers" instead');
    t = {
      secure,
      // URL.hostname keeps IPv6 brackets; node:http wants the bare address.
      hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
      port: u.port === '' ? (secure ? 443 : 80) : Number(u.port),
      path: `${u.pathname}${u.search}`,
      // What node:http would send (RFC 9110 section 7.2: the port only when it is not the default).
      host: u.host,
    };
    if (targets.size > 16) targets.clear();
    targets.set(url, t);
    return t;
  }

  function once(t: Target, init: HttpRequestInit, retried: boolean): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const { signal, handle } = init;
      if (signal?.aborted || handle?.aborted) return reject(abortError());
      const headers = headersOf(t, init);
      let req: ClientRequest;
      // `host`, not `hostname`: node:http copies the options twice into dictionary-mode objects,
      // and adds `host` to them anyway (issue 16).
      if (t.secure) {
        req = httpsRequest({
          method: init.method,
          host: t.hostname,
          port: t.port,
          path: t.path,
          headers,
          agent: (https ??= new HttpsAgent(agentOptions)),
        });
      } else {
        // Plain HTTP has no SNI: an empty servername spares the agent deriving one on every request.
        // (One literal, not a copy of the options with it added.)
        const plain = {
          method: init.method,
          host: t.hostname,
          port: t.port,
          path: t.path,
          headers,
          agent: (http ??= new PlainAgent(agentOptions)),
          servername: '',
        };
        req = httpRequest(plain);
      }
      handle?.attach(req);
      let answered = false;
      let response: IncomingMessage | undefined;
      if (signal) {
        const onAbort = (): void => void (stoppable(req, response) && req.destroy(abortError()));
        signal.addEventListener('abort', onAbort, { once: true });
        req.once('close', () => signal.removeEventListener('abort', onAbort));
      }
      // `on`: 'response' comes once, and once() would wrap the listener in two more objects.
      req.on('response', (res: IncomingMessage) => {
        answered = true;
        response = res;
        handle?.attach(req, res);
        const answer = new Answer(res, opts.maxAnswerBytes ?? MAX_ANSWER_BYTES);
        if (handle?.onResponse(answer) === true) afterTurn(resolve, answer);
        else resolve(answer);
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (answered) return; // the body reader sees the failure through the response
        if (signal?.aborted || handle?.aborted) return reject(abortError());
        if (!retried && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          once(t, init, true).then(resolve, reject);
          return;
        }
        reject(err);
      });
      req.end(init.body);
    });
  }

  const send: HttpSend = (url, init) => {
    if (closed) return Promise.reject(new Error('the HTTP client was closed'));
    let t: Target;
    try {
      t = target(url);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    // A request sent right after an answer read ahead of its end (a caller awaiting one call and
    // sending the next) would find that socket not yet back in the pool and open another: it waits
    // for this loop turn's ticks instead, which return it. Calls that come from the network never
    // wait: their predecessor's socket was returned long before.
    const agent = t.secure ? https : http;
    if (ending.size > 0 && agent !== undefined && !hasFreeSocket(agent))
      return new Promise<void>((r) => setImmediate(r)).then(() => once(t, init, false));
    return once(t, init, false);
  };

  return {
    send,
    /** Closes idle sockets; requests still running end when their transport aborts them. */
    close(): void {
      closed = true;
      http?.destroy();
      https?.destroy();
    },
  };
}

export type HttpClient = ReturnType<typeof createHttpClient>;

/**
 * The keep-alive agent for plain HTTP, with its pool key (Agent.getName, which Node documents as a
 * method to override) kept for the last address instead of built anew: the agent asks for it three
 * times a request, when it lends a socket, takes it back and files it (issue 16: ~300 bytes a
 * request). The same key as Node's for the options our requests have (no local address, family or
 * socket path: those go to Node's own).
 */
class PlainAgent extends HttpAgentClass {
  private last:
    { host: string | null | undefined; port: string | number | null | undefined; name: string } | undefined;

  override getName(options?: ClientRequestArgs): string {
    if (options === undefined || options.localAddress || options.family || options.socketPath)
      return super.getName(options);
    const { host, port } = options;
    if (this.last === undefined || this.last.host !== host || this.last.port !== port)
      this.last = { host, port, name: super.getName(options) };
    return this.last.name;
  }
}

function hasFreeSocket(agent: HttpAgent): boolean {
  for (const name in agent.freeSockets) if ((agent.freeSockets[name]?.length ?? 0) > 0) return true;
  return false;
}

interface Target {
  secure: boolean;
  hostname: string;
  port: number;
  path: string;
  host: string;
}

/**
 * The headers as a flat [name, value, ...] list, Host included (Content-Length is added per request).
 * node:http writes such a list as it is (each name and value still validated), instead of storing
 * every header through setHeader() first: less work on every call.
 */
function headerList(t: Target, headers: OutgoingHttpHeaders): readonly string[] {
  const list: string[] = [];
  let host = false;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (name === 'host') host = true;
    if (Array.isArray(value)) for (const v of value) list.push(name, v);
    else list.push(name, String(value));
  }
  if (!host) list.push('host', t.host);
  return list;
}

/** An answer as HttpResponse: one object per response, its methods on the prototype (issue 16). */
class Answer implements HttpResponse {
  readonly status: number;
  readonly ok: boolean;

  constructor(
    readonly body: IncomingMessage,
    private readonly maxBytes: number,
  ) {
    this.status = body.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
  }

  header(name: string): string | undefined {
    const v = this.body.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  text(): Promise<string> {
    return readText(this.body, this.maxBytes);
  }

  discard(): void {
    const res = this.body;
    // A body that is all here (a 202's or a 404's, usually) is read out, so the response ends and
    // its socket goes back to the pool; left unread, it would hold that socket for good.
    // A request sent right after waits this turn's ticks for it (see `ending`).
    if (res.complete) {
      readAhead(res);
      return void res.resume();
    }
    const h = res.headers;
    const length = h['content-length'];
    // An event stream may never end; a body without length or chunking ends only when the socket does.
    const drain =
      !(h['content-type'] ?? '').includes('text/event-stream') &&
      (length !== undefined ? Number(length) <= DRAIN_LIMIT : h['transfer-encoding'] !== undefined);
    if (drain) res.resume();
    else res.destroy();
  }
}

/**
 * The body as text; Buffer.concat only when it came in more than one chunk. A body over `maxBytes`
 * rejects (and its socket is dropped) instead of growing without bound.
 */
function readText(res: IncomingMessage, maxBytes: number): Promise<string> {
  // A body that is all here already (the usual JSON answer: it came in the read that brought the
  // headers; `complete` means the parser saw its end) is taken now, not over a 'data' and an 'end'
  // event on later ticks: the caller's answer goes out before Node ends this response and frees its
  // socket (issue 16). read() also lets the stream end, so the socket still goes back to the pool.
  // No listeners then: a complete response is never cut off, and nothing more comes.
  const whole = takeWhole(res);
  if (whole !== undefined) {
    if (whole !== null && whole.length > maxBytes) {
      res.destroy();
      return Promise.reject(tooLarge(maxBytes));
    }
    try {
      return Promise.resolve(whole === null ? '' : whole.toString('utf8'));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const onData = (c: Buffer): void => {
      bytes += c.length;
      if (bytes <= maxBytes) return void chunks.push(c);
      chunks.length = 0;
      // Rejected first: destroying emits 'aborted', whose reason would say less.
      reject(tooLarge(maxBytes));
      res.destroy();
    };
    const onEnd = (): void => {
      try {
        resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        // Never thrown out of an event handler: that would end the process.
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    res.once('error', reject);
    res.once('aborted', () => reject(new Error('the response was cut off')));
    res.on('data', onData);
    res.once('end', onEnd);
  });
}

function tooLarge(maxBytes: number): Error {
  return new Error(`the answer is larger than ${sizeText(maxBytes)}; the gateway stopped reading it`);
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

/**
 * Whether destroying `req` still stops something. A request whose response ended has handed its
 * socket back to the pool (destroyed is then true). One whose response is all here, read ahead of its
 * 'end' (readText, readSseAnswer), is about to: destroying it then would leave Node to emit the abort
 * on a socket it has just taken its listeners off (an uncaught error), and would lose the socket.
 */
function stoppable(req: ClientRequest, res: IncomingMessage | undefined): boolean {
  return !req.destroyed && res?.complete !== true;
}

/**
 * Responses whose last byte was read ahead of their 'end' event (an answer taken in the turn it
 * arrived): Node hands their socket back to the agent a few ticks later. A CallSet: it lets go of a
 * response once it is deleted (call-tables.ts).
 */
const ending = new CallSet<IncomingMessage>();

/**
 * The whole body, in one Buffer (null: empty), when all of it has arrived and it is not flowing nor
 * decoded to text; undefined otherwise. That read lets the stream end, and its socket go back to
 * the pool, on the next ticks (noted in `ending`).
 */
export function takeWhole(res: IncomingMessage): Buffer | null | undefined {
  if (!res.complete || res.readableFlowing === true || res.readableEncoding !== null) return undefined;
  const bytes = res.read() as Buffer | null;
  readAhead(res);
  return bytes;
}

/** Notes that `res` was read to its end ahead of its 'end' event (see `ending`). */
function readAhead(res: IncomingMessage): void {
  if (ending.has(res)) return;
  ending.add(res);
  // One listener: 'close' follows 'end' (the response destroys itself once read), and an abort.
  // 'close' comes once: on() with one shared function, no closure nor once() wrapper per call.
  res.on('close', endedReading);
}

function endedReading(this: IncomingMessage): void {
  ending.delete(this);
}

function abortError(): Error {
  const err = new Error('the request was aborted');
  err.name = 'AbortError';
  return err;
}
