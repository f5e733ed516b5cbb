//! `POST /webhooks/stripe`: only correctly signed deliveries are read; each event is
//! applied once however often and however concurrently it arrives; a late failure
//! cannot undo a payment.

use std::sync::Arc;

use futures::future::join_all;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use stockade_domain::entity::gateway_event;
use stockade_domain::payments::webhook::sign;

use super::stand_in::{NEW_SECRET, OLD_SECRET, StripeStandIn};
use super::*;
use crate::commerce::{assert_reconciles, stock};
use crate::helpers::{TestApp, TestDb};

/// A server using Stripe (the stand-in) with a rotated signing secret.
pub async fn stripe_app(stripe: &StripeStandIn, extra: &[(&str, &str)]) -> TestApp {
    let env = stripe.env();
    let mut overrides: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    overrides.extend_from_slice(extra);
    TestApp::spawn_with(TestDb::seeded(), &overrides).await
}

/// Sends a delivery; returns (status, body).
pub async fn deliver(app: &TestApp, body: &str, signature: Option<String>) -> (u16, Value) {
    let mut request = app.client.post(app.url("/webhooks/stripe")).header("content-type", "application/json").body(body.to_owned());
    if let Some(s) = signature {
        request = request.header("stripe-signature", s);
    }
    let response = request.send().await.expect("delivered");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A Stripe event around `object`.
pub fn event(id: &str, kind: &str, object: Value) -> String {
    json!({ "id": id, "object": "event", "api_version": "2025-03-31.basil", "created": now(), "type": kind, "data": { "object": object } })
        .to_string()
}

/// Signs and sends an event with the current secret.
pub async fn send(app: &TestApp, body: &str) -> (u16, Value) {
    deliver(app, body, Some(sign(body.as_bytes(), NEW_SECRET, now()))).await
}

async fn events_stored(app: &TestApp) -> u64 {
    gateway_event::Entity::find().count(app.database.conn()).await.unwrap()
}

#[tokio::test]
async fn only_correctly_signed_fresh_deliveries_are_accepted() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let body = event("evt_sig_1", "customer.created", json!({ "id": "cus_1", "object": "customer" }));
    let t = now();

    let refused = [
        ("tampered body", body.replace("cus_1", "cus_2"), Some(sign(body.as_bytes(), NEW_SECRET, t))),
        ("wrong secret", body.clone(), Some(sign(body.as_bytes(), "whsec_somebody_else", t))),
        // Well past the tolerance: the clock moves on while the test runs (the exact
        // boundary is covered by the unit tests in `payments::webhook`).
        ("expired timestamp", body.clone(), Some(sign(body.as_bytes(), NEW_SECRET, t - 330))),
        ("future timestamp", body.clone(), Some(sign(body.as_bytes(), NEW_SECRET, t + 330))),
        ("missing header", body.clone(), None),
        ("malformed header", body.clone(), Some("v1=deadbeef".into())),
        ("no v1 signature", body.clone(), Some(format!("t={t},v0=deadbeef"))),
    ];
    for (why, body, signature) in refused {
        let (status, answer) = deliver(&app, &body, signature).await;
        assert_eq!(status, 400, "{why}: {answer}");
        assert_eq!(answer["error"], "invalid signature", "{why}");
    }
    assert_eq!(events_stored(&app).await, 0, "refused deliveries change nothing");

    // Signed with the current secret, with the one being rotated out, or carrying
    // both signatures (as Stripe does while a secret rolls): accepted.
    let (status, answer) = deliver(&app, &body, Some(sign(body.as_bytes(), NEW_SECRET, t))).await;
    assert_eq!((status, answer["outcome"].as_str()), (200, Some("unhandled")), "{answer}");
    let rotated = event("evt_sig_2", "customer.created", json!({ "id": "cus_2" }));
    assert_eq!(deliver(&app, &rotated, Some(sign(rotated.as_bytes(), OLD_SECRET, t))).await.0, 200);
    let both = event("evt_sig_3", "customer.created", json!({ "id": "cus_3" }));
    let old = sign(both.as_bytes(), OLD_SECRET, t);
    let new = sign(both.as_bytes(), NEW_SECRET, t);
    let header = format!("{old},{}", new.split_once(',').unwrap().1);
    assert_eq!(deliver(&app, &both, Some(header)).await.0, 200);
    assert_eq!(events_stored(&app).await, 3);

    // Signed but not an event: refused too.
    let junk = "{\"not\": \"an event\"}";
    assert_eq!(deliver(&app, junk, Some(sign(junk.as_bytes(), NEW_SECRET, t))).await.0, 400);
    let oversized = "x".repeat(300 * 1024);
    assert_eq!(deliver(&app, &oversized, Some(sign(oversized.as_bytes(), NEW_SECRET, t))).await.0, 413);
    assert_eq!(events_stored(&app).await, 3);

    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("stockade_payment_webhooks_total{gateway=\"stripe\",outcome=\"bad_signature\"} 7"), "{metrics}");
}

