import { useCallback, useEffect, useState } from 'react';
import type { Unsubscribe } from '../../../preload/contract';
import { errorText } from '../api';

export interface Live<T> {
  data: T | null;
  error: string | null;
  reload(): void;
}

/**
 * A value loaded once with `load` and kept current by `subscribe` (a contract event). A failed
 * load is kept as an error message; a later event or reload replaces it.
 */
export function useLive<T>(
  load: () => Promise<T>,
  subscribe: ((listener: (value: T) => void) => Unsubscribe) | null,
): Live<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  useEffect(() => {
    let alive = true;
    load().then(
      (v) => {
        if (!alive) return;
        setData(v);
        setError(null);
      },
      (err: unknown) => alive && setError(errorText(err)),
    );
    return () => {
      alive = false;
    };
  }, [generation]);

  useEffect(() => {
    if (!subscribe) return;
    return subscribe((v) => {
      setData(v);
      setError(null);
    });
  }, []);

  return { data, error, reload };
}
