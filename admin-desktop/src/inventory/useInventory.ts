/**
 * The inventory list: pages of 100 loaded as the user scrolls (all of them when a
 * sort other than SKU needs every row), patched in place by live stock movements,
 * re-read when the socket reconnects or the server comes back.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { request } from "../api/client";
import { recovered } from "../api/connectivity";
import { errorText } from "../api/errors";
import { subscribe } from "../api/live";
import type { InventoryFilter } from "../gql/graphql";
import { InventoryEventsSubscription, InventoryQuery } from "./operations";
import { applyLevel, applyMovement, type Level, type Row } from "./model";

export const PAGE = 100;

export interface InventoryList {
  rows: Row[];
  loading: boolean;
  error: string | null;
  hasMore: boolean;
  loadMore: () => void;
  /** Variant id -> when it last changed live (for the highlight). */
  flashes: ReadonlyMap<string, number>;
  patchLevel: (variantId: string, level: Omit<Level, "updatedAt"> & { updatedAt?: string | null }) => void;
  reload: () => void;
  firstRowsAt: number | null;
}

export function useInventory(filter: InventoryFilter, loadAll: boolean): InventoryList {
  const [rows, setRows] = useState<Row[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(true);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [flashes, setFlashes] = useState<ReadonlyMap<string, number>>(new Map());
  const [firstRowsAt, setFirstRowsAt] = useState<number | null>(null);
  const gen = useRef(0);
  const busy = useRef(false);
  const key = JSON.stringify(filter);

  const fetchPage = useCallback(
    async (after: string | null, reset: boolean, size = PAGE) => {
      if (busy.current && !reset) return;
      const my = reset ? ++gen.current : gen.current;
      busy.current = true;
      setLoading(true);
      try {
        const data = await request(InventoryQuery, { filter: JSON.parse(key) as InventoryFilter, first: size, after });
        if (my !== gen.current) return;
        const page = data.inventory;
        setRows((prev) => (reset ? page.nodes : [...prev, ...page.nodes]));
        setCursor(page.pageInfo.endCursor);
        setHasMore(page.pageInfo.hasNextPage);
        setError(null);
        if (reset) setFirstRowsAt((t) => t ?? performance.now());
      } catch (err) {
        if (my === gen.current) setError(errorText(err));
      } finally {
        if (my === gen.current) {
          busy.current = false;
          setLoading(false);
        }
      }
    },
    [key],
  );

  const reload = useCallback(() => {
    setHasMore(true);
    void fetchPage(null, true);
  }, [fetchPage]);

  useEffect(() => {
    setRows([]);
    setCursor(null);
    reload();
  }, [reload]);

  const loadMore = useCallback(() => {
    if (!hasMore || busy.current || error) return;
    void fetchPage(cursor, false);
  }, [cursor, hasMore, error, fetchPage]);

  // Sorting by anything but SKU needs every row: keep loading in the background.
  useEffect(() => {
    if (loadAll && hasMore && !loading && !error && rows.length > 0) loadMore();
  }, [loadAll, hasMore, loading, error, rows.length, loadMore]);

  // After a reconnect or outage: re-read from the top (events were missed).
  useEffect(() => recovered.on(reload), [reload]);

  const locationId = filter.locationId ?? null;
  useEffect(() => {
    return subscribe(InventoryEventsSubscription, { locationId }, {
      next: (data) => {
        const m = data.inventoryEvents;
        const id = m.variant?.id;
        if (!id) return;
        setRows((prev) => {
          const i = prev.findIndex((r) => r.variant.id === id);
          const row = i >= 0 ? prev[i] : undefined;
          if (!row) return prev;
          const next = applyMovement(row, m);
          if (next === row) return prev;
          const copy = prev.slice();
          copy[i] = next;
          return copy;
        });
        setFlashes((prev) => new Map(prev).set(id, Date.now()));
      },
    });
  }, [locationId]);

  // Forget highlights after they faded.
  useEffect(() => {
    if (flashes.size === 0) return;
    const t = setTimeout(() => {
      const now = Date.now();
      setFlashes((prev) => new Map([...prev].filter(([, at]) => now - at < 1500)));
    }, 1600);
    return () => clearTimeout(t);
  }, [flashes]);

  const patchLevel = useCallback((variantId: string, level: Omit<Level, "updatedAt"> & { updatedAt?: string | null }) => {
    setRows((prev) => prev.map((r) => (r.variant.id === variantId ? applyLevel(r, level) : r)));
  }, []);

  return { rows, loading, error, hasMore, loadMore, flashes, patchLevel, reload, firstRowsAt };
}
