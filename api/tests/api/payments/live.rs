//! `paymentIssueChanged` over a real WebSocket: staff see a declined payment appear in
//! the review queue live, see it move and leave (resolved, paid, cancelled), each
//! change once; guests and customers are refused; a subscriber that fell behind is
//! resynced; and (with `TEST_REDIS_URL`) a change made through one instance reaches a
//! subscriber on another.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use stockade_domain::accounts::Role;
use stockade_domain::entity::{order, outbox};
use stockade_domain::events::{BusEvent, BusHealth};

use super::*;
use crate::events::eventually;
use crate::helpers::{TestApp, TestDb, TestUser, code};
use crate::ws::Ws;

const PUBLISHER_ON: (&str, &str) = ("EVENTS_PUBLISHER", "on");
const ISSUES: &str = "subscription { paymentIssueChanged { kind orderId issueKind previousIssueKind at
    counts { kind count } issue { id kind errorCode order { id status } } order { id status version } } }";
const FIRST: Duration = Duration::from_secs(5);
const WITHIN: Duration = Duration::from_secs(3);
const QUIET: Duration = Duration::from_millis(300);

/// `(kind, issueKind, previousIssueKind)` of a message.
fn summary(update: &Value) -> (&str, &str, &str) {
    (
        update["kind"].as_str().unwrap_or("?"),
        update["issueKind"].as_str().unwrap_or("null"),
        update["previousIssueKind"].as_str().unwrap_or("null"),
    )
}

/// The non-zero counts of a message, by kind.
fn counts(update: &Value) -> Vec<(String, i64)> {
    let all = update["counts"].as_array().expect("counts");
    assert_eq!(all.len(), 5, "every kind is listed: {update}");
    all.iter()
        .filter(|c| c["count"].as_i64() != Some(0))
        .map(|c| (c["kind"].as_str().unwrap().to_owned(), c["count"].as_i64().unwrap()))
        .collect()
}

fn n(kind: &str, count: i64) -> (String, i64) {
    (kind.to_owned(), count)
}

