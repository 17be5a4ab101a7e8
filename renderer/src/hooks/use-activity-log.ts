import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ActivityEvent } from '../../../preload/contract';
import { api, errorText } from '../api';
import { clientLabel, makeMatcher, type ActivityFilters } from '../lib/activity-filter';

/** Most events the window keeps; the oldest are dropped beyond it (the files keep everything). */
const MAX_EVENTS = 100_000;
const PAGE = 10_000;
/** Live events are applied in batches at most this often, so a burst costs one render. */
const FLUSH_MS = 100;

export interface ActivityLog {
  loading: boolean;
  error: string | null;
  total: number;
  /** Matching events, newest first, by row index. */
  count: number;
  at(row: number): ActivityEvent | undefined;
  /** Row of the event with this id among the matching ones, or null. */
  rowOf(id: number): number | null;
  paused: boolean;
  queued: number;
  setPaused(p: boolean): void;
  clear(): Promise<void>;
  upstreams: string[];
  clients: string[];
}

/** The tool-call log in the window: loaded in pages, kept live, filtered incrementally. */
export function useActivityLog(filters: ActivityFilters): ActivityLog {
  const events = useRef<ActivityEvent[]>([]);
  const incoming = useRef<ActivityEvent[]>([]);
  const seen = useRef({ upstreams: new Set<string>(), clients: new Set<string>() });
  const [generation, setGeneration] = useState(0); // bumps when events are replaced or trimmed
  const [version, setVersion] = useState(0); // bumps when events are appended
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [paused, setPausedState] = useState(false);
  const pausedRef = useRef(false);
  const [queued, setQueued] = useState(0);

  const note = (list: ActivityEvent[]) => {
    for (const e of list) {
      if (e.upstream) seen.current.upstreams.add(e.upstream);
      const c = clientLabel(e);
      if (c) seen.current.clients.add(c);
    }
  };

  // The filters in force, for deciding whether an update of a call in flight changes what matches.
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  /** Index of the event with this id (ids grow with position), or -1. */
  const indexOf = (id: number): number => {
    const list = events.current;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const midId = list[mid]!.id;
      if (midId === id) return mid;
      if (midId < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };

  /** New events go at the end; an event with a known id (a call in flight moving on) replaces it. */
  const append = useCallback((list: ActivityEvent[]) => {
    const fresh: ActivityEvent[] = [];
    let replaced = false;
    let refilter = false;
    for (const e of list) {
      const last = fresh.at(-1)?.id ?? events.current.at(-1)?.id ?? -Infinity;
      if (e.id > last) {
        fresh.push(e);
        continue;
      }
      const inFresh = fresh.findIndex((f) => f.id === e.id);
      if (inFresh !== -1) {
        fresh[inFresh] = e;
        continue;
      }
      const i = indexOf(e.id);
      if (i === -1) continue; // trimmed or cleared meanwhile
      const match = makeMatcher(filtersRef.current);
      if (match(events.current[i]!) !== match(e)) refilter = true;
      events.current[i] = e;
      replaced = true;
    }
    if (!fresh.length && !replaced) return;
    note(fresh);
    events.current.push(...fresh);
    if (refilter || events.current.length > MAX_EVENTS * 1.1) {
      if (events.current.length > MAX_EVENTS * 1.1) events.current = events.current.slice(-MAX_EVENTS);
      setGeneration((g) => g + 1);
    } else setVersion((v) => v + 1);
  }, []);

  useEffect(() => {
    let alive = true;
    let loaded = false;
    const off = api().onActivity((e) => incoming.current.push(e));
    const timer = setInterval(() => {
      if (!loaded || pausedRef.current || incoming.current.length === 0) {
        if (pausedRef.current) setQueued(incoming.current.length);
        return;
      }
      const batch = incoming.current;
      incoming.current = [];
      append(batch);
    }, FLUSH_MS);
    (async () => {
      const pages: ActivityEvent[][] = [];
      let before: number | undefined;
      let total = 0;
      while (total < MAX_EVENTS) {
        const q: { limit: number; beforeId?: number } = { limit: Math.min(PAGE, MAX_EVENTS - total) };
        if (before !== undefined) q.beforeId = before;
        const page = await api().getActivity(q);
        if (!page.length) break;
        pages.unshift(page);
        total += page.length;
        before = page[0]?.id;
        if (page.length < q.limit) break;
      }
      if (!alive) return;
      const all = pages.flat();
      note(all);
      events.current = all;
      loaded = true;
      setGeneration((g) => g + 1);
      setLoading(false);
    })().catch((err: unknown) => {
      if (!alive) return;
      loaded = true;
      setError(errorText(err));
      setLoading(false);
    });
    return () => {
      alive = false;
      off();
      clearInterval(timer);
    };
  }, [append]);

  // Incremental filtering: appended events are matched alone; new filters or a trim redo all.
  const cache = useRef({ key: '', matched: [] as number[], processed: 0 });
  const matched = useMemo(() => {
    const key = `${generation}\u0000${JSON.stringify(filters)}`;
    const c = cache.current;
    if (c.key !== key) cache.current = { key, matched: [], processed: 0 };
    const cur = cache.current;
    const match = makeMatcher(filters);
    const list = events.current;
    const next = cur.matched.slice();
    for (let i = cur.processed; i < list.length; i++) if (match(list[i]!)) next.push(i);
    cur.matched = next;
    cur.processed = list.length;
    return next;
  }, [generation, version, filters]);

  const at = useCallback(
    (row: number) => {
      const idx = matched[matched.length - 1 - row];
      return idx === undefined ? undefined : events.current[idx];
    },
    [matched],
  );

  const rowOf = useCallback(
    (id: number) => {
      // Ids grow with position, so binary search the matching indices by id.
      let lo = 0;
      let hi = matched.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const e = events.current[matched[mid]!]!;
        if (e.id === id) return matched.length - 1 - mid;
        if (e.id < id) lo = mid + 1;
        else hi = mid - 1;
      }
      return null;
    },
    [matched],
  );

  const setPaused = useCallback(
    (p: boolean) => {
      pausedRef.current = p;
      setPausedState(p);
      if (!p) {
        const batch = incoming.current;
        incoming.current = [];
        setQueued(0);
        append(batch);
      }
    },
    [append],
  );

  const clear = useCallback(async () => {
    await api().clearActivity();
    events.current = [];
    incoming.current = [];
    seen.current = { upstreams: new Set(), clients: new Set() };
    setQueued(0);
    setGeneration((g) => g + 1);
  }, []);

  return {
    loading,
    error,
    total: events.current.length,
    count: matched.length,
    at,
    rowOf,
    paused,
    queued,
    setPaused,
    clear,
    upstreams: [...seen.current.upstreams].sort(),
    clients: [...seen.current.clients].sort(),
  };
}
