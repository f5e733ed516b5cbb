/**
 * One idempotency key per checkout of a cart, kept in localStorage until the order
 * exists: a double click, a retry after a network error or a reload sends the same
 * key, and the server answers with the same order instead of making a second one.
 */
const prefix = 'stockade.checkoutKey.';

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

/** The order was made: the next checkout of this cart (after a failed payment) is a new one. */
export function clearCheckoutKey(cartId: string): void {
  try {
    localStorage.removeItem(prefix + cartId);
  } catch {
    /* ignore */
  }
}
