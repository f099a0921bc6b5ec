/** The host a page acts on lives in the URL (?host=web-1), so a link or a reload keeps it. */
import { useCallback } from 'react';
import { useSearchParams } from 'react-router-dom';
import { LOCAL_HOST } from '../constants';

export function useHost(): [string, (host: string) => void] {
  const [params, setParams] = useSearchParams();
  const host = params.get('host') || LOCAL_HOST;
  const setHost = useCallback(
    (next: string) =>
      setParams(
        (prev) => {
          const copy = new URLSearchParams(prev);
          copy.set('host', next);
          return copy;
        },
        { replace: false },
      ),
    [setParams],
  );
  return [host, setHost];
}

/** One search parameter as page state (filters, the current folder…). */
export function useSearchParam(name: string, fallback = ''): [string, (value: string) => void] {
  const [params, setParams] = useSearchParams();
  const value = params.get(name) ?? fallback;
  const set = useCallback(
    (next: string) =>
      setParams(
        (prev) => {
          const copy = new URLSearchParams(prev);
          if (next === fallback) copy.delete(name);
          else copy.set(name, next);
          return copy;
        },
        { replace: true },
      ),
    [name, fallback, setParams],
  );
  return [value, set];
}

/**
 * Several search parameters in one navigation. react-router computes a functional update from
 * the last render, so two setters called in a row would lose the first change.
 */
export function useSearchParamsUpdate(): (patch: Record<string, string | null>) => void {
  const [, setParams] = useSearchParams();
  return useCallback(
    (patch) =>
      setParams((prev) => {
        const copy = new URLSearchParams(prev);
        for (const [key, value] of Object.entries(patch)) {
          if (value === null || value === '') copy.delete(key);
          else copy.set(key, value);
        }
        return copy;
      }),
    [setParams],
  );
}
