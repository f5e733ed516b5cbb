import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useClient } from 'urql';
import { useCart } from '../cart/useCart';
import { CartLinesUpdate } from '../cart/queries';
import { CheckoutComplete, CheckoutStart } from './queries';
import { checkoutKey, clearCheckoutKey, markCheckoutSent, pendingCheckout } from './idempotency';
import { orderLink, rememberGuestOrder } from '../orders/guestOrders';
import { useSession } from '../../api/session';
import { Money } from '../../components/Money';
import { ErrorNote, Loading } from '../../components/Status';
import { errorsByField, fieldKey, fieldProblemMessage, requestErrorMessage, userErrorMessage } from '../../lib/errors';
import type { CheckoutStartMutation } from '../../gql/graphql';

type Review = NonNullable<CheckoutStartMutation['checkoutStart']['review']>;
type Problem = Review['problems'][number];

const COUNTRIES: [string, string][] = [
  ['US', 'United States'], ['CA', 'Canada'], ['GB', 'United Kingdom'], ['DE', 'Germany'],
  ['FR', 'France'], ['NL', 'Netherlands'], ['AU', 'Australia'], ['JP', 'Japan'],
];

const FIELDS: { key: AddressKey; label: string; autoComplete: string; optional?: boolean }[] = [
  { key: 'name', label: 'Full name', autoComplete: 'name' },
  { key: 'line1', label: 'Address', autoComplete: 'address-line1' },
  { key: 'line2', label: 'Apartment, suite (optional)', autoComplete: 'address-line2', optional: true },
  { key: 'city', label: 'City', autoComplete: 'address-level2' },
  { key: 'region', label: 'State / region', autoComplete: 'address-level1' },
  { key: 'postalCode', label: 'Postal code', autoComplete: 'postal-code' },
  { key: 'phone', label: 'Phone (optional)', autoComplete: 'tel', optional: true },
];
const LABELS: Record<string, string> = { ...Object.fromEntries(FIELDS.map((f) => [f.key, f.label])), country: 'Country' };
type AddressKey = 'name' | 'line1' | 'line2' | 'city' | 'region' | 'postalCode' | 'country' | 'phone';
type Address = Record<AddressKey, string>;

