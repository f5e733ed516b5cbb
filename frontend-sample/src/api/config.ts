/** Where the API lives. Vite fixes `VITE_API_URL` at build time. */
export const API_URL: string = import.meta.env.VITE_API_URL ?? 'http://127.0.0.1:8000/graphql';

/** The WebSocket URL of the same endpoint (`http` -> `ws`, `https` -> `wss`). */
export const WS_URL: string = API_URL.replace(/^http/, 'ws');

/** Every HTTP request gives up after this; no spinner runs forever. */
export const REQUEST_TIMEOUT_MS = 15000;
