//! Staff operations on stock: restock, adjust (with optimistic locking) and transfer.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::ledger::{self, Change};
use super::levels;
use super::limits::{self, MAX_MOVE_QUANTITY};
use super::model::{Adjustment, Movement, MovementReason, Reference, StockChange, StockLevel, now};
use super::retry::{Step, retrying};
use super::service::{InventoryService, ensure_locations, ensure_variant};
use crate::actor::Actor;
use crate::error::{Error, Result};

/// The outcome of a transfer: both levels after it, and the reference both ledger rows share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub reference: String,
    pub from: StockLevel,
    pub to: StockLevel,
}

impl InventoryService {
    /// Adds `quantity` units to `on_hand` (goods received), creating the stock level if
    /// the variant was never stocked there.
    #[tracing::instrument(skip(self, note), err(level = "debug"))]
    pub async fn restock(&self, variant_id: i64, location_id: i64, quantity: i64, actor: Actor, note: &str) -> Result<StockLevel> {
        limits::id("variantId", variant_id)?;
        limits::id("locationId", location_id)?;
        limits::quantity("quantity", quantity, MAX_MOVE_QUANTITY)?;
        let note = limits::note(note)?;
        ensure_variant(self.db.conn(), variant_id).await?;
        ensure_locations(self.db.conn(), &[location_id], "locationId").await?;
        retrying("restock", || async {
            let txn = self.db.begin_write().await?;
            let movement = restock_within(&*txn, variant_id, location_id, quantity, actor, note, now()).await?;
            txn.commit().await?;
            Ok(level_after(&movement))
        })
        .await
    }

    /// Changes `on_hand` of one level by a delta or to a count, for one of the reasons
    /// [`MovementReason::allowed_for_adjustment`] accepts.
    ///
    /// With `expected_version`, a level that has changed since is a
    /// [`Error::VersionConflict`] carrying the level as it is now. Leaving fewer units on
    /// hand than are reserved is `Invalid`. Nothing changes on any error. Setting the
    /// count it already has changes nothing and writes nothing.
    #[tracing::instrument(skip(self, adjustment), fields(variant_id = adjustment.variant_id, location_id = adjustment.location_id), err(level = "debug"))]
    pub async fn adjust(&self, adjustment: &Adjustment, actor: Actor) -> Result<StockLevel> {
        let a = adjustment;
        limits::id("variantId", a.variant_id)?;
        limits::id("locationId", a.location_id)?;
        match a.change {
            StockChange::Delta(d) => limits::delta(d).map(drop)?,
            StockChange::SetOnHand(n) => limits::set_on_hand(n).map(drop)?,
        }
        if !a.reason.allowed_for_adjustment() {
            return Err(Error::invalid(
                "reason",
                format!("`{}` is recorded by its own operation, not by an adjustment", a.reason.as_str()),
            ));
        }
        if a.expected_version.is_some_and(|v| v < 0) {
            return Err(Error::invalid("expectedVersion", "`expectedVersion` must not be negative"));
        }
        let note = limits::note(&a.note)?;
        ensure_variant(self.db.conn(), a.variant_id).await?;
        ensure_locations(self.db.conn(), &[a.location_id], "locationId").await?;
        retrying("adjust", || self.try_adjust(a, note, actor)).await
    }

    async fn try_adjust(&self, a: &Adjustment, note: &str, actor: Actor) -> Result<StockLevel, Step> {
        let txn = self.db.begin_write().await?;
        // The level as it is now: the write below is guarded by exactly this version.
        let current = levels::find(&*txn, a.variant_id, a.location_id).await?;
        let seen = current.clone().map(StockLevel::from).unwrap_or_else(|| StockLevel::empty(a.variant_id, a.location_id));
        if let Some(expected) = a.expected_version
            && expected != seen.version
        {
            return Err(Step::Fail(Error::stale("stock level", expected, seen.version)));
        }
        let delta = match a.change {
            StockChange::Delta(d) => d,
            StockChange::SetOnHand(n) => n - seen.on_hand,
        };
        if delta == 0 {
            return Ok(seen);
        }
        let field = if matches!(a.change, StockChange::Delta(_)) { "delta" } else { "setOnHand" };
        if seen.on_hand + delta < seen.reserved {
            return Err(Step::Fail(Error::invalid(
                field,
                format!(
                    "this would leave {} on hand, but {} are reserved by open carts and orders (on hand cannot go below that)",
                    seen.on_hand + delta,
                    seen.reserved
                ),
            )));
        }
        let now = now();
        let written = match &current {
            None => levels::create(&*txn, a.variant_id, a.location_id, delta, now).await?,
            Some(level) => levels::adjust(&*txn, level.id, delta, level.version, now).await?,
        };
        let Some(level) = written else {
            // Changed between the read and the guarded write: read again (and, with an
            // expected version, report the conflict).
            return Err(Step::Retry(Error::Internal(anyhow::anyhow!("stock level kept changing during an adjustment"))));
        };
        let reference = Reference::Adjustment;
        let change = Change { level: &level, delta_on_hand: delta, delta_reserved: 0, reason: a.reason, actor, reference, note, at: now };
        ledger::record(&*txn, change).await?;
        txn.commit().await?;
        Ok(level.into())
    }

