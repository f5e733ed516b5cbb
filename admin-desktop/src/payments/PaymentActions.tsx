/**
 * What staff can do about a payment issue. Every action sends the order's
 * `expectedVersion`, asks for confirmation first, and says what happened. A
 * VERSION_CONFLICT re-reads the order and shows it as it is now.
 */
import { useState } from "react";
import { request } from "../api/client";
import { errorText, userErrorText } from "../api/errors";
import type { OrderFieldsFragment, PaymentIssueKind } from "../gql/graphql";
import { Field } from "../ui/Dialog";
import {
  OrderCancelMutation,
  OrderQuery,
  OrderRefundMutation,
  PaymentIssueResolveMutation,
  PaymentRetryMutation,
} from "./operations";
import { statusText } from "./words";

type Action = "retry" | "cancel" | "refund" | "resolve";

export interface Outcome {
  ok: boolean;
  message: string;
  /** The order after the action, or as it is now after a conflict. */
  order: OrderFieldsFragment | null;
  paymentLink?: string | null;
}

interface Payload {
  order?: OrderFieldsFragment | null;
  userErrors: { code: string; field?: readonly string[] | null; message: string; currentVersion?: number | null }[];
}

export function availableActions(order: OrderFieldsFragment): Action[] {
  const s = order.status;
  const out: Action[] = [];
  if (s === "PAYMENT_FAILED" || s === "PENDING_PAYMENT") out.push("retry", "cancel");
  if (["PAID", "NEEDS_ATTENTION", "FULFILLED", "SHIPPED", "DELIVERED"].includes(s)) out.push("refund");
  out.push("resolve");
  return out;
}

const LABELS: Record<Action, string> = {
  retry: "Retry payment…",
  cancel: "Cancel order…",
  refund: "Refund…",
  resolve: "Resolve…",
};

