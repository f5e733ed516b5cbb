import { useState } from 'react';
import { Link } from 'react-router';
import { useClient } from 'urql';
import { useCart } from './useCart';
import { HoldTimer } from './HoldTimer';
import { CartCouponApply, CartCouponRemove, CartLinesRemove, CartLinesUpdate, CartReservationExtend } from './queries';
import { Money } from '../../components/Money';
import { ErrorNote, Loading } from '../../components/Status';
import { ProductImage } from '../../components/ProductImage';
import { requestErrorMessage, userErrorMessage } from '../../lib/errors';
import type { UserErrorFieldsFragment } from '../../gql/graphql';

type Note = { kind: 'ok' | 'error' | 'info'; text: string } | null;

/** `embedded`: shown under another page's heading (the recovery page), so its title is an h2. */
export function CartPage({ embedded = false }: { embedded?: boolean } = {}) {
  const Title = embedded ? 'h2' : 'h1';
  const client = useClient();
  const { cart, cartToken, fetching, loadError, refetch } = useCart({ fresh: true });
  const [note, setNote] = useState<Note>(null);
  const [busy, setBusy] = useState(false);
  const [coupon, setCoupon] = useState('');

  if (fetching) return <Loading label="Loading your cart…" />;
  if (loadError && !cart) return <ErrorNote message={loadError} onRetry={refetch} />;
  if (!cart || cart.lines.length === 0) {
    return (
      <section>
        <Title>Your cart</Title>
        <p>Your cart is empty. <Link to="/">Find something you like</Link>.</p>
      </section>
    );
  }

  /** Runs one cart edit and says what happened; a version conflict refreshes the cart. */
  const run = async (
    exec: () => Promise<{ errors: readonly UserErrorFieldsFragment[]; failure: string | null }>,
    ok?: string,
  ) => {
    setBusy(true);
    setNote(null);
    const r = await exec();
    setBusy(false);
    const err = r.errors[0];
    if (r.failure) setNote({ kind: 'error', text: r.failure });
    else if (err?.code === 'VERSION_CONFLICT') {
      refetch();
      setNote({ kind: 'info', text: userErrorMessage(err) });
    } else if (err) setNote({ kind: 'error', text: userErrorMessage(err) });
    else if (ok) setNote({ kind: 'ok', text: ok });
    return !r.failure && !err;
  };
  const base = { cartId: cart.id, cartToken, expectedVersion: cart.version };

  const setQty = (variantId: string, quantity: number) =>
    run(async () => {
      const r = await client.mutation(CartLinesUpdate, { ...base, lines: [{ variantId, quantity }] }).toPromise();
      return { errors: r.data?.cartLinesUpdate.userErrors ?? [], failure: requestErrorMessage(r.error) };
    });
  const remove = (variantId: string) =>
    run(async () => {
      const r = await client.mutation(CartLinesRemove, { ...base, variantIds: [variantId] }).toPromise();
      return { errors: r.data?.cartLinesRemove.userErrors ?? [], failure: requestErrorMessage(r.error) };
    });
  const extend = () =>
    run(async () => {
      const r = await client.mutation(CartReservationExtend, { cartId: cart.id, cartToken }).toPromise();
      const p = r.data?.cartReservationExtend;
      const short = p?.shortfalls ?? [];
      if (short.length) {
        const names = short.map((s) => {
          const line = cart.lines.find((l) => l.variantId === s.variantId);
          const name = line?.variant ? `${line.variant.product?.name ?? ''} (${line.variant.title})` : 'An item';
          return s.available === 0 ? `${name} is sold out` : `${name}: only ${s.available} left`;
        });
        return { errors: [{ code: 'OUT_OF_STOCK', field: null, message: `Could not hold everything again: ${names.join('; ')}. Lower the quantity or remove it.`, currentVersion: null }], failure: null };
      }
      return { errors: p?.userErrors ?? [], failure: requestErrorMessage(r.error) };
    }, 'Your items are held for you again.');
  const applyCoupon = () =>
    run(async () => {
      const r = await client.mutation(CartCouponApply, { ...base, code: coupon.trim() }).toPromise();
      return { errors: r.data?.cartCouponApply.userErrors ?? [], failure: requestErrorMessage(r.error) };
    }, `Coupon ${coupon.trim().toUpperCase()} applied: the discount shows at checkout.`).then((done) => { if (done) setCoupon(''); });
  const removeCoupon = () =>
    run(async () => {
      const r = await client.mutation(CartCouponRemove, base).toPromise();
      return { errors: r.data?.cartCouponRemove.userErrors ?? [], failure: requestErrorMessage(r.error) };
    }, 'Coupon removed.');

  return (
    <section className="cart" aria-labelledby="cart-title">
      <Title id="cart-title">Your cart</Title>
      <HoldTimer reservedUntil={cart.reservedUntil} lapsed={cart.holdsLapsed} onLapse={refetch} />
      <div className="row">
        <button type="button" className="btn" onClick={() => void extend()} disabled={busy}>
          {cart.holdsLapsed ? 'Hold my items again' : 'Extend hold'}
        </button>
      </div>
      {note && <p className={`note note-${note.kind}`} role={note.kind === 'error' ? 'alert' : 'status'}>{note.text}</p>}
      <ul className="cart-lines">
        {cart.lines.map((l) => {
          const v = l.variant;
          return (
            <li key={l.variantId} className={`cart-line${l.held ? '' : ' cart-line-lapsed'}`} data-testid="cart-line">
              <ProductImage image={v?.product?.featuredImage} name={v?.product?.name ?? ''} width={80} height={100} decorative />
              <div className="cart-line-info">
                {v?.product ? <Link to={`/products/${v.product.slug}`}>{v.product.name}</Link> : <span>No longer sold</span>}
                <span className="muted small">{v?.title}</span>
                <span className="small"><Money value={l.unitPrice} /> each</span>
                {!l.held && (
                  <span className="badge badge-warn" data-testid="lapsed">
                    Hold lapsed{l.heldQuantity > 0 ? `: ${l.heldQuantity} of ${l.quantity} held` : ''}
                  </span>
                )}
              </div>
              <label className="cart-qty">
                <span className="sr-only">Quantity of {v?.product?.name} {v?.title}</span>
                <select value={l.quantity} disabled={busy} onChange={(e) => void setQty(l.variantId, Number(e.target.value))}>
                  {Array.from({ length: Math.max(10, l.quantity) }, (_, i) => i + 1).map((n) => <option key={n} value={n}>{n}</option>)}
                </select>
              </label>
              <span className="cart-total"><Money value={l.lineTotal} /></span>
              <button type="button" className="btn btn-link" disabled={busy} onClick={() => void remove(l.variantId)}>
                Remove<span className="sr-only"> {v?.product?.name} {v?.title}</span>
              </button>
            </li>
          );
        })}
      </ul>
      <div className="cart-foot">
        <form className="coupon" onSubmit={(e) => { e.preventDefault(); if (coupon.trim()) void applyCoupon(); }}>
          <label htmlFor="coupon">Coupon code</label>
          <div className="row">
            <input id="coupon" value={coupon} onChange={(e) => setCoupon(e.target.value)} autoComplete="off" />
            <button type="submit" className="btn" disabled={busy || !coupon.trim()}>{cart.couponCode ? 'Replace' : 'Apply'}</button>
          </div>
          {cart.couponCode && (
            <p className="row small" data-testid="applied-coupon">
              <span>Applied: <strong>{cart.couponCode}</strong></span>
              <button type="button" className="btn btn-link" disabled={busy} onClick={() => void removeCoupon()}>
                Remove<span className="sr-only"> coupon {cart.couponCode}</span>
              </button>
            </p>
          )}
        </form>
        <div className="cart-summary">
          <p>Subtotal ({cart.itemCount} {cart.itemCount === 1 ? 'item' : 'items'}): <strong><Money value={cart.subtotal} /></strong></p>
          <p className="muted small">Discounts, shipping and tax are worked out at checkout.</p>
          <Link to="/checkout" className="btn btn-primary">Checkout</Link>
        </div>
      </div>
    </section>
  );
}
