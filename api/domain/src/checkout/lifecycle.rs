//! Carts that merge into a customer's, reopen after a failed payment, or expire.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, TransactionTrait};

use super::cart::{Cart, CartAccess, CartStatus, cart_owner};
use super::carts::{CartService, LineChange, upsert_line};
use crate::actor::Actor;
use crate::db::unique_violation;
use crate::entity::{cart as cart_entity, cart_line};
use crate::error::{Error, Result};
use crate::inventory::ReleaseTarget;

impl CartService {
    /// Merges a guest cart into the customer's active cart at sign-in: quantities are
    /// added (capped at the per-line maximum) and the guest cart's holds move over.
    /// Returns the customer's cart.
    #[tracing::instrument(skip(self, guest), fields(guest_cart = guest.cart_id))]
    pub async fn merge(&self, guest: &CartAccess, customer_id: i64, actor: Actor) -> Result<Cart> {
        let guest_cart = self.get(&CartAccess { customer_id: None, ..guest.clone() }).await?;
        if guest_cart.customer_id.is_some() {
            return Err(Error::invalid("cartId", "only a guest cart can be merged"));
        }
        let ids: Vec<i64> = guest_cart.lines.iter().map(|l| l.variant_id).collect();
        let customer_cart_id = self
            .inventory
            .write_combined("cart merge", ids, |txn| async move {
                let txn = &*txn;
                let guest_row = self.lock(txn, &CartAccess { customer_id: None, ..guest.clone() }, None).await?;
                let target = self.customer_cart_in(txn, customer_id).await?;
                let target_access = CartAccess { cart_id: target.id, token: None, customer_id: Some(customer_id) };
                self.lock(txn, &target_access, None).await?;
                let theirs = self.quantities(txn, guest_row.id).await?;
                let mine = self.quantities(txn, target.id).await?;
                let hold_until = Utc::now() + chrono::Duration::from_std(self.config.cart_hold).unwrap_or(chrono::Duration::minutes(10));
                self.inventory.transfer_owner_in(txn, &cart_owner(guest_row.id), &cart_owner(target.id), hold_until).await?;
                let mut wanted: Vec<LineChange> = theirs
                    .iter()
                    .map(|(&variant_id, &q)| LineChange {
                        variant_id,
                        quantity: Ord::min(mine.get(&variant_id).copied().unwrap_or(0) + q, self.config.max_line_quantity),
                    })
                    .collect();
                wanted.sort_by_key(|l| l.variant_id);
                // Holds carried over; a line that cannot be fully held stays, marked as not held.
                self.rehold_lines(txn, target.id, wanted.iter().map(|l| (l.variant_id, l.quantity)).collect(), actor).await?;
                self.upsert_quantities(txn, target.id, &wanted, &guest_row.id).await?;
                cart_entity::Entity::update_many()
                    .col_expr(cart_entity::Column::Status, Expr::val(CartStatus::Merged.as_str()))
                    .filter(cart_entity::Column::Id.eq(guest_row.id))
                    .exec(txn)
                    .await?;
                Ok(target.id)
            })
            .await?;
        self.notify.notify();
        self.get(&CartAccess { cart_id: customer_cart_id, token: None, customer_id: Some(customer_id) }).await
    }

    /// Sets quantities on `cart_id`, taking the remembered prices of lines that come
    /// from `from_cart` (a merge keeps what the shopper was shown).
    async fn upsert_quantities(&self, txn: &DatabaseTransaction, cart_id: i64, wanted: &[LineChange], from_cart: &i64) -> Result<()> {
        let source = cart_line::Entity::find().filter(cart_line::Column::CartId.eq(*from_cart)).all(txn).await?;
        let now = Utc::now();
        for line in wanted {
            let price = source.iter().find(|s| s.variant_id == line.variant_id).map(|s| s.unit_price).unwrap_or(0);
            upsert_line(txn, cart_id, line, price, now).await?;
        }
        cart_line::Entity::delete_many().filter(cart_line::Column::CartId.eq(*from_cart)).exec(txn).await?;
        Ok(())
    }

