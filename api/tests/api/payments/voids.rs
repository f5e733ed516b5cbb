//! A declined PaymentIntent is failed here but still payable at Stripe
//! (`requires_payment_method`: the buyer could pay it with another card). Once the buyer
//! starts another attempt, or the order is cancelled or expires, it is cancelled at
//! Stripe; what Stripe could not be reached for, reconciliation finishes.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use stockade_domain::accounts::Role;
use stockade_domain::entity::payment;

use super::late::deadline_passes;
use super::stand_in::StripeStandIn;
use super::webhook::{intent_event, send, stripe_app};
use super::*;
use crate::commerce::assert_reconciles;
use crate::helpers::TestApp;

/// Pays the order at Stripe with a card that is declined (webhook applied): the intent.
async fn declined(app: &TestApp, stripe: &StripeStandIn, b: &Bought) -> String {
    let intent_id = pay(app, b).await["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    stripe.set_intent(&intent_id, |i| {
        i["last_payment_error"] = json!({ "type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
            "message": "Your card was declined." });
    });
    let (status, _) =
        send(app, &intent_event(&format!("evt_declined_{intent_id}"), "payment_intent.payment_failed", &stripe.intent(&intent_id))).await;
    assert_eq!(status, 200);
    assert_eq!(order_of(app, b).await["status"], "PAYMENT_FAILED");
    intent_id
}

fn status_at_stripe(stripe: &StripeStandIn, intent_id: &str) -> String {
    stripe.intent(intent_id)["status"].as_str().unwrap().to_owned()
}

fn cancels_of(stripe: &StripeStandIn, intent_id: &str) -> usize {
    let path = format!("/v1/payment_intents/{intent_id}/cancel");
    stripe.calls().iter().filter(|c| c.path == path).count()
}

async fn void_state(app: &TestApp, intent_id: &str) -> Option<String> {
    payment::Entity::find().filter(payment::Column::IntentId.eq(intent_id)).one(app.database.conn()).await.unwrap().unwrap().void_state
}

