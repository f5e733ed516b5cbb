//! Recording a stock change: one ledger row (`stock_movements`) and one outbox event,
//! in the transaction that made the change. Every function that changes a stock level
//! calls [`record`] with the level as the change left it.
//!
//! The event is `stock_level.changed` on aggregate `stock_level` `"{variant}:{location}"`
//! with sequence = the level's new version; its payload is the new state plus the
//! movement, so the latest event alone tells a subscriber everything.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, IdenStatic, Iterable, Statement};
use serde_json::json;

use super::model::{Movement, MovementReason, Reference};
use crate::actor::Actor;
use crate::entity::{stock_level, stock_movement};
use crate::error::Result;
use crate::events::{self, Event};

/// The aggregate type of stock level events.
pub const AGGREGATE_TYPE: &str = "stock_level";
/// The event type written for every stock change.
pub const EVENT_TYPE: &str = "stock_level.changed";

/// One change of one stock level, as it is to be recorded.
pub(super) struct Change<'a> {
    /// The level after the change.
    pub level: &'a stock_level::Model,
    pub delta_on_hand: i64,
    pub delta_reserved: i64,
    pub reason: MovementReason,
    pub actor: Actor,
    pub reference: Reference,
    pub note: &'a str,
    pub at: DateTime<Utc>,
}

/// The aggregate id of a stock level's events.
pub fn aggregate_id(variant_id: i64, location_id: i64) -> String {
    format!("{variant_id}:{location_id}")
}

/// Writes the ledger row and the outbox event for `change`.
pub(super) async fn record<C: ConnectionTrait>(conn: &C, change: Change<'_>) -> Result<Movement> {
    let mut movements = record_many(conn, std::slice::from_ref(&change)).await?;
    movements.pop().ok_or_else(|| anyhow::anyhow!("no ledger row written for a change").into())
}

