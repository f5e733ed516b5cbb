/**
 * graphcache normalises objects by `__typename:id`. These types have no id: they
 * are values embedded in their parent (Money in a Variant, facets in a connection,
 * lines in a cart) or mutation payloads, so they are stored inline, not as entities.
 */
import type { KeyingConfig } from '@urql/exchange-graphcache';

export type GraphCacheKeys = KeyingConfig;

export const embeddedTypes: readonly string[] = [
  'Address', 'Attribute', 'AttributeFacet', 'FacetValue', 'Image', 'Money', 'PriceRange',
  'ProductConnection', 'ProductEdge', 'ProductFacets', 'ProductOption', 'PageInfo',
  'CartLine', 'HoldShortfall', 'CheckoutProblem', 'CheckoutReview', 'Totals',
  'OrderConnection', 'OrderEdge', 'OrderLine', 'OrderStatusUpdate', 'OrderTimelineEvent',
  'PaymentConfig', 'TestCard', 'StockAvailability', 'UserError',
  'AuthPayload', 'CartCreatePayload', 'CartHoldsPayload', 'CartPayload',
  'CheckoutCompletePayload', 'CheckoutStartPayload', 'PaymentIntentPayload',
  'TestPaymentPayload', 'TokenRevokePayload',
  'CartRecoverPayload', 'CartRemindersPayload', 'RecoveryShortfall',
];
