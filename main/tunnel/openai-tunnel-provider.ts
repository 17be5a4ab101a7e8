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
import { MAIN_CHANNEL, runCommand } from './openai-command-runner.js';
import { parseResponseTimeout, serverInfoHeader, type PolledCommand } from './openai-wire.js';
import type { TunnelErrorCode, TunnelState } from './tunnel-state.js';
import { createTunnelStateCell, type TunnelStateCell } from './tunnel-state-cell.js';
import type { Clock } from '../common/clock.js';
import type { TunnelEvents, TunnelManager } from './types.js';
import { CommandQueue } from './openai-command-queue.js';

export type { CommandDone } from './types.js';

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

// The gateway is one in-process endpoint: MCP 2026-07-28 requests are self-contained, but
// session-era sessions live in this process (protocol.md "Capability declarations").
const SERVER_INFO = serverInfoHeader([{ name: MAIN_CHANNEL, stateless: true, procAffinity: true }]);

export function createOpenAiTunnelProvider(deps: OpenAiTunnelDeps): OpenAiTunnelProvider {
  return new OpenAiTunnel(deps);
}

class OpenAiTunnel extends EventEmitter<TunnelEvents> implements OpenAiTunnelProvider {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly limit: number;
  private readonly pollTimeoutMs: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly instanceId = randomUUID();
  private readonly cell: TunnelStateCell;
  /** Bumped by every start, stop and failure: work of an older run finds it stale and quits. */
  private gen = 0;
  private stopCtrl = new AbortController();
  private tail: string[] = [];
  private readonly commands: CommandQueue;

  constructor(private readonly deps: OpenAiTunnelDeps) {
    super();
    this.clock = deps.clock ?? monotonicClock;
    this.random = deps.random ?? Math.random;
    this.limit = Math.min(25, Math.max(1, deps.poll?.limit ?? 25));
    this.pollTimeoutMs = deps.poll?.timeoutMs ?? 15_000;
    this.commands = new CommandQueue(Math.max(1, deps.concurrency ?? 8));
    this.backoff = { baseMs: 500, maxMs: 30_000, ...deps.backoff };
    const initial: TunnelState = { mode: 'openai', phase: 'stopped', url: null, reachable: 'unknown' };
    this.cell = createTunnelStateCell({ ...initial, tunnelId: deps.tunnelId }, (s) => this.emit('state', s));
  }

  state(): TunnelState {
    return { ...this.cell.get() };
  }

  async start(): Promise<void> {
    const { phase } = this.cell.get();
    if (phase === 'starting' || phase === 'ready' || phase === 'reconnecting') return;
    const settled = this.cell.settled();
    this.gen++;
    this.stopCtrl = new AbortController();
    this.cell.set({ phase: 'starting', reachable: 'unknown' }, [
      'error',
      'errorCode',
      'reachableDetail',
      'tunnelName',
    ]);
    const g = this.gen;
    this.launch(g).catch((e: unknown) =>
      this.fail(g, 'control-plane', `The OpenAI tunnel stopped: ${(e as Error).message}`),
    );
    await settled;
  }

  async stop(): Promise<void> {
    this.gen++;
    // In-flight commands are cancelled, never answered late; the work is left to expire upstream.
    this.stopCtrl.abort();
    await this.commands.allDone();
    this.cell.set({ phase: 'stopped', reachable: 'unknown' }, ['error', 'errorCode', 'reachableDetail']);
  }

  async close(): Promise<void> {
    await this.stop();
    this.removeAllListeners();
  }

  recentLog(): string[] {
    return [...this.tail];
  }

  private readonly log = (line: string): void => {
    this.tail.push(line);
    if (this.tail.length > TAIL) this.tail = this.tail.slice(-TAIL);
    this.emit('log', line);
  };

  private fail(g: number, code: TunnelErrorCode, message: string): void {
    if (g !== this.gen) return;
    this.gen++;
    this.stopCtrl.abort();
    this.cell.set({ phase: 'failed', error: message, errorCode: code, reachable: 'unknown' }, [
      'reachableDetail',
    ]);
  }

  private ready(g: number): void {
    if (g !== this.gen || this.cell.get().phase === 'ready') return;
    this.cell.set(
      {
        phase: 'ready',
        reachable: 'yes',
        reachableDetail: `OpenAI's control plane accepted the key; ChatGPT's requests for tunnel ${this.deps.tunnelId} reach this computer by long-poll.`,
      },
      ['error', 'errorCode'],
    );
  }

