/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment StockVariant on Variant {\n    id\n    availableQuantity\n    inStock\n  }\n": typeof types.StockVariantFragmentDoc,
    "\n  fragment MoneyFields on Money {\n    amount\n    currencyCode\n  }\n": typeof types.MoneyFieldsFragmentDoc,
    "\n  fragment UserErrorFields on UserError {\n    code\n    field\n    message\n    currentVersion\n  }\n": typeof types.UserErrorFieldsFragmentDoc,
    "\n  fragment CartFields on Cart {\n    id\n    version\n    status\n    itemCount\n    subtotal { ...MoneyFields }\n    reservedUntil\n    holdsLapsed\n    expiresAt\n    email\n    couponCode\n    shippingAddress { name line1 line2 city region postalCode country phone }\n    lines {\n      variantId\n      quantity\n      held\n      heldQuantity\n      reservedUntil\n      unitPrice { ...MoneyFields }\n      lineTotal { ...MoneyFields }\n      variant {\n        id\n        title\n        sku\n        availableQuantity\n        inStock\n        price { ...MoneyFields }\n        product { id slug name featuredImage { url altText } }\n      }\n    }\n  }\n": typeof types.CartFieldsFragmentDoc,
    "\n  fragment OrderFields on Order {\n    id\n    number\n    status\n    version\n    email\n    couponCode\n    paymentDeadline\n    createdAt\n    shippingAddress { name line1 line2 city region postalCode country }\n    lines {\n      variantId\n      sku\n      productName\n      variantTitle\n      quantity\n      unitPrice { ...MoneyFields }\n      lineTotal { ...MoneyFields }\n    }\n    totals {\n      subtotal { ...MoneyFields }\n      discount { ...MoneyFields }\n      shipping { ...MoneyFields }\n      tax { ...MoneyFields }\n      total { ...MoneyFields }\n    }\n    payments { id attempt status errorCode errorMessage amount { ...MoneyFields } }\n    timeline { kind fromStatus toStatus actorType cause at }\n  }\n": typeof types.OrderFieldsFragmentDoc,
    "\n  mutation TokenRefresh($refreshToken: String!) {\n    tokenRefresh(refreshToken: $refreshToken) {\n      accessToken\n      accessTokenExpiresAt\n      refreshToken\n      user { email }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.TokenRefreshDocument,
    "\n  mutation SignIn($email: String!, $password: String!, $guestCart: GuestCartInput) {\n    tokenCreate(email: $email, password: $password, guestCart: $guestCart) {\n      accessToken accessTokenExpiresAt refreshToken\n      user { id email name }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.SignInDocument,
    "\n  mutation Register($input: AccountRegisterInput!) {\n    accountRegister(input: $input) {\n      accessToken accessTokenExpiresAt refreshToken\n      user { id email name }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.RegisterDocument,
    "\n  mutation SignOut($refreshToken: String) {\n    tokenRevoke(refreshToken: $refreshToken) { revoked userErrors { ...UserErrorFields } }\n  }\n": typeof types.SignOutDocument,
    "\n  mutation CartMerge($guestCart: GuestCartInput!) {\n    cartMerge(guestCart: $guestCart) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.CartMergeDocument,
    "\n  query MyOrders($first: Int!, $after: String) {\n    me { id email name }\n    orders(first: $first, after: $after) {\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...OrderFields } }\n    }\n  }\n": typeof types.MyOrdersDocument,
    "\n  query Cart($id: ID!, $token: String) {\n    cart(id: $id, cartToken: $token) { ...CartFields }\n  }\n": typeof types.CartDocument,
    "\n  query MyCart {\n    myCart { ...CartFields }\n  }\n": typeof types.MyCartDocument,
    "\n  mutation CartCreate($lines: [CartLineInput!]) {\n    cartCreate(lines: $lines) {\n      cart { ...CartFields }\n      cartToken\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.CartCreateDocument,
    "\n  mutation CartLinesAdd($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $lines: [CartLineInput!]!) {\n    cartLinesAdd(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, lines: $lines) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.CartLinesAddDocument,
    "\n  mutation CartLinesUpdate($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $lines: [CartLineInput!]!) {\n    cartLinesUpdate(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, lines: $lines) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.CartLinesUpdateDocument,
    "\n  mutation CartLinesRemove($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $variantIds: [ID!]!) {\n    cartLinesRemove(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, variantIds: $variantIds) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.CartLinesRemoveDocument,
    "\n  mutation CartReservationExtend($cartId: ID!, $cartToken: String) {\n    cartReservationExtend(cartId: $cartId, cartToken: $cartToken) {\n      cart { ...CartFields }\n      shortfalls { variantId available }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.CartReservationExtendDocument,
    "\n  mutation CartCouponApply($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $code: String!) {\n    cartCouponApply(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, code: $code) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.CartCouponApplyDocument,
    "\n  mutation CartCouponRemove($cartId: ID!, $cartToken: String, $expectedVersion: Int!) {\n    cartCouponRemove(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.CartCouponRemoveDocument,
    "\n  query Categories {\n    categories {\n      id slug name\n      children { id slug name children { id slug name } }\n    }\n  }\n": typeof types.CategoriesDocument,
    "\n  query Products($first: Int!, $after: String, $filter: ProductFilter, $sortBy: ProductSort) {\n    products(first: $first, after: $after, filter: $filter, sortBy: $sortBy) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        cursor\n        node {\n          id slug name brand\n          featuredImage { url altText }\n          priceRange { min { ...MoneyFields } max { ...MoneyFields } }\n        }\n      }\n      searchInfo { query correctedQuery usedSynonyms { term synonyms } }\n      facets {\n        brands { value count }\n        attributes { name values { value count } }\n        priceRange { min { ...MoneyFields } max { ...MoneyFields } }\n      }\n    }\n  }\n": typeof types.ProductsDocument,
    "\n  mutation CheckoutStart($cartId: ID!, $cartToken: String, $email: String, $shippingAddress: AddressInput, $acceptPriceChanges: Boolean!) {\n    checkoutStart(cartId: $cartId, cartToken: $cartToken, email: $email, shippingAddress: $shippingAddress, acceptPriceChanges: $acceptPriceChanges) {\n      review {\n        ready\n        paymentWindowSeconds\n        cart { ...CartFields }\n        totals {\n          subtotal { ...MoneyFields }\n          discount { ...MoneyFields }\n          shipping { ...MoneyFields }\n          tax { ...MoneyFields }\n          total { ...MoneyFields }\n        }\n        problems {\n          code message field variantId requested available\n          previousPrice { ...MoneyFields }\n          currentPrice { ...MoneyFields }\n        }\n      }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.CheckoutStartDocument,
    "\n  mutation CheckoutComplete($cartId: ID!, $cartToken: String, $idempotencyKey: String!) {\n    checkoutComplete(cartId: $cartId, cartToken: $cartToken, idempotencyKey: $idempotencyKey) {\n      order { ...OrderFields }\n      orderToken\n      problems { code message field variantId available }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.CheckoutCompleteDocument,
    "\n  query Order($id: ID!, $token: String) {\n    order(id: $id, token: $token) { ...OrderFields }\n  }\n": typeof types.OrderDocument,
    "\n  subscription OrderStatus($id: ID!, $token: String) {\n    orderStatusChanged(orderId: $id, token: $token) {\n      orderId status previousStatus version cause at kind\n    }\n  }\n": typeof types.OrderStatusDocument,
    "\n  query PaymentConfig {\n    paymentConfig { gateway publishableKey testCards { number brand description } }\n  }\n": typeof types.PaymentConfigDocument,
    "\n  mutation PaymentIntentCreate($orderId: ID!, $token: String) {\n    paymentIntentCreate(orderId: $orderId, token: $token) {\n      clientSecret\n      gateway\n      publishableKey\n      payment { id attempt status errorMessage }\n      order { ...OrderFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.PaymentIntentCreateDocument,
    "\n  mutation TestPaymentConfirm($clientSecret: String!, $cardNumber: String!) {\n    testPaymentConfirm(clientSecret: $clientSecret, cardNumber: $cardNumber) {\n      payment { id attempt status errorCode errorMessage }\n      order { ...OrderFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.TestPaymentConfirmDocument,
    "\n  mutation TestPaymentAuthenticate($clientSecret: String!, $approve: Boolean!) {\n    testPaymentAuthenticate(clientSecret: $clientSecret, approve: $approve) {\n      payment { id attempt status errorCode errorMessage }\n      order { ...OrderFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.TestPaymentAuthenticateDocument,
    "\n  query Product($slug: String!) {\n    product(slug: $slug) {\n      id slug name brand description\n      images { url altText }\n      options { name values }\n      categories { id slug name }\n      variants {\n        id sku title\n        attributes { name value }\n        price { ...MoneyFields }\n        compareAtPrice { ...MoneyFields }\n        availableQuantity\n        inStock\n      }\n    }\n  }\n": typeof types.ProductDocument,
    "\n  subscription StockChanged($ids: [ID!]!) {\n    stockChanged(variantIds: $ids) { variantId availableQuantity inStock stockVersion at kind }\n  }\n": typeof types.StockChangedDocument,
    "\n  mutation CartRecover($token: String!, $deviceId: String!) {\n    cartRecover(token: $token, deviceId: $deviceId) {\n      cart { ...CartFields }\n      cartToken\n      shortfalls { variantId requested restored reason }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.CartRecoverDocument,
    "\n  mutation CartRemindersUnsubscribe($token: String!) {\n    cartRemindersUnsubscribe(token: $token) {\n      optedOut\n      userErrors { ...UserErrorFields }\n    }\n  }\n": typeof types.CartRemindersUnsubscribeDocument,
    "\n  query ShortfallVariants($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      ... on Variant { id title product { id name } }\n    }\n  }\n": typeof types.ShortfallVariantsDocument,
};
const documents: Documents = {
    "\n  fragment StockVariant on Variant {\n    id\n    availableQuantity\n    inStock\n  }\n": types.StockVariantFragmentDoc,
    "\n  fragment MoneyFields on Money {\n    amount\n    currencyCode\n  }\n": types.MoneyFieldsFragmentDoc,
    "\n  fragment UserErrorFields on UserError {\n    code\n    field\n    message\n    currentVersion\n  }\n": types.UserErrorFieldsFragmentDoc,
    "\n  fragment CartFields on Cart {\n    id\n    version\n    status\n    itemCount\n    subtotal { ...MoneyFields }\n    reservedUntil\n    holdsLapsed\n    expiresAt\n    email\n    couponCode\n    shippingAddress { name line1 line2 city region postalCode country phone }\n    lines {\n      variantId\n      quantity\n      held\n      heldQuantity\n      reservedUntil\n      unitPrice { ...MoneyFields }\n      lineTotal { ...MoneyFields }\n      variant {\n        id\n        title\n        sku\n        availableQuantity\n        inStock\n        price { ...MoneyFields }\n        product { id slug name featuredImage { url altText } }\n      }\n    }\n  }\n": types.CartFieldsFragmentDoc,
    "\n  fragment OrderFields on Order {\n    id\n    number\n    status\n    version\n    email\n    couponCode\n    paymentDeadline\n    createdAt\n    shippingAddress { name line1 line2 city region postalCode country }\n    lines {\n      variantId\n      sku\n      productName\n      variantTitle\n      quantity\n      unitPrice { ...MoneyFields }\n      lineTotal { ...MoneyFields }\n    }\n    totals {\n      subtotal { ...MoneyFields }\n      discount { ...MoneyFields }\n      shipping { ...MoneyFields }\n      tax { ...MoneyFields }\n      total { ...MoneyFields }\n    }\n    payments { id attempt status errorCode errorMessage amount { ...MoneyFields } }\n    timeline { kind fromStatus toStatus actorType cause at }\n  }\n": types.OrderFieldsFragmentDoc,
    "\n  mutation TokenRefresh($refreshToken: String!) {\n    tokenRefresh(refreshToken: $refreshToken) {\n      accessToken\n      accessTokenExpiresAt\n      refreshToken\n      user { email }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.TokenRefreshDocument,
    "\n  mutation SignIn($email: String!, $password: String!, $guestCart: GuestCartInput) {\n    tokenCreate(email: $email, password: $password, guestCart: $guestCart) {\n      accessToken accessTokenExpiresAt refreshToken\n      user { id email name }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.SignInDocument,
    "\n  mutation Register($input: AccountRegisterInput!) {\n    accountRegister(input: $input) {\n      accessToken accessTokenExpiresAt refreshToken\n      user { id email name }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.RegisterDocument,
    "\n  mutation SignOut($refreshToken: String) {\n    tokenRevoke(refreshToken: $refreshToken) { revoked userErrors { ...UserErrorFields } }\n  }\n": types.SignOutDocument,
    "\n  mutation CartMerge($guestCart: GuestCartInput!) {\n    cartMerge(guestCart: $guestCart) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.CartMergeDocument,
    "\n  query MyOrders($first: Int!, $after: String) {\n    me { id email name }\n    orders(first: $first, after: $after) {\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...OrderFields } }\n    }\n  }\n": types.MyOrdersDocument,
    "\n  query Cart($id: ID!, $token: String) {\n    cart(id: $id, cartToken: $token) { ...CartFields }\n  }\n": types.CartDocument,
    "\n  query MyCart {\n    myCart { ...CartFields }\n  }\n": types.MyCartDocument,
    "\n  mutation CartCreate($lines: [CartLineInput!]) {\n    cartCreate(lines: $lines) {\n      cart { ...CartFields }\n      cartToken\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.CartCreateDocument,
    "\n  mutation CartLinesAdd($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $lines: [CartLineInput!]!) {\n    cartLinesAdd(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, lines: $lines) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.CartLinesAddDocument,
    "\n  mutation CartLinesUpdate($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $lines: [CartLineInput!]!) {\n    cartLinesUpdate(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, lines: $lines) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.CartLinesUpdateDocument,
    "\n  mutation CartLinesRemove($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $variantIds: [ID!]!) {\n    cartLinesRemove(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, variantIds: $variantIds) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.CartLinesRemoveDocument,
    "\n  mutation CartReservationExtend($cartId: ID!, $cartToken: String) {\n    cartReservationExtend(cartId: $cartId, cartToken: $cartToken) {\n      cart { ...CartFields }\n      shortfalls { variantId available }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.CartReservationExtendDocument,
    "\n  mutation CartCouponApply($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $code: String!) {\n    cartCouponApply(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, code: $code) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.CartCouponApplyDocument,
    "\n  mutation CartCouponRemove($cartId: ID!, $cartToken: String, $expectedVersion: Int!) {\n    cartCouponRemove(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.CartCouponRemoveDocument,
    "\n  query Categories {\n    categories {\n      id slug name\n      children { id slug name children { id slug name } }\n    }\n  }\n": types.CategoriesDocument,
    "\n  query Products($first: Int!, $after: String, $filter: ProductFilter, $sortBy: ProductSort) {\n    products(first: $first, after: $after, filter: $filter, sortBy: $sortBy) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        cursor\n        node {\n          id slug name brand\n          featuredImage { url altText }\n          priceRange { min { ...MoneyFields } max { ...MoneyFields } }\n        }\n      }\n      searchInfo { query correctedQuery usedSynonyms { term synonyms } }\n      facets {\n        brands { value count }\n        attributes { name values { value count } }\n        priceRange { min { ...MoneyFields } max { ...MoneyFields } }\n      }\n    }\n  }\n": types.ProductsDocument,
    "\n  mutation CheckoutStart($cartId: ID!, $cartToken: String, $email: String, $shippingAddress: AddressInput, $acceptPriceChanges: Boolean!) {\n    checkoutStart(cartId: $cartId, cartToken: $cartToken, email: $email, shippingAddress: $shippingAddress, acceptPriceChanges: $acceptPriceChanges) {\n      review {\n        ready\n        paymentWindowSeconds\n        cart { ...CartFields }\n        totals {\n          subtotal { ...MoneyFields }\n          discount { ...MoneyFields }\n          shipping { ...MoneyFields }\n          tax { ...MoneyFields }\n          total { ...MoneyFields }\n        }\n        problems {\n          code message field variantId requested available\n          previousPrice { ...MoneyFields }\n          currentPrice { ...MoneyFields }\n        }\n      }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.CheckoutStartDocument,
    "\n  mutation CheckoutComplete($cartId: ID!, $cartToken: String, $idempotencyKey: String!) {\n    checkoutComplete(cartId: $cartId, cartToken: $cartToken, idempotencyKey: $idempotencyKey) {\n      order { ...OrderFields }\n      orderToken\n      problems { code message field variantId available }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.CheckoutCompleteDocument,
    "\n  query Order($id: ID!, $token: String) {\n    order(id: $id, token: $token) { ...OrderFields }\n  }\n": types.OrderDocument,
    "\n  subscription OrderStatus($id: ID!, $token: String) {\n    orderStatusChanged(orderId: $id, token: $token) {\n      orderId status previousStatus version cause at kind\n    }\n  }\n": types.OrderStatusDocument,
    "\n  query PaymentConfig {\n    paymentConfig { gateway publishableKey testCards { number brand description } }\n  }\n": types.PaymentConfigDocument,
    "\n  mutation PaymentIntentCreate($orderId: ID!, $token: String) {\n    paymentIntentCreate(orderId: $orderId, token: $token) {\n      clientSecret\n      gateway\n      publishableKey\n      payment { id attempt status errorMessage }\n      order { ...OrderFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.PaymentIntentCreateDocument,
    "\n  mutation TestPaymentConfirm($clientSecret: String!, $cardNumber: String!) {\n    testPaymentConfirm(clientSecret: $clientSecret, cardNumber: $cardNumber) {\n      payment { id attempt status errorCode errorMessage }\n      order { ...OrderFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.TestPaymentConfirmDocument,
    "\n  mutation TestPaymentAuthenticate($clientSecret: String!, $approve: Boolean!) {\n    testPaymentAuthenticate(clientSecret: $clientSecret, approve: $approve) {\n      payment { id attempt status errorCode errorMessage }\n      order { ...OrderFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.TestPaymentAuthenticateDocument,
    "\n  query Product($slug: String!) {\n    product(slug: $slug) {\n      id slug name brand description\n      images { url altText }\n      options { name values }\n      categories { id slug name }\n      variants {\n        id sku title\n        attributes { name value }\n        price { ...MoneyFields }\n        compareAtPrice { ...MoneyFields }\n        availableQuantity\n        inStock\n      }\n    }\n  }\n": types.ProductDocument,
    "\n  subscription StockChanged($ids: [ID!]!) {\n    stockChanged(variantIds: $ids) { variantId availableQuantity inStock stockVersion at kind }\n  }\n": types.StockChangedDocument,
    "\n  mutation CartRecover($token: String!, $deviceId: String!) {\n    cartRecover(token: $token, deviceId: $deviceId) {\n      cart { ...CartFields }\n      cartToken\n      shortfalls { variantId requested restored reason }\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.CartRecoverDocument,
    "\n  mutation CartRemindersUnsubscribe($token: String!) {\n    cartRemindersUnsubscribe(token: $token) {\n      optedOut\n      userErrors { ...UserErrorFields }\n    }\n  }\n": types.CartRemindersUnsubscribeDocument,
    "\n  query ShortfallVariants($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      ... on Variant { id title product { id name } }\n    }\n  }\n": types.ShortfallVariantsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment StockVariant on Variant {\n    id\n    availableQuantity\n    inStock\n  }\n"): (typeof documents)["\n  fragment StockVariant on Variant {\n    id\n    availableQuantity\n    inStock\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MoneyFields on Money {\n    amount\n    currencyCode\n  }\n"): (typeof documents)["\n  fragment MoneyFields on Money {\n    amount\n    currencyCode\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment UserErrorFields on UserError {\n    code\n    field\n    message\n    currentVersion\n  }\n"): (typeof documents)["\n  fragment UserErrorFields on UserError {\n    code\n    field\n    message\n    currentVersion\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CartFields on Cart {\n    id\n    version\n    status\n    itemCount\n    subtotal { ...MoneyFields }\n    reservedUntil\n    holdsLapsed\n    expiresAt\n    email\n    couponCode\n    shippingAddress { name line1 line2 city region postalCode country phone }\n    lines {\n      variantId\n      quantity\n      held\n      heldQuantity\n      reservedUntil\n      unitPrice { ...MoneyFields }\n      lineTotal { ...MoneyFields }\n      variant {\n        id\n        title\n        sku\n        availableQuantity\n        inStock\n        price { ...MoneyFields }\n        product { id slug name featuredImage { url altText } }\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment CartFields on Cart {\n    id\n    version\n    status\n    itemCount\n    subtotal { ...MoneyFields }\n    reservedUntil\n    holdsLapsed\n    expiresAt\n    email\n    couponCode\n    shippingAddress { name line1 line2 city region postalCode country phone }\n    lines {\n      variantId\n      quantity\n      held\n      heldQuantity\n      reservedUntil\n      unitPrice { ...MoneyFields }\n      lineTotal { ...MoneyFields }\n      variant {\n        id\n        title\n        sku\n        availableQuantity\n        inStock\n        price { ...MoneyFields }\n        product { id slug name featuredImage { url altText } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment OrderFields on Order {\n    id\n    number\n    status\n    version\n    email\n    couponCode\n    paymentDeadline\n    createdAt\n    shippingAddress { name line1 line2 city region postalCode country }\n    lines {\n      variantId\n      sku\n      productName\n      variantTitle\n      quantity\n      unitPrice { ...MoneyFields }\n      lineTotal { ...MoneyFields }\n    }\n    totals {\n      subtotal { ...MoneyFields }\n      discount { ...MoneyFields }\n      shipping { ...MoneyFields }\n      tax { ...MoneyFields }\n      total { ...MoneyFields }\n    }\n    payments { id attempt status errorCode errorMessage amount { ...MoneyFields } }\n    timeline { kind fromStatus toStatus actorType cause at }\n  }\n"): (typeof documents)["\n  fragment OrderFields on Order {\n    id\n    number\n    status\n    version\n    email\n    couponCode\n    paymentDeadline\n    createdAt\n    shippingAddress { name line1 line2 city region postalCode country }\n    lines {\n      variantId\n      sku\n      productName\n      variantTitle\n      quantity\n      unitPrice { ...MoneyFields }\n      lineTotal { ...MoneyFields }\n    }\n    totals {\n      subtotal { ...MoneyFields }\n      discount { ...MoneyFields }\n      shipping { ...MoneyFields }\n      tax { ...MoneyFields }\n      total { ...MoneyFields }\n    }\n    payments { id attempt status errorCode errorMessage amount { ...MoneyFields } }\n    timeline { kind fromStatus toStatus actorType cause at }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TokenRefresh($refreshToken: String!) {\n    tokenRefresh(refreshToken: $refreshToken) {\n      accessToken\n      accessTokenExpiresAt\n      refreshToken\n      user { email }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation TokenRefresh($refreshToken: String!) {\n    tokenRefresh(refreshToken: $refreshToken) {\n      accessToken\n      accessTokenExpiresAt\n      refreshToken\n      user { email }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignIn($email: String!, $password: String!, $guestCart: GuestCartInput) {\n    tokenCreate(email: $email, password: $password, guestCart: $guestCart) {\n      accessToken accessTokenExpiresAt refreshToken\n      user { id email name }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation SignIn($email: String!, $password: String!, $guestCart: GuestCartInput) {\n    tokenCreate(email: $email, password: $password, guestCart: $guestCart) {\n      accessToken accessTokenExpiresAt refreshToken\n      user { id email name }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Register($input: AccountRegisterInput!) {\n    accountRegister(input: $input) {\n      accessToken accessTokenExpiresAt refreshToken\n      user { id email name }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation Register($input: AccountRegisterInput!) {\n    accountRegister(input: $input) {\n      accessToken accessTokenExpiresAt refreshToken\n      user { id email name }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignOut($refreshToken: String) {\n    tokenRevoke(refreshToken: $refreshToken) { revoked userErrors { ...UserErrorFields } }\n  }\n"): (typeof documents)["\n  mutation SignOut($refreshToken: String) {\n    tokenRevoke(refreshToken: $refreshToken) { revoked userErrors { ...UserErrorFields } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CartMerge($guestCart: GuestCartInput!) {\n    cartMerge(guestCart: $guestCart) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation CartMerge($guestCart: GuestCartInput!) {\n    cartMerge(guestCart: $guestCart) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyOrders($first: Int!, $after: String) {\n    me { id email name }\n    orders(first: $first, after: $after) {\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...OrderFields } }\n    }\n  }\n"): (typeof documents)["\n  query MyOrders($first: Int!, $after: String) {\n    me { id email name }\n    orders(first: $first, after: $after) {\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...OrderFields } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Cart($id: ID!, $token: String) {\n    cart(id: $id, cartToken: $token) { ...CartFields }\n  }\n"): (typeof documents)["\n  query Cart($id: ID!, $token: String) {\n    cart(id: $id, cartToken: $token) { ...CartFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyCart {\n    myCart { ...CartFields }\n  }\n"): (typeof documents)["\n  query MyCart {\n    myCart { ...CartFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CartCreate($lines: [CartLineInput!]) {\n    cartCreate(lines: $lines) {\n      cart { ...CartFields }\n      cartToken\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation CartCreate($lines: [CartLineInput!]) {\n    cartCreate(lines: $lines) {\n      cart { ...CartFields }\n      cartToken\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CartLinesAdd($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $lines: [CartLineInput!]!) {\n    cartLinesAdd(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, lines: $lines) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation CartLinesAdd($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $lines: [CartLineInput!]!) {\n    cartLinesAdd(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, lines: $lines) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CartLinesUpdate($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $lines: [CartLineInput!]!) {\n    cartLinesUpdate(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, lines: $lines) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation CartLinesUpdate($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $lines: [CartLineInput!]!) {\n    cartLinesUpdate(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, lines: $lines) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CartLinesRemove($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $variantIds: [ID!]!) {\n    cartLinesRemove(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, variantIds: $variantIds) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation CartLinesRemove($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $variantIds: [ID!]!) {\n    cartLinesRemove(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, variantIds: $variantIds) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CartReservationExtend($cartId: ID!, $cartToken: String) {\n    cartReservationExtend(cartId: $cartId, cartToken: $cartToken) {\n      cart { ...CartFields }\n      shortfalls { variantId available }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation CartReservationExtend($cartId: ID!, $cartToken: String) {\n    cartReservationExtend(cartId: $cartId, cartToken: $cartToken) {\n      cart { ...CartFields }\n      shortfalls { variantId available }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CartCouponApply($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $code: String!) {\n    cartCouponApply(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, code: $code) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation CartCouponApply($cartId: ID!, $cartToken: String, $expectedVersion: Int!, $code: String!) {\n    cartCouponApply(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion, code: $code) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CartCouponRemove($cartId: ID!, $cartToken: String, $expectedVersion: Int!) {\n    cartCouponRemove(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation CartCouponRemove($cartId: ID!, $cartToken: String, $expectedVersion: Int!) {\n    cartCouponRemove(cartId: $cartId, cartToken: $cartToken, expectedVersion: $expectedVersion) {\n      cart { ...CartFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Categories {\n    categories {\n      id slug name\n      children { id slug name children { id slug name } }\n    }\n  }\n"): (typeof documents)["\n  query Categories {\n    categories {\n      id slug name\n      children { id slug name children { id slug name } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Products($first: Int!, $after: String, $filter: ProductFilter, $sortBy: ProductSort) {\n    products(first: $first, after: $after, filter: $filter, sortBy: $sortBy) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        cursor\n        node {\n          id slug name brand\n          featuredImage { url altText }\n          priceRange { min { ...MoneyFields } max { ...MoneyFields } }\n        }\n      }\n      searchInfo { query correctedQuery usedSynonyms { term synonyms } }\n      facets {\n        brands { value count }\n        attributes { name values { value count } }\n        priceRange { min { ...MoneyFields } max { ...MoneyFields } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Products($first: Int!, $after: String, $filter: ProductFilter, $sortBy: ProductSort) {\n    products(first: $first, after: $after, filter: $filter, sortBy: $sortBy) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        cursor\n        node {\n          id slug name brand\n          featuredImage { url altText }\n          priceRange { min { ...MoneyFields } max { ...MoneyFields } }\n        }\n      }\n      searchInfo { query correctedQuery usedSynonyms { term synonyms } }\n      facets {\n        brands { value count }\n        attributes { name values { value count } }\n        priceRange { min { ...MoneyFields } max { ...MoneyFields } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CheckoutStart($cartId: ID!, $cartToken: String, $email: String, $shippingAddress: AddressInput, $acceptPriceChanges: Boolean!) {\n    checkoutStart(cartId: $cartId, cartToken: $cartToken, email: $email, shippingAddress: $shippingAddress, acceptPriceChanges: $acceptPriceChanges) {\n      review {\n        ready\n        paymentWindowSeconds\n        cart { ...CartFields }\n        totals {\n          subtotal { ...MoneyFields }\n          discount { ...MoneyFields }\n          shipping { ...MoneyFields }\n          tax { ...MoneyFields }\n          total { ...MoneyFields }\n        }\n        problems {\n          code message field variantId requested available\n          previousPrice { ...MoneyFields }\n          currentPrice { ...MoneyFields }\n        }\n      }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation CheckoutStart($cartId: ID!, $cartToken: String, $email: String, $shippingAddress: AddressInput, $acceptPriceChanges: Boolean!) {\n    checkoutStart(cartId: $cartId, cartToken: $cartToken, email: $email, shippingAddress: $shippingAddress, acceptPriceChanges: $acceptPriceChanges) {\n      review {\n        ready\n        paymentWindowSeconds\n        cart { ...CartFields }\n        totals {\n          subtotal { ...MoneyFields }\n          discount { ...MoneyFields }\n          shipping { ...MoneyFields }\n          tax { ...MoneyFields }\n          total { ...MoneyFields }\n        }\n        problems {\n          code message field variantId requested available\n          previousPrice { ...MoneyFields }\n          currentPrice { ...MoneyFields }\n        }\n      }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CheckoutComplete($cartId: ID!, $cartToken: String, $idempotencyKey: String!) {\n    checkoutComplete(cartId: $cartId, cartToken: $cartToken, idempotencyKey: $idempotencyKey) {\n      order { ...OrderFields }\n      orderToken\n      problems { code message field variantId available }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation CheckoutComplete($cartId: ID!, $cartToken: String, $idempotencyKey: String!) {\n    checkoutComplete(cartId: $cartId, cartToken: $cartToken, idempotencyKey: $idempotencyKey) {\n      order { ...OrderFields }\n      orderToken\n      problems { code message field variantId available }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Order($id: ID!, $token: String) {\n    order(id: $id, token: $token) { ...OrderFields }\n  }\n"): (typeof documents)["\n  query Order($id: ID!, $token: String) {\n    order(id: $id, token: $token) { ...OrderFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OrderStatus($id: ID!, $token: String) {\n    orderStatusChanged(orderId: $id, token: $token) {\n      orderId status previousStatus version cause at kind\n    }\n  }\n"): (typeof documents)["\n  subscription OrderStatus($id: ID!, $token: String) {\n    orderStatusChanged(orderId: $id, token: $token) {\n      orderId status previousStatus version cause at kind\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PaymentConfig {\n    paymentConfig { gateway publishableKey testCards { number brand description } }\n  }\n"): (typeof documents)["\n  query PaymentConfig {\n    paymentConfig { gateway publishableKey testCards { number brand description } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PaymentIntentCreate($orderId: ID!, $token: String) {\n    paymentIntentCreate(orderId: $orderId, token: $token) {\n      clientSecret\n      gateway\n      publishableKey\n      payment { id attempt status errorMessage }\n      order { ...OrderFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation PaymentIntentCreate($orderId: ID!, $token: String) {\n    paymentIntentCreate(orderId: $orderId, token: $token) {\n      clientSecret\n      gateway\n      publishableKey\n      payment { id attempt status errorMessage }\n      order { ...OrderFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TestPaymentConfirm($clientSecret: String!, $cardNumber: String!) {\n    testPaymentConfirm(clientSecret: $clientSecret, cardNumber: $cardNumber) {\n      payment { id attempt status errorCode errorMessage }\n      order { ...OrderFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation TestPaymentConfirm($clientSecret: String!, $cardNumber: String!) {\n    testPaymentConfirm(clientSecret: $clientSecret, cardNumber: $cardNumber) {\n      payment { id attempt status errorCode errorMessage }\n      order { ...OrderFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TestPaymentAuthenticate($clientSecret: String!, $approve: Boolean!) {\n    testPaymentAuthenticate(clientSecret: $clientSecret, approve: $approve) {\n      payment { id attempt status errorCode errorMessage }\n      order { ...OrderFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation TestPaymentAuthenticate($clientSecret: String!, $approve: Boolean!) {\n    testPaymentAuthenticate(clientSecret: $clientSecret, approve: $approve) {\n      payment { id attempt status errorCode errorMessage }\n      order { ...OrderFields }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Product($slug: String!) {\n    product(slug: $slug) {\n      id slug name brand description\n      images { url altText }\n      options { name values }\n      categories { id slug name }\n      variants {\n        id sku title\n        attributes { name value }\n        price { ...MoneyFields }\n        compareAtPrice { ...MoneyFields }\n        availableQuantity\n        inStock\n      }\n    }\n  }\n"): (typeof documents)["\n  query Product($slug: String!) {\n    product(slug: $slug) {\n      id slug name brand description\n      images { url altText }\n      options { name values }\n      categories { id slug name }\n      variants {\n        id sku title\n        attributes { name value }\n        price { ...MoneyFields }\n        compareAtPrice { ...MoneyFields }\n        availableQuantity\n        inStock\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription StockChanged($ids: [ID!]!) {\n    stockChanged(variantIds: $ids) { variantId availableQuantity inStock stockVersion at kind }\n  }\n"): (typeof documents)["\n  subscription StockChanged($ids: [ID!]!) {\n    stockChanged(variantIds: $ids) { variantId availableQuantity inStock stockVersion at kind }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CartRecover($token: String!, $deviceId: String!) {\n    cartRecover(token: $token, deviceId: $deviceId) {\n      cart { ...CartFields }\n      cartToken\n      shortfalls { variantId requested restored reason }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation CartRecover($token: String!, $deviceId: String!) {\n    cartRecover(token: $token, deviceId: $deviceId) {\n      cart { ...CartFields }\n      cartToken\n      shortfalls { variantId requested restored reason }\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CartRemindersUnsubscribe($token: String!) {\n    cartRemindersUnsubscribe(token: $token) {\n      optedOut\n      userErrors { ...UserErrorFields }\n    }\n  }\n"): (typeof documents)["\n  mutation CartRemindersUnsubscribe($token: String!) {\n    cartRemindersUnsubscribe(token: $token) {\n      optedOut\n      userErrors { ...UserErrorFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ShortfallVariants($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      ... on Variant { id title product { id name } }\n    }\n  }\n"): (typeof documents)["\n  query ShortfallVariants($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      ... on Variant { id title product { id name } }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;