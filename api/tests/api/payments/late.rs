//! Money that arrives after the order's stock hold lapsed: the stock is held again if
//! it is there (all or nothing), otherwise the order is paid without stock and waits
//! for staff. Never oversold, never lost.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use stockade_domain::accounts::Role;
use stockade_domain::actor::Actor;
use stockade_domain::entity::order;

use super::stand_in::StripeStandIn;
use super::webhook::{intent_event, send, stripe_app};
use super::*;
use crate::commerce::{add, assert_reconciles, guest_cart, stock};
use crate::helpers::TestApp;

/// The holds of every order and cart lapse (the sweeper runs as if an hour passed).
async fn holds_lapse(app: &TestApp) {
    app.inventory.sweep_expired_as_of(chrono::Utc::now() + chrono::Duration::hours(1), 1_000).await.unwrap();
}

/// The order's payment window closes now.
pub(super) async fn deadline_passes(app: &TestApp, b: &Bought) {
    order::Entity::update_many()
        .col_expr(order::Column::PaymentDeadline, Expr::val(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .filter(order::Column::Id.eq(db_id(&b.order["id"])))
        .exec(app.database.conn())
        .await
        .unwrap();
}

#[tokio::test]
async fn paid_after_the_hold_lapsed_with_stock_left_holds_it_again_and_sells_it() {
    let app = TestApp::spawn().await;
    let b = pending_order(&app, 5, 2).await;
    let secret = pay(&app, &b).await["clientSecret"].as_str().unwrap().to_owned();
    holds_lapse(&app).await;
    assert_eq!(stock(&app, b.variant_id).await, (5, 0), "the hold lapsed");

    let paid = confirm(&app, &secret, SUCCEEDS).await;
    let order = &paid["order"];
    assert_eq!(order["status"], "PAID", "{paid}");
    let last = order["timeline"].as_array().unwrap().last().unwrap();
    assert!(last["cause"].as_str().unwrap().contains("hold lapsed"), "{last}");
    assert_eq!(stock(&app, b.variant_id).await, (3, 0));
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn paid_after_the_stock_went_to_someone_else_needs_attention_and_is_never_oversold() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let b = pending_order(&app, 2, 2).await;
    let secret = pay(&app, &b).await["clientSecret"].as_str().unwrap().to_owned();
    holds_lapse(&app).await;
    // Another shopper takes both units meanwhile.
    let (cart, token) = guest_cart(&app).await;
    assert_eq!(add(&app, None, &cart, Some(&token), &b.variant, 2).await["userErrors"], json!([]));
    assert_eq!(stock(&app, b.variant_id).await, (2, 2));

    let paid = confirm(&app, &secret, SUCCEEDS).await;
    let order = paid["order"].clone();
    assert_eq!(order["status"], "NEEDS_ATTENTION", "paid without stock: {paid}");
    assert_eq!(order["payments"][0]["status"], "SUCCEEDED", "the money is recorded");
    assert!(order["timeline"].as_array().unwrap().last().unwrap()["cause"].as_str().unwrap().contains("find stock or refund"));
    assert_eq!(stock(&app, b.variant_id).await, (2, 2), "nothing oversold: the other shopper keeps their units");

    const ISSUES: &str =
        "{ paymentIssues(filter: PAID_WITHOUT_STOCK, first: 5) { nodes { kind order { id version } amount { amount } email } }
        paymentIssueCounts { kind count } }";
    let issues = app.gql_as(&staff.access_token, ISSUES, json!({})).await;
    let node = &issues["data"]["paymentIssues"]["nodes"][0];
    assert_eq!((node["kind"].as_str(), &node["order"]["id"]), (Some("PAID_WITHOUT_STOCK"), &b.order["id"]), "{issues}");
    assert_eq!(node["amount"]["amount"], b.order["totals"]["total"]["amount"]);
    let counts = issues["data"]["paymentIssueCounts"].as_array().unwrap();
    assert!(counts.contains(&json!({ "kind": "PAID_WITHOUT_STOCK", "count": 1 })), "{counts:?}");

    // Staff find two more units and give them to this order.
    const RESOLVE: &str = "mutation($o: ID!, $v: Int!, $a: Boolean!) { paymentIssueResolve(orderId: $o, expectedVersion: $v, note: \"found two in the back\", allocateStock: $a) {
        order { status version } userErrors { code field message } } }";
    let version = node["order"]["version"].clone();
    let short = app.gql_as(&staff.access_token, RESOLVE, json!({ "o": b.order["id"], "v": version, "a": true })).await;
    assert_eq!(short["data"]["paymentIssueResolve"]["userErrors"][0]["code"], "OUT_OF_STOCK", "{short}");
    let location = app.inventory.locations().await.unwrap()[0].id;
    app.inventory.restock(b.variant_id, location, 2, Actor::System, "found in the back").await.unwrap();
    let resolved = app.gql_as(&staff.access_token, RESOLVE, json!({ "o": b.order["id"], "v": version, "a": true })).await;
    assert_eq!(resolved["data"]["paymentIssueResolve"]["order"]["status"], "PAID", "{resolved}");
    assert_eq!(stock(&app, b.variant_id).await, (2, 2), "two sold to this order, two still held by the other shopper");
    let issues = app.gql_as(&staff.access_token, ISSUES, json!({})).await;
    assert_eq!(issues["data"]["paymentIssues"]["nodes"], json!([]));
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn an_order_expiring_while_its_payment_succeeds_is_paid_not_lost() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let b = pending_order(&app, 5, 1).await;
    let intent_id = pay(&app, &b).await["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    // The buyer pays at Stripe just as the window closes; the webhook is still on its way.
    stripe.set_intent(&intent_id, |i| {
        i["status"] = json!("succeeded");
        i["amount_received"] = i["amount"].clone();
    });
    deadline_passes(&app, &b).await;

    assert_eq!(app.services.payments.expire_unpaid(100).await.unwrap(), 0, "not expired: it was paid");
    // Before expiring, the sweeper read the open attempt back from Stripe, learnt it had
    // succeeded and applied that: the stock was never released.
    let order = order_of(&app, &b).await;
    assert_eq!(order["status"], "PAID", "{order}");
    let moves: Vec<(&str, &str)> = order["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "status_changed")
        .map(|e| (e["fromStatus"].as_str().unwrap(), e["toStatus"].as_str().unwrap()))
        .collect();
    assert_eq!(moves, vec![("PENDING_PAYMENT", "PAID")]);
    assert_eq!(stock(&app, b.variant_id).await, (4, 0));

    // Stripe's webhook arrives afterwards: nothing more happens.
    let (status, answer) = send(&app, &intent_event("evt_late_1", "payment_intent.succeeded", &stripe.intent(&intent_id))).await;
    assert_eq!((status, answer["outcome"].as_str()), (200, Some("ignored")), "{answer}");
    assert_eq!(stock(&app, b.variant_id).await, (4, 0));
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn a_success_webhook_for_an_expired_order_whose_stock_is_gone_needs_attention() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let b = pending_order(&app, 1, 1).await;
    let intent_id = pay(&app, &b).await["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    deadline_passes(&app, &b).await;
    assert_eq!(app.services.payments.expire_unpaid(100).await.unwrap(), 1);
    assert_eq!(order_of(&app, &b).await["status"], "EXPIRED");
    assert_eq!(stripe.intent(&intent_id)["status"], "canceled", "expiry cancels the open intent");
    // The unit sells to someone else.
    let (cart, token) = guest_cart(&app).await;
    add(&app, None, &cart, Some(&token), &b.variant, 1).await;

    // Stripe had captured the money anyway (a race on its side): it must not vanish.
    let mut paid = stripe.intent(&intent_id);
    paid["status"] = json!("succeeded");
    paid["amount_received"] = paid["amount"].clone();
    let (status, answer) = send(&app, &intent_event("evt_after_expiry", "payment_intent.succeeded", &paid)).await;
    assert_eq!((status, answer["outcome"].as_str()), (200, Some("applied")), "{answer}");
    let order = order_of(&app, &b).await;
    assert_eq!(order["status"], "NEEDS_ATTENTION", "{order}");
    assert_eq!(stock(&app, b.variant_id).await, (1, 1), "the other shopper keeps the unit");
    assert_reconciles(&app).await;
}