export function CheckoutPage() {
  const client = useClient();
  const navigate = useNavigate();
  const { auth, guestCart } = useSession();
  const { cart, cartToken, fetching, loadError, refetch, forget } = useCart({ fresh: true });
  const [email, setEmail] = useState('');
  const [addr, setAddr] = useState<Address>({ name: '', line1: '', line2: '', city: '', region: '', postalCode: '', country: 'US', phone: '' });
  const [review, setReview] = useState<Review | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const placing = useRef(false);
  const prefilled = useRef(false);

  useEffect(() => {
    if (!cart || prefilled.current) return;
    prefilled.current = true;
    setEmail(cart.email ?? auth?.email ?? '');
    const a = cart.shippingAddress;
    if (a) setAddr({ name: a.name, line1: a.line1, line2: a.line2 ?? '', city: a.city, region: a.region ?? '', postalCode: a.postalCode, country: a.country, phone: a.phone ?? '' });
  }, [cart, auth]);

  /**
   * Places the order. The key is the cart's, kept until an answer arrives; sending
   * it again (double click, retry, reload) gets the same order back.
   */
  const complete = async (cartId: string, token: string | null): Promise<'problems' | undefined> => {
    if (placing.current) return undefined; // a double click sends one request
    placing.current = true;
    setBusy(true);
    setNote(null);
    const idempotencyKey = checkoutKey(cartId);
    markCheckoutSent(cartId);
    const r = await client.mutation(CheckoutComplete, { cartId, cartToken: token, idempotencyKey }).toPromise();
    placing.current = false;
    setBusy(false);
    const p = r.data?.checkoutComplete;
    if (r.error || !p) {
      setNote(`${requestErrorMessage(r.error) ?? 'No answer.'} Your order was not placed twice: pressing "Place order" again, or reloading, is safe.`);
      return undefined;
    }
    if (p.order) {
      clearCheckoutKey(cartId);
      if (p.orderToken) rememberGuestOrder({ id: p.order.id, token: p.orderToken, number: p.order.number });
      forget();
      navigate(orderLink(p.order.id, p.orderToken), { replace: true });
      return undefined;
    }
    // No order: nothing changed. This key's checkout is over; a new try gets a new key.
    clearCheckoutKey(cartId);
    const err = p.userErrors[0];
    if (err) setNote(userErrorMessage(err));
    if (p.problems.length) {
      setNote('Something changed since your review: please check the problems below.');
      return 'problems';
    }
    return undefined;
  };
  // A checkout was sent but its answer was lost (network, reload): finish it with the
  // same key, which returns the order the server made, if it made one.
  const pending = pendingCheckout();
  const recovering = !!pending && !fetching && (!cart || cart.id !== pending.cartId);
  useEffect(() => {
    if (!recovering || !pending) return;
    const token = guestCart && guestCart.id === pending.cartId ? guestCart.token : null;
    void complete(pending.cartId, token);
  }, [recovering]);

  if (recovering && pending) {
    return note && !busy
      ? <ErrorNote message={note} onRetry={() => void complete(pending.cartId, guestCart && guestCart.id === pending.cartId ? guestCart.token : null)} />
      : <Loading label="Finishing your order…" />;
  }
  if (fetching) return <Loading label="Loading your cart…" />;
  if (loadError && !cart) return <ErrorNote message={loadError} onRetry={refetch} />;
  if (!cart || cart.lines.length === 0) return <section><h1>Checkout</h1><p>Your cart is empty. <Link to="/">Back to the shop</Link></p></section>;

  const start = async (acceptPriceChanges = false) => {
    setBusy(true);
    setNote(null);
    const shippingAddress = Object.fromEntries(Object.entries(addr).map(([k, v]) => [k, v.trim() === '' ? null : v.trim()]));
    const r = await client.mutation(CheckoutStart, { cartId: cart.id, cartToken, email: email.trim() || null, shippingAddress, acceptPriceChanges }).toPromise();
    setBusy(false);
    const p = r.data?.checkoutStart;
    if (r.error) return setNote(requestErrorMessage(r.error));
    if (!p) return;
    const errs = errorsByField(p.userErrors);
    const fe: Record<string, string> = { ...errs };
    for (const pr of p.review?.problems ?? []) {
      if (pr.code === 'EMAIL_REQUIRED') fe['email'] = fieldProblemMessage('your email', pr.message);
      const k = pr.code === 'ADDRESS_INCOMPLETE' ? fieldKey(pr.field) : null;
      if (k && !(k in fe)) fe[k] = fieldProblemMessage(LABELS[k] ?? k, pr.message);
    }
    setFieldErrors(fe);
    if (fe['_form']) setNote(fe['_form']);
    setReview(p.review ?? null);
  };

  const adjust = async (pr: Problem) => {
    if (!pr.variantId) return;
    setBusy(true);
    const r = await client.mutation(CartLinesUpdate, { cartId: cart.id, cartToken, expectedVersion: cart.version, lines: [{ variantId: pr.variantId, quantity: Math.max(0, pr.available ?? 0) }] }).toPromise();
    setBusy(false);
    const err = r.data?.cartLinesUpdate.userErrors[0];
    if (err) setNote(userErrorMessage(err));
    await start();
  };

  const place = async () => {
    if ((await complete(cart.id, cartToken)) === 'problems') await start();
  };

  const field = (key: AddressKey, label: string, autoComplete: string, optional?: boolean) => {
    const err = fieldErrors[key];
    const id = `f-${key}`;
    return (
      <div className={`field${err ? ' field-error' : ''}`} key={key}>
        <label htmlFor={id}>{label}</label>
        <input id={id} value={addr[key]} autoComplete={autoComplete} required={!optional && key !== 'region'}
          aria-invalid={err ? true : undefined} aria-describedby={err ? `${id}-err` : undefined}
          onChange={(e) => setAddr((a) => ({ ...a, [key]: e.target.value }))} />
        {err && <span id={`${id}-err`} className="field-msg">{err}</span>}
      </div>
    );
  };

  const generalProblems = (review?.problems ?? []).filter((p) => p.code !== 'ADDRESS_INCOMPLETE' && p.code !== 'EMAIL_REQUIRED');
  const lineName = (variantId: string | null) => {
    const l = cart.lines.find((x) => x.variantId === variantId);
    return l?.variant ? `${l.variant.product?.name ?? ''} (${l.variant.title})` : 'An item';
  };

  return (
    <section className="checkout" aria-labelledby="checkout-title">
      <h1 id="checkout-title">Checkout</h1>
      <form className="checkout-form" noValidate onSubmit={(e) => { e.preventDefault(); void start(); }}>
        <fieldset>
          <legend>Contact</legend>
          <div className={`field${fieldErrors['email'] ? ' field-error' : ''}`}>
            <label htmlFor="f-email">Email</label>
            <input id="f-email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)}
              aria-invalid={fieldErrors['email'] ? true : undefined} aria-describedby={fieldErrors['email'] ? 'f-email-err' : undefined} />
            {fieldErrors['email'] && <span id="f-email-err" className="field-msg">{fieldErrors['email']}</span>}
          </div>
        </fieldset>
        <fieldset>
          <legend>Shipping address</legend>
          {FIELDS.slice(0, 4).map((f) => field(f.key, f.label, f.autoComplete, f.optional))}
          <div className="field-row">
            {FIELDS.slice(4, 6).map((f) => field(f.key, f.label, f.autoComplete, f.optional))}
          </div>
          <div className={`field${fieldErrors['country'] ? ' field-error' : ''}`}>
            <label htmlFor="f-country">Country</label>
            <select id="f-country" autoComplete="country" value={addr.country} onChange={(e) => setAddr((a) => ({ ...a, country: e.target.value }))}>
              {COUNTRIES.map(([c, n]) => <option key={c} value={c}>{n}</option>)}
            </select>
            {fieldErrors['country'] && <span className="field-msg">{fieldErrors['country']}</span>}
          </div>
          {field('phone', 'Phone (optional)', 'tel', true)}
        </fieldset>
        <button type="submit" className="btn" disabled={busy}>{review ? 'Update review' : 'Review order'}</button>
      </form>
      <aside className="review" aria-labelledby="review-title">
        <h2 id="review-title">Order summary</h2>
        {note && <p className="note note-error" role="alert">{note}</p>}
        <ul className="review-lines">
          {cart.lines.map((l) => (
            <li key={l.variantId}><span>{l.quantity} × {lineName(l.variantId)}</span> <Money value={l.lineTotal} /></li>
          ))}
        </ul>
        {review ? (
          <>
            <dl className="totals" data-testid="totals">
              <dt>Subtotal</dt><dd><Money value={review.totals.subtotal} /></dd>
              {review.totals.discount.amount > 0 && <><dt>Discount</dt><dd>−<Money value={review.totals.discount} /></dd></>}
              <dt>Shipping</dt><dd>{review.totals.shipping.amount === 0 ? 'Free' : <Money value={review.totals.shipping} />}</dd>
              <dt>Tax</dt><dd><Money value={review.totals.tax} /></dd>
              <dt className="total">Total</dt><dd className="total"><Money value={review.totals.total} /></dd>
            </dl>
            {generalProblems.length > 0 && (
              <ul className="problems" aria-label="Problems to fix">
                {generalProblems.map((p, i) => (
                  <li key={i} className="note note-error">
                    <span>{p.variantId ? `${lineName(p.variantId)}: ` : ''}{p.message}</span>
                    {p.code === 'PRICE_CHANGED' && p.previousPrice && p.currentPrice && (
                      <span> (was <Money value={p.previousPrice} />, now <Money value={p.currentPrice} />)</span>
                    )}
                    {p.code === 'PRICE_CHANGED' && <button type="button" className="btn btn-small" disabled={busy} onClick={() => void start(true)}>Accept new prices</button>}
                    {(p.code === 'OUT_OF_STOCK' || p.code === 'UNAVAILABLE') && p.variantId && (
                      <button type="button" className="btn btn-small" disabled={busy} onClick={() => void adjust(p)}>
                        {p.available ? `Change to ${p.available}` : 'Remove it'}
                      </button>
                    )}
                    {p.code === 'COUPON_INVALID' && <Link to="/cart" className="btn btn-small">Change coupon</Link>}
                  </li>
                ))}
              </ul>
            )}
            {review.ready && (
              <p className="muted small">After you place the order, your items are held for {Math.round(review.paymentWindowSeconds / 60)} minutes while you pay.</p>
            )}
            <button type="button" className="btn btn-primary btn-wide" disabled={!review.ready || busy} onClick={() => void place()}>
              {busy ? 'Working…' : 'Place order'}
            </button>
          </>
        ) : (
          <p className="muted">Enter your details and review the order to see shipping, tax and the total.</p>
        )}
      </aside>
    </section>
  );
}
