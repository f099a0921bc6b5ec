/**
 * Makes the one HyperionClient available to every page, and owns the code prompt the client
 * opens when the exporter asks for a second factor.
 */
import { config, getBackendSrv } from '@grafana/runtime';
import React, {
  createContext,
  useCallback,
  useContext,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import {
  HyperionClient,
  routeForOrgRole,
  type CodeRequest,
  type FetchFn,
  type ProxyRoute,
  type XhrFactory,
} from './client';
import { OtpPrompt } from './OtpPrompt';

const ApiContext = createContext<HyperionClient | null>(null);

interface Props {
  children: ReactNode;
  /** Tests pass their own; Grafana's backend service otherwise (looked up per call, not at import). */
  fetch?: FetchFn;
  /** Defaults to the route of the signed-in user's organisation role. */
  route?: ProxyRoute | null;
  xhr?: XhrFactory;
}

interface Pending {
  request: CodeRequest;
  resolve: (code: string | null) => void;
  /** Each question its own dialog: a retry starts with an empty field. */
  id: number;
}

const grafanaFetch: FetchFn = (options) => getBackendSrv().fetch(options);

export function ApiProvider({ children, fetch = grafanaFetch, route, xhr }: Props) {
  const [pending, setPending] = useState<Pending | null>(null);
  // The client outlives renders; the prompt function must not change under it.
  const pendingRef = useRef<Pending | null>(null);
  const asked = useRef(0);
  const prompt = useCallback(
    (request: CodeRequest) =>
      new Promise<string | null>((resolve) => {
        // A prompt already open is answered "cancel": one question at a time.
        pendingRef.current?.resolve(null);
        asked.current += 1;
        const next = { request, resolve, id: asked.current };
        pendingRef.current = next;
        setPending(next);
      }),
    [],
  );
  const effectiveRoute = route === undefined ? routeForOrgRole(config.bootData?.user?.orgRole) : route;
  const client = useMemo(
    () => new HyperionClient({ fetch, route: effectiveRoute, prompt, ...(xhr ? { xhr } : {}) }),
    [fetch, effectiveRoute, prompt, xhr],
  );
  const answer = (code: string | null) => {
    pendingRef.current?.resolve(code);
    pendingRef.current = null;
    setPending(null);
  };
  return (
    <ApiContext.Provider value={client}>
      {children}
      {pending && (
        <OtpPrompt
          key={pending.id}
          request={pending.request}
          onSubmit={answer}
          onCancel={() => answer(null)}
        />
      )}
    </ApiContext.Provider>
  );
}

export function useApi(): HyperionClient {
  const client = useContext(ApiContext);
  if (!client) throw new Error('useApi outside <ApiProvider>');
  return client;
}
