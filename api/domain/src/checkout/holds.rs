//! A cart's holds: kept in step with its lines, renewed, taken again after they lapse.

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};

use super::cart::{Cart, CartAccess, cart_owner};
use super::carts::CartService;
use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::inventory::{ReleaseTarget, Reservation, ReserveLine};

impl CartService {
    /// Brings the cart's holds on one variant to `quantity` on `conn` (the edit's
    /// transaction, or a savepoint in it): lapsed holds the sweeper has not reached are
    /// given back first, then the shortfall is reserved or the excess released.
    /// `active` is the cart's active holds as read under its lock (or proven current by
    /// it), before this edit changed any of this variant's.
    pub(super) async fn sync_holds<C: ConnectionTrait>(
        &self,
        conn: &C,
        cart_id: i64,
        (variant_id, quantity): (i64, i64),
        active: &[Reservation],
        actor: Actor,
    ) -> Result<()> {
        let owner = cart_owner(cart_id);
        let now = Utc::now();
        let lapsed: Vec<i64> = active.iter().filter(|r| r.variant_id == variant_id && r.expires_at <= now).map(|r| r.id).collect();
        if !lapsed.is_empty() {
            self.inventory.release_in(conn, &ReleaseTarget::Reservations(lapsed), actor).await?;
        }
        let held: i64 = active.iter().filter(|r| r.variant_id == variant_id && r.expires_at > now).map(|r| r.quantity).sum();
        match quantity.cmp(&held) {
            std::cmp::Ordering::Greater => {
                let lines = [ReserveLine::new(variant_id, quantity - held)];
                self.inventory.reserve_in(conn, &lines, &owner, self.config.cart_hold, actor).await?;
            }
            std::cmp::Ordering::Less => {
                self.inventory.release_quantity_in(conn, &owner, variant_id, held - quantity, actor).await?;
            }
            std::cmp::Ordering::Equal => {}
        }
        Ok(())
    }

    /// Holds each of `lines` (variant, quantity) again, in variant order, each on its
    /// own savepoint: a line that cannot be fully held stays as it was (marked not
    /// held) without stopping the others. Returns, per line left short, the variant and
    /// how many units were available.
    pub(super) async fn rehold_lines(
        &self,
        txn: &DatabaseTransaction,
        cart_id: i64,
        mut lines: Vec<(i64, i64)>,
        actor: Actor,
    ) -> Result<Vec<(i64, i64)>> {
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        lines.sort_unstable();
        // Each line changes only its own variant's holds: one read serves them all.
        let active = self.inventory.active_of_in(txn, &cart_owner(cart_id)).await?;
        let mut short = Vec::new();
        for (variant_id, quantity) in lines {
            let savepoint = txn.begin().await?;
            match self.sync_holds(&savepoint, cart_id, (variant_id, quantity), &active, actor).await {
                Ok(()) => savepoint.commit().await?,
                Err(Error::OutOfStock { available, .. }) => {
                    savepoint.rollback().await?;
                    short.push((variant_id, available));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(short)
    }

    /// Renews the cart's holds for another hold period, and re-holds lines whose holds
    /// lapsed where stock allows. Returns the cart and, per line still short, how many
    /// units could not be held.
    pub async fn extend_holds(&self, access: &CartAccess, actor: Actor) -> Result<(Cart, Vec<(i64, i64)>)> {
        let cart = self.get(access).await?;
        let ids: Vec<i64> = cart.lines.iter().map(|l| l.variant_id).collect();
        let short = self
            .inventory
            .write_combined("cart hold extension", ids, |txn| async move {
                let txn = &*txn;
                let row = self.lock(txn, access, None).await?;
                let current = self.quantities(txn, row.id).await?;
                let until = Utc::now() + chrono::Duration::from_std(self.config.cart_hold).unwrap_or(chrono::Duration::minutes(10));
                self.inventory.set_expiry_in(txn, &cart_owner(row.id), until).await?;
                self.rehold_lines(txn, row.id, current.into_iter().collect(), actor).await
            })
            .await?;
        self.notify.notify();
        Ok((self.get(access).await?, short))
    }
}
