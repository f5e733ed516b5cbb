import { graphql } from '../../gql';

/** Restores an abandoned cart from a reminder's link, on this device. */
export const CartRecover = graphql(`
  mutation CartRecover($token: String!, $deviceId: String!) {
    cartRecover(token: $token, deviceId: $deviceId) {
      cart { ...CartFields }
      cartToken
      shortfalls { variantId requested restored reason }
      userErrors { ...UserErrorFields }
    }
  }
`);

/** The reminder's "unsubscribe": no more reminders to the address it went to. */
export const CartRemindersUnsubscribe = graphql(`
  mutation CartRemindersUnsubscribe($token: String!) {
    cartRemindersUnsubscribe(token: $token) {
      optedOut
      userErrors { ...UserErrorFields }
    }
  }
`);

/** Names for the variants a restored cart does not hold (sold out, no longer sold). */
export const ShortfallVariants = graphql(`
  query ShortfallVariants($ids: [ID!]!) {
    nodes(ids: $ids) {
      ... on Variant { id title product { id name } }
    }
  }
`);
