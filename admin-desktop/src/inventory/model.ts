/**
 * Inventory rows as the table shows them, and how a live stock movement patches a
 * row: only a movement whose `versionAfter` is above the level's version counts
 * (repeats and stale events are dropped), and the totals are summed again.
 */
import type { InventoryEventsSubscription, InventoryRowFragment } from "../gql/graphql";

export type Row = InventoryRowFragment;
export type Level = Row["levels"][number];
export type Movement = InventoryEventsSubscription["inventoryEvents"];

export function variantLabel(row: Pick<Row, "variant">): string {
  const attrs = row.variant.attributes;
  const color = attrs.find((a) => a.name.toLowerCase() === "color")?.value;
  const size = attrs.find((a) => a.name.toLowerCase() === "size")?.value;
  const parts = [color, size].filter((x): x is string => Boolean(x));
  return parts.length > 0 ? parts.join(" / ") : row.variant.title;
}

/** The row after `m`, or the same row object when `m` is not newer. */
export function applyMovement(row: Row, m: Movement): Row {
  const idx = row.levels.findIndex((l) => l.location.id === m.location.id);
  const current = idx >= 0 ? row.levels[idx] : undefined;
  if (current && m.versionAfter <= current.version) return row;
  const level: Level = {
    onHand: m.onHandAfter,
    reserved: m.reservedAfter,
    available: m.availableAfter,
    version: m.versionAfter,
    updatedAt: m.at,
    location: m.location,
  };
  const levels = idx >= 0 ? row.levels.map((l, i) => (i === idx ? level : l)) : [...row.levels, level];
  return withTotals({ ...row, levels });
}

/** The row with one level replaced (after an adjust or transfer in this app). */
export function applyLevel(row: Row, level: Omit<Level, "updatedAt"> & { updatedAt?: string | null }): Row {
  const idx = row.levels.findIndex((l) => l.location.id === level.location.id);
  const current = idx >= 0 ? row.levels[idx] : undefined;
  if (current && level.version <= current.version) return row;
  const next: Level = { ...level, updatedAt: level.updatedAt ?? current?.updatedAt ?? null };
  const levels = idx >= 0 ? row.levels.map((l, i) => (i === idx ? next : l)) : [...row.levels, next];
  return withTotals({ ...row, levels });
}

function withTotals(row: Row): Row {
  const onHand = row.levels.reduce((s, l) => s + l.onHand, 0);
  const reserved = row.levels.reduce((s, l) => s + l.reserved, 0);
  const available = onHand - reserved;
  return { ...row, onHand, reserved, available, lowStock: available <= row.lowStockThreshold };
}

export type SortKey = "sku" | "product" | "available_asc" | "available_desc" | "on_hand_desc";

export const SORTS: { key: SortKey; label: string }[] = [
  { key: "sku", label: "SKU" },
  { key: "product", label: "Product name" },
  { key: "available_asc", label: "Available, fewest first" },
  { key: "available_desc", label: "Available, most first" },
  { key: "on_hand_desc", label: "On hand, most first" },
];

export function sortRows(rows: readonly Row[], key: SortKey): Row[] {
  const out = [...rows];
  const bySku = (a: Row, b: Row) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);
  switch (key) {
    case "sku":
      return out;
    case "product":
      return out.sort((a, b) => a.product.name.localeCompare(b.product.name) || bySku(a, b));
    case "available_asc":
      return out.sort((a, b) => a.available - b.available || bySku(a, b));
    case "available_desc":
      return out.sort((a, b) => b.available - a.available || bySku(a, b));
    case "on_hand_desc":
      return out.sort((a, b) => b.onHand - a.onHand || bySku(a, b));
  }
}
