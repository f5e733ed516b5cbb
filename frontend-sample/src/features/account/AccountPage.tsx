import { useState } from 'react';
import { Link } from 'react-router';
import { useClient, useQuery } from 'urql';
import { CartMerge, MyOrders, Register, SignIn, SignOut } from './queries';
import { useSession, type AuthTokens } from '../../api/session';
import { errorsByField, requestErrorMessage } from '../../lib/errors';
import { ErrorNote, Loading } from '../../components/Status';
import { Money } from '../../components/Money';
import { OrderSummary, Timeline } from '../orders/OrderView';
import { STATUS_WORDS } from '../orders/status';
import { guestOrders, orderLink } from '../orders/guestOrders';
import { makeApi } from '../../api/client';

export function AccountPage() {
  const { auth } = useSession();
  return auth ? <SignedIn /> : <SignedOut />;
}

function SignedOut() {
  const { signIn, guestCart, setGuestCart } = useSession();
  const client = useClient();
  const [mode, setMode] = useState<'signin' | 'register'>('signin');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const mine = guestOrders();

  const finish = async (p: { accessToken: string | null; accessTokenExpiresAt: string | null; refreshToken: string | null; user: { email: string } | null }, merged: boolean) => {
    if (!p.accessToken || !p.refreshToken || !p.accessTokenExpiresAt || !p.user) return;
    const tokens: AuthTokens = { accessToken: p.accessToken, refreshToken: p.refreshToken, accessTokenExpiresAt: p.accessTokenExpiresAt, email: p.user.email };
    if (guestCart && !merged) {
      // Registration does not take the guest cart: merge it with the new session.
      const api = makeApi(() => tokens.accessToken);
      await api.client.mutation(CartMerge, { guestCart }).toPromise();
      api.dispose();
    }
    setGuestCart(null);
    signIn(tokens);
  };

  const submit = async () => {
    setBusy(true);
    setErrors({});
    if (mode === 'signin') {
      const r = await client.mutation(SignIn, { email, password, guestCart: guestCart ?? null }).toPromise();
      const p = r.data?.tokenCreate;
      setBusy(false);
      if (r.error || !p) return setErrors({ _form: requestErrorMessage(r.error) ?? 'No answer.' });
      if (p.userErrors.length) return setErrors(errorsByField(p.userErrors));
      await finish(p, true);
    } else {
      const r = await client.mutation(Register, { input: { email, password, name } }).toPromise();
      const p = r.data?.accountRegister;
      setBusy(false);
      if (r.error || !p) return setErrors({ _form: requestErrorMessage(r.error) ?? 'No answer.' });
      if (p.userErrors.length) return setErrors(errorsByField(p.userErrors));
      await finish(p, false);
    }
  };

  const input = (id: string, label: string, value: string, set: (v: string) => void, type: string, autoComplete: string) => (
    <div className={`field${errors[id] ? ' field-error' : ''}`}>
      <label htmlFor={`a-${id}`}>{label}</label>
      <input id={`a-${id}`} type={type} value={value} autoComplete={autoComplete} required onChange={(e) => set(e.target.value)}
        aria-invalid={errors[id] ? true : undefined} aria-describedby={errors[id] ? `a-${id}-err` : undefined} />
      {errors[id] && <span id={`a-${id}-err`} className="field-msg">{errors[id]}</span>}
    </div>
  );

  return (
    <section className="account narrow" aria-labelledby="account-title">
      <h1 id="account-title">{mode === 'signin' ? 'Sign in' : 'Create an account'}</h1>
      {guestCart && <p className="muted small">Your cart comes with you when you sign in.</p>}
      <form onSubmit={(e) => { e.preventDefault(); void submit(); }} noValidate>
        {mode === 'register' && input('name', 'Name', name, setName, 'text', 'name')}
        {input('email', 'Email', email, setEmail, 'email', 'email')}
        {input('password', 'Password', password, setPassword, 'password', mode === 'signin' ? 'current-password' : 'new-password')}
        {mode === 'register' && <p className="muted small">At least 10 characters, not a common password.</p>}
        {errors['_form'] && <p className="note note-error" role="alert">{errors['_form']}</p>}
        <button type="submit" className="btn btn-primary btn-wide" disabled={busy}>{mode === 'signin' ? 'Sign in' : 'Create account'}</button>
      </form>
      <p>
        {mode === 'signin' ? 'New here? ' : 'Have an account? '}
        <button type="button" className="btn btn-link" onClick={() => { setMode(mode === 'signin' ? 'register' : 'signin'); setErrors({}); }}>
          {mode === 'signin' ? 'Create an account' : 'Sign in'}
        </button>
      </p>
      {mine.length > 0 && (
        <>
          <h2>Orders placed as a guest on this device</h2>
          <ul>{mine.map((o) => <li key={o.id}><Link to={orderLink(o.id, o.token)}>Order {o.number}</Link></li>)}</ul>
        </>
      )}
    </section>
  );
}

function SignedIn() {
  const { auth, signOut } = useSession();
  const client = useClient();
  const [res, refetch] = useQuery({ query: MyOrders, variables: { first: 20 }, requestPolicy: 'cache-and-network' });
  const out = async () => {
    await client.mutation(SignOut, { refreshToken: auth?.refreshToken ?? null }).toPromise();
    signOut();
  };
  return (
    <section className="account" aria-labelledby="account-title">
      <div className="row spread">
        <h1 id="account-title">Your account</h1>
        <button type="button" className="btn" onClick={() => void out()}>Sign out</button>
      </div>
      <p>Signed in as <strong>{res.data?.me?.name ?? auth?.email}</strong> ({auth?.email})</p>
      <h2>Your orders</h2>
      {res.error && !res.data && <ErrorNote message={requestErrorMessage(res.error) ?? ''} onRetry={() => refetch({ requestPolicy: 'network-only' })} />}
      {!res.data && !res.error && <Loading label="Loading your orders…" />}
      {res.data && res.data.orders.edges.length === 0 && <p>No orders yet. <Link to="/">Start shopping</Link>.</p>}
      <ul className="orders" data-testid="order-history">
        {res.data?.orders.edges.map(({ node: o }) => (
          <li key={o.id} className="panel">
            <details>
              <summary>
                <span className="order-head">
                  <strong>Order {o.number}</strong>
                  <span>{new Date(o.createdAt).toLocaleDateString()}</span>
                  <span className={`badge status-${o.status.toLowerCase()}`}>{STATUS_WORDS[o.status]}</span>
                  <Money value={o.totals.total} />
                </span>
              </summary>
              <OrderSummary order={o} />
              <h3>History</h3>
              <Timeline order={o} />
              <Link to={orderLink(o.id, null)}>Open order page</Link>
            </details>
          </li>
        ))}
      </ul>
    </section>
  );
}
