/**
 * One idempotency key per checkout of a cart, kept in localStorage until the order
 * exists: a double click, a retry after a network error or a reload sends the same
 * key, and the server answers with the same order instead of making a second one.
 * The cart whose checkout was sent but not answered is remembered too, so a reload
 * after a lost answer finishes that checkout (the cart is already converted then).
 */
const prefix = 'stockade.checkoutKey.';
const PENDING = 'stockade.checkoutPending';

export function checkoutKey(cartId: string): string {
  const k = prefix + cartId;
  try {
    const existing = localStorage.getItem(k);
    if (existing) return existing;
    const fresh = crypto.randomUUID();
    localStorage.setItem(k, fresh);
    return fresh;
  } catch {
    return crypto.randomUUID();
  }
}

/** Called just before `checkoutComplete` is sent. */
export function markCheckoutSent(cartId: string): void {
  try {
    localStorage.setItem(PENDING, cartId);
  } catch {
    /* ignore */
  }
}

/** A checkout that was sent but whose answer never arrived, if any. */
export function pendingCheckout(): { cartId: string; key: string } | null {
  try {
    const cartId = localStorage.getItem(PENDING);
    const key = cartId ? localStorage.getItem(prefix + cartId) : null;
    return cartId && key ? { cartId, key } : null;
  } catch {
    return null;
  }
}

/** The order was made (or the cart cannot be checked out): the next checkout is a new one. */
export function clearCheckoutKey(cartId: string): void {
  try {
    localStorage.removeItem(prefix + cartId);
    if (localStorage.getItem(PENDING) === cartId) localStorage.removeItem(PENDING);
  } catch {
    /* ignore */
  }
}
