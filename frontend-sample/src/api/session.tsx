/**
 * Who is shopping: the signed-in customer's tokens and the guest cart's id and
 * secret token (localStorage, so a reload or a new tab finds the same cart). The
 * urql client is rebuilt when someone signs in or out, so no cached personal data
 * outlives its session.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Provider } from 'urql';
import { makeApi } from './client';
import { REQUEST_TIMEOUT_MS } from './config';
import { graphql } from '../gql';
import { isRecord, readJson, writeJson } from '../lib/storage';

export interface AuthTokens {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  email: string;
}
export interface GuestCart {
  id: string;
  token: string;
}

const AUTH_KEY = 'stockade.auth';
const CART_KEY = 'stockade.guestCart';

const isAuth = (v: unknown): v is AuthTokens =>
  isRecord(v) && typeof v['accessToken'] === 'string' && typeof v['refreshToken'] === 'string' && typeof v['email'] === 'string' && typeof v['accessTokenExpiresAt'] === 'string';
const isGuestCart = (v: unknown): v is GuestCart => isRecord(v) && typeof v['id'] === 'string' && typeof v['token'] === 'string';

const RefreshMutation = graphql(`
  mutation TokenRefresh($refreshToken: String!) {
    tokenRefresh(refreshToken: $refreshToken) {
      accessToken
      accessTokenExpiresAt
      refreshToken
      user { email }
      userErrors { ...UserErrorFields }
    }
  }
`);

interface SessionValue {
  auth: AuthTokens | null;
  signIn(tokens: AuthTokens): void;
  signOut(): void;
  guestCart: GuestCart | null;
  setGuestCart(c: GuestCart | null): void;
}

const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [auth, setAuth] = useState<AuthTokens | null>(() => readJson(localStorage, AUTH_KEY, isAuth));
  const [guestCart, setGuestCartState] = useState<GuestCart | null>(() => readJson(localStorage, CART_KEY, isGuestCart));
  const tokenRef = useRef<string | null>(auth?.accessToken ?? null);
  tokenRef.current = auth?.accessToken ?? null;

  // One client per signed-in identity (guest or a customer's email).
  const identity = auth?.email ?? '';
  const api = useMemo(() => makeApi(() => tokenRef.current), [identity]);
  useEffect(() => () => api.dispose(), [api]);

  const signIn = useCallback((tokens: AuthTokens) => {
    writeJson(localStorage, AUTH_KEY, tokens);
    setAuth(tokens);
  }, []);
  const signOut = useCallback(() => {
    writeJson(localStorage, AUTH_KEY, null);
    setAuth(null);
  }, []);
  const setGuestCart = useCallback((c: GuestCart | null) => {
    writeJson(localStorage, CART_KEY, c);
    setGuestCartState(c);
  }, []);

  // Other tabs: follow their sign-in, sign-out and new carts.
  useEffect(() => {
    const onStorage = (e: StorageEvent) => {
      if (e.key === AUTH_KEY) setAuth(readJson(localStorage, AUTH_KEY, isAuth));
      if (e.key === CART_KEY) setGuestCartState(readJson(localStorage, CART_KEY, isGuestCart));
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  // Refresh the access token a minute before it expires. A refresh token works
  // once, so tabs take a lock and re-read storage: only one tab spends it.
  useEffect(() => {
    if (!auth) return;
    // A minute before expiry, or halfway through what is left for short lifetimes.
    const remaining = Date.parse(auth.accessTokenExpiresAt) - Date.now();
    const due = remaining - Math.min(60_000, remaining / 2);
    const timer = setTimeout(() => {
      const run = async () => {
        const current = readJson(localStorage, AUTH_KEY, isAuth);
        if (!current) return signOut();
        if (current.accessToken !== auth.accessToken) return setAuth(current); // another tab refreshed
        // Sent without the (possibly expired) access token: an expired one is refused
        // with 401, never treated as anonymous.
        const r = await api.client
          .mutation(RefreshMutation, { refreshToken: current.refreshToken }, { fetchOptions: { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) } })
          .toPromise();
        const p = r.data?.tokenRefresh;
        if (p?.accessToken && p.refreshToken && p.accessTokenExpiresAt) {
          const next = { accessToken: p.accessToken, refreshToken: p.refreshToken, accessTokenExpiresAt: p.accessTokenExpiresAt, email: current.email };
          writeJson(localStorage, AUTH_KEY, next);
          setAuth(next);
        } else if (!r.error?.networkError) {
          signOut();
        } else {
          setTimeout(() => setAuth({ ...current }), 5_000); // network trouble: try again shortly
        }
      };
      if (navigator.locks) void navigator.locks.request('stockade-token-refresh', run);
      else void run();
    }, Math.max(0, due));
    return () => clearTimeout(timer);
  }, [auth, api, signOut]);

  // A stored session whose access token has (nearly) run out is refreshed before
  // anything is asked with it.
  const expired = (a: AuthTokens | null) => !!a && Date.parse(a.accessTokenExpiresAt) - Date.now() < 5_000;
  const [booting, setBooting] = useState(() => expired(auth));
  useEffect(() => {
    if (booting && !expired(auth)) setBooting(false);
  }, [auth, booting]);
  const ready = !booting || !auth;

  const value = useMemo(() => ({ auth, signIn, signOut, guestCart, setGuestCart }), [auth, signIn, signOut, guestCart, setGuestCart]);
  return (
    <SessionContext.Provider value={value}>
      <Provider value={api.client}>{ready ? children : <p className="muted container" role="status">Signing you in…</p>}</Provider>
    </SessionContext.Provider>
  );
}