    /// Moves `quantity` unreserved units of a variant from one location to another.
    /// Fewer available at the source is [`Error::OutOfStock`]; nothing changes then.
    #[tracing::instrument(skip(self, note), err(level = "debug"))]
    pub async fn transfer(&self, variant_id: i64, from: i64, to: i64, quantity: i64, actor: Actor, note: &str) -> Result<Transfer> {
        limits::id("variantId", variant_id)?;
        limits::id("fromLocationId", from)?;
        limits::id("toLocationId", to)?;
        if from == to {
            return Err(Error::invalid("toLocationId", "a transfer needs two different locations"));
        }
        limits::quantity("quantity", quantity, MAX_MOVE_QUANTITY)?;
        let note = limits::note(note)?;
        ensure_variant(self.db.conn(), variant_id).await?;
        ensure_locations(self.db.conn(), &[from], "fromLocationId").await?;
        ensure_locations(self.db.conn(), &[to], "toLocationId").await?;
        retrying("transfer", || async {
            let txn = self.db.begin_write().await?;
            let now = now();
            let reference = uuid::Uuid::now_v7().to_string();
            // Both levels in location order: the global lock order.
            let mut out = None;
            let mut into = None;
            for location in if from < to { [from, to] } else { [to, from] } {
                if location == from {
                    let Some(level) = levels::take_available(&*txn, variant_id, from, quantity, now).await? else {
                        let available = levels::available(&*txn, variant_id, Some(from)).await?;
                        return Err(Step::Fail(Error::OutOfStock { variant_id, requested: quantity, available }));
                    };
                    out = Some(level);
                } else {
                    into = Some(levels::add_on_hand(&*txn, variant_id, to, quantity, now).await?);
                }
            }
            let (Some(out), Some(into)) = (out, into) else {
                return Err(Step::Fail(Error::Internal(anyhow::anyhow!("transfer did not touch both levels"))));
            };
            for (level, delta) in [(&out, -quantity), (&into, quantity)] {
                let change = Change {
                    level,
                    delta_on_hand: delta,
                    delta_reserved: 0,
                    reason: MovementReason::Transfer,
                    actor,
                    reference: Reference::Transfer(reference.clone()),
                    note,
                    at: now,
                };
                ledger::record(&*txn, change).await?;
            }
            txn.commit().await?;
            Ok(Transfer { reference, from: out.into(), to: into.into() })
        })
        .await
    }
}

/// A restock inside the caller's transaction (seeding writes many in one).
pub(crate) async fn restock_within<C: ConnectionTrait>(
    conn: &C,
    variant_id: i64,
    location_id: i64,
    quantity: i64,
    actor: Actor,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Movement> {
    let level = levels::add_on_hand(conn, variant_id, location_id, quantity, now).await?;
    let change = Change {
        level: &level,
        delta_on_hand: quantity,
        delta_reserved: 0,
        reason: MovementReason::Restock,
        actor,
        reference: Reference::Note,
        note,
        at: now,
    };
    ledger::record(conn, change).await
}

fn level_after(m: &Movement) -> StockLevel {
    StockLevel {
        variant_id: m.variant_id,
        location_id: m.location_id,
        on_hand: m.on_hand_after,
        reserved: m.reserved_after,
        version: m.version_after,
        updated_at: Some(m.created_at),
    }
}
