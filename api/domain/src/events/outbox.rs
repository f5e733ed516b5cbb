//! Writing events into the outbox, inside the caller's transaction.
//!
//! Each event names its aggregate (what changed: a stock level, an order, ...) and a
//! per-aggregate `sequence`: the aggregate row's own version after the change. Writers
//! to one aggregate are serialised by its row lock, so sequence order is commit order,
//! and receivers can drop duplicates and stale events by comparing sequences. Payloads
//! carry the aggregate's new state (not a delta), so the latest event is enough.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};

use crate::entity::outbox;
use crate::error::Result;

/// An event to be published once the transaction writing it commits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Kind of aggregate, e.g. `stock_level`, `order`.
    pub aggregate_type: String,
    /// Which one, e.g. `42:1` (variant 42 at location 1) or an order id.
    pub aggregate_id: String,
    /// The aggregate's version after the change (1, 2, 3, ... per aggregate).
    pub sequence: i64,
    /// What happened, e.g. `stock_level.changed`.
    pub event_type: String,
    pub payload: serde_json::Value,
}

/// Appends `events` to the outbox within `txn` with one statement, in order.
pub async fn append_many<C: ConnectionTrait>(txn: &C, events: &[Event]) -> Result<()> {
    let now = Utc::now();
    for chunk in events.chunks(crate::db::MULTI_ROW_CHUNK) {
        outbox::Entity::insert_many(chunk.iter().map(|event| outbox::ActiveModel {
            aggregate_type: Set(event.aggregate_type.clone()),
            aggregate_id: Set(event.aggregate_id.clone()),
            sequence: Set(event.sequence),
            event_type: Set(event.event_type.clone()),
            payload: Set(event.payload.clone()),
            created_at: Set(now),
            delivered_at: Set(None),
            ..Default::default()
        }))
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// Appends `event` to the outbox within `txn` (pass the open write transaction).
pub async fn append<C: ConnectionTrait>(txn: &C, event: &Event) -> Result<()> {
    outbox::Entity::insert(outbox::ActiveModel {
        aggregate_type: Set(event.aggregate_type.clone()),
        aggregate_id: Set(event.aggregate_id.clone()),
        sequence: Set(event.sequence),
        event_type: Set(event.event_type.clone()),
        payload: Set(event.payload.clone()),
        created_at: Set(Utc::now()),
        delivered_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
