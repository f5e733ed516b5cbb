//! The outbox publisher: committed events are delivered, rolled-back ones never; rows
//! left by a stopped publisher are delivered once by the next; racing publishers lose
//! nothing and keep each aggregate in order; old delivered rows are pruned.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ActiveValue::Set, EntityTrait, QueryOrder};
use stockade_domain::entity::outbox;
use stockade_domain::events::{EventBus, OutboxNotify, Publisher, PublisherSettings, append};
use stockade_domain::metrics::Metrics;

use super::{commit, event, next_event, open, undelivered, undelivered_after_commit};
use crate::helpers::{TestApp, TestDb};

fn settings() -> PublisherSettings {
    PublisherSettings {
        poll_interval: Duration::from_millis(50),
        batch_size: 64,
        retention: Duration::from_secs(24 * 3600),
        prune_interval: Duration::from_secs(3600),
        prune_batch: 1000,
    }
}

#[tokio::test]
async fn a_committed_event_reaches_a_subscriber_within_a_second_and_a_rolled_back_one_never() {
    // A slow poll: only the writer's wake-up can make delivery fast.
    let app = TestApp::spawn_with(TestDb::empty(), &[("EVENTS_PUBLISHER", "on"), ("OUTBOX_POLL_INTERVAL_MS", "60000")]).await;
    let db = open(&app.db).await;
    let mut sub = app.bus.subscribe();

    let txn = db.begin_write().await.unwrap();
    append(&*txn, &event("7:1", 1)).await.unwrap();
    txn.rollback().await.unwrap();
    app.outbox_notify.notify();

    let started = Instant::now();
    commit(&db, &[event("7:1", 1)]).await;
    app.outbox_notify.notify();
    let delivered = next_event(&mut sub, Duration::from_secs(1)).await.expect("delivered within a second");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!((delivered.aggregate_type.as_str(), delivered.aggregate_id.as_str()), ("test_aggregate", "7:1"));
    assert_eq!((delivered.sequence, delivered.event_type.as_str()), (1, "stock_level.changed"));
    assert_eq!(delivered.payload, serde_json::json!({ "available": 99 }));
    assert!(delivered.id > 0 && delivered.created_at <= Utc::now());

    assert!(next_event(&mut sub, Duration::from_millis(300)).await.is_none(), "the rolled-back event is never published");
    assert_eq!(undelivered_after_commit(&db).await, 0, "marked delivered");
    assert!(app.metrics.events_published() >= 1);
    db.close().await;
}

#[tokio::test]
async fn events_committed_while_no_publisher_runs_are_delivered_once_by_the_next() {
    // The server runs without a publisher: as if it crashed between commit and publish.
    let app = TestApp::spawn_with(TestDb::empty(), &[]).await;
    let db = open(&app.db).await;
    let mut sub = app.bus.subscribe();
    for seq in 1..=3 {
        commit(&db, &[event("1:1", seq), event("2:1", seq)]).await;
    }
    app.outbox_notify.notify();
    assert!(next_event(&mut sub, Duration::from_millis(300)).await.is_none(), "nobody publishes yet");
    assert_eq!(undelivered(&db).await, 6);

    let metrics = Arc::new(Metrics::new());
    let publisher = Publisher::new(db.clone(), app.bus.clone(), OutboxNotify::new(), settings(), metrics).spawn();
    let mut seen: HashMap<String, Vec<i64>> = HashMap::new();
    for _ in 0..6 {
        let e = next_event(&mut sub, Duration::from_secs(2)).await.expect("missed events are delivered");
        seen.entry(e.aggregate_id.clone()).or_default().push(e.sequence);
    }
    assert!(next_event(&mut sub, Duration::from_millis(300)).await.is_none(), "each event exactly once");
    assert_eq!(seen["1:1"], vec![1, 2, 3]);
    assert_eq!(seen["2:1"], vec![1, 2, 3]);
    assert_eq!(undelivered_after_commit(&db).await, 0);
    publisher.stop().await;
    db.close().await;
}

