import type { EventEmitter } from 'node:events';
import type { ActivitySink } from '../../activity/types.js';
import type { ProtocolEra, Upstream } from '../upstream/types.js';
import { buildCatalog } from './catalog.js';
import type { Catalog, ServerView } from './catalog.js';
import type { NotificationListener } from './types.js';

/** The lists a client can be told have changed (`notifications/<kind>/list_changed`). */
export type ListKind = 'tools' | 'prompts' | 'resources';

/** The router's events, so `router.on('list-changed', listener)` is checked by the compiler. */
export interface RouterEvents {
  /** A merged list really changed (its content, not only an upstream's event). */
  'list-changed': [kind: ListKind];
  /** The naming warnings changed: server -> messages (collisions, renamed names). */
  warnings: [warnings: ReadonlyMap<string, readonly string[]>];
}

export interface CatalogViewDeps {
  /** The attached upstreams in config order, with their settings. */
  views(): ServerView[];
  /** The attached upstreams (whether one speaks 2026-07-28). */
  upstreams(): Iterable<Upstream>;
  /** Sessions and listen streams, told which lists changed in their era's view. */
  listeners: ReadonlyMap<string, NotificationListener>;
  events: EventEmitter<RouterEvents>;
  activity?: ActivitySink;
}

export type CatalogView = ReturnType<typeof createCatalogView>;

/**
 * The merged view per protocol era, built lazily and dropped on any change; after a change it tells
 * listeners (and the router's events) which lists really changed, and records new naming notes.
 */
export function createCatalogView(deps: CatalogViewDeps) {
  const { listeners, events } = deps;
  /** The merged view per protocol era (a 2026-07-28 upstream may list more to 2026-era clients). */
  let catalogs: Partial<Record<ProtocolEra, Catalog>> = {};
  const published: Record<ProtocolEra, Catalog['fingerprints']> = {
    session: { tools: '', prompts: '', resources: '' },
    modern: { tools: '', prompts: '', resources: '' },
  };
  let publishedWarnings = '';
  /** The naming notes recorded and still holding ("server\nmessage"), so each is recorded once. */
  let recordedNotes = new Set<string>();
  let checkScheduled = false;
  let closed = false;
  /** Which server last offered a tool or prompt name ("tool:x"), to say why a call misses. */
  const lastKnownOwner = new Map<string, string>();

  /** Whether any ready upstream is spoken to in 2026-07-28 (its lists may differ per era). */
  const speaksModern = (): boolean => {
    for (const upstream of deps.upstreams()) {
      const st = upstream.state();
      if (st.status === 'ready' && (st.protocolVersion ?? '') >= '2026-07-28') return true;
    }
    return false;
  };

  /** Whether an upstream is on its way up (starting, or restarting after a failure). */
  const settling = (): boolean => {
    for (const upstream of deps.upstreams()) {
      const { status } = upstream.state();
      if (status === 'starting' || status === 'restarting') return true;
    }
    return false;
  };

  const get = (era: ProtocolEra = 'session'): Catalog => {
    let catalog = catalogs[era];
    if (catalog === undefined) {
      // Without a 2026-07-28 upstream both eras see the same lists: build them once.
      if (era === 'modern' && !speaksModern()) return (catalogs.modern = get('session'));
      catalog = catalogs[era] = buildCatalog(deps.views(), era);
      for (const [exposed, e] of catalog.tools) lastKnownOwner.set(`tool:${exposed}`, e.upstream);
      for (const [exposed, e] of catalog.prompts) lastKnownOwner.set(`prompt:${exposed}`, e.upstream);
    }
    return catalog;
  };

  /** After a change: tell each listener about the lists that changed in its era's view. */
  const publish = (): void => {
    const cat = get();
    for (const kind of ['tools', 'prompts', 'resources'] as const) {
      const changed = (['session', 'modern'] as const).filter(
        (era) => get(era).fingerprints[kind] !== published[era][kind],
      );
      if (changed.length === 0) continue;
      // Each listener hears about the view of its own era.
      for (const l of listeners.values())
        if (changed.includes(l.era ?? 'session') && l.wantsListChanged?.(kind) !== false)
          l.send(`notifications/${kind}/list_changed`);
      events.emit('list-changed', kind);
    }
    published.session = { ...cat.fingerprints };
    published.modern = { ...get('modern').fingerprints };
    const w = JSON.stringify([...cat.warnings]);
    if (w !== publishedWarnings) {
      publishedWarnings = w;
      events.emit('warnings', cat.warnings);
    }
    recordNewNotes(cat.warnings);
  };

  /**
   * Records each naming note once while it holds, not again on every rebuild: a flapping upstream
   * rebuilt the view on each reconnect and every note was recorded anew (30 in 2 minutes). A note
   * that stopped being true and comes back is recorded again; one that went only because an
   * upstream is (re)starting (its own notes, and those it caused on others) comes back with it and
   * is not new: notes are forgotten only while no upstream is starting or restarting.
   */
  const recordNewNotes = (warnings: ReadonlyMap<string, readonly string[]>): void => {
    const holding = new Set<string>();
    for (const [server, list] of warnings) {
      for (const message of list) {
        const key = `${server}\n${message}`;
        holding.add(key);
        if (recordedNotes.has(key)) continue;
        deps.activity?.record({
          time: Date.now(),
          kind: 'system',
          method: 'gateway/naming',
          upstream: server,
          // The gateway chose a name or hid a tool; every client's list is served: not an error.
          outcome: 'note',
          error: { message },
        });
      }
    }
    if (!settling()) recordedNotes = holding;
    else for (const key of holding) recordedNotes.add(key);
  };

  return {
    /** The merged view as clients of this era see it. */
    get,
    /** Something changed upstream: rebuild lazily, and tell listeners which lists really changed. */
    invalidate(): void {
      catalogs = {};
      if (checkScheduled || closed) return;
      checkScheduled = true;
      setImmediate(() => {
        checkScheduled = false;
        if (!closed) publish();
      });
    },
    /** The server that last offered this tool or prompt name, if any did. */
    lastOwner: (kind: 'tool' | 'prompt', exposed: string): string | undefined =>
      lastKnownOwner.get(`${kind}:${exposed}`),
    close(): void {
      closed = true;
    },
  };
}
