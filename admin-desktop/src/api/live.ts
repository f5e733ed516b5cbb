/**
 * Subscriptions over graphql-ws (graphql-transport-ws): keep-alive pings every 15 s
 * (the server drops sockets silent for 60 s), reconnect with backoff for ever, and
 * after a reconnect `recovered` fires so every screen re-reads what it shows (events
 * sent while the socket was down are not replayed to a new subscription).
 */
import { createClient, type Client } from "graphql-ws";
import type { TypedDocumentString } from "../gql/graphql";
import { recovered, setLive } from "./connectivity";

let client: Client | null = null;
let clientServer = "";
let tokenFn: () => Promise<string | null> = async () => null;

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10000];

function wsUrl(server: string): string {
  return `${server.replace(/^http/, "ws").replace(/\/+$/, "")}/graphql`;
}

/** Opens (or re-opens) the socket to `server`. */
export function startLive(server: string, token: () => Promise<string | null>): void {
  stopLive();
  clientServer = server;
  tokenFn = token;
  let failures = 0;
  setLive("reconnecting");
  client = createClient({
    url: wsUrl(server),
    lazy: false,
    keepAlive: 15_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      const wait = BACKOFF_MS[Math.min(retries, BACKOFF_MS.length - 1)] ?? 10000;
      await new Promise((r) => setTimeout(r, wait + Math.random() * 300));
    },
    connectionParams: async () => {
      const t = await tokenFn();
      return t ? { authorization: `Bearer ${t}` } : {};
    },
    on: {
      connecting: () => setLive(failures >= 2 ? "offline" : "reconnecting"),
      connected: (_socket, _payload, wasRetry) => {
        failures = 0;
        setLive("live");
        if (wasRetry) recovered.emit();
      },
      closed: () => {
        failures += 1;
        if (client) setLive(failures >= 2 ? "offline" : "reconnecting");
      },
    },
  });
}

export function stopLive(): void {
  const c = client;
  client = null;
  if (c) void c.dispose();
  setLive("idle");
}

export interface LiveHandlers<R> {
  next(data: R): void;
  /** The subscription failed for good (e.g. refused); it is retried after a pause. */
  error?(message: string): void;
}

/**
 * Subscribes until the returned function is called. A subscription that errors or
 * completes (e.g. the socket was replaced) is started again after a pause.
 */
export function subscribe<R, V>(
  doc: TypedDocumentString<R, V>,
  variables: V,
  handlers: LiveHandlers<R>,
): () => void {
  let stopped = false;
  let unsub: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let attempt = 0;

  const start = () => {
    if (stopped) return;
    if (!client) {
      timer = setTimeout(start, 1000);
      return;
    }
    const server = clientServer;
    unsub = client.subscribe<R>(
      { query: doc.toString(), variables: variables as Record<string, unknown> },
      {
        next: (msg) => {
          attempt = 0;
          if (msg.data) handlers.next(msg.data);
          else if (msg.errors?.length) handlers.error?.("The server refused live updates for this view.");
        },
        error: () => again(server),
        complete: () => again(server),
      },
    );
  };
  const again = (server: string) => {
    if (stopped) return;
    unsub = null;
    const wait = BACKOFF_MS[Math.min(attempt++, BACKOFF_MS.length - 1)] ?? 10000;
    timer = setTimeout(() => {
      // The socket was replaced (another server or a new sign-in): just resubscribe.
      if (server !== clientServer) attempt = 0;
      start();
    }, wait);
  };
  start();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    unsub?.();
  };
}
