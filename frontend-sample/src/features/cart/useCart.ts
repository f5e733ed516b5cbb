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

export function useCart() {
  const { auth, guestCart, setGuestCart } = useSession();
  const client = useClient();
  const [guestQ, refetchGuest] = useQuery({
    query: CartQuery,
    variables: { id: guestCart?.id ?? '', token: guestCart?.token ?? null },
    pause: !!auth || !guestCart,
  });
  const [myQ, refetchMine] = useQuery({ query: MyCartQuery, pause: !auth });
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

  /** Adds units, creating the cart on the first add. */
  const addLines = useCallback(
    async (lines: { variantId: string; quantity: number }[]): Promise<EditResult> => {
      if (cart) {
        const r = await client.mutation(CartLinesAdd, { cartId: cart.id, cartToken, expectedVersion: cart.version, lines }).toPromise();
        const p = r.data?.cartLinesAdd;
        return { errors: p?.userErrors ?? [], failure: requestErrorMessage(r.error) };
      }
      const r = await client.mutation(CartCreate, { lines }).toPromise();
      const p = r.data?.cartCreate;
      if (p?.cart && p.cartToken) setGuestCart({ id: p.cart.id, token: p.cartToken });
      if (p?.cart && auth) refetchMine({ requestPolicy: 'network-only' });
      return { errors: p?.userErrors ?? [], failure: requestErrorMessage(r.error) };
    },
    [cart, cartToken, client, setGuestCart, auth, refetchMine],
  );

  return {
    cart,
    cartToken,
    fetching: q.fetching && !rawCart,
    loadError: requestErrorMessage(q.error),
    refetch,
    addLines,
    /** The cart is gone (converted or expired): start afresh on the next add. */
    forget: () => {
      if (!auth) setGuestCart(null);
    },
  };
}
