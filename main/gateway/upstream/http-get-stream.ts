import { sleep } from './abort-group.js';
import type { HttpResponse } from './http-client.js';
import { NeedsSignInError, UnreachableError, type RemoteFetch } from './remote-fetch.js';
import { readSseAnswer } from './sse-answer.js';
import type { HttpSession } from './http-session.js';
import type { RawObject } from './types.js';

export interface GetStreamDeps {
  url: string;
  session: HttpSession;
  remoteFetch: RemoteFetch;
  deliver(msg: RawObject): void;
  /** The server cannot be reached: the link is down. */
  die(reason: string): void;
  needsAuth(reason: string): void;
  /** The session expired (404): start a new one. */
  reinitialize(): Promise<void>;
}

/**
 * The optional GET stream for server messages unrelated to a call (spec: "Listening for Messages
 * from the Server"): reconnects with Last-Event-ID after the `retry` delay until `signal` aborts;
 * 405 (or any non-SSE answer) means the server offers none, and that is fine.
 */
export async function listenForServerMessages(deps: GetStreamDeps, signal: AbortSignal): Promise<void> {
  let lastEventId: string | undefined;
  let retryMs = 1000;
  while (!signal.aborted) {
    let res: HttpResponse;
    try {
      res = await deps.remoteFetch(
        deps.url,
        { method: 'GET', signal },
        {
          ...deps.session.headers(),
          accept: 'text/event-stream',
          ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
        },
      );
    } catch (err) {
      if (err instanceof UnreachableError) deps.die(err.message);
      else if (err instanceof NeedsSignInError) deps.needsAuth(err.message);
      return;
    }
    if (res.status === 404 && deps.session.id) {
      res.discard();
      void deps.reinitialize().catch(() => {});
      return;
    }
    if (!res.ok || !(res.header('content-type') ?? '').includes('text/event-stream')) {
      res.discard();
      return;
    }
    await readSseAnswer(res.body, undefined, {
      deliver: deps.deliver,
      onId: (e) => (lastEventId = e),
      onRetry: (ms) => (retryMs = ms),
    });
    await sleep(Math.min(retryMs, 30_000), signal);
  }
}
