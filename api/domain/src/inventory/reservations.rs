//! The life of a reservation after it is made: extend, release, commit (sale), and
//! [`end`], which the sweeper shares.
//!
//! Every status change is one guarded statement (`... AND status = 'active'`) that
//! returns the rows it changed, and only those rows give stock back. A release, an
//! expiry and a commit racing for one reservation therefore change it exactly once:
//! the loser's statement matches nothing (on Postgres it waits for the winner's row
//! lock, then re-checks the status).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};

use super::ledger::{self, Change};
use super::levels::{self, placeholders, stmt};
use super::limits::{self, MAX_RELEASE_IDS};
use super::model::{MovementReason, Owner, Reference, ReleaseTarget, Reservation, ReservationStatus, now};
use super::retry::{Step, retrying};
use super::service::InventoryService;
use crate::actor::Actor;
use crate::entity::reservation;
use crate::error::{Error, Result};

pub(super) const RESERVATION_COLUMNS: &str =
    "id, variant_id, location_id, quantity, owner_type, owner_id, status, expires_at, created_at, updated_at";

/// How reservations end, and what happens to their stock.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ending<'a> {
    /// Given back by the owner: `reserved` drops.
    Release,
    /// Given back by the sweeper: `reserved` drops.
    Expire,
    /// Sold under this order reference: `on_hand` and `reserved` drop.
    Commit(&'a str),
}

impl Ending<'_> {
    fn status(self) -> ReservationStatus {
        match self {
            Ending::Release => ReservationStatus::Released,
            Ending::Expire => ReservationStatus::Expired,
            Ending::Commit(_) => ReservationStatus::Committed,
        }
    }
}

impl InventoryService {
    /// Moves the expiry of the owner's active, unexpired reservations to `ttl` from now
    /// (never earlier than it was). Returns them; none is not an error. Stock does not
    /// change, so nothing is written to the ledger.
    #[tracing::instrument(skip(self), fields(owner = owner.id()), err(level = "debug"))]
    pub async fn extend(&self, owner: &Owner, ttl: Duration) -> Result<Vec<Reservation>> {
        let ttl = limits::ttl(ttl)?;
        retrying("extend", || async {
            let txn = self.db.begin_write().await?;
            let now = now();
            let sql = format!(
                "UPDATE reservations SET expires_at = CASE WHEN expires_at < $1 THEN $1 ELSE expires_at END, updated_at = $2 \
                 WHERE owner_type = $3 AND owner_id = $4 AND status = 'active' AND expires_at > $2 RETURNING {RESERVATION_COLUMNS}"
            );
            let values: Vec<Value> = vec![(now + ttl).into(), now.into(), owner.kind().as_str().into(), owner.id().into()];
            let rows = returning_reservations(&*txn, &sql, values).await?;
            txn.commit().await?;
            Ok(sorted(rows.into_iter().map(Reservation::try_from).collect::<Result<Vec<_>>>()?))
        })
        .await
    }

    /// Releases active reservations and gives their stock back. Reservations that are no
    /// longer active are skipped, so releasing twice is harmless. Returns the released ones.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn release(&self, target: &ReleaseTarget, actor: Actor) -> Result<Vec<Reservation>> {
        if let ReleaseTarget::Reservations(ids) = target {
            if ids.is_empty() || ids.len() > MAX_RELEASE_IDS {
                return Err(Error::invalid("reservationIds", format!("name between 1 and {MAX_RELEASE_IDS} reservations")));
            }
            for id in ids {
                limits::id("reservationIds", *id)?;
            }
        }
        retrying("release", || async {
            let txn = self.db.begin_write().await?;
            let now = now();
            let rows = mark(&*txn, target, ReservationStatus::Released, now).await?;
            let ended = end(&*txn, rows, Ending::Release, actor, now).await?;
            txn.commit().await?;
            Ok(ended)
        })
        .await
    }

    /// Turns the owner's active reservations into a sale recorded against `order`
    /// (`on_hand` and `reserved` both drop). A reservation past `expires_at` that the
    /// sweeper has not reached yet still holds its stock and is committed too.
    /// `NotFound` (field `owner`) when the owner holds no active reservation.
    #[tracing::instrument(skip(self), fields(owner = owner.id()), err(level = "debug"))]
    pub async fn commit(&self, owner: &Owner, order: &str, actor: Actor) -> Result<Vec<Reservation>> {
        let order = limits::order_ref(order)?;
        retrying("commit", || async {
            let txn = self.db.begin_write().await?;
            let now = now();
            let rows = mark(&*txn, &ReleaseTarget::Owner(owner.clone()), ReservationStatus::Committed, now).await?;
            if rows.is_empty() {
                return Err(Step::Fail(Error::not_found("active reservation", "owner")));
            }
            let ended = end(&*txn, rows, Ending::Commit(order), actor, now).await?;
            txn.commit().await?;
            Ok(ended)
        })
        .await
    }

    /// Reservations of `owner`, any status, oldest first.
    pub async fn reservations_of(&self, owner: &Owner) -> Result<Vec<Reservation>> {
        let sql = format!("SELECT {RESERVATION_COLUMNS} FROM reservations WHERE owner_type = $1 AND owner_id = $2 ORDER BY id");
        let rows = returning_reservations(self.db.conn(), &sql, vec![owner.kind().as_str().into(), owner.id().into()]).await?;
        rows.into_iter().map(Reservation::try_from).collect()
    }
}

