import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Principal } from '../../auth/types.js';
import { CallMap } from '../../common/call-tables.js';
import type { JsonRpcId, RawObject } from '../upstream/types.js';
import type { ClientView, NotificationListener } from '../router/types.js';
import { SSE_HEADERS, sseEvent } from './response-stream.js';
import type { ResponseStream } from './response-stream.js';
import { parseStreamEventId, StreamLog } from './stream-log.js';

const EVENT_BUFFER = 200;
/** POST streams kept per session for a resume; the oldest finished ones go first. */
const MAX_STREAM_LOGS = 32;

interface PendingAsk {
  resolve(result: RawObject): void;
  reject(err: Error): void;
}

/** One session-era client (MCP 2025-03-26..2025-11-25): created by initialize, ended by DELETE. */
export interface Session {
  readonly id: string;
  /** Mcp-Session-Id as writeHead's raw list, made once for every answer on the session. */
  readonly headers: readonly string[];
  readonly client: ClientView;
  readonly listener: NotificationListener;
  lastSeen: number;
  /**
   * Requests in flight by JSON-RPC id, so notifications/cancelled can abort them. A CallMap: it lets
   * go of a call when it ends (call-tables.ts).
   */
  readonly inflight: CallMap<JsonRpcId, AbortController>;
  readonly pendingAsks: Map<string, PendingAsk>;
  /** Notifications not tied to a request, kept for the GET stream (with ids for Last-Event-ID). */
  readonly events: { id: number; text: string }[];
  nextEventId: number;
  delivered: number;
  getStream?: ServerResponse;
  /** POST SSE streams by key (`p<n>`), kept so Last-Event-ID can resume them (stream-log.ts). */
  readonly streams: CallMap<string, StreamLog>;
  nextStream: number;
  detach?: () => void;
}

/** Who owns a session: a request with the same id from another client is treated as unknown. */
export function principalKey(p: Principal): string {
  return `${p.kind}:${p.clientId ?? ''}:${p.grantId ?? ''}`;
}

/** The least recently used of some sessions. */
function leastRecent<S extends Session>(list: Iterable<S>): S | undefined {
  let pick: S | undefined;
  for (const s of list) if (pick === undefined || s.lastSeen < pick.lastSeen) pick = s;
  return pick;
}

/**
 * Session table with idle expiry; GET-stream delivery and server-to-client request bookkeeping.
 * Capped in all (`maxSessions`) and per owner (`maxPerClient`: per OAuth grant on the public side), so
 * one client opening sessions in a loop ends only its own old ones, never every other client's.
 */
