//! An order's life after checkout: staff moves, the one-way state machine, unpaid
//! expiry (raced by two instances), and the events each change publishes.

use std::sync::Arc;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};
use serde_json::{Value, json};
use stockade_domain::accounts::Role;
use stockade_domain::entity::{order, outbox};

use super::*;
use crate::helpers::{TestApp, TestDb, code};

/// A guest order for `quantity` units of a fresh variant; returns (order, variant db id).
async fn pending_order(app: &TestApp, quantity: i64) -> (Value, i64) {
    let (variant, vid) = stocked_variant(app, 10, 1_200).await;
    let (cart, token) = guest_cart(app).await;
    add(app, None, &cart, Some(&token), &variant, quantity).await;
    start(app, None, &cart["id"], Some(&token), "").await;
    let key = format!("lifecycle-{}", uuid::Uuid::new_v4());
    let done = complete(app, None, &cart["id"], Some(&token), &key).await;
    assert_eq!(done["order"]["status"], "PENDING_PAYMENT", "{done}");
    (done["order"].clone(), vid)
}

const MOVE: &str =
    "order { id status version timeline { kind fromStatus toStatus actorType cause } } userErrors { code field message currentVersion }";

#[tokio::test]
async fn staff_moves_orders_only_along_the_table_and_cancelling_gives_stock_back() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let (order, vid) = pending_order(&app, 3).await;
    assert_eq!(stock(&app, vid).await, (10, 3));

    // Not paid: it cannot be fulfilled, and nothing changes.
    let fulfil = format!("mutation($id: ID!, $v: Int!) {{ orderFulfill(orderId: $id, expectedVersion: $v) {{ {MOVE} }} }}");
    let refused = app.gql_as(&staff.access_token, &fulfil, json!({ "id": order["id"], "v": order["version"] })).await;
    let err = &refused["data"]["orderFulfill"]["userErrors"][0];
    assert_eq!(err["code"], "ILLEGAL_TRANSITION", "{refused}");
    assert!(err["message"].as_str().unwrap().contains("pending_payment"), "{err}");

    // A stale version is a conflict that names the current one.
    let cancel = format!(
        "mutation($id: ID!, $v: Int!) {{ orderCancel(orderId: $id, expectedVersion: $v, reason: \"customer asked\") {{ {MOVE} }} }}"
    );
    let stale = app.gql_as(&staff.access_token, &cancel, json!({ "id": order["id"], "v": 0 })).await;
    let err = &stale["data"]["orderCancel"]["userErrors"][0];
    assert_eq!((err["code"].as_str(), err["currentVersion"].as_i64()), (Some("VERSION_CONFLICT"), Some(1)), "{stale}");
    assert_eq!(stock(&app, vid).await, (10, 3), "still held");

    // Customers cannot cancel through the staff mutation.
    let customer = app.user(Role::Customer).await;
    let forbidden = app.gql_as(&customer.access_token, &cancel, json!({ "id": order["id"], "v": 1 })).await;
    assert_eq!(code(&forbidden["errors"][0]), "FORBIDDEN");

    let cancelled = app.gql_as(&staff.access_token, &cancel, json!({ "id": order["id"], "v": 1 })).await;
    let cancelled = &cancelled["data"]["orderCancel"]["order"];
    assert_eq!((cancelled["status"].as_str(), cancelled["version"].as_i64()), (Some("CANCELLED"), Some(2)), "{cancelled}");
    let last = cancelled["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last,
        json!({ "kind": "status_changed", "fromStatus": "PENDING_PAYMENT", "toStatus": "CANCELLED", "actorType": "STAFF", "cause": "cancelled: customer asked" })
    );
    assert_eq!(stock(&app, vid).await, (10, 0), "the held units went back on sale");

    // Cancelled is final.
    let again = app.gql_as(&staff.access_token, &cancel, json!({ "id": order["id"], "v": 2 })).await;
    assert_eq!(again["data"]["orderCancel"]["userErrors"][0]["code"], "ILLEGAL_TRANSITION");
    let unknown = app.gql_as(&staff.access_token, &cancel, json!({ "id": stockade_id("Order", 999_999), "v": 1 })).await;
    assert_eq!(unknown["data"]["orderCancel"]["userErrors"][0]["code"], "NOT_FOUND");
    assert_reconciles(&app).await;
}

#[tokio::test]
async fn every_order_change_is_published_in_order_through_the_outbox() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let (order, _) = pending_order(&app, 1).await;
    let cancel = format!("mutation($id: ID!, $v: Int!) {{ orderCancel(orderId: $id, expectedVersion: $v) {{ {MOVE} }} }}");
    app.gql_as(&staff.access_token, &cancel, json!({ "id": order["id"], "v": 1 })).await;

    let db_id = stockade_db_id(&order["id"]);
    let events = outbox::Entity::find()
        .filter(outbox::Column::AggregateType.eq("order"))
        .filter(outbox::Column::AggregateId.eq(db_id.to_string()))
        .order_by_asc(outbox::Column::Sequence)
        .all(app.database.conn())
        .await
        .unwrap();
    let seen: Vec<(i64, &str, Value, Value)> = events
        .iter()
        .map(|e| (e.sequence, e.event_type.as_str(), e.payload["status"].clone(), e.payload["previousStatus"].clone()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, "order.status_changed", json!("pending_payment"), Value::Null),
            (2, "order.status_changed", json!("cancelled"), json!("pending_payment")),
        ],
        "one event per version, in order"
    );
    assert_eq!(events[1].payload["orderId"], db_id);
    assert_eq!(events[1].payload["version"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unpaid_orders_expire_once_even_with_two_instances_sweeping() {
    let db = Arc::new(TestDb::seeded());
    let a = TestApp::spawn_on(db.clone(), &[]).await;
    let b = TestApp::spawn_on(db.clone(), &[]).await;
    let mut orders = Vec::new();
    for _ in 0..6 {
        orders.push(pending_order(&a, 2).await);
    }
    let (fresh, fresh_vid) = pending_order(&a, 1).await;

    // The payment window of the first six passes.
    let ids: Vec<i64> = orders.iter().map(|(o, _)| stockade_db_id(&o["id"])).collect();
    order::Entity::update_many()
        .col_expr(order::Column::PaymentDeadline, Expr::val(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .filter(order::Column::Id.is_in(ids.clone()))
        .exec(a.database.conn())
        .await
        .unwrap();

    let (x, y) = tokio::join!(a.services.payments.expire_unpaid(100), b.services.payments.expire_unpaid(100));
    assert_eq!(x.unwrap() + y.unwrap(), 6, "each order expired exactly once");
    for (order, vid) in &orders {
        let now = a.services.orders.by_id(stockade_db_id(&order["id"])).await.unwrap().unwrap();
        assert_eq!(now.status.as_str(), "expired");
        assert_eq!(stock(&a, *vid).await, (10, 0), "its stock went back on sale");
    }
    let untouched = a.services.orders.by_id(stockade_db_id(&fresh["id"])).await.unwrap().unwrap();
    assert_eq!(untouched.status.as_str(), "pending_payment", "orders inside their window are left alone");
    assert_eq!(stock(&a, fresh_vid).await, (10, 1));
    assert_eq!(a.services.payments.expire_unpaid(100).await.unwrap(), 0, "nothing left to expire");
    assert_reconciles(&a).await;
    b.stop().await;
    a.stop().await;
}

fn stockade_db_id(id: &Value) -> i64 {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(id.as_str().expect("an id")).expect("base64 id");
    let raw = String::from_utf8(raw).unwrap();
    raw.split_once(':').expect("Kind:id").1.parse().expect("numeric id")
}
