//! Order status as live views see it: the `order.status_changed` outbox event that
//! every status change writes (encoded and decoded here, in one place), and the current
//! status read in one statement, for a subscription's snapshot.
//!
//! Each event is sequenced by the order's version after the change. Versions also grow
//! for edits that change no status (those publish nothing), so a reader keeps the
//! highest version it has shown and drops anything not above it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::status::OrderStatus;
use crate::error::{Error, Result};
use crate::events::{BusEvent, Event};

/// `aggregate_type` of order events (the aggregate id is the order's database id).
pub const AGGREGATE_TYPE: &str = "order";
/// `event_type` of a status change.
pub const EVENT_TYPE: &str = "order.status_changed";

/// An order's status as of one version: how it got there, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    pub order_id: i64,
    pub status: OrderStatus,
    /// The status before; `None` for a new order.
    pub previous: Option<OrderStatus>,
    /// The order's version after the change (for a read: its version now).
    pub version: i64,
    /// Why, in words ("paid", "cancelled: out of stock").
    pub cause: String,
    /// When the order entered `status`.
    pub at: DateTime<Utc>,
}

/// The event payload, as written since the first order (field names are the contract
/// with every reader, including other instances of another release).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    order_id: i64,
    status: String,
    previous_status: Option<String>,
    version: i64,
    cause: String,
    at: DateTime<Utc>,
}

/// The outbox event for a status change (see [`super::publish_status`]).
pub(crate) fn status_event(change: &StatusChange) -> Result<Event> {
    let payload = Payload {
        order_id: change.order_id,
        status: change.status.as_str().to_owned(),
        previous_status: change.previous.map(|s| s.as_str().to_owned()),
        version: change.version,
        // As the timeline keeps it, so a snapshot read later says the same.
        cause: change.cause.chars().take(1000).collect(),
        at: change.at,
    };
    Ok(Event {
        aggregate_type: AGGREGATE_TYPE.into(),
        aggregate_id: change.order_id.to_string(),
        sequence: change.version,
        event_type: EVENT_TYPE.into(),
        payload: serde_json::to_value(payload).map_err(|e| Error::Internal(e.into()))?,
    })
}

/// The order a bus event is about, if it is an order status change (cheap: reads no
/// payload).
pub fn status_event_order(event: &BusEvent) -> Option<i64> {
    if event.aggregate_type != AGGREGATE_TYPE || event.event_type != EVENT_TYPE {
        return None;
    }
    event.aggregate_id.parse().ok()
}

/// Decodes an order status event; `None` for events of other kinds, an error for a
/// status event whose payload does not have the expected shape.
pub fn decode_status_event(event: &BusEvent) -> Option<Result<StatusChange>> {
    let order_id = status_event_order(event)?;
    Some(decode(order_id, event))
}

fn decode(order_id: i64, event: &BusEvent) -> Result<StatusChange> {
    let malformed = |what: &str| Error::Internal(anyhow::anyhow!("malformed order status event {} ({what})", event.id));
    let p = Payload::deserialize(&event.payload).map_err(|e| malformed(&e.to_string()))?;
    if p.order_id != order_id || p.version != event.sequence {
        return Err(malformed("order id or version differ from the envelope"));
    }
    let status = OrderStatus::parse(&p.status).map_err(|_| malformed("status"))?;
    let previous = p.previous_status.as_deref().map(OrderStatus::parse).transpose().map_err(|_| malformed("previousStatus"))?;
    Ok(StatusChange { order_id, status, previous, version: p.version, cause: p.cause, at: p.at })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bus_event(event: Event) -> BusEvent {
        BusEvent {
            id: 9,
            aggregate_type: event.aggregate_type,
            aggregate_id: event.aggregate_id,
            sequence: event.sequence,
            event_type: event.event_type,
            payload: event.payload,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn status_events_round_trip_and_others_are_ignored() {
        let change = StatusChange {
            order_id: 42,
            status: OrderStatus::Cancelled,
            previous: Some(OrderStatus::PendingPayment),
            version: 3,
            cause: "cancelled: customer asked".into(),
            at: Utc::now(),
        };
        let event = bus_event(status_event(&change).unwrap());
        assert_eq!((event.aggregate_id.as_str(), event.sequence), ("42", 3));
        assert_eq!(event.payload["status"], "cancelled");
        assert_eq!(event.payload["previousStatus"], "pending_payment");
        assert_eq!(status_event_order(&event), Some(42));
        assert_eq!(decode_status_event(&event).unwrap().unwrap(), change);

        let created = StatusChange { previous: None, status: OrderStatus::PendingPayment, version: 1, ..change.clone() };
        let event = bus_event(status_event(&created).unwrap());
        assert_eq!(event.payload["previousStatus"], serde_json::Value::Null, "null, not missing");
        assert_eq!(decode_status_event(&event).unwrap().unwrap(), created);

        let stock = BusEvent { aggregate_type: "stock_level".into(), event_type: "stock_level.changed".into(), ..event.clone() };
        assert!(decode_status_event(&stock).is_none());
        let mut bad = event.clone();
        bad.payload["status"] = "teleported".into();
        assert!(decode_status_event(&bad).unwrap().is_err());
        let mut moved = event;
        moved.sequence = 7;
        assert!(decode_status_event(&moved).unwrap().is_err(), "payload and envelope must agree");
    }
}