/// Writes the ledger rows and outbox events of `changes` (in order): on Postgres one
/// statement per chunk for both, elsewhere one each. The ledger's ids come back in the
/// order of the rows inserted (ascending ids within one statement, on both backends).
pub(super) async fn record_many<C: ConnectionTrait>(conn: &C, changes: &[Change<'_>]) -> Result<Vec<Movement>> {
    let postgres = conn.get_database_backend() == DbBackend::Postgres;
    let mut movements = Vec::with_capacity(changes.len());
    for chunk in changes.chunks(crate::db::MULTI_ROW_CHUNK) {
        let mut ids: Vec<i64> = if postgres {
            record_with_events(conn, chunk).await?
        } else {
            stock_movement::Entity::insert_many(chunk.iter().map(row)).exec_with_returning_keys(conn).await?
        };
        ids.sort_unstable();
        if ids.len() != chunk.len() {
            return Err(anyhow::anyhow!("{} ledger rows written for {} changes", ids.len(), chunk.len()).into());
        }
        movements.extend(ids.into_iter().zip(chunk).map(|(id, change)| movement(id, change)));
    }
    if !postgres {
        let events: Vec<Event> = movements.iter().map(event).collect();
        events::append_many(conn, &events).await?;
    }
    Ok(movements)
}

/// On Postgres, the ledger rows of `chunk` and their outbox events in one statement (a
/// round trip less per stock change, inside the shared stock transaction): each row is
/// [`row`], each event is built here as [`event`] makes it and takes its movement's id
/// from the row just inserted. Events go in in ledger order, which is the changes'
/// order. Returns the ledger ids.
async fn record_with_events<C: ConnectionTrait>(conn: &C, chunk: &[Change<'_>]) -> Result<Vec<i64>> {
    use std::fmt::Write as _;
    let columns: Vec<stock_movement::Column> =
        stock_movement::Column::iter().filter(|c| !matches!(c, stock_movement::Column::Id)).collect();
    let names: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
    let mut sql = format!("WITH m AS (INSERT INTO stock_movements ({}) VALUES ", names.join(", "));
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * (columns.len() + 5) + 3);
    for (i, change) in chunk.iter().enumerate() {
        let row = row(change);
        sql.push_str(if i == 0 { "(" } else { ", (" });
        for (k, column) in columns.iter().enumerate() {
            let value = row.get(*column).into_value().ok_or_else(|| anyhow::anyhow!("ledger column {} not set", column.as_str()))?;
            values.push(value);
            let _ = write!(sql, "{}${}", if k == 0 { "" } else { ", " }, values.len());
        }
        sql.push(')');
    }
    sql.push_str(" RETURNING id, variant_id, location_id, version_after), e (variant_id, location_id, version_after, aggregate_id, payload) AS (VALUES ");
    for (i, change) in chunk.iter().enumerate() {
        let n = values.len();
        let _ = write!(
            sql,
            "{}(${}::bigint, ${}::bigint, ${}::bigint, ${}::text, ${}::jsonb)",
            if i == 0 { "" } else { ", " },
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5
        );
        let event = event(&movement(0, change));
        let level = change.level;
        values.extend([
            level.variant_id.into(),
            level.location_id.into(),
            level.version.into(),
            event.aggregate_id.into(),
            event.payload.into(),
        ]);
    }
    let n = values.len();
    let _ = write!(
        sql,
        "), o AS (INSERT INTO outbox (aggregate_type, aggregate_id, sequence, event_type, payload, created_at) \
         SELECT ${}, e.aggregate_id, m.version_after, ${}, jsonb_set(e.payload, '{{movement,id}}', to_jsonb(m.id)), ${} \
         FROM m JOIN e USING (variant_id, location_id, version_after) ORDER BY m.id) \
         SELECT id FROM m",
        n + 1,
        n + 2,
        n + 3
    );
    values.extend([AGGREGATE_TYPE.into(), EVENT_TYPE.into(), Utc::now().into()]);
    let rows = conn.query_all_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await?;
    Ok(rows.iter().map(|row| row.try_get_by_index::<i64>(0)).collect::<Result<_, _>>()?)
}

/// The ledger row of `change`.
fn row(change: &Change<'_>) -> stock_movement::ActiveModel {
    let level = change.level;
    let (actor_type, actor_id) = change.actor.parts();
    let (reference_type, reference_id) = change.reference.parts();
    stock_movement::ActiveModel {
        variant_id: Set(level.variant_id),
        location_id: Set(level.location_id),
        delta_on_hand: Set(change.delta_on_hand),
        delta_reserved: Set(change.delta_reserved),
        on_hand_after: Set(level.on_hand),
        reserved_after: Set(level.reserved),
        version_after: Set(level.version),
        reason: Set(change.reason.as_str().to_owned()),
        actor_type: Set(actor_type.to_owned()),
        actor_id: Set(actor_id),
        reference_type: Set(reference_type.to_owned()),
        reference_id: Set(reference_id),
        note: Set(change.note.to_owned()),
        created_at: Set(change.at),
        ..Default::default()
    }
}

/// `change` as recorded under ledger row `id`.
fn movement(id: i64, change: &Change<'_>) -> Movement {
    let level = change.level;
    Movement {
        id,
        variant_id: level.variant_id,
        location_id: level.location_id,
        delta_on_hand: change.delta_on_hand,
        delta_reserved: change.delta_reserved,
        on_hand_after: level.on_hand,
        reserved_after: level.reserved,
        version_after: level.version,
        reason: change.reason,
        actor: change.actor,
        reference: change.reference.clone(),
        note: change.note.to_owned(),
        created_at: change.at,
    }
}

/// The `stock_level.changed` event for a recorded movement.
pub(super) fn event(m: &Movement) -> Event {
    let (actor_type, actor_id) = m.actor.parts();
    let (reference_type, reference_id) = m.reference.parts();
    Event {
        aggregate_type: AGGREGATE_TYPE.to_owned(),
        aggregate_id: aggregate_id(m.variant_id, m.location_id),
        sequence: m.version_after,
        event_type: EVENT_TYPE.to_owned(),
        payload: json!({
            "variantId": m.variant_id,
            "locationId": m.location_id,
            "onHand": m.on_hand_after,
            "reserved": m.reserved_after,
            "available": m.on_hand_after - m.reserved_after,
            "version": m.version_after,
            "movement": {
                "id": m.id,
                "reason": m.reason.as_str(),
                "deltaOnHand": m.delta_on_hand,
                "deltaReserved": m.delta_reserved,
                "actor": { "type": actor_type, "id": actor_id },
                "reference": { "type": reference_type, "id": reference_id },
                "note": m.note,
                "at": m.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            },
        }),
    }
}
