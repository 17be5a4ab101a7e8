import { useCallback, useEffect, useRef, useState } from 'react';
import { errorText } from '../api';

export interface Action {
  /** Runs `fn`, tracking busy state and keeping its error message; resolves true on success. */
  run(fn: () => Promise<unknown>): Promise<boolean>;
  busy: boolean;
  error: string | null;
  clearError(): void;
}

/** Busy and error state for one button or form, so every failure is shown in words. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = useCallback(async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (err) {
      if (mounted.current) setError(errorText(err));
      return false;
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, []);
  const clearError = useCallback(() => setError(null), []);
  return { run, busy, error, clearError };
}
