import { beforeEach, describe, expect, it } from 'vitest';
import { checkoutKey, clearCheckoutKey, markCheckoutSent, pendingCheckout } from './idempotency';

describe('checkout idempotency key', () => {
  beforeEach(() => localStorage.clear());

  it('is the same for every retry of one cart, until the order exists', () => {
    const k = checkoutKey('cart-1');
    expect(checkoutKey('cart-1')).toBe(k);
    expect(checkoutKey('cart-2')).not.toBe(k);
    clearCheckoutKey('cart-1');
    expect(checkoutKey('cart-1')).not.toBe(k);
  });

  it('remembers a sent checkout whose answer was lost', () => {
    expect(pendingCheckout()).toBeNull();
    const k = checkoutKey('cart-1');
    markCheckoutSent('cart-1');
    expect(pendingCheckout()).toEqual({ cartId: 'cart-1', key: k });
    clearCheckoutKey('cart-1');
    expect(pendingCheckout()).toBeNull();
  });
});
