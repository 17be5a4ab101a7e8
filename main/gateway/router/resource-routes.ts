import { UpstreamError } from '../upstream/types.js';
import type { RawObject } from '../upstream/types.js';
import type { Attachments } from './attachments.js';
import type { CatalogView } from './catalog-view.js';
import { resourceOwner } from './catalog.js';
import { ERR_INVALID_PARAMS } from './errors.js';
import { eraOf, type Forwarding } from './forwarding.js';
import type { Subscriptions } from './subscriptions.js';
import type { RouteContext } from './types.js';

export interface ResourceRouteDeps {
  attachments: Pick<Attachments, 'names' | 'ordered'>;
  catalog: Pick<CatalogView, 'get'>;
  forwarding: Pick<Forwarding, 'forward' | 'readyUpstream'>;
  subs: Pick<Subscriptions, 'add' | 'remove'>;
}

export type ResourceRoutes = ReturnType<typeof createResourceRoutes>;

const notOffered = (uri: string): UpstreamError =>
  new UpstreamError(ERR_INVALID_PARAMS, `Resource '${uri}' is not offered by any connected server`, {
    uri,
  });

/**
 * resources/read, resources/subscribe and resources/unsubscribe: a URI goes to the server that lists
 * it (or a template that matches it); one nobody lists (e.g. a ui:// widget) is asked of each server
 * that can answer, in config order.
 */
export function createResourceRoutes(deps: ResourceRouteDeps) {
  const { attachments, catalog, forwarding, subs } = deps;

  const read = async (ctx: RouteContext, params: RawObject): Promise<RawObject> => {
    const uri = String(params['uri']);
    ctx.target = uri;
    const owner = resourceOwner(catalog.get(eraOf(ctx)), uri);
    if (owner !== undefined) return forwarding.forward(ctx, owner, 'resources/read', params);
    // Not listed and no template matches (e.g. a ui:// widget): ask each server that has resources.
    let lastError: unknown;
    let notFound: UpstreamError | undefined;
    for (const { upstream } of attachments.ordered()) {
      const st = upstream.state();
      if (st.status !== 'ready' || st.capabilities?.['resources'] === undefined) continue;
      try {
        return await forwarding.forward(ctx, upstream.name, 'resources/read', params);
      } catch (err) {
        lastError = err;
        // A not-found answer that names the URI (2026-07-28: `data.uri`) says the most: relay that one.
        if (err instanceof UpstreamError && (err.data as RawObject | undefined)?.['uri'] === uri)
          notFound ??= err;
      }
    }
    if (notFound !== undefined) throw notFound;
    if (lastError instanceof UpstreamError) throw lastError;
    throw notOffered(uri);
  };

  /** resources/subscribe or resources/unsubscribe, for the session behind the request. */
  const subscription = async (
    method: 'resources/subscribe' | 'resources/unsubscribe',
    ctx: RouteContext,
    params: RawObject,
  ): Promise<RawObject> => {
    const uri = String(params['uri']);
    ctx.target = uri;
    const listenerId = ctx.client.sessionId;
    if (listenerId === undefined)
      throw new UpstreamError(
        ERR_INVALID_PARAMS,
        `${method} needs a session (protocol 2025-11-25 or earlier); on 2026-07-28 use subscriptions/listen`,
      );
    const owner = resourceOwner(catalog.get(), uri);
    if (method === 'resources/unsubscribe') {
      for (const name of owner === undefined ? attachments.names() : [owner])
        subs.remove(listenerId, name, uri);
      return {};
    }
    if (owner !== undefined) {
      ctx.upstream = owner;
      await subs.add(listenerId, forwarding.readyUpstream(owner).name, uri);
      return {};
    }
    // Not listed (e.g. a ui:// widget): ask each server that offers subscriptions, as a read does.
    let lastError: unknown;
    for (const { upstream } of attachments.ordered()) {
      const st = upstream.state();
      const res = st.capabilities?.['resources'] as RawObject | undefined;
      if (st.status !== 'ready' || res?.['subscribe'] !== true) continue;
      try {
        await subs.add(listenerId, upstream.name, uri);
        ctx.upstream = upstream.name;
        return {};
      } catch (err) {
        lastError = err;
      }
    }
    if (lastError instanceof UpstreamError) throw lastError;
    throw notOffered(uri);
  };

  return { read, subscription };
}