async fn declined(app: &TestApp) -> Bought {
    let b = pending_order(app, 5, 1).await;
    let secret = pay(app, &b).await["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(confirm(app, &secret, DECLINED).await["order"]["status"], "PAYMENT_FAILED");
    b
}

async fn subscribed(app: &TestApp, staff: &TestUser) -> (Ws, Value) {
    let mut desk = Ws::connect(app.addr, Some(&staff.access_token)).await;
    desk.subscribe("q", ISSUES, json!({})).await;
    let snapshot = desk.next_data("q", "paymentIssueChanged", FIRST).await;
    (desk, snapshot)
}

async fn issue_events(app: &TestApp) -> Vec<BusEvent> {
    outbox::Entity::find()
        .filter(outbox::Column::AggregateType.eq("payment_issue"))
        .order_by_asc(outbox::Column::Id)
        .all(app.database.conn())
        .await
        .expect("outbox rows")
        .into_iter()
        .map(BusEvent::from)
        .collect()
}

#[tokio::test]
async fn staff_see_issues_arrive_change_and_leave_live() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[PUBLISHER_ON]).await;
    let staff = app.user(Role::Staff).await;
    let (mut desk, snapshot) = subscribed(&app, &staff).await;
    assert_eq!(summary(&snapshot), ("SNAPSHOT", "null", "null"), "{snapshot}");
    assert_eq!((counts(&snapshot), &snapshot["orderId"], &snapshot["order"]), (vec![], &Value::Null, &Value::Null));

    // A declined test-gateway payment appears.
    let first = declined(&app).await;
    let change = desk.next_data("q", "paymentIssueChanged", WITHIN).await;
    assert_eq!(summary(&change), ("CHANGE", "FAILED", "null"), "{change}");
    assert_eq!(change["orderId"], first.order["id"]);
    assert_eq!(counts(&change), [n("FAILED", 1)]);
    let issue_id = change["issue"]["id"].clone();
    assert_eq!(
        change["issue"],
        json!({ "id": issue_id, "kind": "FAILED", "errorCode": "generic_decline", "order": { "id": first.order["id"], "status": "PAYMENT_FAILED" } })
    );
    // The same id as the list and the order give it, so a client cache holds one object.
    let q = "query($o: ID!) { paymentIssues(filter: FAILED, first: 5) { nodes { id } } order(id: $o) { paymentIssue { id kind } } }";
    let body = app.gql_as(&staff.access_token, q, json!({ "o": first.order["id"] })).await;
    assert_eq!(body["data"]["paymentIssues"]["nodes"], json!([{ "id": issue_id }]), "{body}");
    assert_eq!(body["data"]["order"]["paymentIssue"], json!({ "id": issue_id, "kind": "FAILED" }));
    assert!(desk.next(QUIET).await.is_none(), "one message per change");

    // A second one, then staff resolve it with a note: it leaves.
    let second = declined(&app).await;
    let change = desk.next_data("q", "paymentIssueChanged", WITHIN).await;
    assert_eq!((summary(&change), counts(&change)), (("CHANGE", "FAILED", "null"), vec![n("FAILED", 2)]));
    let resolve = "mutation($o: ID!, $v: Int!) { paymentIssueResolve(orderId: $o, expectedVersion: $v, note: \"called the buyer\") {
        order { paymentIssue { id } } userErrors { code } } }";
    let v = change["order"]["version"].clone();
    let body = app.gql_as(&staff.access_token, resolve, json!({ "o": second.order["id"], "v": v })).await;
    assert_eq!(body["data"]["paymentIssueResolve"]["userErrors"], json!([]), "{body}");
    assert_eq!(body["data"]["paymentIssueResolve"]["order"]["paymentIssue"], Value::Null, "the answer says it left the queue");
    let change = desk.next_data("q", "paymentIssueChanged", WITHIN).await;
    assert_eq!(summary(&change), ("CHANGE", "null", "FAILED"), "{change}");
    assert_eq!(
        (&change["orderId"], &change["issue"], &change["order"]["status"]),
        (&second.order["id"], &Value::Null, &json!("PAYMENT_FAILED"))
    );
    assert_eq!(counts(&change), [n("FAILED", 1)]);

    // Staff cancel the first: it leaves, and the order says why.
    let cancel =
        "mutation($o: ID!, $v: Int!) { orderCancel(orderId: $o, expectedVersion: $v, reason: \"no answer\") { userErrors { code } } }";
    let body = app.gql_as(&staff.access_token, cancel, json!({ "o": first.order["id"], "v": 2 })).await;
    assert_eq!(body["data"]["orderCancel"]["userErrors"], json!([]), "{body}");
    let change = desk.next_data("q", "paymentIssueChanged", WITHIN).await;
    assert_eq!((summary(&change), &change["order"]["status"]), (("CHANGE", "null", "FAILED"), &json!("CANCELLED")), "{change}");
    assert_eq!(counts(&change), vec![]);

    // 3-D Secure: waiting for the buyer, then paid.
    let b = pending_order(&app, 5, 1).await;
    let secret = pay(&app, &b).await["clientSecret"].as_str().unwrap().to_owned();
    confirm(&app, &secret, THREE_D_SECURE).await;
    let change = desk.next_data("q", "paymentIssueChanged", WITHIN).await;
    assert_eq!((summary(&change), counts(&change)), (("CHANGE", "REQUIRES_ACTION", "null"), vec![n("REQUIRES_ACTION", 1)]));
    let auth = "mutation($s: String!) { testPaymentAuthenticate(clientSecret: $s, approve: true) { order { status } } }";
    assert_eq!(app.gql_ok(auth, json!({ "s": secret })).await["testPaymentAuthenticate"]["order"]["status"], "PAID");
    let change = desk.next_data("q", "paymentIssueChanged", WITHIN).await;
    assert_eq!((summary(&change), &change["order"]["status"]), (("CHANGE", "null", "REQUIRES_ACTION"), &json!("PAID")));

    // Waiting too long makes an order stuck: the sweep (or any read of the queue) finds it.
    let waiting = pending_order(&app, 5, 1).await;
    let hour_ago = Utc::now() - chrono::Duration::hours(1);
    order::Entity::update_many()
        .col_expr(order::Column::CreatedAt, Expr::val(hour_ago))
        .filter(order::Column::Id.eq(db_id(&waiting.order["id"])))
        .exec(app.database.conn())
        .await
        .unwrap();
    assert!(desk.next(QUIET).await.is_none(), "time alone writes nothing");
    assert_eq!(app.services.payments.refresh_issues().await.unwrap(), 1);
    let change = desk.next_data("q", "paymentIssueChanged", WITHIN).await;
    assert_eq!((summary(&change), &change["orderId"]), (("CHANGE", "STUCK_PENDING", "null"), &waiting.order["id"]));
    assert_eq!(app.services.payments.refresh_issues().await.unwrap(), 0, "once");

    // Every event delivered again (at-least-once), newest first: nothing is news.
    let mut again = issue_events(&app).await;
    assert_eq!(again.len(), 7, "one event per change of the queue");
    again.reverse();
    app.bus.publish(again).await;
    assert!(desk.next(QUIET).await.is_none(), "repeats and stale events are dropped");

    // The counts agree with the queries.
    let q = "{ paymentIssueCounts { kind count } failed: paymentIssues(filter: FAILED, first: 5) { nodes { order { id } } } }";
    let body = app.gql_as(&staff.access_token, q, json!({})).await;
    assert_eq!(counts(&json!({ "counts": body["data"]["paymentIssueCounts"] })), [n("STUCK_PENDING", 1)], "{body}");
    assert_eq!(body["data"]["failed"]["nodes"], json!([]));
}

