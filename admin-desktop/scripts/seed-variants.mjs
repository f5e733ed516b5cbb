// Seeds a catalog of many variants through the staff GraphQL API (no other way to
// make 10,000 exists), for the measurements in README.md. Usage:
//   node scripts/seed-variants.mjs http://127.0.0.1:18220 admin@x.test 'password' 10000
// Creates products of 10 variants each (5 colors x 2 sizes) and stocks each variant
// at the first location. 8 requests in flight at a time.
const [server = "http://127.0.0.1:8000", email, password, countArg = "10000"] = process.argv.slice(2);
const total = Number(countArg);
if (!email || !password) {
  console.error("usage: node scripts/seed-variants.mjs SERVER EMAIL PASSWORD [COUNT]");
  process.exit(2);
}

async function gql(query, variables, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${server}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const j = await r.json();
  if (j.errors?.length) throw new Error(j.errors[0].message);
  return j.data;
}

const signIn = await gql(
  `mutation($e: String!, $p: String!) { tokenCreate(email: $e, password: $p) { accessToken refreshToken userErrors { message } } }`,
  { e: email, p: password },
);
let token = signIn.tokenCreate.accessToken;
let refresh = signIn.tokenCreate.refreshToken;
if (!token) throw new Error(signIn.tokenCreate.userErrors[0]?.message ?? "cannot sign in");
setInterval(async () => {
  const d = await gql(`mutation($r: String!) { tokenRefresh(refreshToken: $r) { accessToken refreshToken } }`, { r: refresh });
  token = d.tokenRefresh.accessToken;
  refresh = d.tokenRefresh.refreshToken;
}, 10 * 60_000).unref();

const locs = await gql(`{ stockLocations { id } }`, {}, token);
const locationId = locs.stockLocations[0].id;
const colors = ["Black", "White", "Navy", "Olive", "Rust"];
const sizes = ["M", "L"];
const run = Date.now().toString(36).toUpperCase();
const products = Math.ceil(total / 10);
let made = 0;
const t0 = Date.now();

async function product(i) {
  const p = await gql(
    `mutation($input: ProductCreateInput!) { productCreate(input: $input) { product { id } userErrors { message } } }`,
    { input: { name: `Load test tee ${run}-${i}`, status: "ACTIVE", brand: "Bench" } },
    token,
  );
  const productId = p.productCreate.product?.id;
  if (!productId) throw new Error(p.productCreate.userErrors[0]?.message);
  for (const color of colors) {
    for (const size of sizes) {
      if (made >= total) return;
      made += 1;
      const v = await gql(
        `mutation($input: VariantCreateInput!) { variantCreate(input: $input) { variant { id } userErrors { message } } }`,
        {
          input: {
            productId,
            sku: `LT-${run}-${i}-${color.slice(0, 3).toUpperCase()}-${size}`,
            attributes: [{ name: "color", value: color }, { name: "size", value: size }],
            price: 1999,
          },
        },
        token,
      );
      const variantId = v.variantCreate.variant?.id;
      if (!variantId) throw new Error(v.variantCreate.userErrors[0]?.message);
      await gql(
        `mutation($input: InventoryAdjustInput!) { inventoryAdjust(input: $input) { userErrors { message } } }`,
        { input: { variantId, locationId, setOnHand: (i * 7 + made) % 40, reason: "RESTOCK", expectedVersion: 0 } },
        token,
      );
    }
  }
}

let next = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < products) {
      const i = next++;
      await product(i);
      if (i % 100 === 0) console.log(`${made} variants, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  }),
);
console.log(`seeded ${made} variants in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(0);
