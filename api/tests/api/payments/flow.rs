//! Paying with the built-in test gateway, end to end through the API: success, a
//! decline (stock back, cart kept, retry succeeds), 3-D Secure, and bad input.

use serde_json::{Value, json};

use super::*;
use crate::commerce::{CART, assert_reconciles, complete, start, stock};
use crate::helpers::{TestApp, code};

#[tokio::test]
async fn a_test_card_pays_the_order_and_sells_its_stock() {
    let app = TestApp::spawn().await;
    let b = pending_order(&app, 10, 2).await;
    assert_eq!(stock(&app, b.variant_id).await, (10, 2));

    let config = app.gql_ok("{ paymentConfig { gateway publishableKey testCards { number description } } }", json!({})).await;
    assert_eq!(config["paymentConfig"]["gateway"], "TEST", "no Stripe key: the built-in test gateway");
    assert_eq!(config["paymentConfig"]["testCards"][0]["number"], "4242424242424242");

    let started = pay(&app, &b).await;
    assert_eq!(started["userErrors"], json!([]), "{started}");
    assert_eq!((started["gateway"].as_str(), started["payment"]["attempt"].as_i64()), (Some("TEST"), Some(1)));
    let secret = started["clientSecret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with(started["payment"]["gatewayReference"].as_str().unwrap()), "Stripe-like secret");
    let again = pay(&app, &b).await;
    assert_eq!(again["clientSecret"], started["clientSecret"], "asking again resumes the same attempt");
    assert_eq!(order_of(&app, &b).await["status"], "PENDING_PAYMENT", "nothing is paid on the client's word");

    let paid = confirm(&app, &secret, SUCCEEDS).await;
    assert_eq!(paid["userErrors"], json!([]), "{paid}");
    assert_eq!(paid["payment"]["status"], "SUCCEEDED");
    let order = &paid["order"];
    assert_eq!(order["status"], "PAID", "{order}");
    assert_eq!(order["payments"][0]["amountReceived"]["amount"], order["totals"]["total"]["amount"]);
    let last = order["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["toStatus"].as_str(), last["actorType"].as_str()), (Some("PAID"), Some("GATEWAY")), "{last}");
    assert_eq!(stock(&app, b.variant_id).await, (8, 0), "the held units were sold");

    // Paid is paid: no second payment; a second confirmation answers the first's outcome.
    let more = pay(&app, &b).await;
    assert_eq!(more["userErrors"][0]["code"], "ALREADY_PAID", "{more}");
    let twice = confirm(&app, &secret, SUCCEEDS).await;
    assert_eq!((twice["userErrors"].clone(), twice["order"]["status"].as_str()), (json!([]), Some("PAID")), "{twice}");
    assert_eq!(stock(&app, b.variant_id).await, (8, 0));
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn a_declined_card_gives_the_stock_back_keeps_the_cart_and_a_retry_succeeds() {
    let app = TestApp::spawn().await;
    let b = pending_order(&app, 5, 3).await;
    let secret = pay(&app, &b).await["clientSecret"].as_str().unwrap().to_owned();

    let declined = confirm(&app, &secret, DECLINED).await;
    assert_eq!(declined["userErrors"], json!([]), "a decline is an outcome, not an input error: {declined}");
    assert_eq!(
        (declined["payment"]["status"].as_str(), declined["payment"]["errorCode"].as_str(), declined["payment"]["errorMessage"].as_str()),
        (Some("FAILED"), Some("generic_decline"), Some("Your card was declined."))
    );
    assert_eq!(declined["order"]["status"], "PAYMENT_FAILED");
    assert_eq!(stock(&app, b.variant_id).await, (5, 0), "the stock went back on sale");

    // The buyer's cart has its lines again, not held, so they can change it or retry.
    let q = format!("query($c: ID!, $t: String) {{ cart(id: $c, cartToken: $t) {{ {CART} }} }}");
    let cart = app.gql_ok(&q, json!({ "c": b.cart_id, "t": b.cart_token })).await["cart"].clone();
    assert_eq!(cart["status"], "ACTIVE", "{cart}");
    assert_eq!((cart["lines"][0]["quantity"].as_i64(), cart["lines"][0]["held"].as_bool()), (Some(3), Some(false)));

    // Retrying the order holds the stock again and starts attempt 2.
    let retry = pay(&app, &b).await;
    assert_eq!(retry["userErrors"], json!([]), "{retry}");
    assert_eq!(retry["payment"]["attempt"], 2);
    assert_ne!(retry["clientSecret"], json!(secret));
    assert_eq!(retry["order"]["status"], "PENDING_PAYMENT");
    assert_eq!(stock(&app, b.variant_id).await, (5, 3));
    let cart = app.gql_ok(&q, json!({ "c": b.cart_id, "t": b.cart_token })).await["cart"].clone();
    assert_eq!(
        (cart["status"].as_str(), cart["lines"].as_array().map(Vec::len)),
        (Some("CONVERTED"), Some(0)),
        "the cart is the order's again"
    );

    let paid = confirm(&app, retry["clientSecret"].as_str().unwrap(), SUCCEEDS).await;
    let order = &paid["order"];
    assert_eq!(order["status"], "PAID", "{paid}");
    let attempts: Vec<(i64, &str)> =
        order["payments"].as_array().unwrap().iter().map(|p| (p["attempt"].as_i64().unwrap(), p["status"].as_str().unwrap())).collect();
    assert_eq!(attempts, vec![(1, "FAILED"), (2, "SUCCEEDED")]);
    assert_eq!(stock(&app, b.variant_id).await, (2, 0));
    let kinds: Vec<&str> = order["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["created", "status_changed", "status_changed", "status_changed"], "{order}");
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn checking_out_the_kept_cart_again_replaces_the_failed_order() {
    let app = TestApp::spawn().await;
    let b = pending_order(&app, 5, 1).await;
    let secret = pay(&app, &b).await["clientSecret"].as_str().unwrap().to_owned();
    confirm(&app, &secret, DECLINED).await;

    start(&app, None, &b.cart_id, Some(&b.cart_token), "").await;
    let second = complete(&app, None, &b.cart_id, Some(&b.cart_token), "second-try-0001").await;
    assert_eq!(second["order"]["status"], "PENDING_PAYMENT", "{second}");
    let first = order_of(&app, &b).await;
    assert_eq!(first["status"], "CANCELLED", "one cart, one open order: {first}");
    assert!(first["timeline"].as_array().unwrap().last().unwrap()["cause"].as_str().unwrap().contains("replaced by order"));
    assert_eq!(pay(&app, &b).await["userErrors"][0]["code"], "INVALID", "the replaced order cannot be paid");
    assert_eq!(stock(&app, b.variant_id).await, (5, 1), "only the new order holds stock");
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn three_d_secure_waits_for_the_buyer_then_succeeds_or_fails() {
    let app = TestApp::spawn().await;
    let staff = app.user(stockade_domain::accounts::Role::Staff).await;
    const AUTH: &str = "mutation($s: String!, $a: Boolean!) { testPaymentAuthenticate(clientSecret: $s, approve: $a) {
        payment { status errorCode } order { status } userErrors { code field } } }";

    let b = pending_order(&app, 5, 1).await;
    let secret = pay(&app, &b).await["clientSecret"].as_str().unwrap().to_owned();
    let waiting = confirm(&app, &secret, THREE_D_SECURE).await;
    assert_eq!(
        (waiting["payment"]["status"].as_str(), waiting["order"]["status"].as_str()),
        (Some("REQUIRES_ACTION"), Some("PENDING_PAYMENT"))
    );
    assert_eq!(stock(&app, b.variant_id).await, (5, 1), "still held while the buyer authenticates");
    let issues = app
        .gql_as(&staff.access_token, "{ paymentIssues(filter: REQUIRES_ACTION, first: 10) { nodes { order { id } attempts } } }", json!({}))
        .await;
    assert_eq!(issues["data"]["paymentIssues"]["nodes"], json!([{ "order": { "id": b.order["id"] }, "attempts": 1 }]), "{issues}");

    let done = app.gql_ok(AUTH, json!({ "s": secret, "a": true })).await["testPaymentAuthenticate"].clone();
    assert_eq!((done["payment"]["status"].as_str(), done["order"]["status"].as_str()), (Some("SUCCEEDED"), Some("PAID")), "{done}");
    assert_eq!(stock(&app, b.variant_id).await, (4, 0));

    let other = pending_order(&app, 5, 1).await;
    let secret = pay(&app, &other).await["clientSecret"].as_str().unwrap().to_owned();
    confirm(&app, &secret, THREE_D_SECURE).await;
    let refused = app.gql_ok(AUTH, json!({ "s": secret, "a": false })).await["testPaymentAuthenticate"].clone();
    assert_eq!(
        (refused["payment"]["errorCode"].as_str(), refused["order"]["status"].as_str()),
        (Some("payment_intent_authentication_failure"), Some("PAYMENT_FAILED"))
    );
    let again = app.gql_ok(AUTH, json!({ "s": secret, "a": true })).await["testPaymentAuthenticate"].clone();
    assert_eq!(again["userErrors"][0]["code"], "INVALID", "nothing left to authenticate");
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn bad_payment_input_gets_typed_errors_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let b = pending_order(&app, 5, 1).await;
    let secret = pay(&app, &b).await["clientSecret"].as_str().unwrap().to_owned();

    let forged = format!("{}x", secret);
    assert_eq!(confirm(&app, &forged, SUCCEEDS).await["userErrors"][0]["code"], "NOT_FOUND");
    let made_up = confirm(&app, "pi_test_000000000000000000000000_secret_0123456789abcdef01234567", SUCCEEDS).await;
    assert_eq!(made_up["userErrors"][0]["code"], "NOT_FOUND");
    let real_card = confirm(&app, &secret, "4111 1111 1111 1111").await;
    assert_eq!(
        (real_card["userErrors"][0]["code"].as_str(), real_card["userErrors"][0]["field"].clone()),
        (Some("INVALID"), json!(["cardNumber"]))
    );
    assert_eq!(confirm(&app, &secret, "").await["userErrors"][0]["code"], "INVALID");

    // Paying someone else's order, or without its token: not found.
    let q = "mutation($o: ID!, $t: String) { paymentIntentCreate(orderId: $o, token: $t) { clientSecret userErrors { code field } } }";
    for (id, token) in [
        (b.order["id"].clone(), Value::Null),
        (b.order["id"].clone(), json!("wrong-token")),
        (json!(crate::commerce::stockade_id("Order", 999_999)), json!(b.token)),
    ] {
        let r = app.gql_ok(q, json!({ "o": id, "t": token })).await["paymentIntentCreate"].clone();
        assert_eq!((r["userErrors"][0]["code"].as_str(), r["clientSecret"].clone()), (Some("NOT_FOUND"), Value::Null), "{r}");
    }
    let wrong_kind = app.gql_ok(q, json!({ "o": b.cart_id, "t": b.token })).await["paymentIntentCreate"].clone();
    assert_eq!(wrong_kind["userErrors"][0]["field"], json!(["orderId"]));
    let garbage = app.gql(q, json!({ "o": "%%%", "t": b.token })).await;
    assert!(
        garbage["data"]["paymentIntentCreate"]["userErrors"][0]["code"] == "INVALID" || code(&garbage["errors"][0]) == "INVALID",
        "{garbage}"
    );

    let order = order_of(&app, &b).await;
    assert_eq!((order["status"].as_str(), order["payments"].as_array().map(Vec::len)), (Some("PENDING_PAYMENT"), Some(1)));
    assert_eq!(stock(&app, b.variant_id).await, (5, 1));
}
