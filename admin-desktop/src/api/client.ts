/**
 * GraphQL over HTTP for the admin app: every request has a timeout, a 401 gets one
 * silent token refresh and a retry, and every failure becomes an {@link ApiError}
 * in words. Operations are the typed documents generated from ../schema.graphql.
 */
import type { TypedDocumentString } from "../gql/graphql";
import { ApiError, describeWait } from "./errors";
import { markHttpDown, markHttpOk } from "./connectivity";

export interface AuthHooks {
  /** The access token to send, refreshed first if it is about to expire. */
  token(): Promise<string | null>;
  /** After a 401: try to refresh; true if there is a new token to retry with. */
  refreshAfter401(): Promise<boolean>;
  /** The session cannot be renewed: ask the user to sign in again. */
  expired(): void;
}

let auth: AuthHooks | null = null;
let serverUrl = "http://127.0.0.1:8000";

export function configureClient(server: string, hooks: AuthHooks | null): void {
  serverUrl = server;
  auth = hooks;
}

export function currentServer(): string {
  return serverUrl;
}

export const REQUEST_TIMEOUT_MS = 15_000;

interface GqlErrorJson {
  message?: string;
  extensions?: { code?: string; retryAfter?: number; field?: string };
}
interface GqlResponseJson<T> {
  data?: T | null;
  errors?: GqlErrorJson[];
}

export interface RequestOptions {
  /** Without a token (sign in, refresh). */
  anonymous?: boolean;
  /** Another server than the configured one (sign in). */
  server?: string;
  signal?: AbortSignal;
}

/** Runs one operation and returns its data, or throws an {@link ApiError}. */
export async function request<R, V>(
  doc: TypedDocumentString<R, V>,
  variables: V,
  opts: RequestOptions = {},
): Promise<R> {
  let retried = false;
  for (;;) {
    const token = opts.anonymous || !auth ? null : await auth.token();
    const res = await send(opts.server ?? serverUrl, doc.toString(), variables, token, opts.signal);
    if (res.status === 401 && !opts.anonymous && auth) {
      if (!retried && (await auth.refreshAfter401())) {
        retried = true;
        continue;
      }
      auth.expired();
      throw new ApiError("unauthenticated", "Your session ended. Sign in again to continue; your unsaved changes are kept.");
    }
    return decode<R>(res);
  }
}

interface RawResponse {
  status: number;
  retryAfter: string | null;
  body: unknown;
}

async function send(
  server: string,
  query: string,
  variables: unknown,
  token: string | null,
  outer?: AbortSignal,
): Promise<RawResponse> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new DOMException("timeout", "TimeoutError")), REQUEST_TIMEOUT_MS);
  const onOuter = () => ctrl.abort(outer?.reason);
  outer?.addEventListener("abort", onOuter);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json",
  };
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    const res = await fetch(`${server.replace(/\/+$/, "")}/graphql`, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      signal: ctrl.signal,
    });
    const body: unknown = await res.json().catch(() => null);
    markHttpOk();
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body };
  } catch (err) {
    if (outer?.aborted) throw err;
    markHttpDown();
    if (ctrl.signal.aborted) {
      throw new ApiError("timeout", "The server took too long to answer. It will be retried.");
    }
    throw new ApiError("network", `The server at ${server} does not answer. Check that it is running; the app keeps retrying.`);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", onOuter);
  }
}

function decode<R>(res: RawResponse): R {
  const body = (res.body ?? {}) as GqlResponseJson<R>;
  const first = body.errors?.[0];
  if (res.status === 429 || first?.extensions?.code === "RATE_LIMITED") {
    const secs = first?.extensions?.retryAfter ?? (res.retryAfter ? Number(res.retryAfter) : null);
    throw new ApiError(
      "rate_limited",
      secs ? `Too many requests. Try again ${describeWait(secs)}.` : "Too many requests. Try again in a moment.",
      secs,
    );
  }
  if (first) {
    switch (first.extensions?.code) {
      case "UNAUTHENTICATED":
        throw new ApiError("unauthenticated", "Your session ended. Sign in again to continue.");
      case "FORBIDDEN":
        throw new ApiError("forbidden", "Your account may not do this. Staff access is needed.");
      case "BAD_USER_INPUT":
      case "NOT_FOUND":
        throw new ApiError("bad_input", first.message ?? "The server could not use this input.");
      default:
        throw new ApiError("server", "The server could not answer this request. Try again; if it keeps failing, tell your administrator.");
    }
  }
  if (res.status >= 500 || !body.data) {
    throw new ApiError("server", "The server could not answer this request. Try again; if it keeps failing, tell your administrator.");
  }
  return body.data;
}
