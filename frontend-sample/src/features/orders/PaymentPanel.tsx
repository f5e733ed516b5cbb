/**
 * Paying an order. With the built-in test gateway: a card form confirmed through
 * `testPaymentConfirm`, and the 3-D Secure step through `testPaymentAuthenticate`.
 * With Stripe: Stripe Elements, loaded only when `paymentConfig` says Stripe.
 * The order is marked paid by the server when the gateway says so; this page
 * follows it through `orderStatusChanged`.
 */
import { lazy, Suspense, useState } from 'react';
import { useClient, useQuery } from 'urql';
import { PaymentConfigQuery, PaymentIntentCreate, TestPaymentAuthenticate, TestPaymentConfirm } from './queries';
import { requestErrorMessage, userErrorMessage } from '../../lib/errors';
import { ErrorNote, Loading } from '../../components/Status';

const StripePayment = lazy(() => import('./StripePayment'));

export function PaymentPanel({ orderId, token }: { orderId: string; token: string | null }) {
  const [cfg, refetchCfg] = useQuery({ query: PaymentConfigQuery, requestPolicy: 'cache-first' });
  if (cfg.error) return <ErrorNote message={requestErrorMessage(cfg.error) ?? ''} onRetry={() => refetchCfg({ requestPolicy: 'network-only' })} />;
  if (!cfg.data) return <Loading label="Loading payment…" />;
  const c = cfg.data.paymentConfig;
  if (c.gateway === 'STRIPE' && c.publishableKey) {
    return (
      <Suspense fallback={<Loading label="Loading secure payment form…" />}>
        <StripePayment orderId={orderId} token={token} publishableKey={c.publishableKey} />
      </Suspense>
    );
  }
  return <TestCardForm orderId={orderId} token={token} cards={c.testCards} />;
}

function TestCardForm({ orderId, token, cards }: { orderId: string; token: string | null; cards: readonly { number: string; brand: string; description: string }[] }) {
  const client = useClient();
  const [card, setCard] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [needs3ds, setNeeds3ds] = useState(false);

  const pay = async () => {
    setBusy(true);
    setError(null);
    // Creating the intent again resumes the open attempt, or starts a new one after a failure.
    const i = await client.mutation(PaymentIntentCreate, { orderId, token }).toPromise();
    const ip = i.data?.paymentIntentCreate;
    const ie = ip?.userErrors[0];
    if (i.error || !ip || ie || !ip.clientSecret) {
      setBusy(false);
      return setError(ie ? userErrorMessage(ie) : (requestErrorMessage(i.error) ?? 'The payment could not be started. Please try again.'));
    }
    setSecret(ip.clientSecret);
    const r = await client.mutation(TestPaymentConfirm, { clientSecret: ip.clientSecret, cardNumber: card.replace(/\s+/g, '') }).toPromise();
    setBusy(false);
    const p = r.data?.testPaymentConfirm;
    const e = p?.userErrors[0];
    if (r.error || !p) return setError(requestErrorMessage(r.error) ?? 'No answer from the payment service.');
    if (e) return setError(userErrorMessage(e));
    const st = p.payment?.status;
    if (st === 'REQUIRES_ACTION') return setNeeds3ds(true);
    if (st === 'FAILED') return setError(`${(p.payment?.errorMessage ?? 'Your card was declined').replace(/\.$/, '')}. Nothing was charged: try another card.`);
  };

  const authenticate = async (approve: boolean) => {
    if (!secret) return;
    setBusy(true);
    const r = await client.mutation(TestPaymentAuthenticate, { clientSecret: secret, approve }).toPromise();
    setBusy(false);
    setNeeds3ds(false);
    const p = r.data?.testPaymentAuthenticate;
    const e = p?.userErrors[0];
    if (r.error || !p) return setError(requestErrorMessage(r.error) ?? 'No answer from the payment service.');
    if (e) return setError(userErrorMessage(e));
    if (p.payment?.status === 'FAILED') setError(`${(p.payment.errorMessage ?? 'Authentication failed').replace(/\.$/, '')}. Nothing was charged: try again or use another card.`);
  };

  if (needs3ds) {
    return (
      <div className="panel" role="dialog" aria-labelledby="tds-title" aria-modal="false">
        <h2 id="tds-title">Confirm it is you</h2>
        <p>Your bank asks you to confirm this payment (3-D Secure test).</p>
        <div className="row">
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void authenticate(true)} autoFocus>Approve</button>
          <button type="button" className="btn" disabled={busy} onClick={() => void authenticate(false)}>Fail authentication</button>
        </div>
      </div>
    );
  }

  return (
    <form className="panel pay" aria-labelledby="pay-title" onSubmit={(e) => { e.preventDefault(); void pay(); }}>
      <h2 id="pay-title">Pay by card</h2>
      <p className="muted small">Test mode: no money moves. Use one of the test cards below.</p>
      <div className={`field${error ? ' field-error' : ''}`}>
        <label htmlFor="card">Card number</label>
        <input id="card" inputMode="numeric" autoComplete="cc-number" value={card} onChange={(e) => setCard(e.target.value)} placeholder="4242 4242 4242 4242"
          aria-invalid={error ? true : undefined} aria-describedby="card-help" required />
      </div>
      {error && <p className="note note-error" role="alert" data-testid="pay-error">{error}</p>}
      <button type="submit" className="btn btn-primary btn-wide" disabled={busy || card.replace(/\s+/g, '').length < 12}>{busy ? 'Paying…' : 'Pay now'}</button>
      <details id="card-help" className="small">
        <summary>Test cards</summary>
        <ul>
          {cards.map((c) => (
            <li key={c.number}>
              <button type="button" className="btn btn-link" onClick={() => setCard(c.number)}>{c.number}</button> {c.brand}: {c.description}
            </li>
          ))}
        </ul>
      </details>
    </form>
  );
}