  private unauthorized(g: number, status: number, code?: string, message?: string): void {
    this.fail(
      g,
      'unauthorized',
      `OpenAI refused the tunnel API key (HTTP ${status}${code ? `, ${code}` : ''}${message ? `: ${message}` : ''}). ` +
        'Store a runtime API key that may use this tunnel (Settings, or `tunnelgate secrets set`), then start the tunnel again.',
    );
  }

  private submit(g: number, client: ControlPlaneClient, command: PolledCommand, receivedAt: number): void {
    const timeout = parseResponseTimeout(command.response_timeout);
    // Anchored at poll-response receipt, no extra allowance; created_at is never used.
    const deadline = timeout === undefined ? undefined : receivedAt + timeout;
    const signal = this.stopCtrl.signal;
    this.commands.run(async () => {
      if (g !== this.gen) return;
      const outcome = await runCommand(
        {
          serve: this.deps.serve,
          clock: this.clock,
          log: this.log,
          post: (shard, payload, s) => client.postResponse(shard, payload, s),
        },
        command,
        deadline,
        signal,
      );
      this.emit('command', { requestId: String(command.request_id), outcome });
      if (outcome === 'unauthorized') this.unauthorized(g, 401);
    });
  }

  private async loop(g: number, client: ControlPlaneClient): Promise<void> {
    const { commands, backoff, deps } = this;
    let failures = 0;
    while (g === this.gen) {
      // Backpressure: poll for more only when a worker is free, and ask for no more than that.
      while (commands.full && g === this.gen) await commands.oneDone();
      if (g !== this.gen) return;
      const free = Math.max(1, commands.free);
      const outcome: PollOutcome = await client.poll(
        Math.min(this.limit, free),
        this.pollTimeoutMs,
        this.stopCtrl.signal,
      );
      if (g !== this.gen) return;
      if (outcome.kind === 'idle' || outcome.kind === 'commands') {
        failures = 0;
        this.ready(g);
        // Every command is processed, even beyond the limit asked for ("Poll loop").
        if (outcome.kind === 'commands')
          for (const c of outcome.commands) this.submit(g, client, c, outcome.receivedAt);
        continue;
      }
      if (outcome.kind === 'unauthorized')
        return this.unauthorized(g, outcome.status, outcome.code, outcome.message);
      if (outcome.kind === 'rejected') {
        return this.fail(
          g,
          'control-plane',
          `OpenAI's control plane refused to poll tunnel ${deps.tunnelId} (HTTP ${outcome.status}${outcome.code ? `, ${outcome.code}` : ''}${outcome.message ? `: ${outcome.message}` : ''}). Check tunnel.tunnelId.`,
        );
      }
      const delay =
        (outcome.retryAfterMs ?? 0) + fullJitter(failures, backoff.baseMs, backoff.maxMs, this.random);
      failures++;
      this.log(`OpenAI tunnel: ${outcome.reason}; polling again in ${Math.round(delay)} ms.`);
      const phase = this.cell.get().phase;
      this.cell.set({
        phase: phase === 'ready' || phase === 'reconnecting' ? 'reconnecting' : 'starting',
        error: `Cannot reach OpenAI's tunnel service: ${outcome.reason}. Retrying in ${Math.max(1, Math.round(delay / 1000))} s.`,
        errorCode: 'control-plane',
        reachable: 'unknown',
      });
      await sleepOn(this.clock, delay, this.stopCtrl.signal);
    }
  }

  private async launch(g: number): Promise<void> {
    const { deps } = this;
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(deps.tunnelId)) {
      return this.fail(
        g,
        'no-tunnel-id',
        `tunnel.tunnelId: expected the tunnel id from OpenAI's Tunnels settings, like tunnel_0123… (got '${deps.tunnelId.slice(0, 40)}').`,
      );
    }
    const key = (await deps.apiKey().catch(() => undefined))?.trim();
    if (g !== this.gen) return;
    if (!key) {
      return this.fail(
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
      instanceId: this.instanceId,
      serverInfo: SERVER_INFO,
      fetch: deps.fetch ?? globalThis.fetch,
      clock: this.clock,
      random: this.random,
      ...(deps.postRetry ? { retry: deps.postRetry } : {}),
    });
    // Startup metadata (optional in the protocol): a wrong key or tunnel id shows at once, by name.
    const meta = await client.metadata(this.stopCtrl.signal).catch(() => undefined);
    if (g !== this.gen) return;
    if (meta?.status === 401 || meta?.status === 403) return this.unauthorized(g, meta.status, meta.code);
    if (meta?.status === 200) {
      if (meta.name) this.cell.set({ tunnelName: meta.name });
      this.ready(g);
    }
    await this.loop(g, client);
  }
}