export function PaymentActions(props: {
  order: OrderFieldsFragment;
  kind: PaymentIssueKind;
  onOutcome: (o: Outcome) => void;
}) {
  const { order } = props;
  const [open, setOpen] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reason, setReason] = useState("");
  const [note, setNote] = useState("");
  const [amount, setAmount] = useState("");
  const [restock, setRestock] = useState(true);
  const [allocate, setAllocate] = useState(props.kind === "PAID_WITHOUT_STOCK");

  async function run(action: Action) {
    setBusy(true);
    setError(null);
    const v = { orderId: order.id, expectedVersion: order.version };
    try {
      let p: Payload;
      let paymentLink: string | null = null;
      let success = "";
      switch (action) {
        case "retry": {
          const d = await request(PaymentRetryMutation, v);
          p = d.paymentRetry;
          paymentLink = d.paymentRetry.paymentLink ?? null;
          success = "A new payment attempt was created. Send the buyer the payment link.";
          break;
        }
        case "cancel": {
          const d = await request(OrderCancelMutation, { ...v, reason: reason.trim() });
          p = d.orderCancel;
          success = `Order ${order.number} cancelled; its stock was released.`;
          break;
        }
        case "refund": {
          const minor = amount.trim() === "" ? null : Math.round(Number(amount) * 100);
          if (minor !== null && (!Number.isFinite(minor) || minor <= 0)) {
            setError("Enter the amount to refund, e.g. 12.50, or leave it empty for everything.");
            return;
          }
          const d = await request(OrderRefundMutation, {
            ...v,
            amount: minor,
            restock: minor === null ? restock : false,
            reason: reason.trim(),
          });
          p = d.orderRefund;
          success = `Refund of ${d.orderRefund.refund?.amount.formatted ?? "the amount"} sent (${(
            d.orderRefund.refund?.status ?? "pending"
          ).toLowerCase()}).`;
          break;
        }
        case "resolve": {
          if (!note.trim()) {
            setError("Say in a note what was done, for your colleagues.");
            return;
          }
          const d = await request(PaymentIssueResolveMutation, { ...v, note: note.trim(), allocateStock: allocate });
          p = d.paymentIssueResolve;
          success = allocate ? "Stock allocated; the order is paid and the issue closed." : "Issue resolved.";
          break;
        }
      }
      const conflict = p.userErrors.find((e) => e.code === "VERSION_CONFLICT");
      if (conflict) {
        const now = await request(OrderQuery, { id: order.id }).catch(() => null);
        setOpen(null);
        props.onOutcome({
          ok: false,
          message: `The order changed meanwhile${now?.order ? ` (it is now ${statusText(now.order.status).toLowerCase()})` : ""}. Nothing was done; review it as it is now.`,
          order: now?.order ?? null,
        });
        return;
      }
      if (p.userErrors.length) {
        setError(p.userErrors.map(userErrorText).join(" "));
        return;
      }
      setOpen(null);
      props.onOutcome({ ok: true, message: success, order: p.order ?? null, paymentLink });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  const actions = availableActions(order);
  return (
    <div className="payment-actions" data-testid="payment-actions">
      <div className="actions left">
        {actions.map((a) => (
          <button
            key={a}
            type="button"
            className={a === "cancel" ? "danger" : undefined}
            aria-expanded={open === a}
            onClick={() => {
              setOpen(open === a ? null : a);
              setError(null);
            }}
          >
            {LABELS[a]}
          </button>
        ))}
      </div>
      {open ? (
        <div className="confirm" role="group" aria-label={`Confirm ${open}`}>
          {open === "retry" ? <p>Start a new payment attempt for {order.number}? The stock is held again if it is still there.</p> : null}
          {open === "cancel" ? (
            <>
              <p>
                Cancel {order.number} ({order.totals.total.formatted})? Its open payment is cancelled at the gateway and
                its stock released. This cannot be undone.
              </p>
              <Field label="Reason (for the timeline)">
                <input value={reason} onChange={(e) => setReason(e.target.value)} name="cancel-reason" />
              </Field>
            </>
          ) : null}
          {open === "refund" ? (
            <>
              <p>Refund {order.number}? Money goes back to the buyer's card.</p>
              <Field label={`Amount in ${order.totals.total.currencyCode} (empty: everything left)`}>
                <input value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="decimal" name="refund-amount" />
              </Field>
              <label className="check">
                <input
                  type="checkbox"
                  checked={restock && amount.trim() === ""}
                  disabled={amount.trim() !== ""}
                  onChange={(e) => setRestock(e.target.checked)}
                />{" "}
                Put the units back on sale (whole refunds only)
              </label>
              <Field label="Reason">
                <input value={reason} onChange={(e) => setReason(e.target.value)} name="refund-reason" />
              </Field>
            </>
          ) : null}
          {open === "resolve" ? (
            <>
              <Field label="Note: what was done">
                <input value={note} onChange={(e) => setNote(e.target.value)} name="resolve-note" />
              </Field>
              {order.status === "NEEDS_ATTENTION" ? (
                <label className="check">
                  <input type="checkbox" checked={allocate} onChange={(e) => setAllocate(e.target.checked)} /> Allocate
                  stock now (the order becomes paid)
                </label>
              ) : null}
            </>
          ) : null}
          {error ? (
            <p className="form-error" role="alert">
              {error}
            </p>
          ) : null}
          <div className="actions">
            <button type="button" onClick={() => setOpen(null)} disabled={busy}>
              Back
            </button>
            <button
              type="button"
              className={open === "cancel" || open === "refund" ? "danger primary" : "primary"}
              disabled={busy}
              onClick={() => void run(open)}
            >
              {busy
                ? "Working…"
                : open === "retry"
                  ? "Yes, retry payment"
                  : open === "cancel"
                    ? `Yes, cancel ${order.number}`
                    : open === "refund"
                      ? "Yes, refund"
                      : "Resolve issue"}
            </button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
