/**
 * The page a cart reminder's link opens (`/recover/:token`). It restores the
 * abandoned cart on this device with `cartRecover`, keeps the new cart exactly as
 * a cart made by `cartCreate` is kept, says what could not come back, and offers
 * the reminder's "unsubscribe".
 */
import { useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useClient, useQuery, type Client, type OperationResult } from 'urql';
import { CartRecover, CartRemindersUnsubscribe, ShortfallVariants } from './queries';
import { shortfallText, variantName, type ShortfallLike } from './shortfalls';
import { CartPage } from '../cart/CartPage';
import { useCart } from '../cart/useCart';
import { deviceId } from '../../lib/device';
import { fieldKey, requestErrorMessage, sentence, userErrorMessage } from '../../lib/errors';
import type { CartFieldsFragment, CartRecoverMutation, UserErrorFieldsFragment } from '../../gql/graphql';

type Lines = CartFieldsFragment['lines'];

type Outcome =
  | { kind: 'pending' }
  | { kind: 'restored'; shortfalls: readonly ShortfallLike[]; lines: Lines }
  | { kind: 'refused'; message: string }
  | { kind: 'failed'; message: string };

// A link works once per device: ask once per token and page load, even when React
// runs the effect twice (StrictMode in development) or the page is opened again
// within the app. A request that failed is forgotten, so "Try again" asks again.
const asked = new Map<string, Promise<OperationResult<CartRecoverMutation>>>();
function recoverOnce(client: Client, token: string): Promise<OperationResult<CartRecoverMutation>> {
  let p = asked.get(token);
  if (!p) {
    p = client.mutation(CartRecover, { token, deviceId: deviceId() }).toPromise();
    asked.set(token, p);
    void p.then((r) => {
      if (!r.data) asked.delete(token);
    });
  }
  return p;
}

/** Words for a refused link; the API's messages are written for people. */
function refusal(errors: readonly UserErrorFieldsFragment[]): string {
  const e = errors[0];
  if (!e) return 'This link could not be used.';
  if (fieldKey(e.field) === 'deviceId') return 'This browser could not be recognised, so the cart was not restored.';
  return sentence(userErrorMessage(e));
}

export function RecoverPage() {
  const { token = '' } = useParams();
  const client = useClient();
  const { cart, adoptCart } = useCart();
  const adopt = useRef(adoptCart);
  adopt.current = adoptCart;
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'pending' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    setOutcome({ kind: 'pending' });
    void recoverOnce(client, token).then((r) => {
      if (!live) return;
      const p = r.data?.cartRecover;
      if (p?.cart) {
        adopt.current(p);
        setOutcome({ kind: 'restored', shortfalls: p.shortfalls, lines: p.cart.lines });
      } else if (p?.userErrors.length) {
        setOutcome({ kind: 'refused', message: refusal(p.userErrors) });
      } else {
        setOutcome({ kind: 'failed', message: requestErrorMessage(r.error) ?? 'Something went wrong on our side. Please try again.' });
      }
    });
    return () => {
      live = false;
    };
  }, [client, token, attempt]);

  const title = {
    pending: 'Restoring your cart',
    restored: 'Welcome back',
    refused: 'We could not restore your cart',
    failed: 'We could not restore your cart',
  }[outcome.kind];

  return (
    <section className="recover" aria-labelledby="recover-title">
      <h1 id="recover-title">{title}</h1>
      {/* One status region from loading to result, so the result is announced. */}
      <div role="status" className={outcome.kind === 'restored' ? 'recover-notice note note-ok' : 'recover-notice'} data-testid="recover-notice">
        {outcome.kind === 'pending' && <p className="muted">Restoring your cart…</p>}
        {outcome.kind === 'restored' && <Restored shortfalls={outcome.shortfalls} lines={outcome.lines} />}
      </div>
      {outcome.kind === 'restored' && <CartPage embedded />}
      {outcome.kind === 'refused' && (
        <div className="recover-refused" data-testid="recover-refused">
          <p className="note note-error" role="alert">{outcome.message}</p>
          <p>A reminder's link restores your cart once on each device, for a limited time.</p>
          <p className="row">
            <Link to="/" className="btn btn-primary">Keep shopping</Link>
            {cart && cart.lines.length > 0 && <Link to="/cart" className="btn">Go to your cart</Link>}
          </p>
        </div>
      )}
      {outcome.kind === 'failed' && (
        <div className="note note-error" role="alert">
          <span>{outcome.message}</span>
          <button type="button" className="btn btn-small" onClick={() => setAttempt((n) => n + 1)}>Try again</button>
          <Link to="/">Keep shopping</Link>
        </div>
      )}
      {(outcome.kind === 'restored' || outcome.kind === 'refused') && <Unsubscribe token={token} />}
    </section>
  );
}

