/**
 * What a restored cart could not hold, in words: one sentence per line of the
 * abandoned cart that came back short, naming the product when it can still be
 * looked up.
 */
import type { RecoveryShortfallReason } from '../../gql/graphql';

export interface ShortfallLike {
  variantId: string;
  requested: number;
  restored: number;
  reason: RecoveryShortfallReason;
}

/** "Product (Navy / M)", or null when the variant cannot be found any more. */
export type VariantName = string | null;

export function shortfallText(s: ShortfallLike, name: VariantName): string {
  if (!name) return s.restored > 0 ? `An item: only ${s.restored} of ${s.requested} left, so your cart has ${s.restored}.` : 'An item is no longer available.';
  if (s.reason === 'NO_LONGER_SOLD') return `${name}: no longer sold, so it is not in your cart.`;
  if (s.restored > 0) return `${name}: only ${s.restored} of ${s.requested} left, so your cart has ${s.restored}.`;
  return `${name}: sold out, so it is not in your cart.`;
}

/** "Product (Navy / M)" as the cart says it; null without a product. */
export function variantName(productName: string | null | undefined, title: string | null | undefined): VariantName {
  if (!productName) return null;
  const t = title?.trim();
  return t ? `${productName} (${t})` : productName;
}
