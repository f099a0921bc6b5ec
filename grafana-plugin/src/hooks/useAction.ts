/**
 * Runs one user action (kill, stop, upload…) and keeps what the user must see afterwards: a
 * success line, or the exporter's own explanation of a refusal. A cancelled code prompt is
 * neither: nothing happened, and nothing is shown.
 */
import { useCallback, useState } from 'react';
import { ApiError, toApiError } from '../api/errors';

export interface ActionState {
  busy: boolean;
  error: ApiError | undefined;
  message: string | undefined;
}

export interface Action extends ActionState {
  run<T>(work: () => Promise<T>, success: (result: T) => string): Promise<T | undefined>;
  clear(): void;
}

export function useAction(): Action {
  const [state, setState] = useState<ActionState>({ busy: false, error: undefined, message: undefined });
  const run = useCallback(async <T>(work: () => Promise<T>, success: (result: T) => string) => {
    setState({ busy: true, error: undefined, message: undefined });
    try {
      const result = await work();
      setState({ busy: false, error: undefined, message: success(result) });
      return result;
    } catch (failure) {
      const error = toApiError(failure);
      setState({ busy: false, error: error.kind === 'cancelled' ? undefined : error, message: undefined });
      return undefined;
    }
  }, []);
  const clear = useCallback(() => setState({ busy: false, error: undefined, message: undefined }), []);
  return { ...state, run, clear };
}
