/**
 * A random id for this browser, kept in localStorage. A recovery link works once
 * per device: the API tells devices apart by this id (it is not a secret and names
 * no one).
 */
import { readJson, writeJson } from './storage';

const DEVICE_KEY = 'stockade.deviceId';

const isDeviceId = (v: unknown): v is string => typeof v === 'string' && v.length >= 8 && v.length <= 200;

function randomId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // Pages served over plain http (not localhost) have no randomUUID.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** This device's id, made on first use. */
export function deviceId(storage: Storage = localStorage): string {
  const kept = readJson(storage, DEVICE_KEY, isDeviceId);
  if (kept) return kept;
  const id = randomId();
  writeJson(storage, DEVICE_KEY, id);
  return id;
}
