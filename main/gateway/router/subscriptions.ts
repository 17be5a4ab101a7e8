import type { Upstream } from '../upstream/types.js';

const SEP = '\u0000';

export type Subscriptions = ReturnType<typeof createSubscriptions>;

/**
 * Resource subscriptions, ref-counted per upstream and URI: the first listener subscribes upstream,
 * the last one leaving unsubscribes, so many client sessions share one upstream subscription.
 */
export function createSubscriptions(getUpstream: (name: string) => Upstream | undefined) {
  const byKey = new Map<string, Set<string>>();
  const byListener = new Map<string, Set<string>>();

  const release = (key: string, listenerId: string): void => {
    const set = byKey.get(key);
    if (set === undefined || !set.delete(listenerId)) return;
    byListener.get(listenerId)?.delete(key);
    if (set.size > 0) return;
    byKey.delete(key);
    const [upstream, uri] = key.split(SEP) as [string, string];
    const up = getUpstream(upstream);
    if (up?.state().status === 'ready') up.request('resources/unsubscribe', { uri }).catch(() => {});
  };

  return {
    async add(listenerId: string, upstream: string, uri: string): Promise<void> {
      const key = `${upstream}${SEP}${uri}`;
      let set = byKey.get(key);
      if (set === undefined) {
        const up = getUpstream(upstream);
        if (up === undefined) throw new Error(`upstream '${upstream}' is gone`);
        await up.request('resources/subscribe', { uri });
        set = byKey.get(key) ?? new Set();
        byKey.set(key, set);
      }
      set.add(listenerId);
      let mine = byListener.get(listenerId);
      if (mine === undefined) byListener.set(listenerId, (mine = new Set()));
      mine.add(key);
    },
    remove(listenerId: string, upstream: string, uri: string): void {
      release(`${upstream}${SEP}${uri}`, listenerId);
    },
    removeListener(listenerId: string): void {
      for (const key of [...(byListener.get(listenerId) ?? [])]) release(key, listenerId);
      byListener.delete(listenerId);
    },
    /** Listener ids subscribed to this upstream's URI. */
    listeners(upstream: string, uri: string): ReadonlySet<string> | undefined {
      return byKey.get(`${upstream}${SEP}${uri}`);
    },
    /** After an upstream reconnects its subscriptions are gone: make them again. */
    renew(upstream: Upstream): void {
      const head = `${upstream.name}${SEP}`;
      for (const key of byKey.keys()) {
        if (key.startsWith(head))
          upstream.request('resources/subscribe', { uri: key.slice(head.length) }).catch(() => {});
      }
    },
  };
}
