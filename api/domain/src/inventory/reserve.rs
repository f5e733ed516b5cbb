//! Reserving stock: all lines or none, in one transaction.
//!
//! 1. The lines are checked, duplicates (same variant and location) MERGED into one line,
//!    and sorted by (variant, location).
//! 2. One read gives the availability of every requested variant at every location: a
//!    hint to plan with. Each line goes to the first location (by priority) that can fill
//!    it whole, otherwise it is split across locations in priority order.
//! 3. The planned takes run in (variant, location) order, the global lock order, each as
//!    one guarded `UPDATE` (`... AND on_hand - reserved >= n`), with its reservation row,
//!    ledger row and event. If a guard fails (the hint went stale), availability is read
//!    again: not enough left means `OutOfStock`; otherwise the whole transaction is rolled
//!    back and planned again (bounded). Nothing is ever written without its guard.

use std::time::Duration;

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::batch::lanes_of;
use super::ledger::{self, Change};
use super::levels;
use super::limits;
use super::model::{MovementReason, Owner, Reference, Reservation, ReservationStatus, ReserveLine, now};
use super::plan::{allocate, load_hints, normalise};
use super::retry::{Step, retrying};
use super::service::{InventoryService, ensure_locations};
use crate::actor::Actor;
use crate::entity::reservation;
use crate::error::{Error, Result};

impl InventoryService {
    /// Reserves every line for `owner` until `ttl` from now, or nothing.
    ///
    /// Returns one reservation per (line, location) taken from. Not enough stock for a
    /// line is [`Error::OutOfStock`] with what is available to it; an unknown variant or
    /// location is `NotFound`; bad input is `Invalid`. Nothing is written on any error.
    #[tracing::instrument(skip(self, lines), fields(owner = owner.id(), lines = lines.len()), err(level = "debug"))]
    pub async fn reserve(&self, lines: &[ReserveLine], owner: &Owner, ttl: Duration, actor: Actor) -> Result<Vec<Reservation>> {
        let lines = normalise(lines)?;
        let ttl = limits::ttl(ttl)?;
        let explicit: Vec<i64> = lines.iter().filter_map(|l| l.location_id).collect();
        ensure_locations(self.db.conn(), &explicit, "locationId").await?;
        let lanes = lanes_of(lines.iter().map(|l| l.variant_id));
        if let [lane] = lanes[..] {
            // The common case (one SKU): alone on a quiet SKU, else served in bulk with
            // whatever else is queued for it.
            return retrying("reserve", || async {
                match self.combiner.claim(lane).map_err(Step::Fail)? {
                    Some(_alone) => self.try_reserve(&lines, owner, ttl, actor).await,
                    None => self.combiner.reserve(lane, lines.clone(), owner.clone(), ttl, actor).await,
                }
            })
            .await;
        }
        let _held = self.combiner.hold(&lanes).await?;
        retrying("reserve", || self.try_reserve(&lines, owner, ttl, actor)).await
    }

    async fn try_reserve(
        &self,
        lines: &[ReserveLine],
        owner: &Owner,
        ttl: chrono::Duration,
        actor: Actor,
    ) -> Result<Vec<Reservation>, Step> {
        let txn = self.db.begin_write().await?;
        let out = reserve_attempt(&*txn, lines, owner, ttl, actor).await?;
        txn.commit().await?;
        Ok(out)
    }
}

/// One attempt at reserving normalised `lines` on `txn` (which the caller commits or
/// rolls back). `Step::Retry` when a guard found the plan stale but enough stock may
/// still be there: the caller's transaction must roll back and try again.
pub(super) async fn reserve_attempt<C: ConnectionTrait>(
    txn: &C,
    lines: &[ReserveLine],
    owner: &Owner,
    ttl: chrono::Duration,
    actor: Actor,
) -> Result<Vec<Reservation>, Step> {
    let hints = load_hints(txn, lines).await?;
    let plan = allocate(lines, &hints).map_err(Step::Fail)?;
    let now = now();
    let expires_at = now + ttl;
    let mut taken = vec![0i64; lines.len()];
    let mut out = Vec::with_capacity(plan.len());
    let postgres = txn.get_database_backend() == sea_orm::DbBackend::Postgres;
    for a in plan {
        let took = if postgres {
            let owner = (owner.kind().as_str(), owner.id());
            levels::reserve_with_row(txn, a.level_id, a.quantity, now, owner, expires_at).await?.map(|(level, id)| (id, level))
        } else {
            // The reservation row first: the level's row lock is then held for as few
            // statements as possible.
            let id = reservation::Entity::insert(reservation::ActiveModel {
                variant_id: Set(a.variant_id),
                location_id: Set(a.location_id),
                quantity: Set(a.quantity),
                owner_type: Set(owner.kind().as_str().to_owned()),
                owner_id: Set(owner.id().to_owned()),
                status: Set(ReservationStatus::Active.as_str().to_owned()),
                expires_at: Set(expires_at),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec(txn)
            .await?
            .last_insert_id;
            levels::reserve(txn, a.level_id, a.quantity, now).await?.map(|level| (id, level))
        };
        let Some((id, level)) = took else {
            // The hint was stale. What is there now (plus what this line already holds)?
            let line = &lines[a.line];
            let available = levels::available(txn, line.variant_id, line.location_id).await? + taken[a.line];
            let err = Error::OutOfStock { variant_id: line.variant_id, requested: line.quantity, available };
            return Err(if available < line.quantity { Step::Fail(err) } else { Step::Retry(err) });
        };
        taken[a.line] += a.quantity;
        ledger::record(
            txn,
            Change {
                level: &level,
                delta_on_hand: 0,
                delta_reserved: a.quantity,
                reason: MovementReason::Reserve,
                actor,
                reference: Reference::Reservation(id),
                note: "",
                at: now,
            },
        )
        .await?;
        out.push(Reservation {
            id,
            variant_id: a.variant_id,
            location_id: a.location_id,
            quantity: a.quantity,
            owner: owner.clone(),
            status: ReservationStatus::Active,
            expires_at,
            created_at: now,
            updated_at: now,
        });
    }
    Ok(out)
}
