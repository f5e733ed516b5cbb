/** Small typed wrappers over Web Storage; a full or disabled storage never breaks the page. */
export function readJson<T>(storage: Storage, key: string, guard: (v: unknown) => v is T): T | null {
  try {
    const raw = storage.getItem(key);
    if (raw === null) return null;
    const v: unknown = JSON.parse(raw);
    return guard(v) ? v : null;
  } catch {
    return null;
  }
}

export function writeJson(storage: Storage, key: string, value: unknown): void {
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, JSON.stringify(value));
  } catch {
    /* storage full or disabled: the value lives for this page only */
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
