import { afterEach, describe, expect, it, vi } from "vitest";
import { request } from "../api/client";
import { ApiError } from "../api/errors";
import { PingQuery } from "./operations";
import { session, signIn } from "./session";
import { loadRefreshToken } from "./tokenStore";

const SERVER = "http://127.0.0.1:18298";
const user = { id: "u1", email: "s@x.test", name: "Sam", role: "STAFF" };
const tokens = (n: number) => ({
  user,
  accessToken: `at${n}`,
  accessTokenExpiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
  refreshToken: `rt${n}`,
  userErrors: [],
});

interface Sent {
  query: string;
  variables: Record<string, unknown>;
  auth: string | null;
}

function mockServer(answers: ((sent: Sent) => { status?: number; body: unknown })[]) {
  const sent: Sent[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (_url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body)) as { query: string; variables: Record<string, unknown> };
      const headers = init.headers as Record<string, string>;
      const s = { ...body, auth: headers.authorization ?? null };
      sent.push(s);
      const next = answers.shift();
      if (!next) throw new Error("unexpected request");
      const a = next(s);
      return new Response(JSON.stringify(a.body), { status: a.status ?? 200, headers: { "content-type": "application/json" } });
    }),
  );
  return sent;
}

describe("session", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("refreshes silently after a 401 and retries with the new token", async () => {
    const sent = mockServer([
      () => ({ body: { data: { tokenCreate: tokens(1) } } }),
      () => ({ status: 401, body: { errors: [{ message: "expired", extensions: { code: "UNAUTHENTICATED" } }] } }),
      () => ({ body: { data: { tokenRefresh: tokens(2) } } }),
      () => ({ body: { data: { __typename: "Query" } } }),
    ]);
    await signIn(SERVER, "s@x.test", "pw");
    expect(await loadRefreshToken(SERVER)).toBe("rt1");
    await expect(request(PingQuery, {})).resolves.toEqual({ __typename: "Query" });
    expect(sent[1]?.auth).toBe("Bearer at1");
    expect(sent[2]?.variables).toEqual({ refreshToken: "rt1" });
    expect(sent[3]?.auth).toBe("Bearer at2");
    expect(await loadRefreshToken(SERVER)).toBe("rt2");
    expect(session.get().status).toBe("signed_in");
  });

  it("when renewal is refused the session is marked expired (screens stay) and the user is told", async () => {
    mockServer([
      () => ({ body: { data: { tokenCreate: tokens(3) } } }),
      () => ({ status: 401, body: { errors: [{ message: "expired", extensions: { code: "UNAUTHENTICATED" } }] } }),
      () => ({ body: { data: { tokenRefresh: { user: null, accessToken: null, accessTokenExpiresAt: null, refreshToken: null, userErrors: [{ code: "UNAUTHENTICATED", field: null, message: "reused" }] } } } }),
    ]);
    await signIn(SERVER, "s@x.test", "pw");
    const err = await request(PingQuery, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).kind).toBe("unauthenticated");
    expect((err as ApiError).message).toMatch(/sign in again.*unsaved changes are kept/i);
    expect(session.get()).toMatchObject({ status: "expired", user: { id: "u1" } });
    expect(await loadRefreshToken(SERVER)).toBeNull();

    // Signing in again as the same user keeps the open screens (same generation).
    const gen = (session.get() as { generation: number }).generation;
    mockServer([() => ({ body: { data: { tokenCreate: tokens(4) } } })]);
    await signIn(SERVER, "s@x.test", "pw");
    expect(session.get()).toMatchObject({ status: "signed_in", generation: gen });
  });

  it("a 429 is said in words with when to retry", async () => {
    mockServer([
      () => ({ body: { data: { tokenCreate: tokens(5) } } }),
      () => ({ status: 429, body: { errors: [{ message: "too many", extensions: { code: "RATE_LIMITED", retryAfter: 30 } }] } }),
    ]);
    await signIn(SERVER, "s@x.test", "pw");
    const err = (await request(PingQuery, {}).catch((e: unknown) => e)) as ApiError;
    expect(err.kind).toBe("rate_limited");
    expect(err.message).toMatch(/Too many requests\. Try again in 30 seconds \(at /);
    expect(err.retryAfterSecs).toBe(30);
  });
});
