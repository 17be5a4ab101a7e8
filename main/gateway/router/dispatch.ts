import { SCOPE_FULL } from '../../../preload/contract.js';
import type { Principal } from '../../auth/types.js';
import { UpstreamError } from '../upstream/types.js';
import type { RawObject } from '../upstream/types.js';
import type { Attachments } from './attachments.js';
import type { CatalogView } from './catalog-view.js';
import { resourceOwner } from './catalog.js';
import { ERR_FORBIDDEN, ERR_INVALID_PARAMS, ERR_METHOD_NOT_FOUND } from './errors.js';
import { eraOf, type Forwarding } from './forwarding.js';
import type { LogLevels } from './log-levels.js';
import type { ResourceRoutes } from './resource-routes.js';
import type { RouteContext } from './types.js';

export interface DispatchDeps {
  attachments: Pick<Attachments, 'upstreams'>;
  catalog: Pick<CatalogView, 'get'>;
  forwarding: Pick<Forwarding, 'forward' | 'missing'>;
  resources: ResourceRoutes;
  logLevels: Pick<LogLevels, 'setSessionLevel'>;
}

/** Whether this principal may see and call tools that are not read-only. */
export function hasFullAccess(p: Principal): boolean {
  return p.kind === 'local' || p.scopes.includes(SCOPE_FULL);
}

/**
 * Answers one client request by method: lists from the merged view of the client's era, calls to
 * the upstream that owns the name (after the grant's read-only check), anything else refused.
 */
export function createDispatch(deps: DispatchDeps) {
  const { catalog, forwarding, resources } = deps;
  const { forward, missing } = forwarding;

  /**
   * Not async: a call's answer is forward()'s own promise, with no async frame (a promise and its
   * microtask turns) around it on the way back (issue 16); a list is answered at once, and anything
   * thrown on the way comes back rejected, as from an async function.
   */
  return function request(
    method: string,
    params: RawObject | undefined,
    ctx: RouteContext,
  ): Promise<RawObject> {
    try {
      const answer = answerOf(method, params, ctx);
      return answer instanceof Promise ? answer : Promise.resolve(answer);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };

  function answerOf(
    method: string,
    params: RawObject | undefined,
    ctx: RouteContext,
  ): RawObject | Promise<RawObject> {
    const p = params ?? {};
    switch (method) {
      case 'ping':
        return {};
      case 'tools/list': {
        const { results } = catalog.get(eraOf(ctx));
        return hasFullAccess(ctx.client.principal) ? results.tools : results.readOnlyTools;
      }
      case 'tools/call': {
        const exposed = String(p['name']);
        ctx.target = exposed;
        if (p['task'] !== undefined)
          throw new UpstreamError(
            ERR_INVALID_PARAMS,
            `Tool '${exposed}' was called as a task (params.task), and the gateway does not relay tasks: call it without 'task' to get its result directly.`,
          );
        const entry = catalog.get(eraOf(ctx)).tools.get(exposed);
        if (entry === undefined) throw missing('tool', exposed, ctx);
        if (!entry.readOnly && !hasFullAccess(ctx.client.principal)) {
          ctx.denied = true;
          throw new UpstreamError(
            ERR_FORBIDDEN,
            `Tool '${exposed}' can change things, and this client was granted read-only access (mcp:read). Reconnect it with full access to call this tool.`,
          );
        }
        return forward(ctx, entry.upstream, method, { ...p, name: entry.name });
      }
      case 'prompts/list':
        return catalog.get(eraOf(ctx)).results.prompts;
      case 'prompts/get': {
        const exposed = String(p['name']);
        ctx.target = exposed;
        const entry = catalog.get(eraOf(ctx)).prompts.get(exposed);
        if (entry === undefined) throw missing('prompt', exposed, ctx);
        return forward(ctx, entry.upstream, method, { ...p, name: entry.name });
      }
      case 'resources/list':
        return catalog.get(eraOf(ctx)).results.resources;
      case 'resources/templates/list':
        return catalog.get(eraOf(ctx)).results.resourceTemplates;
      case 'resources/read':
        return resources.read(ctx, p);
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        return resources.subscription(method, ctx, p);
      case 'completion/complete': {
        const ref = (p['ref'] ?? {}) as RawObject;
        if (ref['type'] === 'ref/prompt') {
          const entry = catalog.get(eraOf(ctx)).prompts.get(String(ref['name']));
          if (entry === undefined) throw missing('prompt', String(ref['name']), ctx);
          ctx.target = entry.exposed;
          return forward(ctx, entry.upstream, method, { ...p, ref: { ...ref, name: entry.name } });
        }
        const uri = String(ref['uri']);
        ctx.target = uri;
        const owner = resourceOwner(catalog.get(eraOf(ctx)), uri);
        if (owner === undefined)
          throw new UpstreamError(
            ERR_INVALID_PARAMS,
            `No connected server offers a resource template matching '${uri}'`,
          );
        return forward(ctx, owner, method, p);
      }
      case 'logging/setLevel':
        return deps.logLevels.setSessionLevel(ctx, String(p['level']), deps.attachments.upstreams());
      default:
        throw new UpstreamError(ERR_METHOD_NOT_FOUND, `Method not found: '${method}'`);
    }
  }
}
