import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { OrderFieldsFragment } from "../gql/graphql";

const request = vi.fn();
vi.mock("../api/client", () => ({ request: (...args: unknown[]) => request(...args) }));

import { PaymentActions } from "./PaymentActions";

const money = (amount: number) => ({ amount, currencyCode: "USD", formatted: `$${(amount / 100).toFixed(2)}` });
const order = (over: Partial<OrderFieldsFragment> = {}): OrderFieldsFragment => ({
  id: "o1", number: "#7", status: "PAYMENT_FAILED", version: 4, email: "buyer@x.test",
  createdAt: "2026-12-01T10:00:00Z", updatedAt: "2026-12-01T10:01:00Z", paymentDeadline: "2026-12-02T10:00:00Z",
  lines: [], totals: { subtotal: money(5000), discount: money(0), shipping: money(0), tax: money(0), total: money(5000) },
  refunded: money(0), payments: [], refunds: [], timeline: [],
  shippingAddress: { name: "B", city: "C", country: "US" },
  ...over,
});

function opName(call: unknown[]): string {
  return String(call[0]).match(/(mutation|query) (\w+)/)?.[2] ?? "";
}

describe("PaymentActions", () => {
  beforeEach(() => request.mockReset());

  it("asks before cancelling, sends expectedVersion, reports the outcome", async () => {
    request.mockResolvedValueOnce({ orderCancel: { order: order({ status: "CANCELLED", version: 5 }), userErrors: [] } });
    const onOutcome = vi.fn();
    render(<PaymentActions order={order()} kind="FAILED" onOutcome={onOutcome} />);
    await userEvent.click(screen.getByRole("button", { name: "Cancel order…" }));
    expect(request).not.toHaveBeenCalled();
    expect(screen.getByText(/cannot be undone/i)).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText(/reason/i), "buyer asked");
    await userEvent.click(screen.getByRole("button", { name: "Yes, cancel #7" }));
    expect(opName(request.mock.calls[0]!)).toBe("OrderCancel");
    expect(request.mock.calls[0]![1]).toEqual({ orderId: "o1", expectedVersion: 4, reason: "buyer asked" });
    expect(onOutcome).toHaveBeenCalledWith(
      expect.objectContaining({ ok: true, message: expect.stringMatching(/cancelled.*stock was released/) }),
    );
  });

  it("retry returns the payment link", async () => {
    request.mockResolvedValueOnce({
      paymentRetry: { order: order({ status: "PENDING_PAYMENT", version: 5 }), paymentLink: "http://shop/orders/7?token=t", userErrors: [] },
    });
    const onOutcome = vi.fn();
    render(<PaymentActions order={order()} kind="FAILED" onOutcome={onOutcome} />);
    await userEvent.click(screen.getByRole("button", { name: "Retry payment…" }));
    await userEvent.click(screen.getByRole("button", { name: "Yes, retry payment" }));
    expect(request.mock.calls[0]![1]).toEqual({ orderId: "o1", expectedVersion: 4 });
    expect(onOutcome).toHaveBeenCalledWith(expect.objectContaining({ ok: true, paymentLink: "http://shop/orders/7?token=t" }));
  });

  it("a conflict shows the order as it is now", async () => {
    request
      .mockResolvedValueOnce({
        orderCancel: { order: null, userErrors: [{ code: "VERSION_CONFLICT", field: null, message: "stale", currentVersion: 6 }] },
      })
      .mockResolvedValueOnce({ order: order({ status: "PAID", version: 6 }) });
    const onOutcome = vi.fn();
    render(<PaymentActions order={order()} kind="FAILED" onOutcome={onOutcome} />);
    await userEvent.click(screen.getByRole("button", { name: "Cancel order…" }));
    await userEvent.click(screen.getByRole("button", { name: "Yes, cancel #7" }));
    expect(opName(request.mock.calls[1]!)).toBe("OrderById");
    expect(onOutcome).toHaveBeenCalledWith(
      expect.objectContaining({ ok: false, message: expect.stringMatching(/changed meanwhile.*now paid/), order: expect.objectContaining({ status: "PAID", version: 6 }) }),
    );
  });

  it("a partial refund sends minor units without restock", async () => {
    request.mockResolvedValueOnce({
      orderRefund: { order: order({ status: "PAID", version: 9 }), refund: { id: "r", status: "PENDING", amount: money(1250) }, userErrors: [] },
    });
    const onOutcome = vi.fn();
    render(<PaymentActions order={order({ status: "PAID" })} kind="PAID_TWICE" onOutcome={onOutcome} />);
    expect(screen.queryByRole("button", { name: "Cancel order…" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Refund…" }));
    await userEvent.type(screen.getByLabelText(/amount in usd/i), "12.50");
    await userEvent.click(screen.getByRole("button", { name: "Yes, refund" }));
    expect(request.mock.calls[0]![1]).toEqual({ orderId: "o1", expectedVersion: 4, amount: 1250, restock: false, reason: "" });
    expect(onOutcome).toHaveBeenCalledWith(expect.objectContaining({ ok: true, message: expect.stringMatching(/\$12\.50/) }));
  });

  it("resolving needs a note; allocate stock is offered for paid-without-stock", async () => {
    request.mockResolvedValueOnce({ paymentIssueResolve: { order: order({ status: "PAID", version: 5 }), userErrors: [] } });
    render(<PaymentActions order={order({ status: "NEEDS_ATTENTION" })} kind="PAID_WITHOUT_STOCK" onOutcome={() => {}} />);
    await userEvent.click(screen.getByRole("button", { name: "Resolve…" }));
    await userEvent.click(screen.getByRole("button", { name: "Resolve issue" }));
    expect(screen.getByRole("alert")).toHaveTextContent(/note/i);
    expect(request).not.toHaveBeenCalled();
    expect(screen.getByLabelText(/allocate stock/i)).toBeChecked();
    await userEvent.type(screen.getByLabelText(/what was done/i), "found 1 in back room");
    await userEvent.click(screen.getByRole("button", { name: "Resolve issue" }));
    expect(request.mock.calls[0]![1]).toEqual({ orderId: "o1", expectedVersion: 4, note: "found 1 in back room", allocateStock: true });
  });

  it("a user error is shown in words and nothing is closed", async () => {
    request.mockResolvedValueOnce({
      orderCancel: { order: null, userErrors: [{ code: "GATEWAY_UNAVAILABLE", field: null, message: "gateway down", currentVersion: null }] },
    });
    const onOutcome = vi.fn();
    render(<PaymentActions order={order()} kind="FAILED" onOutcome={onOutcome} />);
    await userEvent.click(screen.getByRole("button", { name: "Cancel order…" }));
    await userEvent.click(screen.getByRole("button", { name: "Yes, cancel #7" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(/payment provider did not answer/i);
    expect(onOutcome).not.toHaveBeenCalled();
  });
});
