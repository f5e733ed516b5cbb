//! A WebSocket subscriber that never reads must not delay anyone else, nor make the
//! server hold its backlog: once its socket is full it falls behind its bounded bus
//! buffer, and when it reads again it is resynced.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use stockade_domain::events::BusEvent;
use stockade_graphql::ids::NodeType;

use super::STOCK_CHANGED;
use crate::helpers::TestApp;
use crate::inventory_api::{Stock, raw};
use crate::ws::Ws;

/// Synthetic changes published straight onto the bus (far more than any socket buffer
/// holds for the slow subscriber's large messages).
const EVENTS: i64 = 4000;
const BATCH: i64 = 200;
/// Above any real version, so every synthetic event is news.
const BASE_VERSION: i64 = 1_000_000;

/// A `stock_level.changed` event as the inventory ledger writes it.
fn stock_event(n: i64, variant: i64, location: i64) -> BusEvent {
    let version = BASE_VERSION + n;
    let available = 100 + n % 50;
    BusEvent {
        id: BASE_VERSION + n,
        aggregate_type: "stock_level".into(),
        aggregate_id: format!("{variant}:{location}"),
        sequence: version,
        event_type: "stock_level.changed".into(),
        payload: json!({ "variantId": variant, "locationId": location, "onHand": available, "reserved": 0, "available": available,
            "version": version, "movement": { "id": BASE_VERSION + n, "reason": "adjustment", "deltaOnHand": 1, "deltaReserved": 0,
            "actor": { "type": "system", "id": null }, "reference": { "type": "note", "id": null }, "note": "",
            "at": "2026-01-01T00:00:00.000000Z" } }),
        created_at: Utc::now(),
    }
}

#[tokio::test]
async fn a_subscriber_that_never_reads_does_not_delay_a_fast_one() {
    let app = TestApp::spawn().await;
    let stock = Stock::on(&app).await;
    let main = raw(&stock.main, NodeType::StockLocation);

    // The slow subscriber asks for big messages (the time 100 times over) and stops reading.
    let aliases: Vec<String> = (0..100).map(|i| format!("t{i}: at")).collect();
    let fat = STOCK_CHANGED.replace("kind }", &format!("kind {} }}", aliases.join(" ")));
    let mut slow = Ws::connect(app.addr, None).await;
    slow.subscribe("slow", &fat, json!({ "ids": [stock.variant] })).await;
    slow.next_data("slow", "stockChanged", Duration::from_secs(5)).await;
    let mut fast = Ws::connect(app.addr, None).await;
    fast.subscribe("fast", STOCK_CHANGED, json!({ "ids": [stock.variant] })).await;
    let snapshot = fast.next_data("fast", "stockChanged", Duration::from_secs(5)).await;
    let other_locations = snapshot["stockVersion"].as_i64().unwrap() - stock.level(&app, "main").await["version"].as_i64().unwrap();

    // While the slow subscriber reads nothing, the fast one gets every change, in order,
    // each within the (generous) 5 s bound of `next_data`: it is not held back.
    for start in (1..=EVENTS).step_by(BATCH as usize) {
        let batch: Vec<BusEvent> = (start..start + BATCH).map(|n| stock_event(n, stock.variant_id, main)).collect();
        app.bus.publish(batch).await;
        for n in start..start + BATCH {
            let update = fast.next_data("fast", "stockChanged", Duration::from_secs(5)).await;
            assert_eq!(update["stockVersion"].as_i64(), Some(BASE_VERSION + n + other_locations), "every change, in order: {update}");
        }
    }

    // The slow one, reading at last, was cut off from the backlog and told to resync.
    let mut received = 0;
    let resynced = loop {
        let Some(message) = slow.next(Duration::from_secs(5)).await else { break false };
        received += 1;
        if message["payload"]["data"]["stockChanged"]["kind"] == "RESYNC" {
            break true;
        }
    };
    assert!(resynced, "the slow subscriber was resynced after {received} messages");
    assert!(received < EVENTS, "its backlog was not kept: {received} messages before the resync");
    assert!(app.metrics.subscribers_lagged() >= 1);
}
