import { StrictMode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { SessionProvider } from '../../api/session';
import { RecoverPage } from './RecoverPage';
import { shortfallText } from './shortfalls';
import { deviceId } from '../../lib/device';

// The page runs against the app's real client (session, normalised cache); only
// the network is replaced: each GraphQL operation is answered by name.
type Vars = Record<string, unknown>;
type Answer = (vars: Vars) => unknown;
let calls: { op: string; vars: Vars }[] = [];

function serve(answers: Record<string, Answer>) {
  calls = [];
  vi.stubGlobal('fetch', vi.fn(async (_url: string, init: RequestInit) => {
    const body = JSON.parse(String(init.body)) as { operationName: string; variables: Vars };
    calls.push({ op: body.operationName, vars: body.variables });
    const answer = answers[body.operationName];
    if (!answer) throw new Error(`unexpected operation ${body.operationName}`);
    const result = answer(body.variables);
    if (result instanceof Error) throw result; // a network failure
    return new Response(JSON.stringify({ data: result }), { headers: { 'content-type': 'application/json' } });
  }));
}

const money = (amount: number) => ({ __typename: 'Money', amount, currencyCode: 'USD' });
const variant = (id: string, name: string, title: string) => ({
  __typename: 'Variant', id, title, sku: `SKU-${id}`, availableQuantity: 1, inStock: true, price: money(4900),
  product: { __typename: 'Product', id: `P-${id}`, slug: name.toLowerCase().replace(/ /g, '-'), name, featuredImage: null },
});
const line = (v: ReturnType<typeof variant>, quantity: number) => ({
  __typename: 'CartLine', variantId: v.id, quantity, held: true, heldQuantity: quantity,
  reservedUntil: new Date(Date.now() + 600_000).toISOString(), unitPrice: money(4900), lineTotal: money(4900 * quantity), variant: v,
});
const cart = (id: string, lines: ReturnType<typeof line>[]) => ({
  __typename: 'Cart', id, version: 1, status: 'ACTIVE', itemCount: lines.reduce((n, l) => n + l.quantity, 0),
  subtotal: money(lines.reduce((n, l) => n + l.lineTotal.amount, 0)), reservedUntil: new Date(Date.now() + 600_000).toISOString(),
  holdsLapsed: false, expiresAt: new Date(Date.now() + 86_400_000).toISOString(), email: null, couponCode: null, shippingAddress: null, lines,
});
const shortfall = (variantId: string, requested: number, restored: number, reason: 'OUT_OF_STOCK' | 'NO_LONGER_SOLD') =>
  ({ __typename: 'RecoveryShortfall', variantId, requested, restored, reason });
const userError = (field: string, message: string) => ({ __typename: 'UserError', code: 'INVALID', field: [field], message, currentVersion: null });

function openLink(token: string) {
  return render(
    <StrictMode>
      <SessionProvider>
        <MemoryRouter initialEntries={[`/recover/${token}`]}>
          <Routes>
            <Route path="/recover/:token" element={<RecoverPage />} />
          </Routes>
        </MemoryRouter>
      </SessionProvider>
    </StrictMode>,
  );
}

beforeEach(() => localStorage.clear());
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('shortfall wording', () => {
  it('says what happened to each line, and names no product it cannot find', () => {
    const s = (restored: number, reason: 'OUT_OF_STOCK' | 'NO_LONGER_SOLD') => ({ variantId: 'V', requested: 3, restored, reason });
    expect(shortfallText(s(1, 'OUT_OF_STOCK'), 'Linen Shirt (White / M)')).toBe('Linen Shirt (White / M): only 1 of 3 left, so your cart has 1.');
    expect(shortfallText(s(0, 'OUT_OF_STOCK'), 'Linen Shirt (White / M)')).toBe('Linen Shirt (White / M): sold out, so it is not in your cart.');
    expect(shortfallText(s(0, 'NO_LONGER_SOLD'), 'Linen Shirt (White / M)')).toBe('Linen Shirt (White / M): no longer sold, so it is not in your cart.');
    expect(shortfallText(s(0, 'NO_LONGER_SOLD'), null)).toBe('An item is no longer available.');
  });
});

describe('device id', () => {
  it('is made once and kept', () => {
    const id = deviceId();
    expect(id.length).toBeGreaterThanOrEqual(8);
    expect(deviceId()).toBe(id);
    expect(JSON.parse(localStorage.getItem('stockade.deviceId') ?? 'null')).toBe(id);
  });
});

describe('<RecoverPage>', () => {
  it('restores the cart once, keeps it as the current cart and says what fell short', async () => {
    const jacket = variant('V-jacket', 'Field Jacket', 'Olive / M');
    const boots = variant('V-boots', 'Chelsea Boots', 'Brown / 42');
    const restored = cart('C-new', [line(jacket, 1), line(boots, 2)]);
    const shirt = variant('V-shirt', 'Linen Shirt', 'White / M');
    serve({
      CartRecover: () => ({
        cartRecover: {
          __typename: 'CartRecoverPayload', cart: restored, cartToken: 'secret-new', userErrors: [],
          shortfalls: [shortfall('V-jacket', 3, 1, 'OUT_OF_STOCK'), shortfall('V-shirt', 1, 0, 'OUT_OF_STOCK'), shortfall('V-gone', 2, 0, 'NO_LONGER_SOLD')],
        },
      }),
      ShortfallVariants: ({ ids }) => ({ nodes: (ids as string[]).map((id) => (id === 'V-shirt' ? shirt : null)) }),
      Cart: () => ({ cart: restored }),
      CartRemindersUnsubscribe: () => ({ cartRemindersUnsubscribe: { __typename: 'CartRemindersPayload', optedOut: true, userErrors: [] } }),
    });
    openLink('tok-ok');

    await screen.findByRole('heading', { level: 1, name: 'Welcome back' });
    const notice = screen.getByTestId('recover-notice');
    expect(notice.getAttribute('role')).toBe('status');
    expect(notice.textContent).toContain('We restored your cart.');
    const items = await within(notice).findAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual([
      'Field Jacket (Olive / M): only 1 of 3 left, so your cart has 1.',
      'Linen Shirt (White / M): sold out, so it is not in your cart.',
      'An item is no longer available.',
    ]);
    // Only what is not in the cart is looked up.
    expect(calls.find((c) => c.op === 'ShortfallVariants')?.vars).toEqual({ ids: ['V-shirt', 'V-gone'] });

    // Asked once although StrictMode runs effects twice, with this device's id.
    const asked = calls.filter((c) => c.op === 'CartRecover');
    expect(asked).toHaveLength(1);
    expect(asked[0]?.vars).toEqual({ token: 'tok-ok', deviceId: deviceId() });
    // Kept exactly as a cart from cartCreate, and shown.
    expect(JSON.parse(localStorage.getItem('stockade.guestCart') ?? 'null')).toEqual({ id: 'C-new', token: 'secret-new' });
    await screen.findByRole('heading', { level: 2, name: 'Your cart' });
    expect(screen.getAllByTestId('cart-line').map((l) => l.textContent)).toEqual([
      expect.stringContaining('Field Jacket'),
      expect.stringContaining('Chelsea Boots'),
    ]);
    expect(calls.find((c) => c.op === 'Cart')?.vars).toEqual({ id: 'C-new', token: 'secret-new' });

    // Unsubscribe: the token goes to the API, and the page says it is done.
    fireEvent.click(screen.getByRole('button', { name: 'Unsubscribe from cart reminders' }));
    const done = await screen.findByTestId('unsubscribed');
    expect(done.textContent).toContain('we will not send cart reminders to this address again');
    // Focus moves to the confirmation in an effect after it is shown.
    await waitFor(() => expect(document.activeElement).toBe(done));
    expect(calls.find((c) => c.op === 'CartRemindersUnsubscribe')?.vars).toEqual({ token: 'tok-ok' });
    expect(screen.queryByRole('button', { name: 'Unsubscribe from cart reminders' })).toBeNull();
  });

  it('tells a refused link in words, with a way to keep shopping', async () => {
    serve({
      CartRecover: () => ({
        cartRecover: { __typename: 'CartRecoverPayload', cart: null, cartToken: null, shortfalls: [], userErrors: [userError('token', 'this link was already used on this device')] },
      }),
      CartRemindersUnsubscribe: () => ({
        cartRemindersUnsubscribe: { __typename: 'CartRemindersPayload', optedOut: false, userErrors: [userError('token', 'this link is not valid')] },
      }),
    });
    const { container } = openLink('tok-used');

    await screen.findByRole('heading', { level: 1, name: 'We could not restore your cart' });
    expect(screen.getByRole('alert').textContent).toBe('This link was already used on this device.');
    expect(screen.getByRole('link', { name: 'Keep shopping' }).getAttribute('href')).toBe('/');
    expect(screen.queryByRole('link', { name: 'Go to your cart' })).toBeNull();
    expect(localStorage.getItem('stockade.guestCart')).toBeNull();
    expect(container.textContent).not.toMatch(/INVALID|[{}]|token/);

    // An unsubscribe the API refuses is said in words too; the button stays.
    fireEvent.click(screen.getByRole('button', { name: 'Unsubscribe from cart reminders' }));
    await waitFor(() => expect(screen.getAllByRole('alert').map((a) => a.textContent)).toContain('This link is not valid.'));
    expect(screen.getByRole('button', { name: 'Unsubscribe from cart reminders' })).toBeTruthy();
  });

  it('offers to try again when the shop cannot be reached, and then restores', async () => {
    const restored = cart('C-retry', [line(variant('V-hat', 'Wool Hat', 'Grey'), 1)]);
    let down = true;
    serve({
      CartRecover: () => (down ? new TypeError('Failed to fetch') : {
        cartRecover: { __typename: 'CartRecoverPayload', cart: restored, cartToken: 'secret-retry', userErrors: [], shortfalls: [] },
      }),
      Cart: () => ({ cart: restored }),
    });
    openLink('tok-retry');

    expect((await screen.findByRole('alert')).textContent).toContain('Could not reach the shop');
    down = false;
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await screen.findByRole('heading', { level: 1, name: 'Welcome back' });
    expect(screen.getByTestId('recover-notice').textContent).toBe('We restored your cart. Everything you left is here.');
    expect(calls.filter((c) => c.op === 'CartRecover')).toHaveLength(2);
  });
});
