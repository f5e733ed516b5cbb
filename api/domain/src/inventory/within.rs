//! Inventory operations that join the caller's write transaction, so a change to stock
//! and the change that caused it commit or roll back together: an order created at
//! checkout together with the holds it takes over, a payment applied together with the
//! sale of its stock, a cancelled order together with the release of its holds.
//!
//! They make one attempt each. When a guarded write finds the stock moved since it was
//! planned they return [`Error::Conflict`]-free errors the caller can act on: `OutOfStock`
//! when there is not enough, or a transient database error; callers retry their whole
//! transaction with [`retry_transaction`]. Every stock change still writes its ledger
//! row and event on the same transaction.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};

use super::batch::lanes_of;
use super::combine::{alone, inside_lane};
use super::ledger::{self, Change};
use super::levels::{self, placeholders};
use super::limits;
use super::model::{MovementReason, Owner, Reference, ReleaseTarget, Reservation, ReserveLine, now};
use super::plan::normalise;
use super::reservations::{Ending, RESERVATION_COLUMNS, end, mark, returning_reservations};
use super::reserve::reserve_attempt;
use super::retry::{Step, again, retrying};
use super::service::{InventoryService, ensure_locations};
use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::inventory::model::ReservationStatus;

/// Runs `attempt` (one whole write transaction) again when it fails for a reason another
/// attempt may not meet: a stale stock plan, a deadlock or serialisation failure, a
/// busy SQLite file. Other errors come straight back.
pub async fn retry_transaction<T, F, Fut>(operation: &'static str, mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    retrying(operation, || {
        let fut = attempt();
        async move {
            fut.await.map_err(|e| match &e {
                Error::Db { source, .. } if super::retry::is_transient(source) => Step::Retry(e),
                Error::Conflict => Step::Retry(e),
                _ => Step::Fail(e),
            })
        }
    })
    .await
}

