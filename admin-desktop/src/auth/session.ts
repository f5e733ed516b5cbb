/**
 * The signed-in session. The access token lives only here, in memory; the refresh
 * token goes to the native store. Tokens are refreshed a minute before they expire
 * (and after a 401). When renewal fails the session becomes `expired`: the screens
 * stay mounted (unsaved forms survive) and a sign-in dialog is shown over them.
 */
import { configureClient, request } from "../api/client";
import { ApiError, describeWait, secondsInMessage } from "../api/errors";
import { resetConnectivity, setProbe } from "../api/connectivity";
import { Store } from "../api/store";
import { PingQuery, RefreshMutation, RevokeMutation, SignInMutation } from "./operations";
import { clearRefreshToken, loadRefreshToken, saveRefreshToken } from "./tokenStore";

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: "CUSTOMER" | "STAFF" | "ADMIN";
}

export type SessionState =
  | { status: "starting" }
  | { status: "signed_out" }
  | { status: "signed_in"; server: string; user: SessionUser; generation: number }
  | { status: "expired"; server: string; user: SessionUser; generation: number };

export const session = new Store<SessionState>({ status: "starting" });

let accessToken: string | null = null;
let accessExpiresAt = 0;
let refreshTimer: ReturnType<typeof setTimeout> | null = null;
let refreshing: Promise<boolean> | null = null;
let server = "";
let generation = 0;

interface Tokens {
  user?: SessionUser | null;
  accessToken?: string | null;
  accessTokenExpiresAt?: string | null;
  refreshToken?: string | null;
}

function hooks() {
  return {
    token: async () => {
      if (accessToken && Date.now() > accessExpiresAt - 30_000) await refresh();
      return accessToken;
    },
    refreshAfter401: () => refresh(),
    expired: () => markExpired(),
  };
}

function markExpired(): void {
  const s = session.get();
  accessToken = null;
  if (s.status === "signed_in") session.set({ ...s, status: "expired" });
}

async function adopt(url: string, t: Tokens): Promise<SessionUser> {
  if (!t.user || !t.accessToken || !t.refreshToken) {
    throw new ApiError("server", "The server's answer to sign-in was incomplete. Try again.");
  }
  accessToken = t.accessToken;
  accessExpiresAt = t.accessTokenExpiresAt ? Date.parse(t.accessTokenExpiresAt) : Date.now() + 15 * 60_000;
  await saveRefreshToken(url, t.refreshToken);
  schedule();
  return t.user;
}

function schedule(): void {
  if (refreshTimer) clearTimeout(refreshTimer);
  const wait = Math.max(5_000, accessExpiresAt - Date.now() - 60_000);
  refreshTimer = setTimeout(() => void refresh(), wait);
}

/** Silent renewal with the kept refresh token; one at a time. */
export function refresh(): Promise<boolean> {
  if (!refreshing) {
    refreshing = doRefresh().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function doRefresh(): Promise<boolean> {
  const url = server;
  const token = await loadRefreshToken(url);
  if (!token) return false;
  try {
    const data = await request(RefreshMutation, { refreshToken: token }, { anonymous: true, server: url });
    const p = data.tokenRefresh;
    if (p.userErrors.length > 0 || !p.accessToken) {
      await clearRefreshToken(url);
      markExpired();
      return false;
    }
    const user = await adopt(url, p);
    const s = session.get();
    if (s.status === "expired" || s.status === "signed_in") session.set({ ...s, status: "signed_in", user });
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.kind === "unauthenticated") {
      await clearRefreshToken(url);
      markExpired();
      return false;
    }
    // Server down: keep the session; retry the renewal soon.
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void refresh(), 5_000);
    return false;
  }
}

function useServer(url: string): void {
  server = url;
  configureClient(url, hooks());
  setProbe(async () => {
    await request(PingQuery, {}, { anonymous: true, server: url });
    return true;
  });
}

let resuming: Promise<void> | null = null;

