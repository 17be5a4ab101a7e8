import { UpstreamError } from '../upstream/types.js';
import type { RawObject, Upstream } from '../upstream/types.js';
import { ERR_INVALID_PARAMS } from './errors.js';
import type { NotificationListener, RouteContext } from './types.js';

/** Session-era log levels, least to most severe (RFC 5424 names, MCP logging spec). */
export const LOG_LEVELS: readonly string[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

export interface LogLevelDeps {
  /** Sessions and listen streams by id; a session's level is kept on its listener. */
  listeners: ReadonlyMap<string, NotificationListener>;
}

export type LogLevels = ReturnType<typeof createLogLevels>;

/**
 * Log levels between clients and upstreams. Upstreams are shared by every session, so they log at
 * the most verbose level any session asked for (logging/setLevel) or any 2026-era request in flight
 * carries; each client still gets only what its own level lets through (`admits`).
 */
export function createLogLevels(deps: LogLevelDeps) {
  const { listeners } = deps;
  /** Levels of 2026-era requests in flight (level -> count): they count while their call runs. */
  const requestLevels = new Map<string, number>();
  /** The level last set on each upstream, so a request at an already-covered level sends nothing. */
  const appliedLevels = new WeakMap<Upstream, string>();

  /** The log threshold of the client behind a call: its request's own (2026-07-28), else its session's. */
  const clientLevel = (ctx: RouteContext): string | undefined =>
    ctx.logLevel ??
    (ctx.client.sessionId === undefined ? undefined : listeners.get(ctx.client.sessionId)?.logLevel);

  /** The most verbose level anyone asks for now; undefined when nobody asked. */
  const effective = (): string | undefined => {
    let best = -1;
    const consider = (level: string | undefined): void => {
      const i = level === undefined ? -1 : LOG_LEVELS.indexOf(level);
      if (i >= 0 && (best < 0 || i < best)) best = i;
    };
    for (const l of listeners.values()) consider(l.logLevel);
    for (const level of requestLevels.keys()) consider(level);
    return best < 0 ? undefined : LOG_LEVELS[best];
  };

  const apply = (upstream: Upstream, level = effective()): Promise<unknown> => {
    const st = upstream.state();
    if (level === undefined || st.status !== 'ready' || st.capabilities?.['logging'] === undefined)
      return Promise.resolve();
    appliedLevels.set(upstream, level);
    return upstream.request('logging/setLevel', { level }).catch(() => ({}));
  };

  return {
    clientLevel,
    /** Sets the level everyone needs on an upstream that logs (on attach and after a reconnect). */
    apply,
    /** A reconnected upstream has forgotten the level it was told. */
    forget(upstream: Upstream): void {
      appliedLevels.delete(upstream);
    },

    /** Whether a log message of a call may go to that call's client at the client's level. */
    admits(ctx: RouteContext, params: RawObject | undefined): boolean {
      const wanted = clientLevel(ctx);
      // No level asked for: no log messages (2026-07-28 logging: "MUST NOT send ... for this request").
      if (wanted === undefined) return false;
      const min = LOG_LEVELS.indexOf(wanted);
      return min >= 0 && LOG_LEVELS.indexOf(String(params?.['level'])) >= min;
    },

    /**
     * A 2026-era request with its own level starts: it counts while it runs, and the upstream is
     * told a more verbose level when it does not log that much yet.
     */
    async enterRequest(upstream: Upstream, level: string): Promise<void> {
      requestLevels.set(level, (requestLevels.get(level) ?? 0) + 1);
      // The upstream is shared: it logs at the most verbose level anyone asked for, and each client
      // still gets only its own call's messages at its own level (admits).
      const wanted = effective();
      const applied = appliedLevels.get(upstream);
      if (
        wanted !== undefined &&
        (applied === undefined || LOG_LEVELS.indexOf(wanted) < LOG_LEVELS.indexOf(applied))
      )
        await apply(upstream, wanted);
    },
    /** The request of `enterRequest` ended. */
    leaveRequest(level: string): void {
      const left = (requestLevels.get(level) ?? 1) - 1;
      if (left > 0) requestLevels.set(level, left);
      else requestLevels.delete(level);
    },

    /** logging/setLevel: the session keeps the level, and every upstream logs at what all need. */
    async setSessionLevel(
      ctx: RouteContext,
      level: string,
      upstreams: readonly Upstream[],
    ): Promise<RawObject> {
      if (!LOG_LEVELS.includes(level))
        throw new UpstreamError(
          ERR_INVALID_PARAMS,
          `logging/setLevel: level must be one of ${LOG_LEVELS.join(', ')} (got '${level}')`,
        );
      const l = ctx.client.sessionId === undefined ? undefined : listeners.get(ctx.client.sessionId);
      // Without a session there is no level to keep (2026-07-28 sends it with each request instead).
      if (l === undefined) return {};
      l.logLevel = level;
      const wanted = effective();
      await Promise.all(upstreams.map((u) => apply(u, wanted)));
      return {};
    },
  };
}
