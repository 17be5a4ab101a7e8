/**
 * The second way in: OpenAI's Secure MCP Tunnel. Instead of a public URL, this provider long-polls
 * OpenAI's control plane for MCP requests addressed to one tunnel, runs each through the gateway's
 * MCP handling as the tunnel's own principal, and posts the answers back (openai/tunnel-client
 * docs/protocol.md). Nothing listens for the internet; ChatGPT's connector names the tunnel id, which
 * stays the same across restarts. States feed the same TunnelState as cloudflared's.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { SCOPE_FULL, SCOPE_READ } from '../../preload/contract.js';
import type { Principal } from '../auth/types.js';
import type { ExchangeServe } from './in-process-exchange.js';
import {
  createControlPlaneClient,
  fullJitter,
  sleepOn,
  type ControlPlaneClient,
  type PollOutcome,
} from './openai-control-plane.js';
import { MAIN_CHANNEL, runCommand, type CommandOutcome } from './openai-command-runner.js';
import { parseResponseTimeout, serverInfoHeader, type PolledCommand } from './openai-wire.js';
import type { TunnelErrorCode, TunnelState } from './tunnel-state.js';
import { createTunnelStateCell } from './tunnel-state-cell.js';
import type { Clock } from '../common/clock.js';
import type { TunnelManager } from './types.js';

export const OPENAI_API_BASE = 'https://api.openai.com';
const TUNNEL_CLIENT_NAME = 'tunnelgate';

export interface OpenAiTunnelDeps {
  tunnelId: string;
  /** Reads the runtime API key (from the keychain) at each start; never cached across starts. */
  apiKey(): Promise<string | undefined>;
  /** The gateway's MCP handling, bound to this tunnel's principal (see openAiTunnelPrincipal). */
  serve: ExchangeServe;
  baseUrl?: string;
  clientVersion?: string;
  fetch?: typeof fetch;
  /** Monotonic time and timers; tests drive them (no real backoff sleeps). */
  clock?: Clock;
  random?: () => number;
  /** Poll batch hint (1-25) and requested long-poll wait. */
  poll?: { limit?: number; timeoutMs?: number };
  /** Commands executed at once; more wait their turn (their deadlines keep running). */
  concurrency?: number;
  /** Poll reconnect backoff (full jitter): first ceiling and largest ceiling. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Response POST retry tuning (see openai-control-plane.ts). */
  postRetry?: { baseMs?: number; maxMs?: number; attempts?: number };
}

export interface OpenAiTunnelProvider extends TunnelManager {
  close(): Promise<void>;
  /** Recent lines about the tunnel (request ids and reasons only), newest last. */
  recentLog(): string[];
}

/** Payload of the provider's 'command' event, once per polled command. */
export interface CommandDone {
  requestId: string;
  outcome: CommandOutcome;
}

/** Who calls through the tunnel: its own client in the log, full or read-only tool access. */
export function openAiTunnelPrincipal(tunnelId: string, readOnly = false): Principal {
  return {
    kind: 'tunnel',
    clientId: `openai-tunnel:${tunnelId}`,
    clientName: `ChatGPT via OpenAI tunnel ${tunnelId}`,
    scopes: [readOnly ? SCOPE_READ : SCOPE_FULL],
  };
}

/** performance.now() keeps the monotonic clock protocol.md asks deadlines to be measured on. */
const monotonicClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

const TAIL = 50;

