//! Changes reach subscribers: reservations, staff adjustments, both WebSocket
//! protocols, the staff movement feed, and local delivery without Redis.

use std::time::Duration;

use serde_json::json;
use stockade_domain::actor::Actor;
use stockade_domain::events::BusHealth;
use stockade_domain::inventory::{Owner, OwnerKind, ReserveLine};

use super::{INVENTORY_EVENTS, PUBLISHER_ON, STOCK_CHANGED, WITHIN};
use crate::helpers::{TestApp, TestDb};
use crate::inventory_api::Stock;
use crate::ws::{Protocol, Ws};

const FIRST: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_reservation_reaches_a_stock_subscriber_within_a_second() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[PUBLISHER_ON]).await;
    let stock = Stock::on(&app).await;
    let mut shopper = Ws::connect(app.addr, None).await;
    // With the variant, as a normalised cache selects it to update `Variant` by itself.
    let query = STOCK_CHANGED.replace("kind }", "kind variant { id availableQuantity } }");
    shopper.subscribe("s", &query, json!({ "ids": [stock.variant] })).await;
    let snapshot = shopper.next_data("s", "stockChanged", FIRST).await;
    assert_eq!((snapshot["kind"].as_str(), snapshot["variantId"].as_str()), (Some("SNAPSHOT"), Some(stock.variant.as_str())));
    assert_eq!(snapshot["variant"], json!({ "id": stock.variant, "availableQuantity": snapshot["availableQuantity"] }));
    let before = stock.levels(&app).await["availableQuantity"].as_i64().unwrap();
    assert_eq!(snapshot["availableQuantity"].as_i64(), Some(before));

    // Another client (a cart) reserves through the inventory service, and wakes the
    // publisher as every writer does after committing.
    let owner = Owner::new(OwnerKind::Cart, "cart-live").unwrap();
    let line = ReserveLine::new(stock.variant_id, 3);
    app.services.inventory.reserve(&[line], &owner, Duration::from_secs(600), Actor::Guest).await.unwrap();
    app.outbox_notify.notify();
    let change = shopper.next_data("s", "stockChanged", WITHIN).await;
    assert_eq!(change["kind"], "CHANGE", "{change}");
    assert_eq!(change["availableQuantity"].as_i64(), Some(before - 3));
    assert_eq!(change["variant"], json!({ "id": stock.variant, "availableQuantity": before - 3 }), "the cached Variant updates");
    assert_eq!(change["inStock"], before - 3 > 0);
    assert_eq!(change["stockVersion"].as_i64(), snapshot["stockVersion"].as_i64().map(|v| v + 1), "one change, one version");
    assert!(shopper.next(Duration::from_millis(300)).await.is_none(), "one message per change");
}

#[tokio::test]
async fn the_legacy_graphql_ws_protocol_streams_staff_adjustments_too() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[PUBLISHER_ON]).await;
    let stock = Stock::on(&app).await;
    let mut shopper = Ws::connect_with(app.addr, None, Protocol::LegacyWs).await;
    shopper.subscribe("1", STOCK_CHANGED, json!({ "ids": [stock.variant] })).await;
    let snapshot = shopper.next_data("1", "stockChanged", FIRST).await;
    let level = stock.level(&app, "east").await;
    let payload = stock
        .adjust(&app, json!({ "variantId": stock.variant, "locationId": stock.east, "delta": -2, "expectedVersion": level["version"] }))
        .await;
    assert_eq!(payload["userErrors"], json!([]));
    let change = shopper.next_data("1", "stockChanged", WITHIN).await;
    assert_eq!(change["availableQuantity"].as_i64(), snapshot["availableQuantity"].as_i64().map(|n| n - 2), "{change}");
    shopper.stop("1").await;
    let done = shopper.next(FIRST).await.expect("complete");
    assert_eq!(done["type"], "complete");
}

#[tokio::test]
async fn staff_see_each_movement_at_their_location_with_actor_and_reason() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[PUBLISHER_ON]).await;
    let stock = Stock::on(&app).await;
    let mut staff = Ws::connect(app.addr, Some(&stock.staff.access_token)).await;
    staff.subscribe("feed", INVENTORY_EVENTS, json!({ "location": stock.main })).await;
    // Let the subscription start before anything changes.
    assert!(staff.next(Duration::from_millis(200)).await.is_none());

    let east = stock.level(&app, "east").await;
    stock
        .adjust(&app, json!({ "variantId": stock.variant, "locationId": stock.east, "delta": 1, "expectedVersion": east["version"] }))
        .await;
    let main = stock.level(&app, "main").await;
    let input = json!({ "variantId": stock.variant, "locationId": stock.main, "delta": 4, "reason": "RETURN",
        "expectedVersion": main["version"], "note": "returned unopened" });
    stock.adjust(&app, input).await;

    let movement = staff.next_data("feed", "inventoryEvents", WITHIN).await;
    assert_eq!(movement["location"]["code"], "main", "the east change is filtered out: {movement}");
    assert_eq!((movement["reason"].as_str(), movement["deltaOnHand"].as_i64()), (Some("RETURN"), Some(4)));
    assert_eq!(movement["onHandAfter"].as_i64(), main["onHand"].as_i64().map(|n| n + 4));
    assert_eq!(movement["versionAfter"].as_i64(), main["version"].as_i64().map(|v| v + 1));
    assert_eq!(movement["actor"], json!({ "type": "STAFF", "user": { "email": stock.staff.email } }));
    assert_eq!(movement["reference"], json!({ "type": "ADJUSTMENT", "id": null }));
    assert_eq!(movement["note"], "returned unopened");
    assert!(staff.next(Duration::from_millis(300)).await.is_none(), "nothing else at main");
}

#[tokio::test]
async fn with_redis_unreachable_requests_and_local_stock_events_still_work() {
    let app = TestApp::spawn_with(TestDb::seeded(), &[PUBLISHER_ON, ("REDIS_URL", "redis://127.0.0.1:1")]).await;
    let stock = Stock::on(&app).await;
    assert_ne!(app.bus.health(), BusHealth::Connected);
    let mut shopper = Ws::connect(app.addr, None).await;
    shopper.subscribe("s", STOCK_CHANGED, json!({ "ids": [stock.variant] })).await;
    let snapshot = shopper.next_data("s", "stockChanged", FIRST).await;
    let level = stock.level(&app, "main").await;
    let payload = stock
        .adjust(&app, json!({ "variantId": stock.variant, "locationId": stock.main, "delta": 6, "expectedVersion": level["version"] }))
        .await;
    assert_eq!(payload["userErrors"], json!([]), "requests succeed without Redis");
    // A resync may come first (the Redis link reports a gap); the change follows.
    let deadline = std::time::Instant::now() + WITHIN;
    let wanted = snapshot["availableQuantity"].as_i64().map(|n| n + 6);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let update = shopper.next_data("s", "stockChanged", left).await;
        if update["availableQuantity"].as_i64() == wanted {
            break;
        }
        assert_eq!(update["kind"], "RESYNC", "{update}");
    }
}
