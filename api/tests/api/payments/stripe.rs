//! The Stripe gateway against a local stand-in for Stripe's HTTP API: what we send
//! (amount, currency, metadata, a stable idempotency key), retries, refusals, and the
//! full flow with webhooks.

use serde_json::json;

use super::stand_in::StripeStandIn;
use super::webhook::{intent_event, send, stripe_app};
use super::*;
use crate::commerce::{assert_reconciles, stock};
use crate::helpers::{TestApp, TestDb};

#[tokio::test]
async fn an_intent_carries_the_order_amount_currency_and_a_stable_key() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let b = pending_order(&app, 10, 2).await;
    let total = b.order["totals"]["total"]["amount"].as_i64().unwrap();

    // Stripe stumbles once: the call is repeated with the same key.
    stripe.state.lock().unwrap().fail_next = 1;
    let started = pay(&app, &b).await;
    assert_eq!(started["userErrors"], json!([]), "{started}");
    assert_eq!((started["gateway"].as_str(), started["publishableKey"].as_str()), (Some("STRIPE"), Some("pk_test_standin")));
    let intent_id = started["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    assert_eq!(started["clientSecret"], json!(format!("{intent_id}_secret_standin")), "Stripe's client secret, passed through");

    let creates: Vec<_> = stripe.calls().into_iter().filter(|c| c.path == "/v1/payment_intents").collect();
    assert_eq!(creates.len(), 2, "one failure, one retry");
    let key = creates[0].idempotency_key.clone().expect("an idempotency key");
    assert!(key.len() >= 32, "{key}");
    assert_eq!(creates[1].idempotency_key.as_deref(), Some(key.as_str()), "the retry repeats the key");
    let form = &creates[1].form;
    assert_eq!(form.get("amount").map(String::as_str), Some(total.to_string().as_str()));
    assert_eq!(form.get("currency").map(String::as_str), Some("usd"));
    assert_eq!(form.get("metadata[stockade_order_id]"), Some(&db_id(&b.order["id"]).to_string()));
    assert_eq!(form.get("metadata[stockade_attempt]").map(String::as_str), Some("1"));
    assert_eq!(form.get("automatic_payment_methods[enabled]").map(String::as_str), Some("true"));
    assert_eq!(creates[1].authorization.as_deref(), Some("Bearer sk_test_standin"));
    assert_eq!(stripe.state.lock().unwrap().intents.len(), 1, "one intent");

    // Asking again resumes the attempt: no new intent, the existing one is read back.
    let again = pay(&app, &b).await;
    assert_eq!(again["clientSecret"], started["clientSecret"]);
    let last = stripe.calls().pop().unwrap();
    assert_eq!((last.method, last.path), ("GET", format!("/v1/payment_intents/{intent_id}")));
    assert_eq!(stripe.calls().iter().filter(|c| c.path == "/v1/payment_intents").count(), 2);

    // The attempt fails: the next one gets a new key (and attempt 2 in its metadata).
    stripe.set_intent(&intent_id, |i| {
        i["last_payment_error"] = json!({ "type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds", "message": "Your card has insufficient funds." });
    });
    let (status, answer) = send(&app, &intent_event("evt_fail_1", "payment_intent.payment_failed", &stripe.intent(&intent_id))).await;
    assert_eq!((status, answer["outcome"].as_str()), (200, Some("applied")));
    let failed = order_of(&app, &b).await;
    assert_eq!(
        (failed["status"].as_str(), failed["payments"][0]["errorCode"].as_str()),
        (Some("PAYMENT_FAILED"), Some("insufficient_funds"))
    );
    let retry = pay(&app, &b).await;
    assert_eq!(retry["payment"]["attempt"], 2, "{retry}");
    let second = stripe.calls().into_iter().rfind(|c| c.path == "/v1/payment_intents").unwrap();
    assert_ne!(second.idempotency_key.as_deref(), Some(key.as_str()));
    assert_eq!(second.form.get("metadata[stockade_attempt]").map(String::as_str), Some("2"));

    // Paid by webhook; the stock is sold.
    let second_id = retry["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    stripe.set_intent(&second_id, |i| {
        i["status"] = json!("succeeded");
        i["amount_received"] = i["amount"].clone();
    });
    let (status, answer) = send(&app, &intent_event("evt_paid_2", "payment_intent.succeeded", &stripe.intent(&second_id))).await;
    assert_eq!((status, answer["outcome"].as_str()), (200, Some("applied")));
    assert_eq!(order_of(&app, &b).await["status"], "PAID");
    assert_eq!(stock(&app, b.variant_id).await, (8, 0));
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn a_refusing_or_unreachable_stripe_is_a_typed_error_that_changes_nothing() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let b = pending_order(&app, 10, 1).await;

    stripe.state.lock().unwrap().reject_creates = Some(("amount_too_small".into(), "Amount must be at least $0.50 usd".into()));
    let refused = pay(&app, &b).await;
    assert_eq!(refused["userErrors"][0]["code"], "GATEWAY_REJECTED", "{refused}");
    // The gateway's own text (which can name keys) stays in the logs; the buyer gets its code.
    let message = refused["userErrors"][0]["message"].as_str().unwrap();
    assert!(message.contains("amount_too_small") && !message.contains("at least $0.50"), "{message}");
    assert_eq!(refused["clientSecret"], serde_json::Value::Null);

    // Stripe down for longer than the retries.
    let down = TestApp::spawn_with(
        TestDb::seeded(),
        &[
            ("STRIPE_SECRET_KEY", "sk_test_down"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_x"),
            ("STRIPE_API_BASE", "http://127.0.0.1:9/"),
            ("PAYMENT_GATEWAY_TIMEOUT_SECS", "2"),
        ],
    )
    .await;
    let c = pending_order(&down, 10, 1).await;
    let unavailable = pay(&down, &c).await;
    assert_eq!(unavailable["userErrors"][0]["code"], "GATEWAY_UNAVAILABLE", "{unavailable}");
    let order = order_of(&down, &c).await;
    assert_eq!((order["status"].as_str(), order["payments"].as_array().map(Vec::len)), (Some("PENDING_PAYMENT"), Some(0)));
    assert_eq!(stock(&down, c.variant_id).await, (10, 1), "still held");
    assert_eq!(order_of(&app, &b).await["payments"], json!([]));
}