#[tokio::test]
async fn a_new_attempt_cancels_the_declined_one_at_stripe_first() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let b = pending_order(&app, 4, 1).await;
    let first = declined(&app, &stripe, &b).await;
    assert_eq!(status_at_stripe(&stripe, &first), "requires_payment_method", "payable at Stripe after the decline");

    let second = pay(&app, &b).await;
    let second_id = second["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    assert_ne!(second_id, first);
    assert_eq!(second["payment"]["attempt"], 2, "{second}");
    assert_eq!(status_at_stripe(&stripe, &first), "canceled", "the declined intent can no longer take money");
    let calls = stripe.calls();
    let cancel = calls.iter().position(|c| c.path == format!("/v1/payment_intents/{first}/cancel")).expect("cancelled");
    let create = calls.iter().rposition(|c| c.path == "/v1/payment_intents").unwrap();
    assert!(cancel < create, "cancelled before the new intent was made");
    assert_eq!(void_state(&app, &first).await.as_deref(), Some("done"));

    // What the buyer and staff see of the first attempt is unchanged: it was declined.
    let order = order_of(&app, &b).await;
    assert_eq!(
        (order["payments"][0]["status"].as_str(), order["payments"][0]["errorCode"].as_str()),
        (Some("FAILED"), Some("generic_decline"))
    );
    // Stripe's cancellation webhook for it changes nothing either.
    let (status, answer) = send(&app, &intent_event("evt_first_canceled", "payment_intent.canceled", &stripe.intent(&first))).await;
    assert_eq!((status, answer["outcome"].as_str()), (200, Some("ignored")), "{answer}");
    let after = order_of(&app, &b).await;
    assert_eq!(after["timeline"], order["timeline"], "nothing to report");
    // Asking to pay again resumes attempt 2: nothing more is cancelled or made.
    assert_eq!(pay(&app, &b).await["payment"]["attempt"], 2);
    assert_eq!(cancels_of(&stripe, &first), 1);
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn cancelling_or_expiring_an_order_cancels_its_declined_intent_at_stripe() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let staff = app.user(Role::Staff).await;

    let cancelled = pending_order(&app, 4, 1).await;
    let intent = declined(&app, &stripe, &cancelled).await;
    let version = order_of(&app, &cancelled).await["version"].clone();
    let q = "mutation($id: ID!, $v: Int!) { orderCancel(orderId: $id, expectedVersion: $v, reason: \"buyer asked\") { order { status } userErrors { code message } } }";
    let answer = app.gql_as(&staff.access_token, q, json!({ "id": cancelled.order["id"], "v": version })).await;
    assert_eq!(answer["data"]["orderCancel"]["order"]["status"], "CANCELLED", "{answer}");
    assert_eq!(status_at_stripe(&stripe, &intent), "canceled");

    let expired = pending_order(&app, 4, 1).await;
    let intent = declined(&app, &stripe, &expired).await;
    deadline_passes(&app, &expired).await;
    assert_eq!(app.services.payments.expire_unpaid(10).await.unwrap(), 1);
    assert_eq!(order_of(&app, &expired).await["status"], "EXPIRED");
    assert_eq!(status_at_stripe(&stripe, &intent), "canceled");
    assert_eq!(void_state(&app, &intent).await.as_deref(), Some("done"));
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn a_cancellation_stripe_could_not_take_is_finished_by_reconciliation() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let b = pending_order(&app, 4, 1).await;
    let intent = declined(&app, &stripe, &b).await;

    // The order expires while Stripe is down: the order still expires (its stock goes
    // back), and the cancellation is left as work.
    deadline_passes(&app, &b).await;
    stripe.state.lock().unwrap().fail_next = 100;
    assert_eq!(app.services.payments.expire_unpaid(10).await.unwrap(), 1);
    stripe.state.lock().unwrap().fail_next = 0;
    assert_eq!(order_of(&app, &b).await["status"], "EXPIRED");
    assert_eq!(status_at_stripe(&stripe, &intent), "requires_payment_method");
    assert_eq!(void_state(&app, &intent).await.as_deref(), Some("requested"));

    let report = app.services.payments.reconcile(100).await.unwrap();
    assert_eq!((report.checked, report.changed, report.unreachable), (1, 1, 0), "{report}");
    assert_eq!(status_at_stripe(&stripe, &intent), "canceled");
    assert_eq!(void_state(&app, &intent).await.as_deref(), Some("done"));
    // Done work is not taken again.
    payment::Entity::update_many()
        .col_expr(payment::Column::CheckedAt, Expr::val(Option::<chrono::DateTime<chrono::Utc>>::None))
        .exec(app.database.conn())
        .await
        .unwrap();
    assert_eq!(app.services.payments.reconcile(100).await.unwrap().checked, 0);
    assert_eq!(cancels_of(&stripe, &intent), 4, "3 tries while Stripe was down, then 1");
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn if_the_declined_intent_was_paid_meanwhile_that_payment_counts_and_no_new_attempt_is_made() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let b = pending_order(&app, 4, 1).await;
    let first = declined(&app, &stripe, &b).await;
    // The buyer paid it with another card; the webhook is still on its way.
    stripe.set_intent(&first, |i| {
        i["status"] = json!("succeeded");
        i["amount_received"] = i["amount"].clone();
        i["last_payment_error"] = Value::Null;
    });
    let again = app
        .gql(
            "mutation($o: ID!, $t: String) { paymentIntentCreate(orderId: $o, token: $t) { payment { attempt } userErrors { code message } } }",
            json!({ "o": b.order["id"], "t": b.token }),
        )
        .await;
    assert_eq!(again["data"]["paymentIntentCreate"]["userErrors"][0]["code"], "ALREADY_PAID", "{again}");
    let order = order_of(&app, &b).await;
    assert_eq!((order["status"].as_str(), order["payments"].as_array().unwrap().len()), (Some("PAID"), 1), "{order}");
    assert_reconciles(&app).await;
}