export function createSessionStore(
  opts: {
    idleMs?: number;
    maxSessions?: number;
    /** Sessions one principal may hold; at the cap its own least recently used one ends. */
    maxPerClient?: number;
    onEnd?: (s: Session) => void;
    /** How long a call whose stream dropped waits for the client to resume it; default 30 s. */
    resumeGraceMs?: number;
  } = {},
) {
  const idleMs = opts.idleMs ?? 60 * 60_000;
  const resumeGraceMs = opts.resumeGraceMs ?? 30_000;
  const maxSessions = opts.maxSessions ?? 1000;
  const maxPerClient = Math.min(opts.maxPerClient ?? 250, maxSessions);
  const sessions = new Map<string, Session & { owner: string }>();
  let askSeq = 0;

  /**
   * The session to end so that `owner` may open one more: its own least recently used at its cap;
   * else, when the table is full, the least recently used of whichever owner holds the most (fair
   * share: a client within its cap never pushes out a smaller one).
   */
  function evictionFor(owner: string): Session | undefined {
    const byOwner = new Map<string, (Session & { owner: string })[]>();
    for (const s of sessions.values()) {
      const list = byOwner.get(s.owner);
      if (list) list.push(s);
      else byOwner.set(s.owner, [s]);
    }
    const mine = byOwner.get(owner) ?? [];
    if (mine.length >= maxPerClient) return leastRecent(mine);
    if (sessions.size < maxSessions) return undefined;
    let largest: Session[] = [];
    for (const list of byOwner.values()) if (list.length > largest.length) largest = list;
    return leastRecent(largest);
  }

  const end = (s: Session): void => {
    if (!sessions.delete(s.id)) return;
    for (const c of s.inflight.values()) c.abort();
    for (const a of s.pendingAsks.values()) a.reject(new Error('session ended'));
    s.pendingAsks.clear();
    s.getStream?.end();
    s.detach?.();
    opts.onEnd?.(s);
  };

  const sweep = setInterval(
    () => {
      const cutoff = Date.now() - idleMs;
      for (const s of sessions.values())
        if (s.lastSeen < cutoff && s.inflight.size === 0 && s.getStream === undefined) end(s);
    },
    Math.min(idleMs, 60_000),
  );
  sweep.unref();

  const push = (s: Session, message: RawObject): void => {
    const id = ++s.nextEventId;
    const text = JSON.stringify(message);
    s.events.push({ id, text });
    if (s.events.length > EVENT_BUFFER) s.events.shift();
    if (s.getStream !== undefined && !s.getStream.destroyed) {
      s.getStream.write(sseEvent(text, id));
      s.delivered = id;
    }
  };

  return {
    get size(): number {
      return sessions.size;
    },
    create(principal: Principal, protocolVersion: string, params: RawObject): Session {
      // Make room rather than refuse a new client (see evictionFor).
      const owner = principalKey(principal);
      const victim = evictionFor(owner);
      if (victim !== undefined) end(victim);
      // 128 bits from the CSPRNG (Streamable HTTP: session ids must be globally unique and secure).
      const id = randomBytes(16).toString('hex');
      const client: ClientView = {
        sessionId: id,
        protocolVersion,
        principal,
        clientInfo: params['clientInfo'] as RawObject | undefined,
        capabilities: (params['capabilities'] as RawObject | undefined) ?? {},
      };
      const s: Session & { owner: string } = {
        id,
        headers: ['Mcp-Session-Id', id],
        owner,
        client,
        listener: {
          id,
          send: (method, p) =>
            push(s, p === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params: p }),
        },
        lastSeen: Date.now(),
        inflight: new CallMap(),
        pendingAsks: new Map(),
        events: [],
        nextEventId: 0,
        delivered: 0,
        streams: new CallMap(),
        nextStream: 0,
      };
      sessions.set(id, s);
      return s;
    },
    /** The session, if it exists and belongs to this principal. */
    get(id: string, principal: Principal): Session | undefined {
      const s = sessions.get(id);
      // The principal that opened it needs no key made to compare (the local one is a constant).
      if (s === undefined || (s.client.principal !== principal && s.owner !== principalKey(principal)))
        return undefined;
      s.lastSeen = Date.now();
      return s;
    },
    end,
    /** A new POST stream's log; `onAbandoned` runs when its connection is gone and nobody resumed it. */
    streamLog(s: Session, onAbandoned: () => void): StreamLog {
      const log = new StreamLog(`p${++s.nextStream}`, { graceMs: resumeGraceMs, onAbandoned });
      s.streams.set(log.key, log);
      if (s.streams.size > MAX_STREAM_LOGS) {
        const old = [...s.streams.values()].find((l) => l.finished || !l.started);
        if (old !== undefined) s.streams.delete(old.key);
      }
      return log;
    },
    /**
     * After its call: a stream that never became SSE has nothing to resume; one that did is kept for
     * the grace period (its answer may not have reached the client), then let go, so a session's
     * memory holds only recent answers.
     */
    settleStream(s: Session, log: StreamLog): void {
      if (!log.started) {
        s.streams.delete(log.key);
        return;
      }
      // By key, which no other stream of the session gets: a timer holding the log itself would keep
      // every SSE answer of the last 30 s (and its call) alive, also those MAX_STREAM_LOGS let go.
      const key = log.key;
      setTimeout(() => s.streams.delete(key), resumeGraceMs).unref();
    },
    /**
     * Opens the session's GET stream: a priming event (id + retry, SSE spec), then what the client has
     * not seen. When `hold` is false the stream closes right away: quick tunnels hold back a
     * long-lived SSE response (cloudflared issues 1449, 1496), so the client reconnects with
     * Last-Event-ID instead (PROTOCOL.md).
     */
    openGetStream(
      s: Session,
      res: ServerResponse,
      lastEventId: string | undefined,
      hold: boolean,
      retryMs: number,
    ): void {
      // A Last-Event-ID from a POST stream resumes that stream, and only that one (Streamable HTTP
      // 2025-11-25: "MUST NOT replay messages that would have been delivered on a different stream").
      const post = parseStreamEventId(lastEventId);
      const log = post === undefined ? undefined : s.streams.get(post.key);
      if (post !== undefined && log !== undefined) {
        log.resume(res, post.seq, { ...SSE_HEADERS, 'Mcp-Session-Id': s.id });
        return;
      }
      if (s.getStream !== undefined && s.getStream !== res) s.getStream.end();
      res.writeHead(200, { ...SSE_HEADERS, 'Mcp-Session-Id': s.id });
      const after =
        lastEventId !== undefined && /^\d+$/.test(lastEventId) ? Number(lastEventId) : s.delivered;
      let out = `id: ${s.nextEventId}\nretry: ${retryMs}\ndata: \n\n`;
      for (const e of s.events) if (e.id > after) out += sseEvent(e.text, e.id);
      s.delivered = s.nextEventId;
      if (!hold) {
        res.end(out);
        return;
      }
      res.write(out);
      s.getStream = res;
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 25_000);
      keepAlive.unref();
      res.on('close', () => {
        clearInterval(keepAlive);
        if (s.getStream === res) s.getStream = undefined;
      });
    },
    /** Sends a server-to-client request over the call's own stream and waits for the client's answer. */
    ask(
      s: Session,
      stream: ResponseStream,
      method: string,
      params: RawObject,
      signal: AbortSignal,
    ): Promise<RawObject> {
      const id = `tg-${++askSeq}`;
      return new Promise<RawObject>((resolve, reject) => {
        if (!stream.event({ jsonrpc: '2.0', id, method, params })) {
          reject(
            new Error(
              `the client's request did not accept text/event-stream, so ${method} cannot be sent to it`,
            ),
          );
          return;
        }
        const onAbort = (): void => {
          s.pendingAsks.delete(id);
          reject(new Error(`${method} abandoned: the call was cancelled`));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        s.pendingAsks.set(id, {
          resolve: (r) => {
            signal.removeEventListener('abort', onAbort);
            resolve(r);
          },
          reject: (e) => {
            signal.removeEventListener('abort', onAbort);
            reject(e);
          },
        });
      });
    },
    close(): void {
      clearInterval(sweep);
      for (const s of [...sessions.values()]) end(s);
    },
  };
}
export type SessionStore = ReturnType<typeof createSessionStore>;
