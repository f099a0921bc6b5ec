/**
 * Loads something from the exporter and keeps it fresh: the last good answer stays on screen
 * while a refresh runs (live tables must not flash), a failure is kept next to it, and a
 * request still running when its inputs change is aborted so an old answer never wins.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, toApiError } from '../api/errors';

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** True until the first answer (or failure) for the current inputs. */
  loading: boolean;
  /** True while any request runs, the first included. */
  refreshing: boolean;
  reload(): void;
}

export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  refreshMs = 0,
): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [refreshing, setRefreshing] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  // New inputs: what was shown belongs to the old ones.
  useEffect(() => {
    setData(undefined);
    setError(undefined);
    setLoading(true);
    // The caller's deps are the inputs (as with useEffect itself).
  }, deps);

  useEffect(() => {
    const controller = new AbortController();
    setRefreshing(true);
    loadRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setError(undefined);
        setLoading(false);
        setRefreshing(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        const e = toApiError(failure);
        if (e.kind === 'cancelled') return;
        setError(e);
        setLoading(false);
        setRefreshing(false);
      },
    );
    return () => controller.abort();
    // The caller's deps are the inputs (as with useEffect itself).
  }, [...deps, tick]);

  useEffect(() => {
    if (refreshMs <= 0) return;
    const timer = setInterval(() => setTick((t) => t + 1), refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, refreshing, reload };
}
