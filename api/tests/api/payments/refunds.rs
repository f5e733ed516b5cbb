//! Refunds settle on the gateway's word, however it comes: the refund API's own answer,
//! the `charge.refunded` webhook, or reconciliation reading a refund back (or sending a
//! request that never got an answer again, with its key). Whichever comes first counts
//! once; the units of a restocking refund go back once.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use stockade_domain::accounts::Role;
use stockade_domain::entity::refund;

use super::stand_in::StripeStandIn;
use super::webhook::{event, intent_event, send, stripe_app};
use super::*;
use crate::commerce::{assert_reconciles, stock};
use crate::helpers::TestApp;

const REFUND: &str = "mutation($o: ID!, $v: Int!, $a: Int, $r: Boolean!) { orderRefund(orderId: $o, expectedVersion: $v, amount: $a, restock: $r, reason: \"returned\") {
    order { status version refunded { amount } timeline { kind cause } } refund { amount { amount } status restock }
    userErrors { code field message } } }";

/// A guest order for 2 of 4 units, paid through Stripe (webhook applied); its intent and total.
async fn paid_at_stripe(app: &TestApp, stripe: &StripeStandIn) -> (Bought, String, i64) {
    let b = pending_order(app, 4, 2).await;
    let intent_id = pay(app, &b).await["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    stripe.set_intent(&intent_id, |i| {
        i["status"] = json!("succeeded");
        i["amount_received"] = i["amount"].clone();
    });
    let (status, _) =
        send(app, &intent_event(&format!("evt_paid_{intent_id}"), "payment_intent.succeeded", &stripe.intent(&intent_id))).await;
    assert_eq!(status, 200);
    let order = order_of(app, &b).await;
    assert_eq!(order["status"], "PAID");
    let total = order["totals"]["total"]["amount"].as_i64().unwrap();
    (b, intent_id, total)
}

async fn refund_all(app: &TestApp, b: &Bought, restock: bool) -> Value {
    let staff = app.user(Role::Staff).await;
    let version = order_of(app, b).await["version"].clone();
    let answer = app.gql_as(&staff.access_token, REFUND, json!({ "o": b.order["id"], "v": version, "a": null, "r": restock })).await;
    answer["data"]["orderRefund"].clone()
}

/// Makes the order's refunds look untouched for an hour, so reconciliation takes them.
async fn age_refunds(app: &TestApp, b: &Bought) {
    refund::Entity::update_many()
        .col_expr(refund::Column::UpdatedAt, Expr::val(chrono::Utc::now() - chrono::Duration::hours(1)))
        .filter(refund::Column::OrderId.eq(db_id(&b.order["id"])))
        .exec(app.database.conn())
        .await
        .unwrap();
}

fn refund_calls(stripe: &StripeStandIn) -> Vec<super::stand_in::Call> {
    stripe.calls().into_iter().filter(|c| c.method == "POST" && c.path == "/v1/refunds").collect()
}

