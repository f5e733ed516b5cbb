import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ConflictDialog } from "./ConflictDialog";

const base = {
  sku: "TEE-RED-M",
  locationName: "Main",
  seen: { onHand: 10, reserved: 2, available: 8, version: 3 },
  now: { onHand: 4, reserved: 3, available: 1, version: 9 },
  lastChange: null,
  busy: false,
};

describe("ConflictDialog", () => {
  it("explains a set-to request on the current numbers", async () => {
    const onReapply = vi.fn();
    render(<ConflictDialog {...base} request={{ mode: "set", amount: 20 }} onReapply={onReapply} onCancel={() => {}} />);
    expect(screen.getByRole("dialog", { name: /changed this stock meanwhile/i })).toBeInTheDocument();
    expect(screen.getByTestId("conflict-asked")).toHaveTextContent("set on hand to 20");
    expect(screen.getByText(/who changed it last is not known/i)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: /on hand 20/i }));
    expect(onReapply).toHaveBeenCalled();
  });

  it("will not re-apply what would go below reserved", () => {
    render(<ConflictDialog {...base} request={{ mode: "delta", amount: -3 }} onReapply={() => {}} onCancel={() => {}} />);
    expect(screen.getByRole("alert")).toHaveTextContent(/below the 3 units reserved/);
    expect(screen.getByRole("button", { name: /apply on current numbers/i })).toBeDisabled();
  });

  it("Escape cancels", async () => {
    const onCancel = vi.fn();
    render(<ConflictDialog {...base} request={{ mode: "delta", amount: 1 }} onReapply={() => {}} onCancel={onCancel} />);
    await userEvent.keyboard("{Escape}");
    expect(onCancel).toHaveBeenCalled();
  });
});
