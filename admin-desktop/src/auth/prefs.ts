/** Non-secret preferences (last server URL and email) kept between runs. */
const KEY = "stockade-admin.prefs";

export interface Prefs {
  server: string;
  email: string;
}

export const DEFAULT_SERVER = "http://127.0.0.1:8000";

export function loadPrefs(): Prefs {
  try {
    const raw = localStorage.getItem(KEY);
    if (raw) {
      const p = JSON.parse(raw) as Partial<Prefs>;
      return { server: p.server || DEFAULT_SERVER, email: p.email ?? "" };
    }
  } catch {
    // unreadable prefs: defaults
  }
  return { server: DEFAULT_SERVER, email: "" };
}

export function savePrefs(p: Prefs): void {
  try {
    localStorage.setItem(KEY, JSON.stringify({ server: p.server, email: p.email }));
  } catch {
    // private mode or full: not worth failing a sign-in over
  }
}