/**
 * On start: resume the kept session of `url`, if any. Once per run: a refresh token
 * works once, and presenting it twice (React's StrictMode runs effects twice in
 * development) would sign the whole session out.
 */
export function resume(url: string): Promise<void> {
  resuming ??= doResume(url);
  return resuming;
}

async function doResume(url: string): Promise<void> {
  useServer(url);
  const token = await loadRefreshToken(url);
  if (!token) {
    session.set({ status: "signed_out" });
    return;
  }
  try {
    const data = await request(RefreshMutation, { refreshToken: token }, { anonymous: true, server: url });
    const p = data.tokenRefresh;
    if (p.userErrors.length > 0 || !p.user || (p.user.role !== "STAFF" && p.user.role !== "ADMIN")) {
      await clearRefreshToken(url);
      session.set({ status: "signed_out" });
      return;
    }
    const user = await adopt(url, p);
    generation += 1;
    session.set({ status: "signed_in", server: url, user, generation });
  } catch {
    // Not answering or refused: sign in by hand (the form says why if it fails again).
    session.set({ status: "signed_out" });
  }
}

/** Why signing in did not work, in words. */
export class SignInError extends Error {}

export async function signIn(url: string, email: string, password: string): Promise<SessionUser> {
  const clean = url.trim().replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s/]+/.test(clean)) {
    throw new SignInError("Enter the server address, e.g. http://127.0.0.1:8000.");
  }
  let data;
  try {
    data = await request(SignInMutation, { email: email.trim(), password }, { anonymous: true, server: clean });
  } catch (err) {
    if (err instanceof ApiError && (err.kind === "network" || err.kind === "timeout")) {
      throw new SignInError(`The server at ${clean} does not answer. Check the address and that the server is running.`);
    }
    throw new SignInError(err instanceof ApiError ? err.message : "Signing in failed. Try again.");
  }
  const p = data.tokenCreate;
  const e = p.userErrors[0];
  if (e) {
    if (e.code === "INVALID_CREDENTIALS") throw new SignInError("Wrong email or password.");
    if (e.code === "TOO_MANY_ATTEMPTS") {
      const secs = secondsInMessage(e.message);
      throw new SignInError(
        `Too many failed sign-ins for this account. Try again ${secs ? describeWait(secs) : "later"}.`,
      );
    }
    if (e.code === "RATE_LIMITED") throw new SignInError("Too many sign-in attempts from here. Wait a minute and try again.");
    throw new SignInError(e.message);
  }
  if (!p.user || (p.user.role !== "STAFF" && p.user.role !== "ADMIN")) {
    // A customer account: end the session we just opened.
    if (p.refreshToken) {
      await request(RevokeMutation, { refreshToken: p.refreshToken }, { anonymous: true, server: clean }).catch(() => undefined);
    }
    throw new SignInError("This is a customer account. The admin app is for shop staff; ask an administrator for a staff account.");
  }
  const previous = session.get();
  useServer(clean);
  const user = await adopt(clean, p);
  if (previous.status === "expired" && previous.server === clean && previous.user.id === user.id) {
    // Signed in again over the open screens: keep them (and their unsaved forms).
    session.set({ ...previous, status: "signed_in", user });
  } else {
    generation += 1;
    session.set({ status: "signed_in", server: clean, user, generation });
  }
  return user;
}

/** Signs out: revokes the session on the server, forgets the tokens here. */
export async function signOut(): Promise<void> {
  const url = server;
  const token = await loadRefreshToken(url);
  if (token) {
    await request(RevokeMutation, { refreshToken: token }, { anonymous: true, server: url }).catch(() => undefined);
  }
  await clearRefreshToken(url);
  if (refreshTimer) clearTimeout(refreshTimer);
  accessToken = null;
  resetConnectivity();
  session.set({ status: "signed_out" });
}

/** The token for the subscription socket (refreshed if near expiry). */
export async function socketToken(): Promise<string | null> {
  return hooks().token();
}
