// The API calls the E2E test makes as a shopper or a colleague. They are checked
// against ../../schema.graphql before the run (an invalid one fails at once).
import { readFileSync } from "node:fs";
import { buildSchema, parse, validate } from "graphql";

export const OPS = {
  signIn: `mutation($email: String!, $password: String!) {
    tokenCreate(email: $email, password: $password) { accessToken userErrors { code message } } }`,
  inventory: `query($search: String, $first: Int) {
    inventory(filter: { search: $search }, first: $first) {
      nodes { sku onHand reserved available variant { id } levels { onHand reserved available version location { id code } } } } }`,
  adjust: `mutation($input: InventoryAdjustInput!) {
    inventoryAdjust(input: $input) { stockLevel { onHand reserved version } userErrors { code message } } }`,
  cartCreate: `mutation($lines: [CartLineInput!]) {
    cartCreate(lines: $lines) { cart { id version } cartToken userErrors { code message } } }`,
  checkoutStart: `mutation($cartId: ID!, $cartToken: String, $email: String, $address: AddressInput) {
    checkoutStart(cartId: $cartId, cartToken: $cartToken, email: $email, shippingAddress: $address) {
      userErrors { code message } review { problems { code message } } } }`,
  checkoutComplete: `mutation($cartId: ID!, $cartToken: String, $key: String!) {
    checkoutComplete(cartId: $cartId, cartToken: $cartToken, idempotencyKey: $key) {
      order { id number status version } orderToken userErrors { code message } problems { code message } } }`,
  payIntent: `mutation($orderId: ID!, $token: String) {
    paymentIntentCreate(orderId: $orderId, token: $token) { clientSecret userErrors { code message } } }`,
  payConfirm: `mutation($secret: String!, $card: String!) {
    testPaymentConfirm(clientSecret: $secret, cardNumber: $card) { order { status } userErrors { code message } } }`,
  order: `query($id: ID!) { order(id: $id) { id number status version } }`,
};

export function checkOps(schemaPath) {
  const schema = buildSchema(readFileSync(schemaPath, "utf8"));
  for (const [name, q] of Object.entries(OPS)) {
    const errors = validate(schema, parse(q));
    if (errors.length) throw new Error(`E2E operation ${name} does not match the schema: ${errors[0].message}`);
  }
}