/// Sets `status` on the target's ACTIVE reservations; returns the rows it changed.
pub(super) async fn mark<C: ConnectionTrait>(
    conn: &C,
    target: &ReleaseTarget,
    status: ReservationStatus,
    now: DateTime<Utc>,
) -> Result<Vec<reservation::Model>> {
    let (sql, values): (String, Vec<Value>) = match target {
        ReleaseTarget::Owner(owner) => (
            format!(
                "UPDATE reservations SET status = $1, updated_at = $2 \
                 WHERE owner_type = $3 AND owner_id = $4 AND status = 'active' RETURNING {RESERVATION_COLUMNS}"
            ),
            vec![status.as_str().into(), now.into(), owner.kind().as_str().into(), owner.id().into()],
        ),
        ReleaseTarget::Reservations(ids) => {
            let mut values: Vec<Value> = vec![status.as_str().into(), now.into()];
            values.extend(ids.iter().map(|&id| Value::from(id)));
            (
                format!(
                    "UPDATE reservations SET status = $1, updated_at = $2 WHERE id IN ({}) AND status = 'active' RETURNING {RESERVATION_COLUMNS}",
                    placeholders(3, ids.len())
                ),
                values,
            )
        }
    };
    returning_reservations(conn, &sql, values).await
}

pub(super) async fn returning_reservations<C: ConnectionTrait>(conn: &C, sql: &str, values: Vec<Value>) -> Result<Vec<reservation::Model>> {
    let rows = conn.query_all_raw(stmt(conn.get_database_backend(), sql, values)).await?;
    Ok(rows.iter().map(|r| reservation::Model::from_query_result(r, "")).collect::<Result<Vec<_>, _>>()?)
}

/// Gives back (or sells) the stock of reservations whose status `mark` just changed,
/// one guarded level change, ledger row and event each, in (variant, location) order.
pub(super) async fn end<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<reservation::Model>,
    ending: Ending<'_>,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Reservation>, Step> {
    let mut ended = sorted(rows.into_iter().map(Reservation::try_from).collect::<Result<Vec<_>>>()?);
    for r in &mut ended {
        let (level, delta_on_hand, reason, reference) = match ending {
            Ending::Release | Ending::Expire => {
                let reason = if matches!(ending, Ending::Expire) { MovementReason::Expire } else { MovementReason::Release };
                (levels::unreserve(conn, r.variant_id, r.location_id, r.quantity, now).await?, 0, reason, Reference::Reservation(r.id))
            }
            Ending::Commit(order) => (
                levels::sell(conn, r.variant_id, r.location_id, r.quantity, now).await?,
                -r.quantity,
                MovementReason::Sale,
                Reference::Order(order.to_owned()),
            ),
        };
        let Some(level) = level else {
            // An active reservation always has its units in `reserved`.
            return Err(Step::Fail(Error::Internal(anyhow::anyhow!(
                "stock level {}:{} holds fewer units than active reservation {}",
                r.variant_id,
                r.location_id,
                r.id
            ))));
        };
        let change = Change { level: &level, delta_on_hand, delta_reserved: -r.quantity, reason, actor, reference, note: "", at: now };
        ledger::record(conn, change).await?;
        r.status = ending.status();
        r.updated_at = now;
    }
    Ok(ended)
}

/// In (variant, location, id) order: the lock order of stock levels.
fn sorted(mut reservations: Vec<Reservation>) -> Vec<Reservation> {
    reservations.sort_by_key(|r| (r.variant_id, r.location_id, r.id));
    reservations
}
