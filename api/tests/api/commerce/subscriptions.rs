//! `orderStatusChanged` over a real WebSocket against a real server: who may watch an
//! order, the snapshot and each change in order, repeats and stale events dropped, a
//! resync after falling behind, and (with `TEST_REDIS_URL`) a change made through
//! another instance.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use stockade_domain::accounts::Role;
use stockade_domain::actor::Actor;
use stockade_domain::entity::outbox;
use stockade_domain::events::{BusEvent, BusHealth};
use stockade_domain::orders::{Change, OrderStatus};
use stockade_graphql::ids::NodeType;

use super::*;
use crate::events::eventually;
use crate::helpers::{TestApp, TestDb, TestUser, code};
use crate::ws::Ws;

const PUBLISHER_ON: (&str, &str) = ("EVENTS_PUBLISHER", "on");

const ORDER_STATUS: &str = "subscription($id: ID!, $token: String) {
    orderStatusChanged(orderId: $id, token: $token) { orderId status previousStatus version cause at kind } }";

/// How long a change may take to reach a subscriber (generous: it takes milliseconds).
const WITHIN: Duration = Duration::from_secs(2);
/// How long to wait for the first message of a subscription.
const FIRST: Duration = Duration::from_secs(5);
/// How long to listen for a message that must not come.
const QUIET: Duration = Duration::from_millis(300);

/// A guest order of one unit of a fresh variant; returns (order, order token).
async fn guest_order(app: &TestApp) -> (Value, String) {
    let (variant, _) = stocked_variant(app, 10, 1_500).await;
    let (cart, token) = guest_cart(app).await;
    add(app, None, &cart, Some(&token), &variant, 1).await;
    start(app, None, &cart["id"], Some(&token), "").await;
    let done = complete(app, None, &cart["id"], Some(&token), &format!("sub-{}", uuid::Uuid::new_v4())).await;
    assert_eq!(done["order"]["status"], "PENDING_PAYMENT", "{done}");
    let order_token = done["orderToken"].as_str().expect("guest orders get a token").to_owned();
    (done["order"].clone(), order_token)
}

/// A signed-in customer's order of one unit of a fresh variant.
async fn customer_order(app: &TestApp, customer: &TestUser) -> Value {
    let auth = Some(customer.access_token.as_str());
    let (variant, _) = stocked_variant(app, 10, 1_500).await;
    let created = app.gql_as(&customer.access_token, &format!("mutation {{ cartCreate {{ cart {{ {CART} }} }} }}"), json!({})).await;
    let cart = created["data"]["cartCreate"]["cart"].clone();
    add(app, auth, &cart, None, &variant, 1).await;
    start(app, auth, &cart["id"], None, "").await;
    let done = complete(app, auth, &cart["id"], None, &format!("sub-{}", uuid::Uuid::new_v4())).await;
    assert_eq!(done["order"]["status"], "PENDING_PAYMENT", "{done}");
    done["order"].clone()
}

fn db_id(order: &Value) -> i64 {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(order["id"].as_str().expect("an id")).expect("base64 id");
    String::from_utf8(raw).expect("utf-8").split_once(':').expect("Kind:id").1.parse().expect("numeric id")
}

/// Moves the order from Rust, as payments and sweepers do.
async fn move_to(app: &TestApp, order: &Value, to: OrderStatus, cause: &str) {
    app.services.orders.transition(db_id(order), to, None, Change { actor: Actor::System, cause }, None).await.expect("transition");
}

/// Staff cancel through the API.
async fn staff_cancel(app: &TestApp, staff: &TestUser, order: &Value, version: i64) {
    let q = "mutation($id: ID!, $v: Int!) { orderCancel(orderId: $id, expectedVersion: $v, reason: \"customer asked\") {
        order { status } userErrors { code message } } }";
    let body = app.gql_as(&staff.access_token, q, json!({ "id": order["id"], "v": version })).await;
    assert_eq!(body["data"]["orderCancel"]["order"]["status"], "CANCELLED", "{body}");
}

/// The order's status events as the outbox holds them, oldest first.
async fn outbox_events(app: &TestApp, order: &Value) -> Vec<BusEvent> {
    outbox::Entity::find()
        .filter(outbox::Column::AggregateType.eq("order"))
        .filter(outbox::Column::AggregateId.eq(db_id(order).to_string()))
        .order_by_asc(outbox::Column::Sequence)
        .all(app.database.conn())
        .await
        .expect("outbox rows")
        .into_iter()
        .map(BusEvent::from)
        .collect()
}

