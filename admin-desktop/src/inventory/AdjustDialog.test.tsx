import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

const request = vi.fn();
vi.mock("../api/client", () => ({ request: (...args: unknown[]) => request(...args) }));

import { AdjustDialog, type AdjustTarget } from "./AdjustDialog";

const MAIN = { id: "loc1", code: "MAIN", name: "Main warehouse" };
const target: AdjustTarget = {
  variantId: "v1",
  sku: "TEE-RED-M",
  location: MAIN,
  level: { onHand: 10, reserved: 2, available: 8, version: 3 },
};

function level(onHand: number, reserved: number, version: number) {
  return { onHand, reserved, available: onHand - reserved, version, updatedAt: null, location: MAIN };
}

function opName(call: unknown[]): string {
  return String(call[0]).match(/(mutation|query) (\w+)/)?.[2] ?? "";
}

describe("AdjustDialog", () => {
  beforeEach(() => request.mockReset());

  it("sends the delta with the version the user saw and reports the new level", async () => {
    request.mockResolvedValueOnce({ inventoryAdjust: { stockLevel: level(15, 2, 4), userErrors: [] } });
    const onDone = vi.fn();
    render(<AdjustDialog target={target} onClose={() => {}} onDone={onDone} />);
    await userEvent.type(screen.getByLabelText(/units to add/i), "5");
    expect(screen.getByText(/on hand becomes 15/i)).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText(/reason/i), "RESTOCK");
    await userEvent.type(screen.getByLabelText(/note/i), "delivery 42");
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(opName(request.mock.calls[0]!)).toBe("InventoryAdjust");
    expect(request.mock.calls[0]![1]).toEqual({
      input: { variantId: "v1", locationId: "loc1", delta: 5, reason: "RESTOCK", note: "delivery 42", expectedVersion: 3 },
    });
    expect(onDone).toHaveBeenCalledWith(expect.objectContaining({ onHand: 15, version: 4 }), expect.stringContaining("10 → 15"));
  });

  it("sets on hand to a count", async () => {
    request.mockResolvedValueOnce({ inventoryAdjust: { stockLevel: level(20, 2, 4), userErrors: [] } });
    render(<AdjustDialog target={target} onClose={() => {}} onDone={() => {}} />);
    await userEvent.click(screen.getByLabelText(/set on hand to a count/i));
    await userEvent.type(screen.getByLabelText(/new count on hand/i), "20");
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(request.mock.calls[0]![1]).toMatchObject({ input: { setOnHand: 20, expectedVersion: 3 } });
  });

  it("shows a user error next to the amount field and keeps the input", async () => {
    request.mockResolvedValueOnce({
      inventoryAdjust: {
        stockLevel: null,
        userErrors: [{ code: "INVALID", field: ["input", "delta"], message: "on hand cannot go below the 2 units reserved", currentVersion: null }],
      },
    });
    render(<AdjustDialog target={target} onClose={() => {}} onDone={() => {}} />);
    const input = screen.getByLabelText(/units to add/i);
    await userEvent.type(input, "-9");
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    const err = await screen.findByText(/below the 2 units reserved/i);
    expect(err.closest("label")).toContainElement(input);
    expect(input).toHaveValue("-9");
    expect(input).toHaveAttribute("aria-invalid", "true");
  });

  it("refuses a non-number before asking the server", async () => {
    render(<AdjustDialog target={target} onClose={() => {}} onDone={() => {}} />);
    await userEvent.type(screen.getByLabelText(/units to add/i), "abc");
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(screen.getByText(/enter a whole number/i)).toBeInTheDocument();
    expect(request).not.toHaveBeenCalled();
  });

  it("on VERSION_CONFLICT shows seen vs now and who changed it, then re-applies on the current version", async () => {
    request
      .mockResolvedValueOnce({
        inventoryAdjust: {
          stockLevel: level(12, 4, 7),
          userErrors: [{ code: "VERSION_CONFLICT", field: ["input", "expectedVersion"], message: "stale", currentVersion: 7 }],
        },
      })
      .mockResolvedValueOnce({
        stockMovements: {
          pageInfo: { hasNextPage: false, endCursor: null },
          nodes: [
            {
              id: "m1", reason: "ADJUSTMENT", deltaOnHand: 2, deltaReserved: 0, onHandAfter: 12, reservedAfter: 4,
              availableAfter: 8, versionAfter: 7, note: "recount", at: "2026-12-01T10:00:00Z",
              location: MAIN, actor: { type: "STAFF", user: { id: "u2", name: "Dana", email: "dana@x.test" } },
              reference: { type: "ADJUSTMENT", id: null, order: null },
            },
          ],
        },
      })
      .mockResolvedValueOnce({ inventoryAdjust: { stockLevel: level(17, 4, 8), userErrors: [] } });
    const onDone = vi.fn();
    render(<AdjustDialog target={target} onClose={() => {}} onDone={onDone} />);
    await userEvent.type(screen.getByLabelText(/units to add/i), "5");
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));

    const dialog = await screen.findByTestId("conflict-dialog");
    expect(within(screen.getByTestId("conflict-seen")).getAllByRole("cell").map((c) => c.textContent)).toEqual(["10", "2", "8"]);
    expect(within(screen.getByTestId("conflict-now")).getAllByRole("cell").map((c) => c.textContent)).toEqual(["12", "4", "8"]);
    expect(screen.getByTestId("conflict-last")).toHaveTextContent(/by Dana/);
    expect(screen.getByTestId("conflict-asked")).toHaveTextContent(/change on hand by \+5.*from 12 to 17/);

    await userEvent.click(within(dialog).getByRole("button", { name: /apply on current numbers/i }));
    expect(request.mock.calls[2]![1]).toMatchObject({ input: { delta: 5, expectedVersion: 7 } });
    expect(onDone).toHaveBeenCalledWith(expect.objectContaining({ onHand: 17 }), expect.stringContaining("12 → 17"));
  });

  it("cancelling a conflict changes nothing and shows the current numbers", async () => {
    request
      .mockResolvedValueOnce({
        inventoryAdjust: { stockLevel: level(12, 4, 7), userErrors: [{ code: "VERSION_CONFLICT", field: null, message: "stale", currentVersion: 7 }] },
      })
      .mockResolvedValueOnce({ stockMovements: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] } });
    render(<AdjustDialog target={target} onClose={() => {}} onDone={() => {}} />);
    await userEvent.type(screen.getByLabelText(/units to add/i), "5");
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    await userEvent.click(await screen.findByRole("button", { name: /cancel/i }));
    expect(request).toHaveBeenCalledTimes(2);
    expect(screen.getByTestId("adjust-seen")).toHaveTextContent(/on hand 12/i);
    expect(screen.getByText(/nothing was changed/i)).toBeInTheDocument();
  });

  it("keeps the input when the server does not answer", async () => {
    const { ApiError } = await import("../api/errors");
    request.mockRejectedValueOnce(new ApiError("network", "The server at http://x does not answer."));
    render(<AdjustDialog target={target} onClose={() => {}} onDone={() => {}} />);
    await userEvent.type(screen.getByLabelText(/units to add/i), "5");
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(await screen.findByText(/does not answer.*input is kept/i)).toBeInTheDocument();
    expect(screen.getByLabelText(/units to add/i)).toHaveValue("5");
  });
});
