import { describe, expect, it } from "vitest";
import { applyMovement, sortRows, type Movement, type Row } from "./model";

const MAIN = { id: "l1", code: "MAIN", name: "Main" };
const row: Row = {
  sku: "A", onHand: 10, reserved: 2, available: 8, lowStock: false, lowStockThreshold: 5,
  product: { id: "p", name: "Tee" }, variant: { id: "v", title: "Red / M", attributes: [] },
  levels: [{ onHand: 10, reserved: 2, available: 8, version: 4, updatedAt: null, location: MAIN }],
};
const mv = (version: number, reserved: number): Movement => ({
  id: "m", reason: "RESERVE", onHandAfter: 10, reservedAfter: reserved, availableAfter: 10 - reserved,
  versionAfter: version, at: "2026-12-01T00:00:00Z", location: MAIN, variant: { id: "v" },
});

describe("applyMovement", () => {
  it("patches a newer version and recomputes totals and the low-stock mark", () => {
    const next = applyMovement(row, mv(5, 6));
    expect(next).toMatchObject({ reserved: 6, available: 4, lowStock: true });
    expect(next.levels[0]?.version).toBe(5);
  });
  it("ignores repeats and stale events", () => {
    expect(applyMovement(row, mv(4, 9))).toBe(row);
    expect(applyMovement(row, mv(3, 9))).toBe(row);
  });
  it("adds a location seen for the first time", () => {
    const next = applyMovement(row, { ...mv(1, 0), location: { id: "l2", code: "B", name: "B" } });
    expect(next.levels).toHaveLength(2);
    expect(next.onHand).toBe(20);
  });
});

describe("sortRows", () => {
  it("sorts by availability, fewest first", () => {
    const b = { ...row, sku: "B", available: 1 };
    expect(sortRows([row, b], "available_asc").map((r) => r.sku)).toEqual(["B", "A"]);
  });
});