impl InventoryService {
    /// Runs `work` (the changes of one write transaction that hold, sell or give back
    /// stock of `variant_ids`) on a transaction it shares with other work on the same
    /// SKUs (see `combine`), answered once that transaction has committed. A stale
    /// plan or a deadlock runs `work` again (bounded), so it must write only through
    /// the connection it is given and must not commit it.
    ///
    /// `work` gets the transaction as an owned handle (`let txn = &*txn;` to use it),
    /// which it must not keep beyond its future.
    pub async fn write_combined<T, F, Fut>(
        &self,
        operation: &'static str,
        variant_ids: impl IntoIterator<Item = i64>,
        mut work: F,
    ) -> Result<T>
    where
        F: FnMut(Arc<DatabaseTransaction>) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let lanes = lanes_of(variant_ids);
        if let [lane] = lanes[..] {
            return self.combiner.turn(operation, lane, &mut work).await;
        }
        // Several SKUs (or none): alone, holding each SKU's lane.
        let _held = self.combiner.hold(&lanes).await?;
        inside_lane(async {
            let mut attempt = 1;
            loop {
                match alone(&self.db, &mut work).await {
                    Ok(value) => return Ok(value),
                    Err(step) => again(operation, &mut attempt, step, "retrying").await?,
                }
            }
        })
        .await
    }

    /// [`reserve`](InventoryService::reserve) inside `txn`. A stale plan is
    /// `Error::Conflict` (retry the transaction); not enough stock is `OutOfStock`.
    pub async fn reserve_in<C: ConnectionTrait>(
        &self,
        txn: &C,
        lines: &[ReserveLine],
        owner: &Owner,
        ttl: Duration,
        actor: Actor,
    ) -> Result<Vec<Reservation>> {
        let lines = normalise(lines)?;
        let ttl = limits::ttl(ttl)?;
        let explicit: Vec<i64> = lines.iter().filter_map(|l| l.location_id).collect();
        ensure_locations(txn, &explicit, "locationId").await?;
        reserve_attempt(txn, &lines, owner, ttl, actor).await.map_err(|step| match step {
            Step::Retry(Error::OutOfStock { .. }) => Error::Conflict,
            other => other.into_error(),
        })
    }

    /// [`release`](InventoryService::release) inside `txn`.
    pub async fn release_in<C: ConnectionTrait>(&self, txn: &C, target: &ReleaseTarget, actor: Actor) -> Result<Vec<Reservation>> {
        let now = now();
        let rows = mark(txn, target, ReservationStatus::Released, now).await?;
        end(txn, rows, Ending::Release, actor, now).await.map_err(Step::into_error)
    }

    /// [`commit`](InventoryService::commit) inside `txn`, except that an owner with
    /// nothing active commits nothing (an empty list), so callers decide what that means.
    pub async fn commit_in<C: ConnectionTrait>(&self, txn: &C, owner: &Owner, order: &str, actor: Actor) -> Result<Vec<Reservation>> {
        let order = limits::order_ref(order)?;
        let now = now();
        let rows = mark(txn, &ReleaseTarget::Owner(owner.clone()), ReservationStatus::Committed, now).await?;
        end(txn, rows, Ending::Commit(order), actor, now).await.map_err(Step::into_error)
    }

    /// Hands `from`'s active reservations to `to`, expiring at `expires_at` (a cart's
    /// holds becoming an order's). Stock does not change, so no ledger row is written.
    pub async fn transfer_owner_in<C: ConnectionTrait>(
        &self,
        txn: &C,
        from: &Owner,
        to: &Owner,
        expires_at: DateTime<Utc>,
    ) -> Result<Vec<Reservation>> {
        let now = now();
        let sql = format!(
            "UPDATE reservations SET owner_type = $1, owner_id = $2, expires_at = $3, updated_at = $4 \
             WHERE owner_type = $5 AND owner_id = $6 AND status = 'active' RETURNING {RESERVATION_COLUMNS}"
        );
        let values: Vec<Value> =
            vec![to.kind().as_str().into(), to.id().into(), expires_at.into(), now.into(), from.kind().as_str().into(), from.id().into()];
        let rows = returning_reservations(txn, &sql, values).await?;
        rows.into_iter().map(Reservation::try_from).collect()
    }

    /// Sets the expiry of `owner`'s active reservations to `expires_at` inside `txn`.
    pub async fn set_expiry_in<C: ConnectionTrait>(&self, txn: &C, owner: &Owner, expires_at: DateTime<Utc>) -> Result<Vec<Reservation>> {
        let now = now();
        let sql = format!(
            "UPDATE reservations SET expires_at = $1, updated_at = $2 WHERE owner_type = $3 AND owner_id = $4 AND status = 'active' \
             RETURNING {RESERVATION_COLUMNS}"
        );
        let values: Vec<Value> = vec![expires_at.into(), now.into(), owner.kind().as_str().into(), owner.id().into()];
        let rows = returning_reservations(txn, &sql, values).await?;
        rows.into_iter().map(Reservation::try_from).collect()
    }

    /// Gives back `quantity` of `owner`'s held units of `variant_id`, newest hold first,
    /// shrinking a hold when only part of it goes. Returns how many were given back
    /// (less than asked when fewer are held).
    pub async fn release_quantity_in<C: ConnectionTrait>(
        &self,
        txn: &C,
        owner: &Owner,
        variant_id: i64,
        quantity: i64,
        actor: Actor,
    ) -> Result<i64> {
        limits::quantity("quantity", quantity, super::MAX_LINE_QUANTITY)?;
        let now = now();
        let sql = format!(
            "SELECT {RESERVATION_COLUMNS} FROM reservations WHERE owner_type = $1 AND owner_id = $2 AND variant_id = $3 \
             AND status = 'active' ORDER BY id DESC"
        );
        let held = returning_reservations(txn, &sql, vec![owner.kind().as_str().into(), owner.id().into(), variant_id.into()]).await?;
        let mut left = quantity;
        for r in held {
            if left == 0 {
                break;
            }
            if r.quantity <= left {
                let rows = mark(txn, &ReleaseTarget::Reservations(vec![r.id]), ReservationStatus::Released, now).await?;
                let released: i64 =
                    end(txn, rows, Ending::Release, actor, now).await.map_err(Step::into_error)?.iter().map(|x| x.quantity).sum();
                left -= released;
                continue;
            }
            // Shrink this hold by `left`: the reservation row first (guarded), then the level.
            let shrink = format!(
                "UPDATE reservations SET quantity = quantity - $1, updated_at = $2 WHERE id IN ({}) AND status = 'active' AND quantity > $1 \
                 RETURNING {RESERVATION_COLUMNS}",
                placeholders(3, 1)
            );
            let shrunk = returning_reservations(txn, &shrink, vec![left.into(), now.into(), r.id.into()]).await?;
            if shrunk.is_empty() {
                return Err(Error::Conflict);
            }
            let Some(level) = levels::unreserve(txn, r.variant_id, r.location_id, left, now).await? else {
                return Err(Error::Internal(anyhow::anyhow!(
                    "stock level {}:{} holds fewer units than reservation {}",
                    r.variant_id,
                    r.location_id,
                    r.id
                )));
            };
            let change = Change {
                level: &level,
                delta_on_hand: 0,
                delta_reserved: -left,
                reason: MovementReason::Release,
                actor,
                reference: Reference::Reservation(r.id),
                note: "",
                at: now,
            };
            ledger::record(txn, change).await?;
            left = 0;
        }
        Ok(quantity - left)
    }

    /// Puts back on hand, at the locations they were sold from, the units an order's
    /// sales took (a refund with restock). Only what has not been returned yet goes
    /// back, so calling it twice returns nothing the second time. Returns the units.
    pub async fn return_sale_in<C: ConnectionTrait>(&self, txn: &C, order: &str, actor: Actor) -> Result<i64> {
        let order = limits::order_ref(order)?;
        let sql = "SELECT variant_id, location_id, CAST(SUM(CASE WHEN reason = 'sale' THEN -delta_on_hand ELSE 0 END) AS BIGINT) AS sold, \
                   CAST(SUM(CASE WHEN reason = 'return' THEN delta_on_hand ELSE 0 END) AS BIGINT) AS returned \
                   FROM stock_movements WHERE reference_type = 'order' AND reference_id = $1 GROUP BY variant_id, location_id \
                   ORDER BY variant_id, location_id";
        let rows = txn.query_all_raw(levels::stmt(txn.get_database_backend(), sql, vec![Value::from(order)])).await?;
        let now = now();
        let mut total = 0;
        for row in rows {
            let variant_id: i64 = row.try_get_by_index(0)?;
            let location_id: i64 = row.try_get_by_index(1)?;
            let sold: i64 = row.try_get_by_index(2)?;
            let returned: i64 = row.try_get_by_index(3)?;
            let n = sold - returned;
            if n <= 0 {
                continue;
            }
            let level = levels::add_on_hand(txn, variant_id, location_id, n, now).await?;
            let change = Change {
                level: &level,
                delta_on_hand: n,
                delta_reserved: 0,
                reason: MovementReason::Return,
                actor,
                reference: Reference::Order(order.to_owned()),
                note: "refunded and restocked",
                at: now,
            };
            ledger::record(txn, change).await?;
            total += n;
        }
        Ok(total)
    }

    /// Active reservations of `owner` read inside `txn`.
    pub async fn active_of_in<C: ConnectionTrait>(&self, txn: &C, owner: &Owner) -> Result<Vec<Reservation>> {
        let sql = format!(
            "SELECT {RESERVATION_COLUMNS} FROM reservations WHERE owner_type = $1 AND owner_id = $2 AND status = 'active' ORDER BY id"
        );
        let rows = returning_reservations(txn, &sql, vec![owner.kind().as_str().into(), owner.id().into()]).await?;
        rows.into_iter().map(Reservation::try_from).collect()
    }
}