#[tokio::test]
async fn a_refund_stripe_answers_succeeded_is_settled_at_once_and_its_webhook_changes_nothing() {
    let stripe = StripeStandIn::start().await;
    stripe.state.lock().unwrap().refund_status = Some("succeeded");
    let app = stripe_app(&stripe, &[]).await;
    let (b, intent_id, total) = paid_at_stripe(&app, &stripe).await;

    let r = refund_all(&app, &b, true).await;
    assert_eq!(r["userErrors"], json!([]), "{r}");
    assert_eq!((r["refund"]["status"].as_str(), r["order"]["status"].as_str()), (Some("SUCCEEDED"), Some("REFUNDED")), "{r}");
    assert_eq!(r["order"]["refunded"]["amount"], total);
    assert_eq!(stock(&app, b.variant_id).await, (4, 0), "restocked on Stripe's answer, no webhook needed");

    // The webhook for the same refund comes later: already counted.
    let charge = json!({ "id": "ch_1", "object": "charge", "payment_intent": intent_id, "amount": total, "amount_refunded": total,
        "refunded": true, "refunds": { "data": [{ "id": "re_standin_1" }] } });
    let (status, answer) = send(&app, &event("evt_refunded", "charge.refunded", charge)).await;
    assert_eq!((status, answer["outcome"].as_str()), (200, Some("ignored")), "{answer}");
    let order = order_of(&app, &b).await;
    assert_eq!((order["status"].as_str(), order["refunded"]["amount"].as_i64()), (Some("REFUNDED"), Some(total)), "{order}");
    assert_eq!(order["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(stock(&app, b.variant_id).await, (4, 0), "restocked once");
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn a_pending_refund_whose_webhook_was_lost_is_settled_by_reconciliation() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let (b, _, total) = paid_at_stripe(&app, &stripe).await;
    let r = refund_all(&app, &b, true).await;
    assert_eq!((r["refund"]["status"].as_str(), r["order"]["status"].as_str()), (Some("PENDING"), Some("PAID")), "{r}");

    // Not due yet: reconciliation leaves a refund alone until it has waited.
    let report = app.services.payments.reconcile(100).await.unwrap();
    assert_eq!(report.checked, 0, "{report}");
    assert!(!stripe.calls().iter().any(|c| c.method == "GET" && c.path.starts_with("/v1/refunds/")));

    // Stripe settles it; the webhook never comes.
    stripe.set_refund("re_standin_1", |r| r["status"] = json!("succeeded"));
    age_refunds(&app, &b).await;
    let report = app.services.payments.reconcile(100).await.unwrap();
    assert_eq!((report.checked, report.changed, report.unreachable), (1, 1, 0), "{report}");
    assert!(stripe.calls().iter().any(|c| c.method == "GET" && c.path == "/v1/refunds/re_standin_1"));
    let order = order_of(&app, &b).await;
    assert_eq!((order["status"].as_str(), order["refunds"][0]["status"].as_str()), (Some("REFUNDED"), Some("SUCCEEDED")), "{order}");
    assert_eq!(order["refunded"]["amount"], total);
    assert_eq!(stock(&app, b.variant_id).await, (4, 0));

    // Settled refunds are not asked after again.
    age_refunds(&app, &b).await;
    assert_eq!(app.services.payments.reconcile(100).await.unwrap().checked, 0);
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn a_refund_request_stripe_did_not_answer_stays_pending_and_is_sent_again_with_its_key() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let (b, _, total) = paid_at_stripe(&app, &stripe).await;

    // Every try of the request fails (a timeout might still have made it at Stripe).
    stripe.state.lock().unwrap().fail_next = 10;
    let r = refund_all(&app, &b, false).await;
    stripe.state.lock().unwrap().fail_next = 0;
    assert_eq!(r["userErrors"], json!([]), "{r}");
    assert_eq!((r["refund"]["status"].as_str(), r["order"]["status"].as_str()), (Some("PENDING"), Some("PAID")), "{r}");
    let last = r["order"]["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "refund_unconfirmed", "{last}");
    // Nothing more can be refunded while it is open: no second refund of the same money.
    let again = refund_all(&app, &b, false).await;
    assert_eq!(again["userErrors"][0]["field"], json!(["orderId"]), "{again}");

    stripe.state.lock().unwrap().refund_status = Some("succeeded");
    age_refunds(&app, &b).await;
    let report = app.services.payments.reconcile(100).await.unwrap();
    assert_eq!((report.checked, report.changed), (1, 1), "{report}");
    let calls = refund_calls(&stripe);
    assert!(calls.len() >= 2, "{calls:?}");
    let keys: std::collections::HashSet<_> = calls.iter().map(|c| c.idempotency_key.clone().expect("a key")).collect();
    assert_eq!(keys.len(), 1, "sent again with the same key: {calls:?}");
    assert_eq!(stripe.state.lock().unwrap().refunds.len(), 1, "one refund at Stripe");
    let order = order_of(&app, &b).await;
    assert_eq!((order["status"].as_str(), order["refunds"][0]["status"].as_str()), (Some("REFUNDED"), Some("SUCCEEDED")), "{order}");
    assert_eq!(order["refunded"]["amount"], total);
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn a_refund_that_fails_at_stripe_gives_the_amount_back_to_refund() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let (b, _, total) = paid_at_stripe(&app, &stripe).await;
    let r = refund_all(&app, &b, true).await;
    assert_eq!(r["refund"]["status"], "PENDING", "{r}");

    stripe.set_refund("re_standin_1", |r| r["status"] = json!("failed"));
    age_refunds(&app, &b).await;
    let report = app.services.payments.reconcile(100).await.unwrap();
    assert_eq!((report.checked, report.changed), (1, 1), "{report}");
    let order = order_of(&app, &b).await;
    assert_eq!((order["status"].as_str(), order["refunds"][0]["status"].as_str()), (Some("PAID"), Some("FAILED")), "{order}");
    assert_eq!(order["refunded"]["amount"], 0);
    let last = order["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "refund_failed", "{last}");
    assert_eq!(stock(&app, b.variant_id).await, (2, 0), "nothing restocked");

    // The whole amount can be refunded again.
    stripe.state.lock().unwrap().refund_status = Some("succeeded");
    let r = refund_all(&app, &b, true).await;
    assert_eq!((r["refund"]["amount"]["amount"].as_i64(), r["refund"]["status"].as_str()), (Some(total), Some("SUCCEEDED")), "{r}");
    assert_eq!(r["order"]["status"], "REFUNDED");
    assert_eq!(stock(&app, b.variant_id).await, (4, 0));
    assert_reconciles(&app).await;
}