#[tokio::test]
async fn racing_publishers_lose_nothing_and_keep_each_aggregate_in_order() {
    let test_db = TestDb::empty();
    let db = open(&test_db).await;
    let metrics = Arc::new(Metrics::new());
    let bus = EventBus::in_process(100_000, metrics.clone());
    let mut sub = bus.subscribe();

    // Four publishers (each with its own pool, like four instances) and small batches,
    // so claims interleave while writers keep appending.
    let mut publishers = Vec::new();
    for _ in 0..4 {
        let own_db = open(&test_db).await;
        let settings = PublisherSettings { poll_interval: Duration::from_millis(5), batch_size: 7, ..settings() };
        publishers.push((Publisher::new(own_db.clone(), bus.clone(), OutboxNotify::new(), settings, metrics.clone()).spawn(), own_db));
    }
    const AGGREGATES: usize = 6;
    const VERSIONS: i64 = 30;
    let writers: Vec<_> = (0..AGGREGATES)
        .map(|a| {
            let db = db.clone();
            tokio::spawn(async move {
                for seq in 1..=VERSIONS {
                    commit(&db, &[event(&format!("{a}:1"), seq)]).await;
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }

    let mut received: HashMap<String, Vec<i64>> = HashMap::new();
    let total = AGGREGATES * VERSIONS as usize;
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.values().map(|seqs| seqs.iter().collect::<std::collections::HashSet<_>>().len()).sum::<usize>() < total {
        let left = deadline.saturating_duration_since(Instant::now());
        let e = next_event(&mut sub, left).await.unwrap_or_else(|| panic!("events lost: got {received:?}"));
        received.entry(e.aggregate_id.clone()).or_default().push(e.sequence);
    }
    for (aggregate, seqs) in &received {
        // At least once: a repeat is possible in principle, but only of the same event,
        // and never out of order.
        assert!(seqs.windows(2).all(|w| w[0] <= w[1]), "{aggregate} out of order: {seqs:?}");
        let mut distinct = seqs.clone();
        distinct.dedup();
        assert_eq!(distinct, (1..=VERSIONS).collect::<Vec<_>>(), "{aggregate}: {seqs:?}");
    }
    assert_eq!(undelivered_after_commit(&db).await, 0);
    for (publisher, own_db) in publishers {
        publisher.stop().await;
        own_db.close().await;
    }
    db.close().await;
}

#[tokio::test]
async fn retention_prunes_only_delivered_rows_older_than_the_retention() {
    let test_db = TestDb::empty();
    let db = open(&test_db).await;
    let now = Utc::now();
    let hours = |h: i64| now - chrono::Duration::hours(h);
    // (sequence, created, delivered)
    let rows = [
        (1, hours(50), Some(hours(49))),
        (2, hours(49), Some(hours(48))),
        (3, hours(48), Some(hours(47))),
        (4, hours(30), Some(hours(25))),
        (5, hours(2), Some(hours(1))),
        (6, hours(48), None),
    ];
    for (sequence, created_at, delivered_at) in rows {
        outbox::Entity::insert(outbox::ActiveModel {
            aggregate_type: Set("stock_level".into()),
            aggregate_id: Set("1:1".into()),
            sequence: Set(sequence),
            event_type: Set("stock_level.changed".into()),
            payload: Set(serde_json::json!({})),
            created_at: Set(created_at),
            delivered_at: Set(delivered_at),
            ..Default::default()
        })
        .exec_without_returning(db.conn())
        .await
        .unwrap();
    }
    let metrics = Arc::new(Metrics::new());
    let bus = EventBus::in_process(16, metrics.clone());
    // Two rows per statement: four old rows take more than one batch.
    let settings = PublisherSettings { prune_batch: 2, ..settings() };
    let publisher = Publisher::new(db.clone(), bus, OutboxNotify::new(), settings, metrics);
    assert_eq!(publisher.prune().await.unwrap(), 4);
    let left: Vec<i64> =
        outbox::Entity::find().order_by_asc(outbox::Column::Sequence).all(db.conn()).await.unwrap().iter().map(|r| r.sequence).collect();
    assert_eq!(left, vec![5, 6], "recently delivered and undelivered rows stay, however old");
    assert_eq!(publisher.prune().await.unwrap(), 0);
    db.close().await;
}
