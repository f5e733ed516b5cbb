/**
 * Stripe path, loaded only when the shop takes payments with Stripe: Stripe
 * Elements (the Payment Element) mounted with the attempt's `clientSecret`, then
 * `confirmPayment`. The order turns PAID when Stripe's webhook reaches the server;
 * the order page follows that live.
 */
import { useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import { loadStripe } from '@stripe/stripe-js/pure';
import type { Stripe, StripeElements } from '@stripe/stripe-js';
import { PaymentIntentCreate } from './queries';
import { requestErrorMessage, userErrorMessage } from '../../lib/errors';

export default function StripePayment({ orderId, token, publishableKey }: { orderId: string; token: string | null; publishableKey: string }) {
  const client = useClient();
  const mountRef = useRef<HTMLDivElement>(null);
  const [stripe, setStripe] = useState<Stripe | null>(null);
  const [elements, setElements] = useState<StripeElements | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const i = await client.mutation(PaymentIntentCreate, { orderId, token }).toPromise();
      const p = i.data?.paymentIntentCreate;
      const e = p?.userErrors[0];
      if (i.error || !p?.clientSecret || e) {
        if (!cancelled) setError(e ? userErrorMessage(e) : (requestErrorMessage(i.error) ?? 'The payment could not be started.'));
        return;
      }
      const s = await loadStripe(publishableKey);
      if (!s || cancelled || !mountRef.current) return;
      const els = s.elements({ clientSecret: p.clientSecret });
      els.create('payment').mount(mountRef.current);
      setStripe(s);
      setElements(els);
    })();
    return () => {
      cancelled = true;
    };
  }, [client, orderId, token, publishableKey]);

  const pay = async () => {
    if (!stripe || !elements) return;
    setBusy(true);
    setError(null);
    const r = await stripe.confirmPayment({ elements, redirect: 'if_required', confirmParams: { return_url: window.location.href } });
    setBusy(false);
    if (r.error) setError(`${r.error.message ?? 'The payment did not go through.'} Nothing was charged: try again.`);
  };

  return (
    <form className="panel pay" onSubmit={(e) => { e.preventDefault(); void pay(); }}>
      <h2>Pay by card</h2>
      <div ref={mountRef} />
      {error && <p className="note note-error" role="alert">{error}</p>}
      <button type="submit" className="btn btn-primary btn-wide" disabled={!elements || busy}>{busy ? 'Paying…' : 'Pay now'}</button>
    </form>
  );
}