fn summary(update: &Value) -> (&str, &str, &str, i64) {
    (
        update["kind"].as_str().unwrap_or("?"),
        update["status"].as_str().unwrap_or("?"),
        update["previousStatus"].as_str().unwrap_or("null"),
        update["version"].as_i64().unwrap_or(-1),
    )
}

#[tokio::test]
async fn a_guest_with_the_token_sees_the_snapshot_then_each_change_until_refunded() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[PUBLISHER_ON]).await;
    let staff = app.user(Role::Staff).await;
    let (order, token) = guest_order(&app).await;

    let mut guest = Ws::connect(app.addr, None).await;
    let query = ORDER_STATUS.replace("kind }", "kind order { status number } }");
    guest.subscribe("o", &query, json!({ "id": order["id"], "token": token })).await;
    let snapshot = guest.next_data("o", "orderStatusChanged", FIRST).await;
    assert_eq!(summary(&snapshot), ("SNAPSHOT", "PENDING_PAYMENT", "null", 1), "{snapshot}");
    assert_eq!((&snapshot["orderId"], snapshot["cause"].as_str()), (&order["id"], Some("checkout completed")));
    assert_eq!(snapshot["order"], json!({ "status": "PENDING_PAYMENT", "number": order["number"] }));

    staff_cancel(&app, &staff, &order, 1).await;
    let change = guest.next_data("o", "orderStatusChanged", WITHIN).await;
    assert_eq!(summary(&change), ("CHANGE", "CANCELLED", "PENDING_PAYMENT", 2), "{change}");
    assert_eq!(change["cause"], "cancelled: customer asked");
    assert_eq!(change["order"]["status"], "CANCELLED");
    let time = |u: &Value| chrono::DateTime::parse_from_rfc3339(u["at"].as_str().expect("at")).expect("RFC 3339 time");
    assert!(time(&snapshot) <= time(&change) && time(&change) <= Utc::now(), "when it changed: {change}");
    assert!(guest.next(QUIET).await.is_none(), "one message per change");

    // Cancelled is not the end: money arriving late still moves the order.
    move_to(&app, &order, OrderStatus::NeedsAttention, "paid after cancellation").await;
    let change = guest.next_data("o", "orderStatusChanged", WITHIN).await;
    assert_eq!(summary(&change), ("CHANGE", "NEEDS_ATTENTION", "CANCELLED", 3), "{change}");
    move_to(&app, &order, OrderStatus::Refunded, "refunded").await;
    let last = guest.next_data("o", "orderStatusChanged", WITHIN).await;
    assert_eq!(summary(&last), ("CHANGE", "REFUNDED", "NEEDS_ATTENTION", 4), "{last}");
    let done = guest.next(WITHIN).await.expect("the subscription completes after a final status");
    assert_eq!((done["type"].as_str(), done["id"].as_str()), (Some("complete"), Some("o")), "{done}");
}

