import { graphql } from '../../gql';

export const OrderQuery = graphql(`
  query Order($id: ID!, $token: String) {
    order(id: $id, token: $token) { ...OrderFields }
  }
`);

export const OrderStatusSubscription = graphql(`
  subscription OrderStatus($id: ID!, $token: String) {
    orderStatusChanged(orderId: $id, token: $token) {
      orderId status previousStatus version cause at kind
    }
  }
`);

export const PaymentConfigQuery = graphql(`
  query PaymentConfig {
    paymentConfig { gateway publishableKey testCards { number brand description } }
  }
`);

export const PaymentIntentCreate = graphql(`
  mutation PaymentIntentCreate($orderId: ID!, $token: String) {
    paymentIntentCreate(orderId: $orderId, token: $token) {
      clientSecret
      gateway
      publishableKey
      payment { id attempt status errorMessage }
      order { ...OrderFields }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const TestPaymentConfirm = graphql(`
  mutation TestPaymentConfirm($clientSecret: String!, $cardNumber: String!) {
    testPaymentConfirm(clientSecret: $clientSecret, cardNumber: $cardNumber) {
      payment { id attempt status errorCode errorMessage }
      order { ...OrderFields }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const TestPaymentAuthenticate = graphql(`
  mutation TestPaymentAuthenticate($clientSecret: String!, $approve: Boolean!) {
    testPaymentAuthenticate(clientSecret: $clientSecret, approve: $approve) {
      payment { id attempt status errorCode errorMessage }
      order { ...OrderFields }
      userErrors { ...UserErrorFields }
    }
  }
`);
