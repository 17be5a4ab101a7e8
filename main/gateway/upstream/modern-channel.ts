import { systemClock, type Clock } from '../../common/clock.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { readDiscoverResult, type InitInfo } from './handshake.js';
import type { ServerRequestHandler } from './server-requests.js';
import { UpstreamError, UPSTREAM_ERROR, type RawObject } from './types.js';

/**
 * The 2026-07-28 probe (Lifecycle: clients send `server/discover` first and fall back to `initialize`
 * when the answer does not name a revision they speak). Any error, HTTP refusal or unusable answer
 * means "session era": a 2025 server answers it with -32601 or an HTTP 400, and initialize decides.
 */
export async function probeModern(
  discover: (params: RawObject) => Promise<RawObject>,
): Promise<InitInfo | undefined> {
  try {
    return readDiscoverResult(await discover({}));
  } catch {
    return undefined;
  }
}

/** How many `input_required` rounds one call may take before the gateway gives up on it. */
const MAX_INPUT_ROUNDS = 16;

export interface InputRoundJob {
  name: string;
  method: string;
  handler: ServerRequestHandler | undefined;
  callKey: string | undefined;
  signal: AbortSignal | undefined;
}

/**
 * A session-era client's call carried in 2026-07-28 (an upstream without a session): each
 * `input_required` result's requests (elicitation, sampling, roots: Basic, "Multi round-trip
 * requests") go to that client as ordinary server-to-client requests, and the call is sent again with
 * their answers in `inputResponses` and the upstream's `requestState` echoed byte for byte.
 */
export async function answerInputRequests(
  call: (params: RawObject | undefined) => Promise<RawObject>,
  params: RawObject | undefined,
  job: InputRoundJob,
): Promise<RawObject> {
  let next = params;
  for (let round = 0; round < MAX_INPUT_ROUNDS; round++) {
    const result = await call(next);
    if (result.resultType !== 'input_required') return result;
    const requests = (result.inputRequests ?? {}) as Record<string, RawObject>;
    const responses: RawObject = {};
    for (const [key, r] of Object.entries(requests)) {
      if (job.handler === undefined || typeof r.method !== 'string')
        throw new UpstreamError(
          UPSTREAM_ERROR.methodNotFound,
          `Upstream '${job.name}' asked for input (${String(r.method)}) during ${job.method}, and there is no client to ask.`,
        );
      responses[key] = await job.handler(
        {
          jsonrpc: '2.0',
          id: `input-${round}-${key}`,
          method: r.method,
          params: (r.params ?? {}) as RawObject,
        },
        {
          upstream: job.name,
          ...(job.callKey ? { callKey: job.callKey } : {}),
          ...(job.signal ? { signal: job.signal } : {}),
        },
      );
    }
    const state = result.requestState;
    next = {
      ...params,
      ...(Object.keys(responses).length > 0 ? { inputResponses: responses } : {}),
      ...(typeof state === 'string' ? { requestState: state } : {}),
    };
  }
  throw new UpstreamError(
    UPSTREAM_ERROR.internal,
    `Upstream '${job.name}' kept asking for input on ${job.method} (${MAX_INPUT_ROUNDS} rounds); the call was given up.`,
  );
}

/** The `subscriptions/listen` filter for the lists a server says can change (2026-07-28 subscriptions). */
export function listenFilter(caps: RawObject): RawObject | undefined {
  const filter: RawObject = {};
  const changes = (k: string) => (caps[k] as RawObject | undefined)?.['listChanged'] === true;
  if (changes('tools')) filter['toolsListChanged'] = true;
  if (changes('prompts')) filter['promptsListChanged'] = true;
  if (changes('resources')) filter['resourcesListChanged'] = true;
  return Object.keys(filter).length === 0 ? undefined : filter;
}

/** When the listen stream ends: reopen after about 1 s, growing to 30 s; a stream that lived a minute starts over. */
const LISTEN_BACKOFF: BackoffOptions = { baseMs: 1000, factor: 2, maxMs: 30_000, resetAfterMs: 60_000 };

/**
 * The gateway's own `subscriptions/listen` stream to a 2026-07-28 upstream, so list changes reach the
 * gateway as the session era's GET stream brings them. The stream's notifications arrive through the
 * connection's message handler; when the stream ends it is opened again (with the upstreams' Backoff)
 * while the connection lives, and the lists are fetched again since changes may have been missed.
 */
export class ModernListen {
  private stopped = false;
  private timer: unknown;
  private readonly backoff: Backoff;

  constructor(
    private readonly opts: { open(): Promise<RawObject>; reopened(): void; live(): boolean },
    private readonly clock: Clock = systemClock,
  ) {
    this.backoff = new Backoff(LISTEN_BACKOFF, clock);
    this.run(false);
  }

  private run(again: boolean): void {
    if (this.stopped || !this.opts.live()) return;
    if (again) this.opts.reopened();
    // Healthy from the moment it opens: a stream that lived resetAfterMs starts the backoff over.
    this.backoff.succeeded();
    const ended = (): void => this.schedule();
    this.opts.open().then(ended, ended);
  }

  private schedule(): void {
    if (this.stopped || !this.opts.live()) return;
    this.timer = this.clock.setTimeout(() => this.run(true), this.backoff.next());
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }
}
