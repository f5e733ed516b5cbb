//! The bus inside one server: slow subscribers do not hold back fast ones, and a
//! server whose Redis is unreachable still serves and delivers locally.

use std::time::Duration;

use serde_json::{Value, json};
use stockade_domain::events::{BusHealth, BusMessage, ResyncReason};

use super::{commit, eventually, next_event, next_message, open};
use crate::helpers::{TestApp, TestDb};

#[tokio::test]
async fn a_subscriber_that_never_reads_does_not_delay_a_fast_one() {
    let app =
        TestApp::spawn_with(TestDb::empty(), &[("EVENTS_PUBLISHER", "on"), ("EVENTS_SUBSCRIBER_BUFFER", "16"), ("OUTBOX_BATCH_SIZE", "8")])
            .await;
    let db = open(&app.db).await;
    let _never_reads = app.bus.subscribe();
    let mut slow = app.bus.subscribe();
    let mut fast = app.bus.subscribe();

    const EVENTS: i64 = 100;
    // The writer stays at most one outbox batch ahead of the fast subscriber, so a busy
    // machine that parks the test's task cannot make "fast" fall behind by itself; the
    // subscribers that never read still fall behind by the whole stream.
    let (progress, mut seen) = tokio::sync::watch::channel(0i64);
    let writer = {
        let (db, notify) = (db.clone(), app.outbox_notify.clone());
        tokio::spawn(async move {
            for seq in 1..=EVENTS {
                seen.wait_for(|&got| got >= seq - 8).await.expect("the reader is alive");
                commit(&db, &[super::event("1:1", seq)]).await;
                notify.notify();
            }
        })
    };
    for seq in 1..=EVENTS {
        // Generous: this bounds a stall, not speed (the machine may be busy).
        let e = next_event(&mut fast, Duration::from_secs(15)).await.expect("the fast subscriber keeps getting events");
        assert_eq!(e.sequence, seq);
        progress.send_replace(seq);
    }
    writer.await.unwrap();

    // The slow one only kept the last 16 events: it is told to resync, then gets those.
    let Some(BusMessage::Resync(ResyncReason::Lagged { missed })) = next_message(&mut slow, Duration::from_secs(1)).await else {
        panic!("the slow subscriber is told it fell behind");
    };
    assert_eq!(missed, (EVENTS - 16) as u64);
    let mut rest = Vec::new();
    while let Some(BusMessage::Event(e)) = next_message(&mut slow, Duration::from_millis(200)).await {
        rest.push(e.sequence);
    }
    assert_eq!(rest, (EVENTS - 15..=EVENTS).collect::<Vec<_>>());
    assert!(app.metrics.subscribers_lagged() >= 1);
    db.close().await;
}

#[tokio::test]
async fn without_redis_the_bus_is_in_process_and_reported_as_such() {
    let app = TestApp::spawn_with(TestDb::empty(), &[]).await;
    assert_eq!(app.bus.health(), BusHealth::InProcess);
    let ready: Value = app.client.get(app.url("/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["checks"], json!({ "database": "ok", "event_bus": "in_process" }));
    let _sub = app.bus.subscribe();
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for needle in ["stockade_events_subscribers 1", "stockade_events_redis_connected 0", "stockade_events_published_total 0"] {
        assert!(metrics.contains(needle), "missing {needle} in\n{metrics}");
    }
}

#[tokio::test]
async fn with_redis_unreachable_at_start_the_server_serves_and_delivers_locally() {
    // Nothing listens on port 1.
    let app = TestApp::spawn_with(TestDb::seeded(), &[("EVENTS_PUBLISHER", "on"), ("REDIS_URL", "redis://:secret@127.0.0.1:1")]).await;
    assert!(eventually(Duration::from_secs(5), || app.bus.health() == BusHealth::Degraded).await, "reported degraded");

    let data = app.gql_ok("{ categories { slug } }", json!({})).await;
    assert!(!data["categories"].as_array().unwrap().is_empty(), "requests succeed");
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200, "Redis is not a hard dependency");
    assert_eq!(res.json::<Value>().await.unwrap()["checks"]["event_bus"], "degraded");

    let db = open(&app.db).await;
    let mut sub = app.bus.subscribe();
    commit(&db, &[super::event("3:1", 1)]).await;
    app.outbox_notify.notify();
    let e = next_event(&mut sub, Duration::from_secs(1)).await.expect("local events still flow");
    assert_eq!(e.sequence, 1);

    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("stockade_events_redis_connected 0"), "{metrics}");
    assert!(metrics.contains("stockade_events_redis_unsent_batches_total 1"), "{metrics}");
    db.close().await;
}
