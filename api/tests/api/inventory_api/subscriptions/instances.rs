//! Two instances sharing one database and one Redis: a change made through one reaches
//! subscribers on the other. Skipped unless `TEST_REDIS_URL` is set.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use stockade_domain::events::BusHealth;

use super::{PUBLISHER_ON, STOCK_CHANGED, WITHIN};
use crate::events::eventually;
use crate::helpers::{TestApp, TestDb};
use crate::inventory_api::Stock;
use crate::ws::Ws;

#[tokio::test]
async fn a_change_through_one_instance_reaches_a_subscriber_on_another() {
    let Some(redis_url) = std::env::var("TEST_REDIS_URL").ok().filter(|s| !s.is_empty()) else {
        crate::helpers::skip("inventory_api::subscriptions::instances", "TEST_REDIS_URL is not set");
        return;
    };
    let channel = format!("stockade:test:{}", uuid::Uuid::new_v4().simple());
    let shared = [("REDIS_URL", redis_url.as_str()), ("REDIS_EVENTS_CHANNEL", channel.as_str()), PUBLISHER_ON];
    let db = Arc::new(TestDb::seeded());
    let a = TestApp::spawn_on(db.clone(), &shared).await;
    let b = TestApp::spawn_on(db, &shared).await;
    let connected = eventually(Duration::from_secs(5), || a.bus.health() == BusHealth::Connected && b.bus.health() == BusHealth::Connected);
    assert!(connected.await, "both instances reach Redis");

    let stock = Stock::on(&b).await;
    let mut on_a = Ws::connect(a.addr, None).await;
    on_a.subscribe("s", STOCK_CHANGED, json!({ "ids": [stock.variant] })).await;
    let snapshot = on_a.next_data("s", "stockChanged", Duration::from_secs(5)).await;

    let level = stock.level(&b, "main").await;
    let payload = stock
        .adjust(&b, json!({ "variantId": stock.variant, "locationId": stock.main, "delta": -1, "expectedVersion": level["version"] }))
        .await;
    assert_eq!(payload["userErrors"], json!([]));
    let change = on_a.next_data("s", "stockChanged", WITHIN).await;
    assert_eq!(change["kind"], "CHANGE", "{change}");
    assert_eq!(change["availableQuantity"].as_i64(), snapshot["availableQuantity"].as_i64().map(|n| n - 1));
    assert!(on_a.next(Duration::from_millis(300)).await.is_none(), "delivered once, although both instances publish");
}