#[tokio::test]
async fn staff_cancelling_an_order_cancels_its_intent_first_and_money_that_arrived_wins() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let staff = app.user(stockade_domain::accounts::Role::Staff).await;
    const CANCEL: &str = "mutation($o: ID!, $v: Int!) { orderCancel(orderId: $o, expectedVersion: $v, reason: \"buyer asked\") {
        order { status version } userErrors { code message } } }";

    let b = pending_order(&app, 10, 2).await;
    let intent_id = pay(&app, &b).await["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    let cancelled = app.gql_as(&staff.access_token, CANCEL, json!({ "o": b.order["id"], "v": 1 })).await;
    assert_eq!(cancelled["data"]["orderCancel"]["order"]["status"], "CANCELLED", "{cancelled}");
    assert_eq!(stripe.intent(&intent_id)["status"], "canceled", "the intent was cancelled at Stripe");
    assert!(stripe.calls().iter().any(|c| c.path == format!("/v1/payment_intents/{intent_id}/cancel")));
    assert_eq!(stock(&app, b.variant_id).await, (10, 0));

    // The buyer paid a moment before staff cancelled: the payment wins.
    let c = pending_order(&app, 10, 2).await;
    let intent_id = pay(&app, &c).await["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    stripe.set_intent(&intent_id, |i| {
        i["status"] = json!("succeeded");
        i["amount_received"] = i["amount"].clone();
    });
    let refused = app.gql_as(&staff.access_token, CANCEL, json!({ "o": c.order["id"], "v": 1 })).await;
    let payload = &refused["data"]["orderCancel"];
    assert_eq!(payload["userErrors"][0]["code"], "ILLEGAL_TRANSITION", "{refused}");
    assert_eq!(payload["order"]["status"], "PAID");
    assert_eq!(stock(&app, c.variant_id).await, (8, 0), "sold, not released");
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn money_taken_twice_is_an_issue_until_the_extra_payment_is_refunded() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let staff = app.user(stockade_domain::accounts::Role::Staff).await;
    let succeed = |id: &str| {
        stripe.set_intent(id, |i| {
            i["status"] = json!("succeeded");
            i["amount_received"] = i["amount"].clone();
            i["last_payment_error"] = json!(null);
        })
    };
    const ISSUES: &str = "{ paymentIssues(filter: PAID_TWICE, first: 5) { nodes { kind order { id version status } } }
        paymentIssueCounts { kind count } }";

    // Attempt 1 is declined, attempt 2 pays; then the buyer's other tab completes
    // attempt 1 with another card.
    let b = pending_order(&app, 10, 2).await;
    let first = pay(&app, &b).await["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    stripe.set_intent(&first, |i| {
        i["last_payment_error"] = json!({ "type": "card_error", "code": "card_declined", "message": "Your card was declined." });
    });
    send(&app, &intent_event("evt_twice_fail", "payment_intent.payment_failed", &stripe.intent(&first))).await;
    let second = pay(&app, &b).await["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    succeed(&second);
    send(&app, &intent_event("evt_twice_paid_2", "payment_intent.succeeded", &stripe.intent(&second))).await;
    assert_eq!(app.gql_as(&staff.access_token, ISSUES, json!({})).await["data"]["paymentIssues"]["nodes"], json!([]), "paid once");
    succeed(&first);
    let (status, answer) = send(&app, &intent_event("evt_twice_paid_1", "payment_intent.succeeded", &stripe.intent(&first))).await;
    assert_eq!((status, answer["outcome"].as_str()), (200, Some("applied")), "{answer}");

    let order = order_of(&app, &b).await;
    assert_eq!(order["status"], "PAID", "{order}");
    assert!(order["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "duplicate_payment"), "{order}");
    assert_eq!(stock(&app, b.variant_id).await, (8, 0), "sold once");
    let issues = app.gql_as(&staff.access_token, ISSUES, json!({})).await;
    let nodes = &issues["data"]["paymentIssues"]["nodes"];
    assert_eq!((nodes[0]["kind"].as_str(), &nodes[0]["order"]["id"]), (Some("PAID_TWICE"), &b.order["id"]), "{issues}");
    assert!(issues["data"]["paymentIssueCounts"].as_array().unwrap().contains(&json!({ "kind": "PAID_TWICE", "count": 1 })));

    // Refunding without an amount takes back the latest attempt in full: the order
    // stays paid (it was not refunded, the extra money was) and the issue closes.
    let total = order["totals"]["total"]["amount"].as_i64().unwrap();
    let refund = app
        .gql_as(
            &staff.access_token,
            "mutation($o: ID!, $v: Int!) { orderRefund(orderId: $o, expectedVersion: $v, restock: false, reason: \"paid twice\") {
                refund { amount { amount } status } userErrors { code message } } }",
            json!({ "o": b.order["id"], "v": order["version"] }),
        )
        .await;
    assert_eq!(refund["data"]["orderRefund"]["refund"]["amount"]["amount"], total, "{refund}");
    let call = stripe.calls().into_iter().rfind(|c| c.path == "/v1/refunds").unwrap();
    assert_eq!(call.form.get("payment_intent"), Some(&second), "the latest attempt is the one refunded");
    let charge = json!({ "id": "ch_twice", "object": "charge", "payment_intent": second, "amount": total, "amount_refunded": total, "refunded": true });
    assert_eq!(send(&app, &super::webhook::event("evt_twice_refunded", "charge.refunded", charge)).await.0, 200);

    let order = order_of(&app, &b).await;
    assert_eq!((order["status"].as_str(), order["refunded"]["amount"].as_i64()), (Some("PAID"), Some(total)), "{order}");
    assert_eq!(app.gql_as(&staff.access_token, ISSUES, json!({})).await["data"]["paymentIssues"]["nodes"], json!([]));
    assert_eq!(stock(&app, b.variant_id).await, (8, 0), "nothing restocked");
    assert_reconciles(&app).await;
}
