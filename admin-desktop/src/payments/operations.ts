import { graphql } from "../gql";

export const OrderFieldsFragment = graphql(`
  fragment OrderFields on Order {
    id
    number
    status
    version
    email
    createdAt
    updatedAt
    paymentDeadline
    lines { variantId sku productName variantTitle quantity unitPrice { formatted } lineTotal { formatted } }
    totals { subtotal { formatted } discount { amount formatted } shipping { formatted } tax { formatted } total { amount currencyCode formatted } }
    refunded { amount formatted }
    payments { id attempt gateway status amount { formatted } amountReceived { amount formatted } errorCode errorMessage gatewayReference createdAt }
    refunds { id amount { formatted } restock status reason createdAt }
    timeline { kind fromStatus toStatus actorType actorId cause data at }
    shippingAddress { name city country }
  }
`);

export const PaymentIssueCountsQuery = graphql(`
  query PaymentIssueCounts { paymentIssueCounts { kind count } }
`);

export const PaymentIssuesQuery = graphql(`
  query PaymentIssues($kind: PaymentIssueKind!, $first: Int, $after: String) {
    paymentIssues(filter: $kind, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        kind
        email
        customerId
        amount { formatted }
        attempts
        errorCode
        errorMessage
        since
        order { ...OrderFields }
      }
    }
  }
`);

export const OrderQuery = graphql(`
  query OrderById($id: ID!) { order(id: $id) { ...OrderFields } }
`);

export const OrderByIdQuery = graphql(`
  query OrderById($id: ID!) {
    order(id: $id) { ...OrderFields }
  }
`);

export const PaymentRetryMutation = graphql(`
  mutation PaymentRetry($orderId: ID!, $expectedVersion: Int!) {
    paymentRetry(orderId: $orderId, expectedVersion: $expectedVersion) {
      order { ...OrderFields }
      paymentLink
      userErrors { code field message currentVersion }
    }
  }
`);

export const OrderCancelMutation = graphql(`
  mutation OrderCancel($orderId: ID!, $expectedVersion: Int!, $reason: String!) {
    orderCancel(orderId: $orderId, expectedVersion: $expectedVersion, reason: $reason) {
      order { ...OrderFields }
      userErrors { code field message currentVersion }
    }
  }
`);

export const OrderRefundMutation = graphql(`
  mutation OrderRefund($orderId: ID!, $expectedVersion: Int!, $amount: Int, $restock: Boolean!, $reason: String!) {
    orderRefund(orderId: $orderId, expectedVersion: $expectedVersion, amount: $amount, restock: $restock, reason: $reason) {
      order { ...OrderFields }
      refund { id status amount { formatted } }
      userErrors { code field message currentVersion }
    }
  }
`);

export const PaymentIssueResolveMutation = graphql(`
  mutation PaymentIssueResolve($orderId: ID!, $expectedVersion: Int!, $note: String!, $allocateStock: Boolean!) {
    paymentIssueResolve(orderId: $orderId, expectedVersion: $expectedVersion, note: $note, allocateStock: $allocateStock) {
      order { ...OrderFields }
      userErrors { code field message currentVersion }
    }
  }
`);
