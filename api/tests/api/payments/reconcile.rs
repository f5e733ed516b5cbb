//! Reconciliation: a payment whose webhook never came is read back from the gateway and
//! applied, once, even with two instances doing it at the same time.

use std::sync::Arc;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use stockade_domain::accounts::Role;
use stockade_domain::entity::{order, payment};

use super::stand_in::StripeStandIn;
use super::*;
use crate::commerce::{assert_reconciles, stock};
use crate::helpers::{TestApp, TestDb};

/// Makes the order's payments look untouched for an hour (and the order that old).
async fn age(app: &TestApp, b: &Bought) {
    let id = db_id(&b.order["id"]);
    let hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    payment::Entity::update_many()
        .col_expr(payment::Column::UpdatedAt, Expr::val(hour_ago))
        .filter(payment::Column::OrderId.eq(id))
        .exec(app.database.conn())
        .await
        .unwrap();
    order::Entity::update_many()
        .col_expr(order::Column::CreatedAt, Expr::val(hour_ago))
        .filter(order::Column::Id.eq(id))
        .exec(app.database.conn())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_reconcile_a_stuck_order_once() {
    let stripe = StripeStandIn::start().await;
    let env = stripe.env();
    let mut overrides: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    overrides.extend([("PAYMENT_RECONCILE_AFTER_SECS", "60"), ("PAYMENT_STUCK_AFTER_SECS", "600")]);
    let db = Arc::new(TestDb::seeded());
    let a = TestApp::spawn_on(db.clone(), &overrides).await;
    let b_instance = TestApp::spawn_on(db.clone(), &overrides).await;
    let staff = a.user(Role::Staff).await;

    // Paid at Stripe, webhook lost.
    let paid = pending_order(&a, 5, 2).await;
    let paid_intent = pay(&a, &paid).await["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    stripe.set_intent(&paid_intent, |i| {
        i["status"] = json!("succeeded");
        i["amount_received"] = i["amount"].clone();
    });
    // Declined at Stripe, webhook lost.
    let declined = pending_order(&a, 5, 1).await;
    let declined_intent = pay(&a, &declined).await["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    stripe.set_intent(&declined_intent, |i| {
        i["last_payment_error"] = json!({ "type": "card_error", "code": "card_declined", "decline_code": "do_not_honor", "message": "Your card was declined." });
    });
    // Nothing happened at Stripe: the buyer walked away.
    let abandoned = pending_order(&a, 5, 1).await;
    pay(&a, &abandoned).await;
    // Recent: not checked yet.
    let recent = pending_order(&a, 5, 1).await;
    pay(&a, &recent).await;

    let before = app_issues(&a, &staff.access_token).await;
    assert_eq!(before, json!([]), "nothing is stuck yet");
    for b in [&paid, &declined, &abandoned] {
        age(&a, b).await;
    }
    let stuck = app_issues(&a, &staff.access_token).await;
    assert_eq!(stuck.as_array().unwrap().len(), 3, "three orders wait too long: {stuck}");

    let retrievals = || stripe.calls().iter().filter(|c| c.method == "GET").count();
    let before_reads = retrievals();
    let (x, y) = tokio::join!(a.services.payments.reconcile(100), b_instance.services.payments.reconcile(100));
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.checked + y.checked, 3, "each stuck payment is checked once: {x} / {y}");
    assert_eq!(x.changed + y.changed, 2, "{x} / {y}");
    assert_eq!(retrievals() - before_reads, 3, "one read per payment at Stripe");

    assert_eq!(order_of(&a, &paid).await["status"], "PAID");
    assert_eq!(stock(&a, paid.variant_id).await, (3, 0));
    let failed = order_of(&a, &declined).await;
    assert_eq!((failed["status"].as_str(), failed["payments"][0]["errorCode"].as_str()), (Some("PAYMENT_FAILED"), Some("do_not_honor")));
    assert_eq!(stock(&a, declined.variant_id).await, (5, 0));
    assert_eq!(order_of(&a, &abandoned).await["status"], "PENDING_PAYMENT");
    assert_eq!(order_of(&a, &recent).await["status"], "PENDING_PAYMENT");
    let stuck = app_issues(&a, &staff.access_token).await;
    assert_eq!(stuck, json!([{ "order": { "id": abandoned.order["id"] } }]), "only the abandoned one is still stuck");

    // Checked within the period: not read again.
    let again = a.services.payments.reconcile(100).await.unwrap();
    assert_eq!(again.checked, 0);
    assert_reconciles(&a).await;
    b_instance.stop().await;
    a.stop().await;
}

async fn app_issues(app: &TestApp, token: &str) -> serde_json::Value {
    let q = "{ paymentIssues(filter: STUCK_PENDING, first: 10) { nodes { order { id } } } }";
    let body = app.gql_as(token, q, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["paymentIssues"]["nodes"].clone()
}