    /// Expires carts idle past their expiry and gives back their holds, in batches.
    /// Safe on several instances at once: each cart's status changes once (guarded).
    /// A failed payment gives the buyer their cart back: the converted cart `cart_id`
    /// is reopened with `lines` (variant, quantity, unit price), not held, so they can
    /// change it or check out again (which cancels the failed order). A customer who
    /// has started another cart meanwhile keeps that one; returns whether it reopened.
    pub(crate) async fn reopen_in(&self, txn: &DatabaseTransaction, cart_id: i64, lines: &[(i64, i64, i64)]) -> Result<bool> {
        let Some(row) = cart_entity::Entity::find_by_id(cart_id).one(txn).await? else { return Ok(false) };
        if row.status != CartStatus::Converted.as_str() {
            return Ok(false);
        }
        let now = Utc::now();
        let savepoint = txn.begin().await?;
        let reopened = cart_entity::Entity::update_many()
            .col_expr(cart_entity::Column::Status, Expr::val(CartStatus::Active.as_str()))
            .col_expr(cart_entity::Column::Version, Expr::col(cart_entity::Column::Version).add(1))
            .col_expr(cart_entity::Column::UpdatedAt, Expr::val(now))
            .col_expr(cart_entity::Column::ExpiresAt, Expr::val(now + self.idle(row.customer_id, row.email.as_deref())))
            .filter(cart_entity::Column::Id.eq(cart_id))
            .filter(cart_entity::Column::Status.eq(CartStatus::Converted.as_str()))
            .exec(&savepoint)
            .await;
        match reopened {
            Ok(r) if r.rows_affected == 1 => {}
            Ok(_) => {
                savepoint.rollback().await?;
                return Ok(false);
            }
            Err(e) if unique_violation(&e) == Some("carts.customer_id") => {
                savepoint.rollback().await?;
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        }
        for &(variant_id, quantity, unit_price) in lines {
            let quantity = i32::try_from(Ord::min(quantity, self.config.max_line_quantity)).unwrap_or(1);
            cart_line::Entity::insert(cart_line::ActiveModel {
                cart_id: Set(cart_id),
                variant_id: Set(variant_id),
                quantity: Set(quantity),
                unit_price: Set(unit_price),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .on_conflict(OnConflict::columns([cart_line::Column::CartId, cart_line::Column::VariantId]).do_nothing().to_owned())
            .try_insert()
            .exec(&savepoint)
            .await?;
        }
        savepoint.commit().await?;
        Ok(true)
    }

    /// Undoes [`reopen_in`](Self::reopen_in) when the failed order is paid or retried
    /// after all: the cart is converted again, its holds released.
    pub(crate) async fn close_reopened_in(&self, txn: &DatabaseTransaction, cart_id: i64, actor: Actor) -> Result<()> {
        let Some(row) = cart_entity::Entity::find_by_id(cart_id).one(txn).await? else { return Ok(()) };
        if row.status != CartStatus::Active.as_str() {
            return Ok(());
        }
        self.inventory.release_in(txn, &ReleaseTarget::Owner(cart_owner(cart_id)), actor).await?;
        cart_line::Entity::delete_many().filter(cart_line::Column::CartId.eq(cart_id)).exec(txn).await?;
        cart_entity::Entity::update_many()
            .col_expr(cart_entity::Column::Status, Expr::val(CartStatus::Converted.as_str()))
            .col_expr(cart_entity::Column::Version, Expr::col(cart_entity::Column::Version).add(1))
            .col_expr(cart_entity::Column::UpdatedAt, Expr::val(Utc::now()))
            .filter(cart_entity::Column::Id.eq(cart_id))
            .exec(txn)
            .await?;
        Ok(())
    }

    pub async fn sweep_expired(&self, batch: u64) -> Result<usize> {
        let now = Utc::now();
        let due: Vec<i64> = cart_entity::Entity::find()
            .select_only()
            .column(cart_entity::Column::Id)
            .filter(cart_entity::Column::Status.eq(CartStatus::Active.as_str()))
            .filter(cart_entity::Column::ExpiresAt.lt(now))
            .limit(batch)
            .into_tuple()
            .all(self.db.conn())
            .await?;
        let mut expired = 0;
        for id in due {
            let txn = self.db.begin_write().await?;
            let changed = cart_entity::Entity::update_many()
                .col_expr(cart_entity::Column::Status, Expr::val(CartStatus::Expired.as_str()))
                .filter(cart_entity::Column::Id.eq(id))
                .filter(cart_entity::Column::Status.eq(CartStatus::Active.as_str()))
                .filter(cart_entity::Column::ExpiresAt.lt(now))
                .exec(&*txn)
                .await?
                .rows_affected
                == 1;
            if changed {
                self.inventory.release_in(&*txn, &ReleaseTarget::Owner(cart_owner(id)), Actor::System).await?;
                expired += 1;
            }
            txn.commit().await?;
        }
        if expired > 0 {
            self.notify.notify();
        }
        Ok(expired)
    }
}
