import type { ActivitySink } from '../../activity/types.js';
import type { FrontRouter } from '../router-tap.js';
import type { RouteContext } from '../router/types.js';
import type { RawObject } from '../upstream/types.js';
import { observe, type Outcome } from './observe.js';

/** The router as both eras call it: every answer observed, by this one wrapper (CONVENTIONS.md 7). */
export interface ObservedRouter extends FrontRouter {
  // `request` stays, unobserved: for what the front asks on a client's behalf without a request of
  // its own to log (subscriptions/listen's resource subscriptions).
  /** Answers one request through the router; the Outcome's finish() records it once it is written. */
  call(
    method: string,
    params: RawObject | undefined,
    ctx: RouteContext,
    requestBytes?: number,
  ): Promise<Outcome>;
  /** A session's initialize, answered by the front from the merged view, observed the same way. */
  initialize(version: string, params: RawObject, ctx: RouteContext, requestBytes: number): Promise<Outcome>;
}

/** Wraps the router once for the front: the eras never see the activity sink. */
export function observeRouter(router: FrontRouter, activity: ActivitySink | undefined): ObservedRouter {
  return {
    call: (method, params, ctx, requestBytes) =>
      observe(activity, method, params, ctx, requestBytes, () => router.request(method, params, ctx)),
    initialize: (version, params, ctx, requestBytes) =>
      observe(activity, 'initialize', params, ctx, requestBytes, async () =>
        router.initializeResult(version),
      ),
    request: (method, params, ctx) => router.request(method, params, ctx),
    discoverResult: (versions) => router.discoverResult(versions),
    initializeResult: (version) => router.initializeResult(version),
    addListener: (listener) => router.addListener(listener),
    broadcastNotification: (method, params) => router.broadcastNotification(method, params),
  };
}
