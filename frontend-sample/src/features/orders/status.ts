import type { OrderStatus } from '../../gql/graphql';

export const STATUS_WORDS: Record<OrderStatus, string> = {
  PENDING_PAYMENT: 'Waiting for payment',
  PAYMENT_FAILED: 'Payment failed',
  PAID: 'Paid',
  NEEDS_ATTENTION: 'Paid: we are checking stock',
  FULFILLED: 'Packed',
  SHIPPED: 'Shipped',
  DELIVERED: 'Delivered',
  CANCELLED: 'Cancelled',
  EXPIRED: 'Expired (not paid in time)',
  REFUNDED: 'Refunded',
};

export const PAYABLE: readonly OrderStatus[] = ['PENDING_PAYMENT', 'PAYMENT_FAILED'];
