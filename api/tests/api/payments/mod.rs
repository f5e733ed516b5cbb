//! Payments through the API: the test gateway end to end, Stripe through a local
//! stand-in for its HTTP API, signed webhooks, late money, reconciliation, and the
//! staff's failed-payment review.

mod durable;
mod flow;
mod late;
mod live;
mod reconcile;
mod refunds;
mod staff;
mod stand_in;
mod storm;
mod stripe;
mod voids;
mod webhook;

use serde_json::{Value, json};

use crate::commerce::{add, complete, guest_cart, start, stocked_variant};
use crate::helpers::TestApp;

pub const ORDER: &str = "id number status version totals { total { amount } } refunded { amount }
    payments { attempt status gateway amount { amount } amountReceived { amount } errorCode errorMessage gatewayReference }
    refunds { amount { amount } status restock }
    timeline { kind fromStatus toStatus actorType cause }";

/// A guest order for `quantity` units of a new variant with `stock` on hand.
pub struct Bought {
    pub order: Value,
    /// The guest's order token.
    pub token: String,
    pub cart_id: Value,
    pub cart_token: String,
    pub variant: String,
    pub variant_id: i64,
}

pub async fn pending_order(app: &TestApp, stock: i64, quantity: i64) -> Bought {
    let (variant, variant_id) = stocked_variant(app, stock, 2_000).await;
    let (cart, cart_token) = guest_cart(app).await;
    add(app, None, &cart, Some(&cart_token), &variant, quantity).await;
    start(app, None, &cart["id"], Some(&cart_token), "").await;
    let done = complete(app, None, &cart["id"], Some(&cart_token), &format!("pay-{}", uuid::Uuid::new_v4())).await;
    assert_eq!(done["order"]["status"], "PENDING_PAYMENT", "{done}");
    Bought {
        order: done["order"].clone(),
        token: done["orderToken"].as_str().unwrap().to_owned(),
        cart_id: cart["id"].clone(),
        cart_token,
        variant,
        variant_id,
    }
}

/// `paymentIntentCreate` as the guest; returns the payload.
pub async fn pay(app: &TestApp, b: &Bought) -> Value {
    let q = format!(
        "mutation($o: ID!, $t: String) {{ paymentIntentCreate(orderId: $o, token: $t) {{
            order {{ {ORDER} }} payment {{ attempt status gatewayReference }} clientSecret gateway publishableKey
            userErrors {{ code field message }} }} }}"
    );
    app.gql_ok(&q, json!({ "o": b.order["id"], "t": b.token })).await["paymentIntentCreate"].clone()
}

/// `testPaymentConfirm`; returns the payload.
pub async fn confirm(app: &TestApp, secret: &str, card: &str) -> Value {
    let q = format!(
        "mutation($s: String!, $c: String!) {{ testPaymentConfirm(clientSecret: $s, cardNumber: $c) {{
            payment {{ attempt status errorCode errorMessage }} order {{ {ORDER} }} userErrors {{ code field message }} }} }}"
    );
    app.gql_ok(&q, json!({ "s": secret, "c": card })).await["testPaymentConfirm"].clone()
}

/// The order as its guest sees it.
pub async fn order_of(app: &TestApp, b: &Bought) -> Value {
    let q = format!("query($id: ID!, $t: String) {{ order(id: $id, token: $t) {{ {ORDER} }} }}");
    app.gql_ok(&q, json!({ "id": b.order["id"], "t": b.token })).await["order"].clone()
}

/// The order's database id.
pub fn db_id(id: &Value) -> i64 {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(id.as_str().expect("an id")).expect("base64 id");
    String::from_utf8(raw).unwrap().split_once(':').unwrap().1.parse().unwrap()
}

pub const SUCCEEDS: &str = "4242 4242 4242 4242";
pub const DECLINED: &str = "4000 0000 0000 0002";
pub const THREE_D_SECURE: &str = "4000 0000 0000 3220";
