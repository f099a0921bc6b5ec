/**
 * Loads something from the exporter and keeps it fresh: the last good answer stays on screen
 * while a refresh runs (live tables must not flash), a failure is kept next to it, and a
 * request still running when its inputs change is aborted so an old answer never wins.
 *
 * A big list can be shown before it is all here: when nothing is on screen yet for the current
 * inputs, the loader is given `preview`, may show a first page with it (sorted and limited by
 * the exporter), and the rest is asked for once that page is painted. Reading a 1.3 MB answer
 * alone costs Chromium some 100 ms before any row could be drawn; a first page of 100 rows is
 * a few kilobytes. Refreshes of what is already shown get no preview: they replace it whole.
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
  /** True while `data` is a preview (a first page) and the whole answer is still coming. */
  partial: boolean;
  reload(): void;
}

/** Shows a first part of the answer now; resolves once it is painted (ask for the rest then). */
export type Preview<T> = (early: T) => Promise<void>;

export function useResource<T>(
  load: (signal: AbortSignal, preview?: Preview<T>) => Promise<T>,
  deps: readonly unknown[],
  refreshMs = 0,
): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [refreshing, setRefreshing] = useState(true);
  const [partial, setPartial] = useState(false);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  // Whether an answer (or a preview) for the current inputs is on screen.
  const shown = useRef(false);

  // New inputs: what was shown belongs to the old ones.
  useEffect(() => {
    shown.current = false;
    setData(undefined);
    setError(undefined);
    setLoading(true);
    setPartial(false);
    // The caller's deps are the inputs (as with useEffect itself).
  }, deps);

  useEffect(() => {
    const controller = new AbortController();
    setRefreshing(true);
    const preview: Preview<T> | undefined = shown.current
      ? undefined
      : (early) => {
          if (controller.signal.aborted) return Promise.resolve();
          shown.current = true;
          setData(early);
          setError(undefined);
          setLoading(false);
          setPartial(true);
          return afterPaint();
        };
    loadRef.current(controller.signal, preview).then(
      (value) => {
        if (controller.signal.aborted) return;
        shown.current = true;
        setData(value);
        setError(undefined);
        setLoading(false);
        setRefreshing(false);
        setPartial(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        const e = toApiError(failure);
        if (e.kind === 'cancelled') return;
        setError(e);
        setLoading(false);
        setRefreshing(false);
        // A first page stays what it is: the whole list did not come.
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
  return { data, error, loading, refreshing, partial, reload };
}

/**
 * A list loader's first page, when it may have one: with `preview` (nothing is on screen for the
 * inputs yet) and a `first` request (the rows in view, sorted and limited by the exporter), that
 * page is the answer when it is `complete`, else it is shown and the `whole` list asked for once
 * it is painted. Without either, the whole list alone.
 */
export async function firstPageThenWhole<T, P extends T>(
  preview: Preview<T> | undefined,
  first: (() => Promise<P>) | undefined,
  complete: (page: P) => boolean,
  whole: () => Promise<T>,
): Promise<T> {
  if (preview && first) {
    const page = await first();
    if (complete(page)) return page; // all there is: no second request
    await preview(page);
  }
  return whole();
}

/** Resolves after the next frame was painted (a timer queued from the frame's callback). */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestAnimationFrame === 'undefined') setTimeout(resolve, 0);
    else requestAnimationFrame(() => setTimeout(resolve, 0));
  });
}
