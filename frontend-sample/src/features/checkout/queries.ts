import { graphql } from '../../gql';

export const CheckoutStart = graphql(`
  mutation CheckoutStart($cartId: ID!, $cartToken: String, $email: String, $shippingAddress: AddressInput, $acceptPriceChanges: Boolean!) {
    checkoutStart(cartId: $cartId, cartToken: $cartToken, email: $email, shippingAddress: $shippingAddress, acceptPriceChanges: $acceptPriceChanges) {
      review {
        ready
        paymentWindowSeconds
        cart { ...CartFields }
        totals {
          subtotal { ...MoneyFields }
          discount { ...MoneyFields }
          shipping { ...MoneyFields }
          tax { ...MoneyFields }
          total { ...MoneyFields }
        }
        problems {
          code message field variantId requested available
          previousPrice { ...MoneyFields }
          currentPrice { ...MoneyFields }
        }
      }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const CheckoutComplete = graphql(`
  mutation CheckoutComplete($cartId: ID!, $cartToken: String, $idempotencyKey: String!) {
    checkoutComplete(cartId: $cartId, cartToken: $cartToken, idempotencyKey: $idempotencyKey) {
      order { ...OrderFields }
      orderToken
      problems { code message field variantId available }
      userErrors { ...UserErrorFields }
    }
  }
`);
