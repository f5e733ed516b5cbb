//! What travels on the event bus: delivered outbox events, resync signals, and the
//! wire format instances use to share events through Redis.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entity::outbox;

/// A published outbox event, as every subscriber sees it.
///
/// Delivery is at least once: after a crash or a lost Redis acknowledgement the same
/// event may arrive again. `(aggregate_type, aggregate_id, sequence)` (or `id`)
/// identifies it, so receivers drop what they have already seen. Payloads carry the
/// aggregate's new state, so an event older than the last one applied can be dropped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusEvent {
    /// The outbox row id: unique, increasing in write order.
    pub id: i64,
    /// Kind of aggregate, e.g. `stock_level`.
    pub aggregate_type: String,
    /// Which aggregate, e.g. `42:1`.
    pub aggregate_id: String,
    /// The aggregate's version after the change; per aggregate, higher is newer.
    pub sequence: i64,
    /// What happened, e.g. `stock_level.changed`.
    pub event_type: String,
    pub payload: serde_json::Value,
    /// When the change was written (its transaction's time).
    pub created_at: DateTime<Utc>,
}

impl From<outbox::Model> for BusEvent {
    fn from(row: outbox::Model) -> Self {
        BusEvent {
            id: row.id,
            aggregate_type: row.aggregate_type,
            aggregate_id: row.aggregate_id,
            sequence: row.sequence,
            event_type: row.event_type,
            payload: row.payload,
            created_at: row.created_at,
        }
    }
}

/// One item of a [`Subscription`](super::Subscription).
#[derive(Clone, Debug)]
pub enum BusMessage {
    /// An event (shared: the bus stores each event once, whatever the subscriber count).
    Event(Arc<BusEvent>),
    /// Events may have been missed: the receiver should rebuild its view from the
    /// database (e.g. send a fresh snapshot) and carry on with the events that follow.
    Resync(ResyncReason),
}

/// Why a subscriber must resync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResyncReason {
    /// This subscriber fell behind by more than its buffer; `missed` events were dropped
    /// for it (and only for it).
    Lagged { missed: u64 },
    /// Events from other instances may have been lost: this instance's Redis link was
    /// down, or another instance could not reach Redis for a while.
    RemoteGap,
}

/// A message on the Redis channel, as sent.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum WireOut<'a> {
    /// Events published by `origin`.
    Events { origin: Uuid, events: Vec<&'a BusEvent> },
    /// `origin` published events that it could not send to Redis.
    Gap { origin: Uuid },
}

/// A message on the Redis channel, as received.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum WireIn {
    Events { origin: Uuid, events: Vec<BusEvent> },
    Gap { origin: Uuid },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_messages_round_trip() {
        let event = BusEvent {
            id: 7,
            aggregate_type: "stock_level".into(),
            aggregate_id: "1:1".into(),
            sequence: 3,
            event_type: "stock_level.changed".into(),
            payload: serde_json::json!({ "available": 4 }),
            created_at: Utc::now(),
        };
        let origin = Uuid::new_v4();
        let text = serde_json::to_string(&WireOut::Events { origin, events: vec![&event] }).unwrap();
        match serde_json::from_str::<WireIn>(&text).unwrap() {
            WireIn::Events { origin: o, events } => {
                assert_eq!(o, origin);
                assert_eq!(events, vec![event]);
            }
            WireIn::Gap { .. } => panic!("expected events"),
        }
        let gap = serde_json::to_string(&WireOut::Gap { origin }).unwrap();
        assert!(matches!(serde_json::from_str::<WireIn>(&gap).unwrap(), WireIn::Gap { origin: o } if o == origin));
    }
}
