/**
 * What the app knows about its link to the server, shown by the connection
 * indicator and the offline banner:
 * - `http`: the last request answered (`ok`) or not (`down`, with the next probe time);
 * - `live`: the subscription socket (`live`, `reconnecting`, `offline`, `idle`).
 * When the server comes back, `recovered` fires and every screen reloads what it shows.
 */
import { Signal, Store } from "./store";

export type LiveState = "idle" | "live" | "reconnecting" | "offline";

export interface Connectivity {
  http: "ok" | "down";
  live: LiveState;
  nextRetryAt: number | null;
}

export const connectivity = new Store<Connectivity>({ http: "ok", live: "idle", nextRetryAt: null });

/** Fires when the server answers again after being down, or the socket is back. */
export const recovered = new Signal();

const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];

let probeTimer: ReturnType<typeof setTimeout> | null = null;
let probeAttempt = 0;
let probeFn: (() => Promise<boolean>) | null = null;

/** How to check that the server answers (set by the session). */
export function setProbe(fn: (() => Promise<boolean>) | null): void {
  probeFn = fn;
}

export function markHttpOk(): void {
  const was = connectivity.get();
  if (probeTimer) {
    clearTimeout(probeTimer);
    probeTimer = null;
  }
  probeAttempt = 0;
  if (was.http === "down") {
    connectivity.set({ ...was, http: "ok", nextRetryAt: null });
    recovered.emit();
  }
}

/** The server did not answer: show the banner and probe with backoff until it does. */
export function markHttpDown(): void {
  const was = connectivity.get();
  if (was.http === "down" && probeTimer) return;
  scheduleProbe();
}

function scheduleProbe(): void {
  const wait = BACKOFF_MS[Math.min(probeAttempt, BACKOFF_MS.length - 1)] ?? 15000;
  probeAttempt += 1;
  connectivity.set({ ...connectivity.get(), http: "down", nextRetryAt: Date.now() + wait });
  probeTimer = setTimeout(() => {
    probeTimer = null;
    void (async () => {
      const ok = probeFn ? await probeFn().catch(() => false) : false;
      if (ok) markHttpOk();
      else scheduleProbe();
    })();
  }, wait);
}

/** Probe now (the banner's "Retry now"). */
export function retryNow(): void {
  if (probeTimer) clearTimeout(probeTimer);
  probeTimer = null;
  probeAttempt = 0;
  void (async () => {
    const ok = probeFn ? await probeFn().catch(() => false) : false;
    if (ok) markHttpOk();
    else scheduleProbe();
  })();
}

export function setLive(live: LiveState): void {
  const was = connectivity.get();
  if (was.live === live) return;
  connectivity.set({ ...was, live });
}

/** Back to a clean state (sign out). */
export function resetConnectivity(): void {
  if (probeTimer) clearTimeout(probeTimer);
  probeTimer = null;
  probeAttempt = 0;
  connectivity.set({ http: "ok", live: "idle", nextRetryAt: null });
}
