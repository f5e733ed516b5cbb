import { graphql } from '../../gql';

export const CartQuery = graphql(`
  query Cart($id: ID!, $token: String) {
    cart(id: $id, cartToken: $token) { ...CartFields }
  }
`);

export const MyCartQuery = graphql(`
  query MyCart {
    myCart { ...CartFields }
  }
`);

export const CartCreate = graphql(`
  mutation CartCreate($lines: [CartLineInput!]) {
    cartCreate(lines: $lines) {
      cart { ...CartFields }
      cartToken
      userErrors { ...UserErrorFields }
    }
  }
`);

export const CartLinesAdd = graphql(`
  mutation CartLinesAdd($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $lines: [CartLineInput!]!) {
    cartLinesAdd(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, lines: $lines) {
      cart { ...CartFields }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const CartLinesUpdate = graphql(`
  mutation CartLinesUpdate($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $lines: [CartLineInput!]!) {
    cartLinesUpdate(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, lines: $lines) {
      cart { ...CartFields }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const CartLinesRemove = graphql(`
  mutation CartLinesRemove($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $variantIds: [ID!]!) {
    cartLinesRemove(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, variantIds: $variantIds) {
      cart { ...CartFields }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const CartReservationExtend = graphql(`
  mutation CartReservationExtend($cartId: ID!, $cartToken: String) {
    cartReservationExtend(cartId: $cartId, cartToken: $cartToken) {
      cart { ...CartFields }
      shortfalls { variantId available }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const CartCouponApply = graphql(`
  mutation CartCouponApply($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $code: String!) {
    cartCouponApply(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, code: $code) {
      cart { ...CartFields }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const CartCouponRemove = graphql(`
  mutation CartCouponRemove($cartId: ID!, $cartToken: String, $expectedVersion: Int!) {
    cartCouponRemove(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion) {
      cart { ...CartFields }
      userErrors { ...UserErrorFields }
    }
  }
`);
