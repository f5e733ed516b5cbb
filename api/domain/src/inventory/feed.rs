//! The stock feed as live views read it: decoding `stock_level.changed` events from the
//! bus (the format [`ledger`](super::ledger) writes), and catching up from the ledger
//! after a subscriber missed events.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;

use super::ledger::{AGGREGATE_TYPE, EVENT_TYPE};
use super::model::{Movement, MovementReason, Reference, StockLevel};
use super::service::InventoryService;
use crate::actor::Actor;
use crate::entity::stock_movement;
use crate::error::{Error, Result};
use crate::events::BusEvent;

/// A `stock_level.changed` event: the level after the change and the ledger row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockLevelChanged {
    pub level: StockLevel,
    pub movement: Movement,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    variant_id: i64,
    location_id: i64,
    on_hand: i64,
    reserved: i64,
    version: i64,
    movement: MovementPayload,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MovementPayload {
    id: i64,
    reason: String,
    delta_on_hand: i64,
    delta_reserved: i64,
    actor: PartsPayload<i64>,
    reference: PartsPayload<String>,
    note: String,
    at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct PartsPayload<T> {
    #[serde(rename = "type")]
    kind: String,
    id: Option<T>,
}

/// The `(variant, location)` a bus event is about, if it is a stock level event.
/// Cheap: reads the aggregate id only, so subscribers can skip other SKUs' events
/// without decoding their payloads.
pub fn stock_event_target(event: &BusEvent) -> Option<(i64, i64)> {
    if event.aggregate_type != AGGREGATE_TYPE || event.event_type != EVENT_TYPE {
        return None;
    }
    let (variant, location) = event.aggregate_id.split_once(':')?;
    Some((variant.parse().ok()?, location.parse().ok()?))
}

/// Decodes a stock level event; `None` for events of other kinds, an error for a stock
/// event whose payload does not have the expected shape.
pub fn decode_stock_event(event: &BusEvent) -> Option<Result<StockLevelChanged>> {
    stock_event_target(event)?;
    Some(decode(event))
}

fn decode(event: &BusEvent) -> Result<StockLevelChanged> {
    let malformed = |what: &str| Error::Internal(anyhow::anyhow!("malformed stock event {} ({what})", event.id));
    let p = Payload::deserialize(&event.payload).map_err(|e| malformed(&e.to_string()))?;
    let m = p.movement;
    let reason = MovementReason::parse(&m.reason).map_err(|_| malformed("reason"))?;
    let actor = Actor::from_parts(&m.actor.kind, m.actor.id).ok_or_else(|| malformed("actor"))?;
    let reference = Reference::from_parts(&m.reference.kind, m.reference.id).map_err(|_| malformed("reference"))?;
    let level = StockLevel {
        variant_id: p.variant_id,
        location_id: p.location_id,
        on_hand: p.on_hand,
        reserved: p.reserved,
        version: p.version,
        updated_at: Some(m.at),
    };
    let movement = Movement {
        id: m.id,
        variant_id: p.variant_id,
        location_id: p.location_id,
        delta_on_hand: m.delta_on_hand,
        delta_reserved: m.delta_reserved,
        on_hand_after: p.on_hand,
        reserved_after: p.reserved,
        version_after: p.version,
        reason,
        actor,
        reference,
        note: m.note,
        created_at: m.at,
    };
    Ok(StockLevelChanged { level, movement })
}

impl InventoryService {
    /// Ledger rows with an id above `after_id`, written at or after `since`, oldest
    /// first, at most `limit` (optionally at one location): what a live feed missed.
    pub async fn movements_since(
        &self,
        after_id: i64,
        since: DateTime<Utc>,
        location_id: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Movement>> {
        let mut q = stock_movement::Entity::find()
            .filter(stock_movement::Column::Id.gt(after_id))
            .filter(stock_movement::Column::CreatedAt.gte(since));
        if let Some(l) = location_id {
            q = q.filter(stock_movement::Column::LocationId.eq(l));
        }
        let rows = q.order_by_asc(stock_movement::Column::Id).limit(limit).all(self.db.conn()).await?;
        rows.into_iter().map(Movement::try_from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bus_event(m: &Movement) -> BusEvent {
        let e = super::super::ledger::event(m);
        BusEvent {
            id: 1,
            aggregate_type: e.aggregate_type,
            aggregate_id: e.aggregate_id,
            sequence: e.sequence,
            event_type: e.event_type,
            payload: e.payload,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn decodes_what_the_ledger_writes() {
        let movement = Movement {
            id: 9,
            variant_id: 4,
            location_id: 2,
            delta_on_hand: 0,
            delta_reserved: 3,
            on_hand_after: 10,
            reserved_after: 3,
            version_after: 7,
            reason: MovementReason::Reserve,
            actor: Actor::Customer { user_id: 5 },
            reference: Reference::Reservation(11),
            note: "n".into(),
            created_at: "2026-01-02T03:04:05.123456Z".parse().unwrap(),
        };
        let event = bus_event(&movement);
        assert_eq!(stock_event_target(&event), Some((4, 2)));
        let decoded = decode_stock_event(&event).unwrap().unwrap();
        assert_eq!(decoded.movement, movement);
        assert_eq!((decoded.level.on_hand, decoded.level.reserved, decoded.level.version), (10, 3, 7));
    }

    #[test]
    fn other_events_are_skipped_and_garbage_is_an_error() {
        let movement = Movement {
            id: 1,
            variant_id: 1,
            location_id: 1,
            delta_on_hand: 1,
            delta_reserved: 0,
            on_hand_after: 1,
            reserved_after: 0,
            version_after: 1,
            reason: MovementReason::Restock,
            actor: Actor::System,
            reference: Reference::Note,
            note: String::new(),
            created_at: Utc::now(),
        };
        let mut other = bus_event(&movement);
        other.aggregate_type = "order".into();
        assert!(decode_stock_event(&other).is_none());
        let mut garbage = bus_event(&movement);
        garbage.payload = serde_json::json!({ "variantId": "x" });
        assert!(decode_stock_event(&garbage).unwrap().is_err());
    }
}
