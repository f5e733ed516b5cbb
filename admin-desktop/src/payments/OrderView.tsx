/** An order as staff need it to settle a payment: buyer, lines, amounts, attempts, timeline. */
import type { OrderFieldsFragment } from "../gql/graphql";
import { formatTime } from "../ui/Dialog";
import { actorTypeText, statusText } from "./words";

export function OrderView(props: { order: OrderFieldsFragment }) {
  const o = props.order;
  return (
    <div className="order" data-testid="order-view">
      <dl className="facts">
        <dt>Order</dt>
        <dd>
          {o.number} <span className={`status s-${o.status.toLowerCase()}`} data-testid="order-status">{statusText(o.status)}</span>
        </dd>
        <dt>Buyer</dt>
        <dd>
          {o.email}
          {o.shippingAddress.name ? ` · ${o.shippingAddress.name}, ${o.shippingAddress.city} ${o.shippingAddress.country}` : ""}
        </dd>
        <dt>Placed</dt>
        <dd>{formatTime(o.createdAt)}</dd>
        <dt>Total</dt>
        <dd>
          <strong>{o.totals.total.formatted}</strong> (subtotal {o.totals.subtotal.formatted}
          {o.totals.discount.amount ? `, discount −${o.totals.discount.formatted}` : ""}, shipping {o.totals.shipping.formatted}, tax{" "}
          {o.totals.tax.formatted}){o.refunded.amount ? ` · refunded ${o.refunded.formatted}` : ""}
        </dd>
      </dl>
      <h3>Lines</h3>
      <table className="lines">
        <thead>
          <tr>
            <th scope="col">SKU</th>
            <th scope="col">Item</th>
            <th scope="col">Qty</th>
            <th scope="col">Price</th>
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {o.lines.map((l) => (
            <tr key={l.variantId}>
              <td>{l.sku}</td>
              <td>
                {l.productName} · {l.variantTitle}
              </td>
              <td>{l.quantity}</td>
              <td>{l.unitPrice.formatted}</td>
              <td>{l.lineTotal.formatted}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Payment attempts</h3>
      <table className="attempts">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Status</th>
            <th scope="col">Amount</th>
            <th scope="col">Gateway said</th>
            <th scope="col">When</th>
          </tr>
        </thead>
        <tbody>
          {o.payments.map((p) => (
            <tr key={p.id}>
              <td>{p.attempt}</td>
              <td>{statusText(p.status)}</td>
              <td>
                {p.amount.formatted}
                {p.amountReceived.amount ? ` (received ${p.amountReceived.formatted})` : ""}
              </td>
              <td>
                {p.errorCode ? <code>{p.errorCode}</code> : null} {p.errorMessage ?? ""}
                <div className="muted small">{p.gateway.toLowerCase()} {p.gatewayReference}</div>
              </td>
              <td>{formatTime(p.createdAt)}</td>
            </tr>
          ))}
          {o.payments.length === 0 ? (
            <tr>
              <td colSpan={5} className="muted">
                No payment attempt yet.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {o.refunds.length ? (
        <>
          <h3>Refunds</h3>
          <ul>
            {o.refunds.map((r) => (
              <li key={r.id}>
                {r.amount.formatted} · {r.status.toLowerCase()}
                {r.restock ? " · restock" : ""} {r.reason ? `· ${r.reason}` : ""} · {formatTime(r.createdAt)}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h3>Timeline</h3>
      <ol className="timeline">
        {o.timeline.map((t, i) => (
          <li key={i}>
            <span className="muted">{formatTime(t.at)}</span>{" "}
            {t.fromStatus && t.toStatus ? `${statusText(t.fromStatus)} → ${statusText(t.toStatus)}` : t.toStatus ? statusText(t.toStatus) : t.kind.replace(/_/g, " ")}{" "}
            <span className="muted">by {actorTypeText(t.actorType)}</span>
            {t.cause ? ` · ${t.cause}` : ""}
          </li>
        ))}
      </ol>
    </div>
  );
}
