/**
 * `useQuery`: runs a typed operation, keeps the last good data while reloading,
 * reloads when the server comes back or the socket reconnects, and retries with
 * backoff while the server does not answer. Every request has a timeout (client.ts),
 * so nothing spins for ever.
 */
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { TypedDocumentString } from "../gql/graphql";
import { request } from "./client";
import { connectivity, recovered } from "./connectivity";
import { ApiError, errorText } from "./errors";

export interface QueryState<R> {
  data: R | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

export function useQuery<R, V>(
  doc: TypedDocumentString<R, V>,
  variables: V,
  opts: { skip?: boolean; pollMs?: number } = {},
): QueryState<R> {
  const [data, setData] = useState<R | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(!opts.skip);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(variables);
  const seq = useRef(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    if (opts.skip) return;
    const my = ++seq.current;
    const ctrl = new AbortController();
    setLoading(true);
    request(doc, JSON.parse(key) as V, { signal: ctrl.signal })
      .then((d) => {
        if (my !== seq.current) return;
        setData(d);
        setError(null);
      })
      .catch((err: unknown) => {
        if (my !== seq.current || ctrl.signal.aborted) return;
        setError(errorText(err));
        // Network failures are retried when the server is back (recovered fires).
        if (err instanceof ApiError && err.kind === "rate_limited" && err.retryAfterSecs) {
          setTimeout(reload, err.retryAfterSecs * 1000);
        }
      })
      .finally(() => {
        if (my === seq.current) setLoading(false);
      });
    return () => ctrl.abort();
  }, [doc, key, tick, opts.skip, reload]);

  useEffect(() => recovered.on(reload), [reload]);

  useEffect(() => {
    if (!opts.pollMs || opts.skip) return;
    const t = setInterval(reload, opts.pollMs);
    return () => clearInterval(t);
  }, [opts.pollMs, opts.skip, reload]);

  return { data, error, loading, reload };
}

export function useConnectivity() {
  return useSyncExternalStore(connectivity.subscribe, connectivity.get);
}

/** A value that settles `ms` after the last change (search boxes). */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}
