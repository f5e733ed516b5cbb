/** Guest orders this browser placed (id + token), so their links survive a reload. */
import { isRecord, readJson, writeJson } from '../../lib/storage';

export interface GuestOrderRef { id: string; token: string; number: string }
const KEY = 'stockade.guestOrders';
const isList = (v: unknown): v is GuestOrderRef[] =>
  Array.isArray(v) && v.every((x) => isRecord(x) && typeof x['id'] === 'string' && typeof x['token'] === 'string' && typeof x['number'] === 'string');

export function guestOrders(): GuestOrderRef[] {
  return readJson(localStorage, KEY, isList) ?? [];
}
export function rememberGuestOrder(o: GuestOrderRef): void {
  writeJson(localStorage, KEY, [o, ...guestOrders().filter((x) => x.id !== o.id)].slice(0, 20));
}
export function orderLink(id: string, token: string | null): string {
  return `/orders/${encodeURIComponent(id)}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}
