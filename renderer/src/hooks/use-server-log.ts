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

  // The dashboard's event stream dropped and came back: entries logged meanwhile were never pushed.
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let lost = false;
    return api().onConnection?.((connected) => {
      if (!connected) lost = true;
      else if (lost) {
        lost = false;
        setGeneration((g) => g + 1);
      }
    });
  }, []);

  useEffect(() => {
    let alive = true;
    const early: ServerLogEntry[] = [];
    let loaded = false;
    const add = (batch: ServerLogEntry[]) =>
      setLog((prev) => {
        const last = prev.entries.at(-1)?.seq ?? 0;
        const fresh = batch.filter((e) => e.seq > last);
        if (fresh.length === 0) return prev;
        const entries = [...prev.entries, ...fresh];
        const cut = Math.max(0, entries.length - MAX_SHOWN_ENTRIES);
        const crash = fresh.findLast((e) => e.exit)?.exit;
        return {
          ...prev,
          entries: cut ? entries.slice(cut) : entries,
          dropped: prev.dropped + cut,
          lastCrash: crash ?? prev.lastCrash,
        };
      });
    const off = api().onServerLog((batch) => {
      const mine = batch.filter((e) => e.server === server);
      if (mine.length === 0) return;
      if (loaded) add(mine);
      else early.push(...mine);
    });
    api()
      .getServerLogs(server)
      .then(
        (view) => {
          if (!alive) return;
          loaded = true;
          setLog({
            entries: view.entries.slice(-MAX_SHOWN_ENTRIES),
            lastCrash: view.lastCrash,
            dropped: view.dropped + Math.max(0, view.entries.length - MAX_SHOWN_ENTRIES),
            loaded: true,
            error: null,
          });
          add(early); // those already in the view are skipped by seq
        },
        (err: unknown) => alive && setLog((prev) => ({ ...prev, loaded: true, error: errorText(err) })),
      );
    return () => {
      alive = false;
      off();
    };
  }, [server, generation]);

  return log;
}
