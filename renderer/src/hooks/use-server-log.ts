import { useEffect, useState } from 'react';
import type { ServerExitView, ServerLogEntry } from '../../../preload/contract';
import { api, errorText } from '../api';

/** Most entries the window keeps per open log (the gateway keeps its own bound too). */
const MAX_SHOWN_ENTRIES = 500;

export interface ServerLog {
  entries: ServerLogEntry[];
  lastCrash: ServerExitView | undefined;
  /** Entries the gateway dropped before the ones shown (its bound per server). */
  dropped: number;
  loaded: boolean;
  error: string | null;
}

/**
 * One server's log: the gateway's recent entries, then each new one live (onServerLog). Subscribes
 * before loading and merges by `seq`, so an entry logged in between is neither lost nor doubled.
 */
export function useServerLog(server: string): ServerLog {
  const [log, setLog] = useState<ServerLog>({
    entries: [],
    lastCrash: undefined,
    dropped: 0,
    loaded: false,
    error: null,
  });

  useEffect(() => {
    let alive = true;
    const early: ServerLogEntry[] = [];
    let loaded = false;
    const add = (e: ServerLogEntry) =>
      setLog((prev) => {
        if (prev.entries.length > 0 && prev.entries[prev.entries.length - 1]!.seq >= e.seq) return prev;
        const entries = [...prev.entries, e];
        const cut = Math.max(0, entries.length - MAX_SHOWN_ENTRIES);
        return {
          ...prev,
          entries: cut ? entries.slice(cut) : entries,
          dropped: prev.dropped + cut,
          lastCrash: e.exit ?? prev.lastCrash,
        };
      });
    const off = api().onServerLog((e) => {
      if (e.server !== server) return;
      if (loaded) add(e);
      else early.push(e);
    });
    api()
      .getServerLogs(server)
      .then(
        (view) => {
          if (!alive) return;
          loaded = true;
          const last = view.entries.at(-1)?.seq ?? 0;
          setLog({
            entries: view.entries.slice(-MAX_SHOWN_ENTRIES),
            lastCrash: view.lastCrash,
            dropped: view.dropped + Math.max(0, view.entries.length - MAX_SHOWN_ENTRIES),
            loaded: true,
            error: null,
          });
          for (const e of early) if (e.seq > last) add(e);
        },
        (err: unknown) => alive && setLog((prev) => ({ ...prev, loaded: true, error: errorText(err) })),
      );
    return () => {
      alive = false;
      off();
    };
  }, [server]);

  return log;
}
