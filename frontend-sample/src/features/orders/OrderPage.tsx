/**
 * An order, paid for or to pay, following its status live: `orderStatusChanged`
 * sends a SNAPSHOT, then each CHANGE; messages whose version is not above the one
 * shown are ignored, and an accepted change refetches the whole order.
 */
import { useCallback, useEffect } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useQuery, useSubscription } from 'urql';
import { OrderQuery, OrderStatusSubscription } from './queries';
import { PAYABLE, STATUS_WORDS } from './status';
import { PaymentPanel } from './PaymentPanel';
import { OrderSummary, Timeline } from './OrderView';
import { ErrorNote, Loading } from '../../components/Status';
import { requestErrorMessage } from '../../lib/errors';
import { useRefetchOnReconnect } from '../../api/hooks';
import type { OrderStatus, OrderStatusSubscription as Msg } from '../../gql/graphql';

interface Live { status: OrderStatus; version: number; cause: string }

export function OrderPage() {
  const { id = '' } = useParams();
  const [sp] = useSearchParams();
  const token = sp.get('token');
  const [res, refetch] = useQuery({ query: OrderQuery, variables: { id, token }, requestPolicy: 'cache-and-network' });
  const refetchNow = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);
  useRefetchOnReconnect(refetchNow);
  // Keep the newest status message; a message whose version is not above the one
  // kept is stale or repeated and changes nothing.
  const [sub] = useSubscription({ query: OrderStatusSubscription, variables: { id, token } }, (prev: Live | undefined, m: Msg): Live => {
    const u = m.orderStatusChanged;
    if (prev && u.version <= prev.version) return prev;
    return { status: u.status, version: u.version, cause: u.cause };
  });
  const live = sub.data ?? null;
  // An accepted change: read the whole order again (payments, timeline).
  useEffect(() => {
    if (live) refetchNow();
  }, [live?.version]); // once per accepted version

  const order = res.data?.order;
  if (res.error && !order) return <ErrorNote message={requestErrorMessage(res.error) ?? ''} onRetry={refetchNow} />;
  if (!res.data) return <Loading label="Loading your order…" />;
  if (!order) return <section><h1>Order not found</h1><p>Check the link you were sent, or <Link to="/account">sign in</Link> to see your orders.</p></section>;

  const status = live && live.version > order.version ? live.status : order.status;
  const lastPayment = order.payments[order.payments.length - 1];

  return (
    <section className="order" aria-labelledby="order-title">
      <h1 id="order-title">Order {order.number}</h1>
      <p className={`order-status status-${status.toLowerCase()}`} role="status" aria-live="polite" data-testid="order-status">
        {STATUS_WORDS[status]}
      </p>
      {status === 'PAID' && <p className="note note-ok">Thank you! Your payment was received. A confirmation goes to {order.email}.</p>}
      {status === 'PAYMENT_FAILED' && lastPayment?.errorMessage && (
        <p className="note note-error">Your last payment did not go through: {lastPayment.errorMessage.replace(/\.$/, '')}. Nothing was charged; try another card below.</p>
      )}
      {PAYABLE.includes(status) && (
        <>
          {status === 'PENDING_PAYMENT' && <p className="muted small">Your items are held for you until {new Date(order.paymentDeadline).toLocaleTimeString()}.</p>}
          <PaymentPanel orderId={order.id} token={token} />
        </>
      )}
      <OrderSummary order={order} />
      <h2>Shipping to</h2>
      <address>
        {order.shippingAddress.name}<br />{order.shippingAddress.line1}<br />
        {order.shippingAddress.line2 && <>{order.shippingAddress.line2}<br /></>}
        {order.shippingAddress.city} {order.shippingAddress.region ?? ''} {order.shippingAddress.postalCode}<br />{order.shippingAddress.country}
      </address>
      <h2>History</h2>
      <Timeline order={order} />
    </section>
  );
}
