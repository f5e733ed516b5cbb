//! Carts, checkout and orders through the API: flows, concurrency, expiry, bad input.

mod concurrency;
mod flows;
mod lifecycle;
mod subscriptions;

use serde_json::{Value, json};
use stockade_domain::actor::Actor;
use stockade_domain::catalog::{NewProduct, NewVariant, ProductStatus};

use crate::helpers::TestApp;

/// A new active product with one variant, `stock` units on hand at the first location.
/// Returns (variant global id, variant db id).
pub async fn stocked_variant(app: &TestApp, stock: i64, price: i64) -> (String, i64) {
    let editor = &app.services.catalog_editor;
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let product = editor
        .create_product(NewProduct {
            name: format!("Test Tee {}", &suffix[..8]),
            status: Some(ProductStatus::Active),
            ..Default::default()
        })
        .await
        .expect("product");
    let variant = editor
        .create_variant(NewVariant {
            product_id: product.id,
            sku: format!("TEST-{}", &suffix[..12]).to_uppercase(),
            price,
            attributes: vec![("size".into(), "M".into())],
            ..Default::default()
        })
        .await
        .expect("variant");
    if stock > 0 {
        let location = app.inventory.locations().await.expect("locations")[0].id;
        app.inventory.restock(variant.id, location, stock, Actor::System, "test stock").await.expect("restock");
    }
    (stockade_id("Variant", variant.id), variant.id)
}

pub fn stockade_id(kind: &str, id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

pub const CART: &str = "id version status itemCount holdsLapsed reservedUntil couponCode subtotal { amount }
    lines { variantId quantity held heldQuantity reservedUntil unitPrice { amount } }";

/// A guest cart; returns (cart, token).
pub async fn guest_cart(app: &TestApp) -> (Value, String) {
    let data = app.gql_ok(&format!("mutation {{ cartCreate {{ cart {{ {CART} }} cartToken userErrors {{ code }} }} }}"), json!({})).await;
    let token = data["cartCreate"]["cartToken"].as_str().expect("guest carts get a token").to_owned();
    (data["cartCreate"]["cart"].clone(), token)
}

/// `cartLinesAdd`; returns the payload.
pub async fn add(app: &TestApp, auth: Option<&str>, cart: &Value, token: Option<&str>, variant: &str, quantity: i64) -> Value {
    let q = format!(
        "mutation($c: ID!, $t: String, $v: Int!, $l: [CartLineInput!]!) {{ cartLinesAdd(cartId: $c, cartToken: $t, expectedVersion: $v, lines: $l) {{
            cart {{ {CART} }} userErrors {{ code field message currentVersion }} }} }}"
    );
    let vars = json!({ "c": cart["id"], "t": token, "v": cart["version"], "l": [{ "variantId": variant, "quantity": quantity }] });
    let body = match auth {
        Some(a) => app.gql_as(a, &q, vars).await,
        None => app.gql(&q, vars).await,
    };
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"]["cartLinesAdd"].clone()
}

pub const ADDRESS: &str =
    r#"{ name: "Marta Silva", line1: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", country: "US" }"#;

/// `checkoutStart` with a complete US address; returns the payload.
pub async fn start(app: &TestApp, auth: Option<&str>, cart_id: &Value, token: Option<&str>, extra: &str) -> Value {
    let q = format!(
        "mutation($c: ID!, $t: String) {{ checkoutStart(cartId: $c, cartToken: $t, email: \"buyer@example.com\", shippingAddress: {ADDRESS} {extra}) {{
            review {{ ready totals {{ subtotal {{ amount }} discount {{ amount }} shipping {{ amount }} tax {{ amount }} total {{ amount }} }}
              problems {{ code message field variantId requested available previousPrice {{ amount }} currentPrice {{ amount }} }}
              cart {{ {CART} }} paymentWindowSeconds }}
            userErrors {{ code field message }} }} }}"
    );
    let vars = json!({ "c": cart_id, "t": token });
    let body = match auth {
        Some(a) => app.gql_as(a, &q, vars).await,
        None => app.gql(&q, vars).await,
    };
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"]["checkoutStart"].clone()
}

pub const ORDER: &str = "id number status version email totals { total { amount } subtotal { amount } discount { amount } }
    lines { sku quantity unitPrice { amount } lineTotal { amount } } couponCode paymentDeadline
    timeline { kind fromStatus toStatus actorType cause }";

/// `checkoutComplete`; returns the payload.
pub async fn complete(app: &TestApp, auth: Option<&str>, cart_id: &Value, token: Option<&str>, key: &str) -> Value {
    let q = format!(
        "mutation($c: ID!, $t: String, $k: String!) {{ checkoutComplete(cartId: $c, cartToken: $t, idempotencyKey: $k) {{
            order {{ {ORDER} }} orderToken problems {{ code message available }} userErrors {{ code field message }} }} }}"
    );
    let vars = json!({ "c": cart_id, "t": token, "k": key });
    let body = match auth {
        Some(a) => app.gql_as(a, &q, vars).await,
        None => app.gql(&q, vars).await,
    };
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"]["checkoutComplete"].clone()
}

/// (on hand, reserved) of a variant across locations.
pub async fn stock(app: &TestApp, variant_id: i64) -> (i64, i64) {
    let levels = app.inventory.levels_by_variant_ids(&[variant_id]).await.expect("levels");
    levels.get(&variant_id).map(|ls| ls.iter().fold((0, 0), |(o, r), l| (o + l.on_hand, r + l.reserved))).unwrap_or((0, 0))
}

/// The ledger replays to every stock level, and reservations add up.
pub async fn assert_reconciles(app: &TestApp) {
    let report = app.inventory.verify().await.expect("verify");
    assert!(report.is_ok(), "the ledger does not reconcile: {report}");
}
