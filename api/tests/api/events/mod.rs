//! Event delivery: outbox publisher and event bus, on a real database (and real Redis
//! when `TEST_REDIS_URL` is set). Events are synthetic, written with
//! `stockade_domain::events::append` inside real transactions.

mod bus;
mod publisher;
mod redis;

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use stockade_domain::db::Database;
use stockade_domain::entity::outbox;
use stockade_domain::events::{BusEvent, BusMessage, Event, Subscription, append};

use crate::helpers::{TestDb, config_for};

/// A stock-level style event for `aggregate` at version `sequence`.
pub fn event(aggregate: &str, sequence: i64) -> Event {
    Event {
        // Not a real aggregate type: seeded databases hold real stock-level events.
        aggregate_type: "test_aggregate".into(),
        aggregate_id: aggregate.into(),
        sequence,
        event_type: "stock_level.changed".into(),
        payload: serde_json::json!({ "available": 100 - sequence }),
    }
}

/// A connection pool of our own on the test database (another "process" writing).
pub async fn open(db: &TestDb) -> Database {
    let dir = tempfile::tempdir().expect("temp dir");
    stockade::startup::open_database(&config_for(&db.url(), dir.path(), &[]), None).await.expect("open test database")
}

/// Appends `events` in one write transaction and commits it.
pub async fn commit(db: &Database, events: &[Event]) {
    let txn = db.begin_write().await.expect("begin");
    for e in events {
        append(&*txn, e).await.expect("append");
    }
    txn.commit().await.expect("commit");
}

/// The next message within `within`, if any.
pub async fn next_message(sub: &mut Subscription, within: Duration) -> Option<BusMessage> {
    tokio::time::timeout(within, sub.recv()).await.ok().flatten()
}

/// The next event within `within`, skipping resync signals.
pub async fn next_event(sub: &mut Subscription, within: Duration) -> Option<Arc<BusEvent>> {
    let deadline = Instant::now() + within;
    loop {
        match next_message(sub, deadline.saturating_duration_since(Instant::now())).await? {
            BusMessage::Event(e) => return Some(e),
            BusMessage::Resync(_) => continue,
        }
    }
}

/// Polls `condition` every 20 ms until it holds; false after `within`.
pub async fn eventually(within: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition()
}

/// Outbox rows not yet delivered.
pub async fn undelivered(db: &Database) -> u64 {
    outbox::Entity::find().filter(outbox::Column::DeliveredAt.is_null()).count(db.conn()).await.expect("count")
}

/// Outbox rows not yet delivered, once the publisher has committed (subscribers get
/// events just before the publishing transaction commits).
pub async fn undelivered_after_commit(db: &Database) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let left = undelivered(db).await;
        if left == 0 || Instant::now() >= deadline {
            return left;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
