import type { OrderFieldsFragment } from '../../gql/graphql';
import { Money } from '../../components/Money';
import { STATUS_WORDS } from './status';

export function OrderSummary({ order }: { order: OrderFieldsFragment }) {
  const t = order.totals;
  return (
    <div className="order-summary">
      <table className="order-lines">
        <caption className="sr-only">Items</caption>
        <thead><tr><th scope="col">Item</th><th scope="col">Qty</th><th scope="col">Price</th><th scope="col">Total</th></tr></thead>
        <tbody>
          {order.lines.map((l) => (
            <tr key={l.variantId}>
              <td>{l.productName} <span className="muted small">{l.variantTitle}</span></td>
              <td>{l.quantity}</td>
              <td><Money value={l.unitPrice} /></td>
              <td><Money value={l.lineTotal} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      <dl className="totals">
        <dt>Subtotal</dt><dd><Money value={t.subtotal} /></dd>
        {t.discount.amount > 0 && <><dt>Discount{order.couponCode ? ` (${order.couponCode})` : ''}</dt><dd>−<Money value={t.discount} /></dd></>}
        <dt>Shipping</dt><dd>{t.shipping.amount === 0 ? 'Free' : <Money value={t.shipping} />}</dd>
        <dt>Tax</dt><dd><Money value={t.tax} /></dd>
        <dt className="total">Total</dt><dd className="total"><Money value={t.total} /></dd>
      </dl>
    </div>
  );
}

export function Timeline({ order }: { order: OrderFieldsFragment }) {
  const events = order.timeline.filter((e) => e.toStatus || e.kind === 'created');
  return (
    <ol className="timeline">
      {events.map((e, i) => (
        <li key={i}>
          <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time>{' '}
          <strong>{e.toStatus ? STATUS_WORDS[e.toStatus] : 'Order placed'}</strong>
          {e.cause ? <span className="muted"> · {e.cause}</span> : null}
        </li>
      ))}
    </ol>
  );
}
