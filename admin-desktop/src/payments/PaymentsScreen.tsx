/**
 * Failed-payment review: a queue per kind with counts, oldest or newest first, and
 * the selected order with its actions. New issues arrive live (`paymentIssueChanged`:
 * counts replaced from each message, the list reloaded when its kind is touched);
 * a slow poll stays as a safety net.
 */
import { useEffect, useMemo, useState } from "react";
import { useQuery } from "../api/hooks";
import type { OrderFieldsFragment, PaymentIssueKind } from "../gql/graphql";
import { formatTime } from "../ui/Dialog";
import { OrderView } from "./OrderView";
import { PaymentActions, type Outcome } from "./PaymentActions";
import { touchesKind, usePaymentIssueFeed } from "./feed";
import { PaymentIssueCountsQuery, PaymentIssuesQuery } from "./operations";
import { KINDS, statusText } from "./words";

/** Safety net only: the queue is live through `paymentIssueChanged`. */
export const ISSUE_POLL_MS = 60_000;

export function PaymentsScreen(props: { kind?: PaymentIssueKind; onKind: (k: PaymentIssueKind) => void }) {
  const kind = props.kind ?? "FAILED";
  const [order, setOrder] = useState<"oldest" | "newest">("oldest");
  const [selected, setSelected] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [shown, setShown] = useState<OrderFieldsFragment | null>(null);
  const counts = useQuery(PaymentIssueCountsQuery, {}, { pollMs: ISSUE_POLL_MS });
  const issues = useQuery(PaymentIssuesQuery, { kind, first: 100 }, { pollMs: ISSUE_POLL_MS });
  const [liveCounts, setLiveCounts] = useState<{ kind: PaymentIssueKind; count: number }[] | null>(null);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  usePaymentIssueFeed((u) => {
    setLiveCounts(u.counts);
    if (touchesKind(u, kind)) issues.reload();
    if (u.kind === "CHANGE" && u.orderId && u.issueKind === kind) {
      const id = u.orderId;
      setFresh((prev) => new Set(prev).add(id));
      setTimeout(() => setFresh((prev) => new Set([...prev].filter((x) => x !== id))), 2500);
    }
  });
  // A polled answer newer than the last message wins (and vice versa).
  useEffect(() => setLiveCounts(null), [counts.data]);

  const list = useMemo(() => {
    const nodes = issues.data?.paymentIssues.nodes ?? [];
    const sorted = [...nodes].sort((a, b) => Date.parse(a.since) - Date.parse(b.since));
    return order === "oldest" ? sorted : sorted.reverse();
  }, [issues.data, order]);

  const current = list.find((i) => i.order.id === selected);
  // Keep showing the order after it left the queue (to see the outcome).
  useEffect(() => {
    if (current) setShown(current.order);
  }, [current]);
  useEffect(() => {
    setSelected(null);
    setShown(null);
    setOutcome(null);
  }, [kind]);

  const countOf = (k: PaymentIssueKind) =>
    (liveCounts ?? counts.data?.paymentIssueCounts)?.find((c) => c.kind === k)?.count ?? 0;

  return (
    <div className="payments">
      <div className="queue">
        <div role="tablist" aria-label="Payment issue kinds" className="kinds">
          {KINDS.map((k) => (
            <button
              key={k.kind}
              role="tab"
              type="button"
              aria-selected={k.kind === kind}
              title={k.help}
              onClick={() => props.onKind(k.kind)}
              data-kind={k.kind}
            >
              {k.label} <span className={countOf(k.kind) ? "badge hot" : "badge"}>{countOf(k.kind)}</span>
            </button>
          ))}
        </div>
        <div className="toolbar">
          <label className="check">
            Show{" "}
            <select value={order} onChange={(e) => setOrder(e.target.value as "oldest" | "newest")} aria-label="Order of issues">
              <option value="oldest">Oldest first</option>
              <option value="newest">Newest first</option>
            </select>
          </label>
          <span className="muted">{KINDS.find((k) => k.kind === kind)?.help}</span>
        </div>
        {issues.error ? (
          <p className="form-error" role="alert">
            {issues.error}
          </p>
        ) : null}
        <ul className="issues" aria-label="Payment issues" data-testid="issue-list">
          {list.map((i) => (
            <li key={i.order.id}>
              <button
                type="button"
                className={["issue", i.order.id === selected ? "selected" : "", fresh.has(i.order.id) ? "fresh" : ""].filter(Boolean).join(" ")}
                onClick={() => {
                  setSelected(i.order.id);
                  setShown(i.order);
                  setOutcome(null);
                }}
                data-order={i.order.number}
              >
                <span className="issue-top">
                  <strong>{i.order.number}</strong> <span>{i.amount.formatted}</span>
                </span>
                <span className="issue-mid">{i.email}</span>
                <span className="issue-bottom muted">
                  {i.errorMessage ?? statusText(i.order.status)} · {i.attempts} attempt{i.attempts === 1 ? "" : "s"} · since{" "}
                  {formatTime(i.since)}
                </span>
              </button>
            </li>
          ))}
          {list.length === 0 && !issues.loading ? <li className="empty">Nothing here. Good.</li> : null}
        </ul>
      </div>
      <section className="detail" aria-label="Issue detail">
        {outcome ? (
          <p className={outcome.ok ? "outcome ok" : "outcome warn"} role="status" data-testid="outcome">
            {outcome.message}
          </p>
        ) : null}
        {outcome?.paymentLink ? <PaymentLink link={outcome.paymentLink} /> : null}
        {shown ? (
          <>
            <PaymentActions
              key={`${shown.id}:${shown.version}`}
              order={shown}
              kind={kind}
              onOutcome={(o) => {
                setOutcome(o);
                if (o.order) setShown(o.order);
                issues.reload();
                counts.reload();
              }}
            />
            <OrderView order={shown} />
          </>
        ) : (
          <p className="muted empty">Choose an issue on the left.</p>
        )}
      </section>
    </div>
  );
}

function PaymentLink(props: { link: string }) {
  const [copied, setCopied] = useState<"" | "yes" | "no">("");
  return (
    <div className="paylink">
      <label className="field">
        <span className="field-label">Payment link for the buyer</span>
        <input readOnly value={props.link} onFocus={(e) => e.target.select()} data-testid="payment-link" />
      </label>
      <button
        type="button"
        onClick={() => {
          const done = navigator.clipboard?.writeText(props.link);
          if (!done) {
            setCopied("no");
            return;
          }
          done.then(() => setCopied("yes")).catch(() => setCopied("no"));
        }}
      >
        Copy link
      </button>
      <span role="status" className="muted">
        {copied === "yes" ? "Copied." : copied === "no" ? "Could not copy: select the link and press Ctrl+C." : ""}
      </span>
    </div>
  );
}
