//! The failed-payment review staff work from: listing issues, retrying with a payment
//! link, refunding (with or without restock), resolving with a note. Every action names
//! the order's version and lands in its timeline with the staff member.

use serde_json::{Value, json};
use stockade_domain::accounts::Role;

use super::stand_in::StripeStandIn;
use super::webhook::{event, send, stripe_app};
use super::*;
use crate::commerce::{assert_reconciles, stock};
use crate::helpers::TestApp;

const RETRY: &str = "mutation($o: ID!, $v: Int!) { paymentRetry(orderId: $o, expectedVersion: $v) {
    order { status version } payment { attempt status } paymentLink userErrors { code field message currentVersion } } }";
const REFUND: &str = "mutation($o: ID!, $v: Int!, $a: Int, $r: Boolean!) { orderRefund(orderId: $o, expectedVersion: $v, amount: $a, restock: $r, reason: \"damaged in transit\") {
    order { status version refunded { amount } timeline { kind actorType cause } } refund { amount { amount } status restock requestedBy }
    userErrors { code field message currentVersion } } }";
const RESOLVE: &str = "mutation($o: ID!, $v: Int!, $n: String!) { paymentIssueResolve(orderId: $o, expectedVersion: $v, note: $n) {
    order { status version timeline { kind actorType cause } } userErrors { code field message } } }";
const FAILED: &str = "{ paymentIssues(filter: FAILED, first: 10) { nodes { kind email amount { amount } attempts errorCode errorMessage
    order { id version status } payments { attempt status } } } }";