#[tokio::test]
async fn webhooks_are_not_served_without_a_signing_secret() {
    let app = TestApp::spawn().await;
    let body = event("evt_1", "payment_intent.succeeded", json!({ "id": "pi_1" }));
    let (status, _) = deliver(&app, &body, Some(sign(body.as_bytes(), NEW_SECRET, now()))).await;
    assert_eq!(status, 404, "the test gateway needs no webhook");
}

/// A `payment_intent.*` event for `intent` as Stripe would send it.
pub fn intent_event(id: &str, kind: &str, intent: &Value) -> String {
    event(id, kind, intent.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_event_delivered_ten_times_at_once_is_applied_once() {
    let stripe = StripeStandIn::start().await;
    let app = Arc::new(stripe_app(&stripe, &[]).await);
    let b = pending_order(&app, 10, 3).await;
    let started = pay(&app, &b).await;
    assert_eq!(started["gateway"], "STRIPE", "{started}");
    let intent_id = started["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    stripe.set_intent(&intent_id, |i| {
        i["status"] = json!("succeeded");
        i["amount_received"] = i["amount"].clone();
    });
    let body = intent_event("evt_paid_1", "payment_intent.succeeded", &stripe.intent(&intent_id));

    let answers = join_all((0..10).map(|_| {
        let (app, body) = (app.clone(), body.clone());
        tokio::spawn(async move { send(&app, &body).await })
    }))
    .await;
    let mut outcomes: Vec<String> = answers
        .into_iter()
        .map(|a| {
            let (status, body) = a.unwrap();
            assert_eq!(status, 200, "every delivery is acknowledged: {body}");
            body["outcome"].as_str().unwrap().to_owned()
        })
        .collect();
    outcomes.sort();
    assert_eq!(outcomes.iter().filter(|o| *o == "applied").count(), 1, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| *o == "duplicate").count(), 9, "{outcomes:?}");

    let order = order_of(&app, &b).await;
    assert_eq!(order["status"], "PAID");
    let paid: Vec<&Value> = order["timeline"].as_array().unwrap().iter().filter(|e| e["toStatus"] == "PAID").collect();
    assert_eq!(paid.len(), 1, "paid once: {order}");
    assert_eq!(stock(&app, b.variant_id).await, (7, 0), "sold once");
    assert_eq!(events_stored(&app).await, 1, "stored once");

    // A failure for the same intent arriving after its success cannot move the order back.
    let mut failed = stripe.intent(&intent_id);
    failed["status"] = json!("requires_payment_method");
    failed["last_payment_error"] =
        json!({ "type": "card_error", "code": "card_declined", "decline_code": "generic_decline", "message": "Your card was declined." });
    let (status, answer) = send(&app, &intent_event("evt_failed_late", "payment_intent.payment_failed", &failed)).await;
    assert_eq!((status, answer["outcome"].as_str()), (200, Some("ignored")), "{answer}");
    let order = order_of(&app, &b).await;
    assert_eq!(order["status"], "PAID", "{order}");
    let last = order["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["kind"].as_str(), last["actorType"].as_str()), (Some("ignored_event"), Some("GATEWAY")), "{last}");
    assert_eq!(stock(&app, b.variant_id).await, (7, 0));
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn events_for_unknown_intents_and_types_are_acknowledged_and_recorded() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let stranger = json!({ "id": "pi_not_ours", "object": "payment_intent", "amount": 100, "amount_received": 100, "currency": "usd", "metadata": {} });
    let (status, answer) = send(&app, &intent_event("evt_x", "payment_intent.succeeded", &stranger)).await;
    assert_eq!((status, answer["outcome"].as_str()), (200, Some("unmatched")));
    let (status, answer) = send(&app, &event("evt_y", "invoice.paid", json!({ "id": "in_1" }))).await;
    assert_eq!((status, answer["outcome"].as_str()), (200, Some("unhandled")));
    let (status, answer) = send(&app, &event("evt_y", "invoice.paid", json!({ "id": "in_1" }))).await;
    assert_eq!((status, answer["outcome"].as_str()), (200, Some("duplicate")));
    assert_eq!(events_stored(&app).await, 2);
}