export function createOpenAiTunnelProvider(deps: OpenAiTunnelDeps): OpenAiTunnelProvider {
  const clock = deps.clock ?? monotonicClock;
  const random = deps.random ?? Math.random;
  const limit = Math.min(25, Math.max(1, deps.poll?.limit ?? 25));
  const pollTimeoutMs = deps.poll?.timeoutMs ?? 15_000;
  const concurrency = Math.max(1, deps.concurrency ?? 8);
  const backoff = { baseMs: 500, maxMs: 30_000, ...deps.backoff };
  // The gateway is one in-process endpoint: MCP 2026-07-28 requests are self-contained, but
  // session-era sessions live in this process (protocol.md "Capability declarations").
  const serverInfo = serverInfoHeader([{ name: MAIN_CHANNEL, stateless: true, procAffinity: true }]);
  const instanceId = randomUUID();

  const emitter = new EventEmitter();
  const cell = createTunnelStateCell(
    {
      mode: 'openai',
      phase: 'stopped',
      url: null,
      reachable: 'unknown',
      tunnelId: deps.tunnelId,
    },
    emitter,
  );
  const state = (): TunnelState => cell.get();
  let gen = 0;
  let stopCtrl = new AbortController();
  let tail: string[] = [];
  const running = new Set<Promise<unknown>>();
  const queue: (() => void)[] = [];
  let active = 0;

  const log = (line: string): void => {
    tail.push(line);
    if (tail.length > TAIL) tail = tail.slice(-TAIL);
    emitter.emit('log', line);
  };
  const set = cell.set;
  const fail = (g: number, code: TunnelErrorCode, message: string): void => {
    if (g !== gen) return;
    gen++;
    stopCtrl.abort();
    set({ phase: 'failed', error: message, errorCode: code, reachable: 'unknown' }, ['reachableDetail']);
  };
  const ready = (g: number): void => {
    if (g !== gen || state().phase === 'ready') return;
    set(
      {
        phase: 'ready',
        reachable: 'yes',
        reachableDetail: `OpenAI's control plane accepted the key; ChatGPT's requests for tunnel ${deps.tunnelId} reach this computer by long-poll.`,
      },
      ['error', 'errorCode'],
    );
  };
  const unauthorized = (g: number, status: number, code?: string, message?: string): void =>
    fail(
      g,
      'unauthorized',
      `OpenAI refused the tunnel API key (HTTP ${status}${code ? `, ${code}` : ''}${message ? `: ${message}` : ''}). ` +
        'Store a runtime API key that may use this tunnel (Settings, or `tunnelgate secrets set`), then start the tunnel again.',
    );

  /** Bounded worker pool: a slot, or a place in the queue until one frees up. */
  const acquire = (): Promise<void> =>
    active < concurrency
      ? (active++, Promise.resolve())
      : new Promise((res) => queue.push(() => (active++, res())));
  const release = (): void => {
    active--;
    queue.shift()?.();
  };

  function submit(g: number, client: ControlPlaneClient, command: PolledCommand, receivedAt: number): void {
    const timeout = parseResponseTimeout(command.response_timeout);
    // Anchored at poll-response receipt, no extra allowance; created_at is never used.
    const deadline = timeout === undefined ? undefined : receivedAt + timeout;
    const signal = stopCtrl.signal;
    const job = (async () => {
      await acquire();
      try {
        if (g !== gen) return;
        const outcome = await runCommand(
          {
            serve: deps.serve,
            clock,
            log,
            post: (shard, payload, s) => client.postResponse(shard, payload, s),
          },
          command,
          deadline,
          signal,
        );
        emitter.emit('command', { requestId: String(command.request_id), outcome });
        if (outcome === 'unauthorized') unauthorized(g, 401);
      } finally {
        release();
      }
    })();
    running.add(job);
    void job.finally(() => running.delete(job));
  }

  async function loop(g: number, client: ControlPlaneClient): Promise<void> {
    let failures = 0;
    while (g === gen) {
      // Backpressure: poll for more only when a worker is free, and ask for no more than that.
      while (active >= concurrency && g === gen) await Promise.race(running);
      if (g !== gen) return;
      const free = Math.max(1, concurrency - active - queue.length);
      const outcome: PollOutcome = await client.poll(Math.min(limit, free), pollTimeoutMs, stopCtrl.signal);
      if (g !== gen) return;
      if (outcome.kind === 'idle' || outcome.kind === 'commands') {
        failures = 0;
        ready(g);
        // Every command is processed, even beyond the limit asked for ("Poll loop").
        if (outcome.kind === 'commands')
          for (const c of outcome.commands) submit(g, client, c, outcome.receivedAt);
        continue;
      }
      if (outcome.kind === 'unauthorized')
        return unauthorized(g, outcome.status, outcome.code, outcome.message);
      if (outcome.kind === 'rejected') {
        return fail(
          g,
          'control-plane',
          `OpenAI's control plane refused to poll tunnel ${deps.tunnelId} (HTTP ${outcome.status}${outcome.code ? `, ${outcome.code}` : ''}${outcome.message ? `: ${outcome.message}` : ''}). Check tunnel.tunnelId.`,
        );
      }
      const delay = (outcome.retryAfterMs ?? 0) + fullJitter(failures, backoff.baseMs, backoff.maxMs, random);
      failures++;
      log(`OpenAI tunnel: ${outcome.reason}; polling again in ${Math.round(delay)} ms.`);
      set({
        phase: state().phase === 'ready' || state().phase === 'reconnecting' ? 'reconnecting' : 'starting',
        error: `Cannot reach OpenAI's tunnel service: ${outcome.reason}. Retrying in ${Math.max(1, Math.round(delay / 1000))} s.`,
        errorCode: 'control-plane',
        reachable: 'unknown',
      });
      await sleepOn(clock, delay, stopCtrl.signal);
    }
  }

  async function launch(g: number): Promise<void> {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(deps.tunnelId)) {
      return fail(
        g,
        'no-tunnel-id',
        `tunnel.tunnelId: expected the tunnel id from OpenAI's Tunnels settings, like tunnel_0123… (got '${deps.tunnelId.slice(0, 40)}').`,
      );
    }
    const key = (await deps.apiKey().catch(() => undefined))?.trim();
    if (g !== gen) return;
    if (!key) {
      return fail(
        g,
        'no-api-key',
        'No OpenAI tunnel API key is stored in the keychain. Create a runtime key that may use this tunnel, store it (Settings, or `tunnelgate secrets set`), then start the tunnel again.',
      );
    }
    const client = createControlPlaneClient({
      baseUrl: deps.baseUrl ?? OPENAI_API_BASE,
      tunnelId: deps.tunnelId,
      apiKey: key,
      clientName: TUNNEL_CLIENT_NAME,
      clientVersion: deps.clientVersion ?? '0.0.0',
      instanceId,
      serverInfo,
      fetch: deps.fetch ?? globalThis.fetch,
      clock,
      random,
      ...(deps.postRetry ? { retry: deps.postRetry } : {}),
    });
    // Startup metadata (optional in the protocol): a wrong key or tunnel id shows at once, by name.
    const meta = await client.metadata(stopCtrl.signal).catch(() => undefined);
    if (g !== gen) return;
    if (meta?.status === 401 || meta?.status === 403) return unauthorized(g, meta.status, meta.code);
    if (meta?.status === 200) {
      if (meta.name) set({ tunnelName: meta.name });
      ready(g);
    }
    await loop(g, client);
  }

  const provider = Object.assign(emitter, {
    state: (): TunnelState => ({ ...state() }),
    async start(): Promise<void> {
      if (state().phase === 'starting' || state().phase === 'ready' || state().phase === 'reconnecting')
        return;
      const settled = cell.settled();
      gen++;
      stopCtrl = new AbortController();
      set({ phase: 'starting', reachable: 'unknown' }, [
        'error',
        'errorCode',
        'reachableDetail',
        'tunnelName',
      ]);
      const g = gen;
      launch(g).catch((e: unknown) =>
        fail(g, 'control-plane', `The OpenAI tunnel stopped: ${(e as Error).message}`),
      );
      await settled;
    },
    async stop(): Promise<void> {
      gen++;
      // In-flight commands are cancelled, never answered late; the work is left to expire upstream.
      stopCtrl.abort();
      await Promise.allSettled([...running]);
      set({ phase: 'stopped', reachable: 'unknown' }, ['error', 'errorCode', 'reachableDetail']);
    },
    async close(): Promise<void> {
      await provider.stop();
      emitter.removeAllListeners();
    },
    recentLog: (): string[] => [...tail],
  });
  return provider;
}
