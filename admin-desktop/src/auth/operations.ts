import { graphql } from "../gql";

export const SignInMutation = graphql(`
  mutation SignIn($email: String!, $password: String!) {
    tokenCreate(email: $email, password: $password) {
      user { id email name role }
      accessToken
      accessTokenExpiresAt
      refreshToken
      userErrors { code field message }
    }
  }
`);

export const RefreshMutation = graphql(`
  mutation Refresh($refreshToken: String!) {
    tokenRefresh(refreshToken: $refreshToken) {
      user { id email name role }
      accessToken
      accessTokenExpiresAt
      refreshToken
      userErrors { code field message }
    }
  }
`);

export const RevokeMutation = graphql(`
  mutation Revoke($refreshToken: String) {
    tokenRevoke(refreshToken: $refreshToken) { revoked userErrors { code message } }
  }
`);

export const PingQuery = graphql(`
  query Ping { __typename }
`);
