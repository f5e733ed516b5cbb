import { graphql } from '../../gql';

export const SignIn = graphql(`
  mutation SignIn($email: String!, $password: String!, $guestCart: GuestCartInput) {
    tokenCreate(email: $email, password: $password, guestCart: $guestCart) {
      accessToken accessTokenExpiresAt refreshToken
      user { id email name }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const Register = graphql(`
  mutation Register($input: AccountRegisterInput!) {
    accountRegister(input: $input) {
      accessToken accessTokenExpiresAt refreshToken
      user { id email name }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const SignOut = graphql(`
  mutation SignOut($refreshToken: String) {
    tokenRevoke(refreshToken: $refreshToken) { revoked userErrors { ...UserErrorFields } }
  }
`);

export const CartMerge = graphql(`
  mutation CartMerge($guestCart: GuestCartInput!) {
    cartMerge(guestCart: $guestCart) {
      cart { ...CartFields }
      userErrors { ...UserErrorFields }
    }
  }
`);

export const MyOrders = graphql(`
  query MyOrders($first: Int!, $after: String) {
    me { id email name }
    orders(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { ...OrderFields } }
    }
  }
`);