#[tokio::test]
async fn guests_and_customers_are_refused_on_an_open_socket() {
    let app = TestApp::spawn().await;
    let customer = app.user(Role::Customer).await;
    for (token, expected) in [(None, "UNAUTHENTICATED"), (Some(customer.access_token.as_str()), "FORBIDDEN")] {
        let mut ws = Ws::connect(app.addr, token).await;
        ws.subscribe("q", ISSUES, json!({})).await;
        assert_eq!(code(&ws.next_error("q").await), expected);
        // The socket still serves what its holder may see.
        ws.subscribe(
            "ok",
            "subscription($v: [ID!]!) { stockChanged(variantIds: $v) { kind } }",
            json!({ "v": [first_variant(&app).await] }),
        )
        .await;
        assert_eq!(ws.next_data("ok", "stockChanged", FIRST).await["kind"], "SNAPSHOT");
    }
}

async fn first_variant(app: &TestApp) -> Value {
    let body = app.gql_ok("{ products(first: 1) { nodes { variants { id } } } }", json!({})).await;
    body["products"]["nodes"][0]["variants"][0]["id"].clone()
}

#[tokio::test]
async fn a_subscriber_that_fell_behind_is_resynced_with_the_counts_it_missed() {
    // No publisher: the decline's event stays in the outbox until the test sends it.
    let app = TestApp::spawn_with(TestDb::seeded(), &[("EVENTS_SUBSCRIBER_BUFFER", "8"), ("OUTBOX_BATCH_SIZE", "8")]).await;
    let staff = app.user(Role::Staff).await;
    let (mut desk, snapshot) = subscribed(&app, &staff).await;
    assert_eq!(counts(&snapshot), vec![]);
    declined(&app).await;
    assert!(desk.next(QUIET).await.is_none(), "nothing published yet");
    let flood: Vec<BusEvent> = (1..=50)
        .map(|n| BusEvent {
            id: 1_000_000 + n,
            aggregate_type: "test_aggregate".into(),
            aggregate_id: "flood".into(),
            sequence: n,
            event_type: "test.flood".into(),
            payload: json!({}),
            created_at: Utc::now(),
        })
        .collect();
    app.bus.publish(flood).await;
    let resync = desk.next_data("q", "paymentIssueChanged", WITHIN).await;
    assert_eq!((summary(&resync), counts(&resync)), (("RESYNC", "null", "null"), vec![n("FAILED", 1)]), "{resync}");
    // The missed event itself, delivered late, is not news any more.
    app.bus.publish(issue_events(&app).await).await;
    assert!(desk.next(QUIET).await.is_none(), "the resync already covered it");
}

#[tokio::test]
async fn a_decline_through_one_instance_reaches_staff_on_another() {
    let Some(redis_url) = std::env::var("TEST_REDIS_URL").ok().filter(|s| !s.is_empty()) else {
        crate::helpers::skip("payments::live (two instances)", "TEST_REDIS_URL is not set");
        return;
    };
    let channel = format!("stockade:test:{}", uuid::Uuid::new_v4().simple());
    let secret = ("JWT_SECRET", "a-signing-secret-both-instances-share-0123456789");
    let shared = [("REDIS_URL", redis_url.as_str()), ("REDIS_EVENTS_CHANNEL", channel.as_str()), PUBLISHER_ON, secret];
    let db = Arc::new(TestDb::seeded());
    let a = TestApp::spawn_on(db.clone(), &shared).await;
    let b = TestApp::spawn_on(db, &shared).await;
    let connected = eventually(Duration::from_secs(5), || a.bus.health() == BusHealth::Connected && b.bus.health() == BusHealth::Connected);
    assert!(connected.await, "both instances reach Redis");
    let staff = a.user(Role::Staff).await;
    let (mut on_a, _) = subscribed(&a, &staff).await;
    let bought = declined(&b).await;
    let change = on_a.next_data("q", "paymentIssueChanged", WITHIN).await;
    assert_eq!((summary(&change), &change["orderId"]), (("CHANGE", "FAILED", "null"), &bought.order["id"]), "{change}");
    assert!(on_a.next(QUIET).await.is_none(), "delivered once, although both instances publish");
}
