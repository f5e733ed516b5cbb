/**
 * The GraphQL client: urql with a normalised cache (graphcache) over HTTP, and
 * graphql-ws for subscriptions (keep-alive pings, retries with backoff, and a
 * refetch of what is on screen after a reconnect).
 */
import { Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { API_URL, REQUEST_TIMEOUT_MS, WS_URL } from './config';
import { StockVariantFragmentDoc, type StockChangedSubscription } from '../gql/graphql';
import type { GraphCacheKeys } from './cacheKeys';
import { embeddedTypes } from './cacheKeys';

/** Reads the current access token (null for guests). */
export type TokenGetter = () => string | null;

/** Listeners told when the subscription socket reconnects, to refetch visible data. */
const reconnectListeners = new Set<() => void>();
export function onReconnect(fn: () => void): () => void {
  reconnectListeners.add(fn);
  return () => {
    reconnectListeners.delete(fn);
  };
}

/**
 * Stock versions already shown, per variant: `stockChanged` messages whose version
 * is not above these are stale (or repeats) and ignored.
 */
const stockVersions = new Map<string, number>();
export function acceptStockVersion(variantId: string, version: number): boolean {
  const seen = stockVersions.get(variantId);
  if (seen !== undefined && version <= seen) return false;
  stockVersions.set(variantId, version);
  return true;
}

/** Context for public catalog queries: GET when the URL stays short enough. */
export const CATALOG_GET = { preferGetMethod: 'within-url-limit' as const };

export interface Api {
  client: Client;
  ws: WsClient;
  dispose(): void;
}

export function makeApi(getToken: TokenGetter): Api {
  let connectedBefore = false;
  const ws = createWsClient({
    url: WS_URL,
    lazy: true,
    keepAlive: 10_000,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    // Exponential backoff with jitter, capped at 10 s.
    retryWait: async (retries) => {
      const base = Math.min(10_000, 500 * 2 ** retries);
      await new Promise((r) => setTimeout(r, base / 2 + Math.random() * (base / 2)));
    },
    connectionParams: () => {
      const token = getToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    on: {
      connected: () => {
        if (connectedBefore) for (const fn of reconnectListeners) fn();
        connectedBefore = true;
      },
    },
  });

  const keys: GraphCacheKeys = Object.fromEntries(embeddedTypes.map((t) => [t, () => null]));

  const client = new Client({
    url: API_URL,
    // Cached data first; views that must be fresh (cart, checkout, orders) ask for
    // cache-and-network themselves, live data comes from subscriptions.
    requestPolicy: 'cache-first',
    // POST by default: carts and orders carry secret tokens that must not end up in
    // URLs (logs, proxies, the browser's HTTP cache). Public catalog queries opt in
    // to GET (see CATALOG_GET), which CDNs and the server's cache headers can serve.
    preferGetMethod: false,
    fetchOptions: () => {
      const token = getToken();
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      return {
        headers,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      };
    },
    exchanges: [
      cacheExchange({
        keys,
        resolvers: {
          // Cursor pages of the same listing are merged: "load more" appends.
          Query: { products: relayPagination(), orders: relayPagination() },
        },
        updates: {
          Subscription: {
            // Live stock goes into the normalised cache, so every view of the
            // variant (product page, cart) updates; stale versions are dropped.
            stockChanged: (result, _args, cache) => {
              const m = (result as Partial<StockChangedSubscription>).stockChanged;
              if (!m || !acceptStockVersion(m.variantId, m.stockVersion)) return;
              // graphcache keys the write by __typename + id.
              const data = { __typename: 'Variant' as const, id: m.variantId, availableQuantity: m.availableQuantity, inStock: m.inStock };
              cache.writeFragment(StockVariantFragmentDoc, data);
            },
          },
        },
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });

  return {
    client,
    ws,
    dispose: () => {
      void ws.dispose();
    },
  };
}
