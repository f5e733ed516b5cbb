/**
 * The shopper's cart, straight from the API's normalised cache (no copy in a
 * store): a guest cart by id + secret token, or the signed-in customer's cart.
 * Every edit sends the cart's `version` as `expectedVersion`; a VERSION_CONFLICT
 * answer carries the cart as it is now, which the cache takes, and the caller
 * tells the shopper their cart was refreshed.
 */
import { useCallback } from 'react';
import { useClient, useQuery } from 'urql';
import { useSession } from '../../api/session';
import { useRefetchOnReconnect } from '../../api/hooks';
import { CartCreate, CartLinesAdd, CartQuery, MyCartQuery } from './queries';
import type { CartFieldsFragment, UserErrorFieldsFragment } from '../../gql/graphql';
import { requestErrorMessage } from '../../lib/errors';

export type CartT = CartFieldsFragment;

export interface EditResult {
  errors: UserErrorFieldsFragment[];
  /** A request failure in words (network, server). */
  failure: string | null;
}

/** `fresh`: also ask the server (cart and checkout pages); the header reads the cache. */
export function useCart({ fresh = false }: { fresh?: boolean } = {}) {
  const requestPolicy = fresh ? 'cache-and-network' : 'cache-first';
  const { auth, guestCart, setGuestCart } = useSession();
  const client = useClient();
  const [guestQ, refetchGuest] = useQuery({
    query: CartQuery,
    variables: { id: guestCart?.id ?? '', token: guestCart?.token ?? null },
    pause: !!auth || !guestCart,
    requestPolicy,
  });
  const [myQ, refetchMine] = useQuery({ query: MyCartQuery, pause: !auth, requestPolicy });
  const q = auth ? myQ : guestQ;
  // A paused query keeps its last data: a forgotten guest cart must not linger.
  const rawCart = auth ? myQ.data?.myCart : guestCart ? guestQ.data?.cart : null;
  const cart = rawCart && rawCart.status === 'ACTIVE' ? rawCart : null;
  const cartToken = auth ? null : (guestCart?.token ?? null);

  const refetch = useCallback(() => {
    if (auth) refetchMine({ requestPolicy: 'network-only' });
    else if (guestCart) refetchGuest({ requestPolicy: 'network-only' });
  }, [auth, guestCart, refetchGuest, refetchMine]);
  useRefetchOnReconnect(refetch);

  /**
   * Makes a cart the server just made (`cartCreate`, `cartRecover`) the shopper's
   * current cart: a guest cart is kept by id and secret token; a signed-in
   * customer's cart is read again.
   */
  const adoptCart = useCallback(
    (made: { cart: { id: string } | null; cartToken: string | null }) => {
      if (made.cart && made.cartToken) setGuestCart({ id: made.cart.id, token: made.cartToken });
      if (made.cart && auth) refetchMine({ requestPolicy: 'network-only' });
    },
    [setGuestCart, auth, refetchMine],
  );

  /** Adds units, creating the cart on the first add. */
  const addLines = useCallback(
    async (lines: { variantId: string; quantity: number }[]): Promise<EditResult> => {
      if (cart) {
        const send = (expectedVersion: number) =>
          client.mutation(CartLinesAdd, { cartId: cart.id, cartToken, expectedVersion, lines }).toPromise();
        let r = await send(cart.version);
        // Adding is still what the shopper wants after another tab changed the cart:
        // retry once with the version the conflict reported (the cache took the new cart).
        const conflict = r.data?.cartLinesAdd.userErrors.find((e) => e.code === 'VERSION_CONFLICT');
        if (conflict?.currentVersion != null) r = await send(conflict.currentVersion);
        const p = r.data?.cartLinesAdd;
        return { errors: p?.userErrors ?? [], failure: requestErrorMessage(r.error) };
      }
      const r = await client.mutation(CartCreate, { lines }).toPromise();
      const p = r.data?.cartCreate;
      if (p) adoptCart(p);
      return { errors: p?.userErrors ?? [], failure: requestErrorMessage(r.error) };
    },
    [cart, cartToken, client, adoptCart],
  );

  return {
    cart,
    cartToken,
    fetching: q.fetching && !rawCart,
    loadError: requestErrorMessage(q.error),
    refetch,
    addLines,
    adoptCart,
    /** The cart is gone (converted or expired): start afresh on the next add. */
    forget: () => {
      if (!auth) setGuestCart(null);
    },
  };
}