#[tokio::test]
async fn the_customer_and_staff_may_watch_and_anyone_else_gets_not_found_on_an_open_socket() {
    let app = TestApp::spawn().await;
    let customer = app.user(Role::Customer).await;
    let other = app.user(Role::Customer).await;
    let staff = app.user(Role::Staff).await;
    let mine = customer_order(&app, &customer).await;
    let (guests, token) = guest_order(&app).await;

    let mut owner = Ws::connect(app.addr, Some(&customer.access_token)).await;
    owner.subscribe("mine", ORDER_STATUS, json!({ "id": mine["id"] })).await;
    let snapshot = owner.next_data("mine", "orderStatusChanged", FIRST).await;
    assert_eq!(summary(&snapshot), ("SNAPSHOT", "PENDING_PAYMENT", "null", 1), "{snapshot}");
    let mut desk = Ws::connect(app.addr, Some(&staff.access_token)).await;
    for (i, order) in [&mine, &guests].into_iter().enumerate() {
        desk.subscribe(&format!("s{i}"), ORDER_STATUS, json!({ "id": order["id"] })).await;
        let snapshot = desk.next_data(&format!("s{i}"), "orderStatusChanged", FIRST).await;
        assert_eq!((snapshot["kind"].as_str(), &snapshot["orderId"]), (Some("SNAPSHOT"), &order["id"]), "staff see any order");
    }

    // Refused: the same answer whether the order exists or not.
    let unknown = NodeType::Order.id(99_999_999).0;
    let mut stranger = Ws::connect(app.addr, Some(&other.access_token)).await;
    let mut guest = Ws::connect(app.addr, None).await;
    let refusals: [(bool, Value, &str); 6] = [
        (true, json!({ "id": mine["id"] }), "another customer's order"),
        (true, json!({ "id": mine["id"], "token": token }), "another order's token"),
        (true, json!({ "id": unknown }), "no such order"),
        (false, json!({ "id": guests["id"] }), "a guest order without its token"),
        (false, json!({ "id": guests["id"], "token": format!("{token}x") }), "a wrong token"),
        (false, json!({ "id": mine["id"], "token": "" }), "a customer's order for a guest"),
    ];
    let mut messages = Vec::new();
    for (i, (signed_in, vars, case)) in refusals.into_iter().enumerate() {
        let ws = if signed_in { &mut stranger } else { &mut guest };
        let id = format!("r{i}");
        ws.subscribe(&id, ORDER_STATUS, vars).await;
        let error = ws.next_error(&id).await;
        assert_eq!((code(&error), error["extensions"]["field"].as_str()), ("NOT_FOUND", Some("orderId")), "{case}: {error}");
        messages.push(error["message"].clone());
    }
    assert!(messages.windows(2).all(|w| w[0] == w[1]), "no hint whether the order exists: {messages:?}");
    let product = NodeType::Product.id(1).0;
    for (i, bad) in ["garbage", product.as_str()].into_iter().enumerate() {
        guest.subscribe(&format!("b{i}"), ORDER_STATUS, json!({ "id": bad })).await;
        assert_eq!(code(&guest.next_error(&format!("b{i}")).await), "BAD_USER_INPUT", "{bad}");
    }

    // The refused sockets still serve what their holders may see.
    guest.subscribe("ok", ORDER_STATUS, json!({ "id": guests["id"], "token": token })).await;
    assert_eq!(guest.next_data("ok", "orderStatusChanged", FIRST).await["kind"], "SNAPSHOT");
    stranger.subscribe("ok", ORDER_STATUS, json!({ "id": guests["id"], "token": token })).await;
    assert_eq!(stranger.next_data("ok", "orderStatusChanged", FIRST).await["kind"], "SNAPSHOT", "the token works for anyone");
}

#[tokio::test]
async fn quick_changes_arrive_once_each_in_version_order_and_repeats_are_dropped() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[PUBLISHER_ON]).await;
    let staff = app.user(Role::Staff).await;
    let (order, _) = guest_order(&app).await;
    let mut desk = Ws::connect(app.addr, Some(&staff.access_token)).await;
    desk.subscribe("o", ORDER_STATUS, json!({ "id": order["id"] })).await;
    assert_eq!(summary(&desk.next_data("o", "orderStatusChanged", FIRST).await), ("SNAPSHOT", "PENDING_PAYMENT", "null", 1));

    // Three changes back to back, before the subscriber reads anything.
    move_to(&app, &order, OrderStatus::Paid, "paid").await;
    move_to(&app, &order, OrderStatus::Fulfilled, "fulfilled by staff").await;
    move_to(&app, &order, OrderStatus::Shipped, "shipped").await;
    let mut got = Vec::new();
    for _ in 0..3 {
        let update = desk.next_data("o", "orderStatusChanged", WITHIN).await;
        got.push((update["status"].as_str().map(str::to_owned), update["version"].as_i64(), update["kind"].as_str().map(str::to_owned)));
    }
    let expected: Vec<(Option<String>, Option<i64>, Option<String>)> = [("PAID", 2), ("FULFILLED", 3), ("SHIPPED", 4)]
        .into_iter()
        .map(|(s, v)| (Some(s.to_owned()), Some(v), Some("CHANGE".to_owned())))
        .collect();
    assert_eq!(got, expected);

    // Every event of the order delivered again (at-least-once), newest first: all
    // repeats or stale, so none reaches the subscriber.
    let mut again = outbox_events(&app, &order).await;
    assert_eq!(again.iter().map(|e| e.sequence).collect::<Vec<_>>(), [1, 2, 3, 4]);
    again.reverse();
    app.bus.publish(again.clone()).await;
    app.bus.publish(again).await;
    assert!(desk.next(QUIET).await.is_none(), "repeats and stale events are dropped");

    move_to(&app, &order, OrderStatus::Delivered, "delivered").await;
    let delivered = desk.next_data("o", "orderStatusChanged", WITHIN).await;
    assert_eq!(summary(&delivered), ("CHANGE", "DELIVERED", "SHIPPED", 5), "the next change still comes, once: {delivered}");
    assert!(desk.next(QUIET).await.is_none(), "delivered is not final: the subscription stays open");
}

