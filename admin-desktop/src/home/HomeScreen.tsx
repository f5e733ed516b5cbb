/** What needs attention today, each a click away from its screen. */
import { useMemo } from "react";
import { useQuery } from "../api/hooks";
import type { PaymentIssueKind } from "../gql/graphql";
import { variantLabel } from "../inventory/model";
import { usePaymentIssueFeed } from "../payments/feed";
import { KINDS } from "../payments/words";
import { HomeQuery } from "./operations";

export function HomeScreen(props: {
  onPayments: (k: PaymentIssueKind) => void;
  onLowStock: () => void;
}) {
  const range = useMemo(() => {
    const from = new Date();
    from.setHours(0, 0, 0, 0);
    const to = new Date(from.getTime() + 24 * 3600_000);
    return { from: from.toISOString(), to: to.toISOString() };
  }, []);
  const q = useQuery(HomeQuery, range, { pollMs: 30_000 });
  usePaymentIssueFeed((u) => {
    if (u.kind !== "SNAPSHOT") q.reload();
  });
  const d = q.data;
  return (
    <div className="home">
      {q.error ? (
        <p className="form-error" role="alert">
          {q.error}
        </p>
      ) : null}
      <section className="card">
        <h2>Payment issues</h2>
        <ul className="kind-list">
          {KINDS.map((k) => {
            const n = d?.paymentIssueCounts.find((c) => c.kind === k.kind)?.count ?? 0;
            return (
              <li key={k.kind}>
                <button type="button" className="link" onClick={() => props.onPayments(k.kind)}>
                  <span className={n ? "badge hot" : "badge"}>{n}</span> {k.label}
                </button>
              </li>
            );
          })}
        </ul>
      </section>
      <section className="card">
        <h2>Low stock</h2>
        <ul className="low-list">
          {d?.lowStock.nodes.map((r) => (
            <li key={r.variant.id}>
              <strong>{r.sku}</strong> {r.product.name} · {variantLabel(r)}:{" "}
              <span className="low-num">{r.available} available</span>
            </li>
          ))}
          {d && d.lowStock.nodes.length === 0 ? <li className="muted">Nothing is low.</li> : null}
        </ul>
        <button type="button" className="link" onClick={props.onLowStock}>
          {d?.lowStock.pageInfo.hasNextPage ? "See all low-stock variants →" : "Open in inventory →"}
        </button>
      </section>
      <section className="card">
        <h2>Today</h2>
        {d ? (
          <dl className="facts">
            <dt>Orders</dt>
            <dd data-testid="today-orders">{d.salesSummary.orders}</dd>
            <dt>Revenue</dt>
            <dd>{d.salesSummary.revenue.formatted}</dd>
            <dt>Units</dt>
            <dd>{d.salesSummary.units}</dd>
            <dt>Average order</dt>
            <dd>{d.salesSummary.averageOrderValue.formatted}</dd>
          </dl>
        ) : (
          <p className="muted">{q.loading ? "Loading…" : ""}</p>
        )}
      </section>
    </div>
  );
}