/** The notice: restored, and each line that came back short in words. */
function Restored({ shortfalls, lines }: { shortfalls: readonly ShortfallLike[]; lines: Lines }) {
  const inCart = new Map(lines.map((l) => [l.variantId, variantName(l.variant?.product?.name, l.variant?.title)]));
  // Lines that are not in the restored cart are looked up by id; a variant that is
  // gone (or whose product is) stays unnamed.
  const missing = shortfalls.map((s) => s.variantId).filter((id) => !inCart.get(id));
  const [q] = useQuery({ query: ShortfallVariants, variables: { ids: missing }, pause: missing.length === 0 });
  const looked = new Map<string, string | null>();
  for (const n of q.data?.nodes ?? []) {
    if (n && 'title' in n) looked.set(n.id, variantName(n.product?.name, n.title));
  }
  const named = missing.length === 0 || !!q.data || !!q.error;
  const empty = lines.length === 0;
  return (
    <>
      <p>
        <strong>{empty ? 'We found your cart, but nothing in it can be bought right now.' : 'We restored your cart.'}</strong>
        {!empty && shortfalls.length === 0 && ' Everything you left is here.'}
      </p>
      {shortfalls.length > 0 && !named && <p className="small">Checking what changed…</p>}
      {shortfalls.length > 0 && named && (
        <>
          <p>{empty ? 'What happened:' : 'A few things changed while you were away:'}</p>
          <ul className="recover-shortfalls" data-testid="recover-shortfalls">
            {shortfalls.map((s) => (
              <li key={s.variantId}>{shortfallText(s, inCart.get(s.variantId) ?? looked.get(s.variantId) ?? null)}</li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

/** The reminder's "unsubscribe": no more cart reminders to the address it went to. */
function Unsubscribe({ token }: { token: string }) {
  const client = useClient();
  const [state, setState] = useState<'idle' | 'busy' | 'done'>('idle');
  const [error, setError] = useState<string | null>(null);
  const done = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (state === 'done') done.current?.focus();
  }, [state]);

  const unsubscribe = async () => {
    setState('busy');
    setError(null);
    const r = await client.mutation(CartRemindersUnsubscribe, { token }).toPromise();
    const p = r.data?.cartRemindersUnsubscribe;
    if (p?.optedOut) return setState('done');
    setState('idle');
    const e = p?.userErrors[0];
    setError(e ? sentence(userErrorMessage(e)) : (requestErrorMessage(r.error) ?? 'That did not work. Please try again.'));
  };

  return (
    <section className="recover-reminders" aria-labelledby="reminders-title">
      <h2 id="reminders-title">Cart reminders</h2>
      {state === 'done' ? (
        <p className="note note-ok" role="status" tabIndex={-1} ref={done} data-testid="unsubscribed">
          You are unsubscribed: we will not send cart reminders to this address again.
        </p>
      ) : (
        <>
          <p className="muted">We sent you a reminder because you left items in your cart. Rather not get these?</p>
          <button type="button" className="btn" disabled={state === 'busy'} onClick={() => void unsubscribe()}>
            Unsubscribe from cart reminders
          </button>
        </>
      )}
      {error && <p className="note note-error" role="alert">{error}</p>}
    </section>
  );
}