#[tokio::test]
async fn a_subscriber_that_fell_behind_is_resynced_with_the_status_it_missed() {
    // No publisher: the cancellation's event stays in the outbox until the test sends it.
    let app = TestApp::spawn_with(TestDb::seeded(), &[("EVENTS_SUBSCRIBER_BUFFER", "8"), ("OUTBOX_BATCH_SIZE", "8")]).await;
    let staff = app.user(Role::Staff).await;
    let (order, token) = guest_order(&app).await;
    let mut guest = Ws::connect(app.addr, None).await;
    guest.subscribe("o", ORDER_STATUS, json!({ "id": order["id"], "token": token })).await;
    assert_eq!(guest.next_data("o", "orderStatusChanged", FIRST).await["kind"], "SNAPSHOT");

    staff_cancel(&app, &staff, &order, 1).await;
    assert!(guest.next(QUIET).await.is_none(), "nothing published yet");
    // Other events flood the bus faster than the subscription reads (published in one
    // go, on the test's single-threaded runtime): it falls behind its buffer of 8.
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
    let resync = guest.next_data("o", "orderStatusChanged", WITHIN).await;
    assert_eq!(summary(&resync), ("RESYNC", "CANCELLED", "PENDING_PAYMENT", 2), "{resync}");
    assert_eq!(resync["cause"], "cancelled: customer asked");
    assert!(app.metrics.subscribers_lagged() >= 1);

    // The missed event itself, delivered late, is not news any more; the next one is.
    app.bus.publish(outbox_events(&app, &order).await).await;
    assert!(guest.next(QUIET).await.is_none(), "the resync already covered it");
    move_to(&app, &order, OrderStatus::NeedsAttention, "paid after cancellation").await;
    let events = outbox_events(&app, &order).await;
    app.bus.publish(events[events.len() - 1..].to_vec()).await;
    let change = guest.next_data("o", "orderStatusChanged", WITHIN).await;
    assert_eq!(summary(&change), ("CHANGE", "NEEDS_ATTENTION", "CANCELLED", 3), "{change}");
}

#[tokio::test]
async fn a_status_change_through_one_instance_reaches_a_subscriber_on_another() {
    let Some(redis_url) = std::env::var("TEST_REDIS_URL").ok().filter(|s| !s.is_empty()) else {
        crate::helpers::skip("commerce::subscriptions (two instances)", "TEST_REDIS_URL is not set");
        return;
    };
    let channel = format!("stockade:test:{}", uuid::Uuid::new_v4().simple());
    // One signing secret, as in production: the order token issued by B is good on A.
    let secret = ("JWT_SECRET", "a-signing-secret-both-instances-share-0123456789");
    let shared = [("REDIS_URL", redis_url.as_str()), ("REDIS_EVENTS_CHANNEL", channel.as_str()), PUBLISHER_ON, secret];
    let db = Arc::new(TestDb::seeded());
    let a = TestApp::spawn_on(db.clone(), &shared).await;
    let b = TestApp::spawn_on(db, &shared).await;
    let connected = eventually(Duration::from_secs(5), || a.bus.health() == BusHealth::Connected && b.bus.health() == BusHealth::Connected);
    assert!(connected.await, "both instances reach Redis");

    let staff = b.user(Role::Staff).await;
    let (order, token) = guest_order(&b).await;
    let mut on_a = Ws::connect(a.addr, None).await;
    on_a.subscribe("o", ORDER_STATUS, json!({ "id": order["id"], "token": token })).await;
    assert_eq!(on_a.next_data("o", "orderStatusChanged", FIRST).await["kind"], "SNAPSHOT");

    staff_cancel(&b, &staff, &order, 1).await;
    let change = on_a.next_data("o", "orderStatusChanged", WITHIN).await;
    assert_eq!(summary(&change), ("CHANGE", "CANCELLED", "PENDING_PAYMENT", 2), "{change}");
    assert!(on_a.next(QUIET).await.is_none(), "delivered once, although both instances publish");
}
