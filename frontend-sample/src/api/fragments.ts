import { graphql } from '../gql';

/** What live stock writes into the cache for a variant. */
export const StockVariant = graphql(`
  fragment StockVariant on Variant {
    id
    availableQuantity
    inStock
  }
`);

export const MoneyFields = graphql(`
  fragment MoneyFields on Money {
    amount
    currencyCode
  }
`);

export const UserErrorFields = graphql(`
  fragment UserErrorFields on UserError {
    code
    field
    message
    currentVersion
  }
`);

export const CartFields = graphql(`
  fragment CartFields on Cart {
    id
    version
    status
    itemCount
    subtotal { ...MoneyFields }
    reservedUntil
    holdsLapsed
    expiresAt
    email
    couponCode
    shippingAddress { name line1 line2 city region postalCode country phone }
    lines {
      variantId
      quantity
      held
      heldQuantity
      reservedUntil
      unitPrice { ...MoneyFields }
      lineTotal { ...MoneyFields }
      variant {
        id
        title
        sku
        availableQuantity
        inStock
        price { ...MoneyFields }
        product { id slug name featuredImage { url altText } }
      }
    }
  }
`);

export const OrderFields = graphql(`
  fragment OrderFields on Order {
    id
    number
    status
    version
    email
    couponCode
    paymentDeadline
    createdAt
    shippingAddress { name line1 line2 city region postalCode country }
    lines {
      variantId
      sku
      productName
      variantTitle
      quantity
      unitPrice { ...MoneyFields }
      lineTotal { ...MoneyFields }
    }
    totals {
      subtotal { ...MoneyFields }
      discount { ...MoneyFields }
      shipping { ...MoneyFields }
      tax { ...MoneyFields }
      total { ...MoneyFields }
    }
    payments { id attempt status errorCode errorMessage amount { ...MoneyFields } }
    timeline { kind fromStatus toStatus actorType cause at }
  }
`);