async fn paid_order(app: &TestApp, stock: i64, quantity: i64) -> Bought {
    let b = pending_order(app, stock, quantity).await;
    let secret = pay(app, &b).await["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(confirm(app, &secret, SUCCEEDS).await["order"]["status"], "PAID");
    b
}

#[tokio::test]
async fn staff_see_failed_payments_and_send_the_buyer_a_new_attempt() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let b = pending_order(&app, 5, 2).await;
    let secret = pay(&app, &b).await["clientSecret"].as_str().unwrap().to_owned();
    confirm(&app, &secret, DECLINED).await;

    let issues = app.gql_as(&staff.access_token, FAILED, json!({})).await;
    let node = issues["data"]["paymentIssues"]["nodes"][0].clone();
    assert_eq!(
        node,
        json!({
            "kind": "FAILED", "email": "buyer@example.com", "amount": b.order["totals"]["total"], "attempts": 1,
            "errorCode": "generic_decline", "errorMessage": "Your card was declined.",
            "order": { "id": b.order["id"], "version": 2, "status": "PAYMENT_FAILED" },
            "payments": [{ "attempt": 1, "status": "FAILED" }]
        }),
        "{issues}"
    );

    let stale = app.gql_as(&staff.access_token, RETRY, json!({ "o": b.order["id"], "v": 1 })).await["data"]["paymentRetry"].clone();
    assert_eq!(
        (stale["userErrors"][0]["code"].as_str(), stale["userErrors"][0]["currentVersion"].as_i64()),
        (Some("VERSION_CONFLICT"), Some(2))
    );
    assert_eq!(stale["order"]["status"], "PAYMENT_FAILED", "the payload shows the order as it is");

    let retried = app.gql_as(&staff.access_token, RETRY, json!({ "o": b.order["id"], "v": 2 })).await["data"]["paymentRetry"].clone();
    assert_eq!(retried["userErrors"], json!([]), "{retried}");
    assert_eq!((retried["order"]["status"].as_str(), retried["payment"]["attempt"].as_i64()), (Some("PENDING_PAYMENT"), Some(2)));
    let link = url::Url::parse(retried["paymentLink"].as_str().unwrap()).unwrap();
    assert_eq!(link.path(), format!("/orders/{}", b.order["id"].as_str().unwrap()));
    let token = link.query_pairs().find(|(k, _)| k == "token").map(|(_, v)| v.into_owned()).unwrap();
    assert_eq!(token, b.token, "the link opens the order as its guest");
    assert_eq!(stock(&app, b.variant_id).await, (5, 2), "held again");
    let issues = app.gql_as(&staff.access_token, FAILED, json!({})).await;
    assert_eq!(issues["data"]["paymentIssues"]["nodes"], json!([]), "no longer failed");

    // The buyer opens the link and pays the new attempt.
    let resumed = pay(&app, &b).await;
    assert_eq!(resumed["payment"]["attempt"], 2);
    let paid = confirm(&app, resumed["clientSecret"].as_str().unwrap(), SUCCEEDS).await;
    assert_eq!(paid["order"]["status"], "PAID");
    let v = paid["order"]["version"].clone();
    let refused = app.gql_as(&staff.access_token, RETRY, json!({ "o": b.order["id"], "v": v })).await["data"]["paymentRetry"].clone();
    assert_eq!(refused["userErrors"][0]["code"], "ILLEGAL_TRANSITION");
    let timeline = order_of(&app, &b).await["timeline"].clone();
    assert!(
        timeline.as_array().unwrap().iter().any(|e| e["actorType"] == "STAFF" && e["cause"] == "payment retried by staff"),
        "{timeline}"
    );
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn refunds_are_partial_or_whole_and_restock_only_a_whole_order() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let b = paid_order(&app, 5, 2).await;
    let total = b.order["totals"]["total"]["amount"].as_i64().unwrap();
    assert_eq!(stock(&app, b.variant_id).await, (3, 0));
    let refund = |v: Value, amount: Value, restock: bool| {
        let (app, token, id) = (&app, staff.access_token.clone(), b.order["id"].clone());
        async move { app.gql_as(&token, REFUND, json!({ "o": id, "v": v, "a": amount, "r": restock })).await["data"]["orderRefund"].clone() }
    };
    let version = order_of(&app, &b).await["version"].clone();

    for (amount, restock, field) in
        [(json!(0), false, "amount"), (json!(-5), false, "amount"), (json!(total + 1), false, "amount"), (json!(500), true, "restock")]
    {
        let r = refund(version.clone(), amount.clone(), restock).await;
        assert_eq!(
            (r["userErrors"][0]["code"].as_str(), r["userErrors"][0]["field"].clone()),
            (Some("INVALID"), json!([field])),
            "{amount}: {r}"
        );
    }
    let stale = refund(json!(1), json!(500), false).await;
    assert_eq!(stale["userErrors"][0]["code"], "VERSION_CONFLICT");

    let part = refund(version.clone(), json!(500), false).await;
    assert_eq!(part["userErrors"], json!([]), "{part}");
    assert_eq!(part["refund"], json!({ "amount": { "amount": 500 }, "status": "SUCCEEDED", "restock": false, "requestedBy": staff.id }));
    assert_eq!((part["order"]["status"].as_str(), part["order"]["refunded"]["amount"].as_i64()), (Some("PAID"), Some(500)));
    let kinds: Vec<&str> = part["order"]["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.ends_with(&["refund_requested", "refund"]), "{kinds:?}");
    assert_eq!(stock(&app, b.variant_id).await, (3, 0), "no restock asked");

    // The rest, with restock: the order is refunded and its units are back.
    let version = part["order"]["version"].clone();
    let rest = refund(version, Value::Null, true).await;
    assert_eq!(rest["userErrors"], json!([]), "{rest}");
    assert_eq!(rest["refund"]["amount"]["amount"], total - 500);
    assert_eq!((rest["order"]["status"].as_str(), rest["order"]["refunded"]["amount"].as_i64()), (Some("REFUNDED"), Some(total)));
    assert_eq!(stock(&app, b.variant_id).await, (5, 0), "restocked");
    let last = rest["order"]["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["kind"].as_str(), last["actorType"].as_str()), (Some("restocked"), Some("STAFF")));

    let v = rest["order"]["version"].clone();
    assert_eq!(refund(v, json!(1), false).await["userErrors"][0]["code"], "ILLEGAL_TRANSITION", "nothing left to refund");
    let unpaid = pending_order(&app, 5, 1).await;
    let r = app.gql_as(&staff.access_token, REFUND, json!({ "o": unpaid.order["id"], "v": 1, "a": null, "r": false })).await;
    assert_eq!(r["data"]["orderRefund"]["userErrors"][0]["code"], "ILLEGAL_TRANSITION");
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn a_stripe_refund_is_pending_until_its_webhook_then_restocks() {
    let stripe = StripeStandIn::start().await;
    let app = stripe_app(&stripe, &[]).await;
    let staff = app.user(Role::Staff).await;
    let b = pending_order(&app, 4, 2).await;
    let intent_id = pay(&app, &b).await["payment"]["gatewayReference"].as_str().unwrap().to_owned();
    stripe.set_intent(&intent_id, |i| {
        i["status"] = json!("succeeded");
        i["amount_received"] = i["amount"].clone();
    });
    send(&app, &super::webhook::intent_event("evt_paid", "payment_intent.succeeded", &stripe.intent(&intent_id))).await;
    let order = order_of(&app, &b).await;
    assert_eq!(order["status"], "PAID");
    let total = order["totals"]["total"]["amount"].as_i64().unwrap();

    let r = app.gql_as(&staff.access_token, REFUND, json!({ "o": b.order["id"], "v": order["version"], "a": null, "r": true })).await;
    let r = &r["data"]["orderRefund"];
    assert_eq!((r["refund"]["status"].as_str(), r["order"]["status"].as_str()), (Some("PENDING"), Some("PAID")), "{r}");
    let call = stripe.calls().into_iter().rfind(|c| c.path == "/v1/refunds").unwrap();
    assert_eq!(call.form.get("payment_intent"), Some(&intent_id));
    assert_eq!(call.form.get("amount"), Some(&total.to_string()));
    assert!(call.idempotency_key.is_some());
    assert_eq!(stock(&app, b.variant_id).await, (2, 0), "not restocked before Stripe confirms");

    let charge = json!({ "id": "ch_1", "object": "charge", "payment_intent": intent_id, "amount": total, "amount_refunded": total, "refunded": true,
        "refunds": { "data": [{ "id": "re_standin_1" }] } });
    let (status, answer) = send(&app, &event("evt_refunded", "charge.refunded", charge)).await;
    assert_eq!((status, answer["outcome"].as_str()), (200, Some("applied")), "{answer}");
    let order = order_of(&app, &b).await;
    assert_eq!((order["status"].as_str(), order["refunds"][0]["status"].as_str()), (Some("REFUNDED"), Some("SUCCEEDED")), "{order}");
    assert_eq!(stock(&app, b.variant_id).await, (4, 0), "restocked once Stripe confirmed");
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn resolving_an_issue_hides_it_until_the_order_changes_again() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let b = pending_order(&app, 5, 1).await;
    let secret = pay(&app, &b).await["clientSecret"].as_str().unwrap().to_owned();
    confirm(&app, &secret, DECLINED).await;

    let empty = app.gql_as(&staff.access_token, RESOLVE, json!({ "o": b.order["id"], "v": 2, "n": "  " })).await;
    assert_eq!(empty["data"]["paymentIssueResolve"]["userErrors"][0]["field"], json!(["note"]));
    let done =
        app.gql_as(&staff.access_token, RESOLVE, json!({ "o": b.order["id"], "v": 2, "n": "called the buyer; they will reorder" })).await;
    let order = &done["data"]["paymentIssueResolve"]["order"];
    assert_eq!((order["status"].as_str(), order["version"].as_i64()), (Some("PAYMENT_FAILED"), Some(3)), "{done}");
    let last = order["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last, json!({ "kind": "issue_resolved", "actorType": "STAFF", "cause": "called the buyer; they will reorder" }));
    let issues = app.gql_as(&staff.access_token, FAILED, json!({})).await;
    assert_eq!(issues["data"]["paymentIssues"]["nodes"], json!([]));

    // The buyer tries again and fails again: the issue is back.
    let retry = pay(&app, &b).await;
    confirm(&app, retry["clientSecret"].as_str().unwrap(), DECLINED).await;
    let issues = app.gql_as(&staff.access_token, FAILED, json!({})).await;
    assert_eq!(issues["data"]["paymentIssues"]["nodes"][0]["attempts"], 2, "{issues}");
}

#[tokio::test]
async fn sales_count_paid_orders_and_leave_out_refunded_and_unpaid_ones() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let kept = paid_order(&app, 5, 2).await;
    let refunded = paid_order(&app, 5, 1).await;
    pending_order(&app, 5, 3).await;
    let v = order_of(&app, &refunded).await["version"].clone();
    let r = app.gql_as(&staff.access_token, REFUND, json!({ "o": refunded.order["id"], "v": v, "a": null, "r": false })).await;
    assert_eq!(r["data"]["orderRefund"]["order"]["status"], "REFUNDED");
    // Ship the kept one: still a sale.
    let v = order_of(&app, &kept).await["version"].clone();
    let fulfilled = app
        .gql_as(
            &staff.access_token,
            "mutation($o: ID!, $v: Int!) { orderFulfill(orderId: $o, expectedVersion: $v) { order { status } } }",
            json!({ "o": kept.order["id"], "v": v }),
        )
        .await;
    assert_eq!(fulfilled["data"]["orderFulfill"]["order"]["status"], "FULFILLED", "{fulfilled}");

    let now = chrono::Utc::now();
    let q = "query($f: DateTime!, $t: DateTime!) { salesSummary(from: $f, to: $t) { revenue { amount } orders units averageOrderValue { amount }
        topVariants { units } byDay { day orders units } } }";
    let s = app
        .gql_as(&staff.access_token, q, json!({ "f": now - chrono::Duration::hours(1), "t": now + chrono::Duration::hours(1) }))
        .await["data"]["salesSummary"]
        .clone();
    let total = kept.order["totals"]["total"]["amount"].clone();
    assert_eq!(s["revenue"]["amount"], total, "{s}");
    assert_eq!((s["orders"].as_i64(), s["units"].as_i64()), (Some(1), Some(2)));
    assert_eq!(s["averageOrderValue"]["amount"], total);
    assert_eq!(s["topVariants"], json!([{ "units": 2 }]));
    assert_eq!(s["byDay"].as_array().map(Vec::len), Some(1));
    let day = s["byDay"][0]["day"].as_str().unwrap_or_default();
    assert!(chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok(), "a Date is YYYY-MM-DD: {day}");
}

#[tokio::test]
async fn a_failed_order_nobody_retries_expires_after_the_retry_window() {
    let app = TestApp::spawn().await;
    let b = pending_order(&app, 5, 1).await;
    let secret = pay(&app, &b).await["clientSecret"].as_str().unwrap().to_owned();
    confirm(&app, &secret, DECLINED).await;
    assert_eq!(app.services.payments.expire_unpaid(100).await.unwrap(), 0, "a failed order waits a day for its retry");

    super::late::deadline_passes(&app, &b).await;
    assert_eq!(app.services.payments.expire_unpaid(100).await.unwrap(), 1);
    let order = order_of(&app, &b).await;
    assert_eq!(order["status"], "EXPIRED", "{order}");
    assert_eq!(stock(&app, b.variant_id).await, (5, 0));
    assert_eq!(pay(&app, &b).await["userErrors"][0]["code"], "INVALID", "expired orders cannot be paid");
    assert_reconciles(&app).await;
}
