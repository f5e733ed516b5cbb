/**
 * The refresh token is kept by the native side (OS keyring, else a user-only file):
 * see src-tauri/src/token_store.rs. Outside Tauri (component tests, a browser during
 * development) it is kept in memory only; never in localStorage.
 */
import { invoke, isTauri } from "@tauri-apps/api/core";

const memory = new Map<string, string>();

export interface NativeError {
  kind: string;
  message?: string;
}

function describe(err: unknown): Error {
  const e = err as NativeError | null;
  const why = e && typeof e === "object" && "kind" in e ? (e.message ?? e.kind) : String(err);
  return new Error(`The sign-in could not be kept on this computer (${why}).`);
}

export async function saveRefreshToken(server: string, token: string): Promise<void> {
  if (!isTauri()) {
    memory.set(server, token);
    return;
  }
  await invoke("refresh_token_store", { server, token }).catch((e: unknown) => {
    throw describe(e);
  });
}

export async function loadRefreshToken(server: string): Promise<string | null> {
  if (!isTauri()) return memory.get(server) ?? null;
  try {
    return (await invoke<string | null>("refresh_token_load", { server })) ?? null;
  } catch {
    return null;
  }
}

export async function clearRefreshToken(server: string): Promise<void> {
  if (!isTauri()) {
    memory.delete(server);
    return;
  }
  await invoke("refresh_token_clear", { server }).catch(() => undefined);
}
