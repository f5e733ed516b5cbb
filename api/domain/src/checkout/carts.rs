//! Editing carts: lines, holds, coupons, merging a guest cart at sign-in, expiry.
//!
//! Every edit is one write transaction (retried on conflicts) that first bumps the
//! cart's version with a guarded statement (`WHERE version = expected`), which also
//! locks the cart, then brings each touched line's holds in line with its quantity:
//! reserving the shortfall (all or nothing, in variant order) or giving back the
//! excess. Out of stock rolls everything back: the cart is as it was.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use super::cart::{self, Cart, CartAccess, CartStatus, check_access};
use super::settings::CommerceConfig;
use super::variants::{self, VariantInfo};
use crate::accounts::tokens::{random_token, token_hash};
use crate::actor::Actor;
use crate::coupons::{CouponService, EligibleLine};
use crate::db::{Database, OnUniqueViolation};
use crate::entity::{cart as cart_entity, cart_line};
use crate::error::{Error, Result};
use crate::events::OutboxNotify;
use crate::inventory::{InventoryService, Reservation};
use crate::money::Currency;

/// What a cart has: the quantity of each variant in it, and its active holds.
#[derive(Debug, Default)]
struct Contents {
    quantities: std::collections::HashMap<i64, i64>,
    holds: Vec<Reservation>,
}

/// A wanted quantity of one variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineChange {
    pub variant_id: i64,
    pub quantity: i64,
}

#[derive(Clone)]
pub struct CartService {
    pub(super) db: Database,
    pub(super) inventory: InventoryService,
    pub(super) coupons: CouponService,
    pub(super) config: CommerceConfig,
    pub(super) notify: OutboxNotify,
    pub(super) currency: Currency,
}

impl CartService {
    pub fn new(
        db: Database,
        inventory: InventoryService,
        coupons: CouponService,
        config: CommerceConfig,
        notify: OutboxNotify,
        currency: Currency,
    ) -> Self {
        CartService { db, inventory, coupons, config, notify, currency }
    }

    /// How long a cart may sit idle before it expires: a guest cart lives as long as a
    /// customer's once it has an email (from `checkoutStart`), so that the reminders a
    /// shop sends to win it back find it still there.
    pub(super) fn idle(&self, customer: Option<i64>, email: Option<&str>) -> chrono::Duration {
        self.idle_when(customer.is_some() || email.is_some())
    }

    /// [`idle`](CartService::idle) of a cart that can (`reachable`) or cannot be
    /// reached by a reminder.
    fn idle_when(&self, reachable: bool) -> chrono::Duration {
        let idle = if reachable { self.config.customer_cart_idle } else { self.config.guest_cart_idle };
        chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::hours(24))
    }

    /// A new guest cart (with its token), or a signed-in customer's active cart (created
    /// if there is none), holding `lines` (units added to what it has). All or nothing:
    /// if a line cannot be had, no cart is created and nothing changes.
    pub async fn create(&self, customer_id: Option<i64>, lines: &[LineChange], actor: Actor) -> Result<(Cart, Option<String>)> {
        if !lines.is_empty() {
            check_changes(lines, true)?;
        } else if customer_id.is_none() {
            // An empty guest cart touches no stock: one insert, and its row is the cart.
            let token = random_token(24)?;
            let row = {
                let _gate = self.db.write_permit().await?;
                self.insert_guest_cart(self.db.conn(), &token).await?
            };
            return Ok((cart::without_lines(row)?, Some(token)));
        }
        let token = match customer_id {
            Some(_) => None,
            None => Some(random_token(24)?),
        };
        let token_ref = &token;
        let info = &self.variants_of(lines).await?;
        let cart_id = self
            .inventory
            .write_combined("cart create", lines.iter().map(|l| l.variant_id), |txn| async move {
                let txn = &*txn;
                let row = match customer_id {
                    Some(customer) => self.customer_cart_in(txn, customer).await?,
                    None => self.insert_guest_cart(txn, token_ref.as_deref().unwrap_or_default()).await?,
                };
                if !lines.is_empty() {
                    let access = CartAccess { cart_id: row.id, token: token_ref.clone(), customer_id };
                    self.lock(txn, &access, None).await?;
                    // A guest cart inserted just now has nothing yet.
                    let has = match customer_id {
                        Some(_) => self.contents_in(txn, row.id).await?,
                        None => Contents::default(),
                    };
                    let wanted: Vec<LineChange> = lines
                        .iter()
                        .map(|l| LineChange {
                            variant_id: l.variant_id,
                            quantity: has.quantities.get(&l.variant_id).copied().unwrap_or(0) + l.quantity,
                        })
                        .collect();
                    self.set_lines(txn, row.id, &has, &wanted, info, actor).await?;
                }
                Ok(row.id)
            })
            .await?;
        if !lines.is_empty() {
            self.notify.notify();
        }
        let cart = self.get(&CartAccess { cart_id, token: token.clone(), customer_id }).await?;
        Ok((cart, token))
    }

    async fn insert_guest_cart<C: ConnectionTrait>(&self, conn: &C, token: &str) -> Result<cart_entity::Model> {
        let now = Utc::now();
        Ok(cart_entity::Entity::insert(cart_entity::ActiveModel {
            token_hash: Set(Some(token_hash(token))),
            customer_id: Set(None),
            status: Set(CartStatus::Active.as_str().into()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            expires_at: Set(now + self.idle(None, None)),
            ..Default::default()
        })
        .exec_with_returning(conn)
        .await?)
    }

    /// The customer's active cart, created if there is none (the partial unique index
    /// settles a race between two creations).
    pub(super) async fn customer_cart_in(&self, txn: &DatabaseTransaction, customer: i64) -> Result<cart_entity::Model> {
        let find = || {
            cart_entity::Entity::find()
                .filter(cart_entity::Column::CustomerId.eq(customer))
                .filter(cart_entity::Column::Status.eq(CartStatus::Active.as_str()))
        };
        if let Some(row) = find().one(txn).await? {
            return Ok(row);
        }
        let now = Utc::now();
        let inserted = cart_entity::Entity::insert(cart_entity::ActiveModel {
            token_hash: Set(None),
            customer_id: Set(Some(customer)),
            status: Set(CartStatus::Active.as_str().into()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            expires_at: Set(now + self.idle(Some(customer), None)),
            ..Default::default()
        })
        .exec_with_returning(txn)
        .await;
        inserted.on_unique_violation("carts.customer_id", || Error::Conflict)
    }

    /// The cart, if `access` may see it.
    pub async fn get(&self, access: &CartAccess) -> Result<Cart> {
        let (row, cart) =
            cart::find(self.db.conn(), access.cart_id, self.currency).await?.ok_or_else(|| Error::not_found("cart", "cartId"))?;
        check_access(&row, access)?;
        Ok(cart)
    }

    /// The cart holding line `line_id`, as [`CartService::get`] would show it to `access`
    /// (whose `cart_id` is ignored), and the line's place in it.
    pub async fn with_line(&self, line_id: i64, access: &CartAccess) -> Result<Option<Cart>> {
        let Some(line) = cart_line::Entity::find_by_id(line_id).one(self.db.conn()).await? else { return Ok(None) };
        match self.get(&CartAccess { cart_id: line.cart_id, ..access.clone() }).await {
            Ok(cart) => Ok(Some(cart)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The customer's active cart, if any.
    pub async fn of_customer(&self, customer_id: i64) -> Result<Option<Cart>> {
        let row = cart_entity::Entity::find()
            .filter(cart_entity::Column::CustomerId.eq(customer_id))
            .filter(cart_entity::Column::Status.eq(CartStatus::Active.as_str()))
            .one(self.db.conn())
            .await?;
        match row {
            Some(row) => Ok(Some(cart::load(self.db.conn(), row, self.currency).await?)),
            None => Ok(None),
        }
    }

    /// Bumps the cart's version if it is `expected` (and it is active), extending its
    /// idle expiry, and checks access: one statement that also locks the cart. A stale
    /// version is a version conflict, a cart no longer active cannot change, and a cart
    /// `access` may not use is not found (whatever its version). Returns the cart row as
    /// it now is. On an error the caller's transaction must not commit (write work
    /// returns it, which rolls the work back).
    pub(super) async fn lock(&self, txn: &DatabaseTransaction, access: &CartAccess, expected: Option<i64>) -> Result<cart_entity::Model> {
        let now = Utc::now();
        let (reachable, guest) = (now + self.idle_when(true), now + self.idle_when(false));
        let mut sql = String::from(
            "UPDATE carts SET version = version + 1, updated_at = ?, \
             expires_at = CASE WHEN customer_id IS NOT NULL OR email IS NOT NULL THEN ? ELSE ? END \
             WHERE id = ? AND status = 'active'",
        );
        let mut values: Vec<sea_orm::Value> = vec![now.into(), reachable.into(), guest.into(), access.cart_id.into()];
        if let Some(v) = expected {
            sql.push_str(" AND version = ?");
            values.push(v.into());
        }
        sql.push_str(" RETURNING *");
        let stmt = crate::db::statement(txn.get_database_backend(), &sql, values);
        if let Some(row) = cart_entity::Entity::find().from_raw_sql(stmt).one(txn).await? {
            check_access(&row, access)?;
            return Ok(row);
        }
        // Nothing changed: say why, telling nothing to whoever may not use the cart.
        let row = cart_entity::Entity::find_by_id(access.cart_id).one(txn).await?.ok_or_else(|| Error::not_found("cart", "cartId"))?;
        check_access(&row, access)?;
        Err(match expected {
            Some(v) if row.status == CartStatus::Active.as_str() => Error::stale("cart", v, i64::from(row.version)),
            _ => Error::invalid("cartId", format!("this cart is {} and can no longer change", row.status)),
        })
    }

    /// Runs one cart edit as a retried write transaction and returns the cart after it.
    async fn edit<F, Fut>(&self, access: &CartAccess, variant_ids: Vec<i64>, apply: F) -> Result<Cart>
    where
        F: FnMut(Arc<DatabaseTransaction>) -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        self.inventory.write_combined("cart edit", variant_ids, apply).await?;
        self.notify.notify();
        self.get(access).await
    }

    /// Adds units to the cart, holding their stock.
    #[tracing::instrument(skip(self, access, lines), fields(cart_id = access.cart_id))]
    pub async fn add_lines(&self, access: &CartAccess, expected_version: i64, lines: &[LineChange], actor: Actor) -> Result<Cart> {
        self.change_lines(access, expected_version, lines, actor, LineEdit::Add).await
    }

    /// Sets line quantities (0 removes the line), holding or giving back stock.
    #[tracing::instrument(skip(self, access, lines), fields(cart_id = access.cart_id))]
    pub async fn update_lines(&self, access: &CartAccess, expected_version: i64, lines: &[LineChange], actor: Actor) -> Result<Cart> {
        self.change_lines(access, expected_version, lines, actor, LineEdit::Set).await
    }

    /// One line edit under the cart's lock: the quantities `how` asks for, then the
    /// holds to match.
    async fn change_lines(
        &self,
        access: &CartAccess,
        expected_version: i64,
        lines: &[LineChange],
        actor: Actor,
        how: LineEdit,
    ) -> Result<Cart> {
        check_changes(lines, how == LineEdit::Add)?;
        let ids = lines.iter().map(|l| l.variant_id).collect();
        let info = &self.variants_of(lines).await?;
        let seen = &self.seen_at(access.cart_id, expected_version).await?;
        self.edit(access, ids, |txn| async move {
            let txn = &*txn;
            self.lock(txn, access, Some(expected_version)).await?;
            let read;
            let has = match seen {
                Some(seen) => seen,
                None => {
                    read = self.contents_in(txn, access.cart_id).await?;
                    &read
                }
            };
            let current = &has.quantities;
            let wanted: Vec<LineChange> = match how {
                LineEdit::Add => lines
                    .iter()
                    .map(|l| LineChange {
                        variant_id: l.variant_id,
                        quantity: current.get(&l.variant_id).copied().unwrap_or(0) + l.quantity,
                    })
                    .collect(),
                LineEdit::Set => {
                    if let Some(i) = lines.iter().position(|l| !current.contains_key(&l.variant_id)) {
                        return Err(Error::invalid(line_field(i, "variantId"), "this variant is not in the cart (use cartLinesAdd)"));
                    }
                    lines.to_vec()
                }
            };
            self.set_lines(txn, access.cart_id, has, &wanted, info, actor).await?;
            Ok(())
        })
        .await
    }

    /// Removes lines and gives their stock back.
    pub async fn remove_lines(&self, access: &CartAccess, expected_version: i64, variant_ids: &[i64], actor: Actor) -> Result<Cart> {
        let zeros: Vec<LineChange> = variant_ids.iter().map(|&variant_id| LineChange { variant_id, quantity: 0 }).collect();
        self.update_lines(access, expected_version, &zeros, actor).await
    }

    /// What an edit of `lines` needs to know of their variants (price, whether they are
    /// sold), read before it queues for their stock: catalog data, not stock, so the
    /// shared stock transaction does not wait on it.
    async fn variants_of(&self, lines: &[LineChange]) -> Result<std::collections::HashMap<i64, VariantInfo>> {
        variants::load(self.db.conn(), &lines.iter().map(|l| l.variant_id).collect::<Vec<_>>()).await
    }

    /// The cart's lines (quantity per variant) and active holds, read before an edit
    /// queues for its stock, if the cart is at `version`: the edit's lock then proves
    /// they are still so, because every change to a cart's lines or holds goes through
    /// that lock and bumps the version, except holds given back (lapsed ones the
    /// sweeper reached, which the edit would have given back anyway). So the shared
    /// stock transaction need not read them. `None` if the cart is at another version
    /// (the edit reads them under its lock, or fails as stale).
    async fn seen_at(&self, cart_id: i64, version: i64) -> Result<Option<Contents>> {
        let conn = self.db.conn();
        let sql = "SELECT c.version, l.variant_id, l.quantity FROM carts c LEFT JOIN cart_lines l ON l.cart_id = c.id WHERE c.id = ?";
        let rows = conn.query_all_raw(crate::db::statement(conn.get_database_backend(), sql, vec![cart_id.into()])).await?;
        let mut lines = std::collections::HashMap::new();
        for row in &rows {
            if i64::from(crate::db::column::<i32>(row, 0)?) != version {
                return Ok(None);
            }
            if let (Some(variant), Some(quantity)) = (crate::db::column::<Option<i64>>(row, 1)?, crate::db::column::<Option<i32>>(row, 2)?)
            {
                lines.insert(variant, i64::from(quantity));
            }
        }
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(Contents { quantities: lines, holds: self.inventory.active_of_in(conn, &cart::cart_owner(cart_id)).await? }))
    }

    /// What the cart has, read in `txn` (under its lock).
    async fn contents_in(&self, txn: &DatabaseTransaction, cart_id: i64) -> Result<Contents> {
        let holds = self.inventory.active_of_in(txn, &cart::cart_owner(cart_id)).await?;
        Ok(Contents { quantities: self.quantities(txn, cart_id).await?, holds })
    }

    /// Current quantity of each variant in the cart.
    pub(super) async fn quantities(&self, txn: &DatabaseTransaction, cart_id: i64) -> Result<std::collections::HashMap<i64, i64>> {
        let rows: Vec<(i64, i32)> = cart_line::Entity::find()
            .select_only()
            .columns([cart_line::Column::VariantId, cart_line::Column::Quantity])
            .filter(cart_line::Column::CartId.eq(cart_id))
            .into_tuple()
            .all(txn)
            .await?;
        Ok(rows.into_iter().map(|(v, q)| (v, i64::from(q))).collect())
    }

    /// Makes each line's quantity `wanted` (0 removes it) and its holds match, in variant
    /// order. `has` is what the cart has (read under its lock, or proven current by it). New
    /// lines remember the current price. Errors name the line by its place in `wanted`
    /// (the request's order).
    async fn set_lines(
        &self,
        txn: &DatabaseTransaction,
        cart_id: i64,
        has: &Contents,
        wanted: &[LineChange],
        info: &std::collections::HashMap<i64, VariantInfo>,
        actor: Actor,
    ) -> Result<()> {
        let place: std::collections::HashMap<i64, usize> = wanted.iter().enumerate().map(|(i, l)| (l.variant_id, i)).collect();
        let mut wanted = wanted.to_vec();
        wanted.sort_by_key(|l| l.variant_id);
        let new_lines = wanted.iter().filter(|l| l.quantity > 0 && !has.quantities.contains_key(&l.variant_id)).count();
        let kept = has.quantities.keys().filter(|v| !wanted.iter().any(|w| w.variant_id == **v && w.quantity == 0)).count();
        if kept + new_lines > self.config.max_lines {
            return Err(Error::invalid("lines", format!("a cart holds at most {} lines", self.config.max_lines)));
        }
        let now = Utc::now();
        for line in &wanted {
            let at = |name: &str| line_field(place.get(&line.variant_id).copied().unwrap_or(0), name);
            if line.quantity > self.config.max_line_quantity {
                return Err(Error::invalid(
                    at("quantity"),
                    format!("at most {} of one item per order (asked for {})", self.config.max_line_quantity, line.quantity),
                ));
            }
            let variant = info.get(&line.variant_id).ok_or_else(|| Error::not_found("variant", at("variantId")))?;
            if line.quantity > 0 && !variant.purchasable() {
                return Err(Error::invalid(
                    at("variantId"),
                    format!("{} ({}) is no longer sold", variant.product_name, variant.variant_title),
                ));
            }
            self.sync_holds(txn, cart_id, (line.variant_id, line.quantity), &has.holds, actor).await?;
            if line.quantity == 0 {
                cart_line::Entity::delete_many()
                    .filter(cart_line::Column::CartId.eq(cart_id))
                    .filter(cart_line::Column::VariantId.eq(line.variant_id))
                    .exec(txn)
                    .await?;
                continue;
            }
            upsert_line(txn, cart_id, line, variant.price, now).await?;
        }
        Ok(())
    }

    /// Applies a coupon code, if it applies to the cart now.
    pub async fn apply_coupon(&self, access: &CartAccess, expected_version: i64, code: &str) -> Result<Cart> {
        let coupon = self
            .coupons
            .by_code(code)
            .await?
            .ok_or_else(|| Error::invalid("code", format!("'{}' is not a coupon code we know", code.trim())))?;
        let coupon = &coupon;
        self.edit(access, Vec::new(), |txn| async move {
            let txn = &*txn;
            let row = self.lock(txn, access, Some(expected_version)).await?;
            let (lines, paths) = self.coupon_context(txn, row.id, &coupon.category_ids).await?;
            coupon.evaluate(&lines, &paths, Utc::now()).map_err(|p| Error::invalid("code", p.message))?;
            cart_entity::Entity::update_many()
                .col_expr(cart_entity::Column::CouponId, Expr::val(coupon.id))
                .filter(cart_entity::Column::Id.eq(row.id))
                .exec(txn)
                .await?;
            Ok(())
        })
        .await
    }

    pub async fn remove_coupon(&self, access: &CartAccess, expected_version: i64) -> Result<Cart> {
        self.edit(access, Vec::new(), |txn| async move {
            let txn = &*txn;
            let row = self.lock(txn, access, Some(expected_version)).await?;
            cart_entity::Entity::update_many()
                .col_expr(cart_entity::Column::CouponId, Expr::val(Option::<i64>::None))
                .filter(cart_entity::Column::Id.eq(row.id))
                .exec(txn)
                .await?;
            Ok(())
        })
        .await
    }

    /// The cart's lines as a coupon sees them, and the coupon's category paths.
    pub(super) async fn coupon_context<C: ConnectionTrait>(
        &self,
        conn: &C,
        cart_id: i64,
        coupon_categories: &[i64],
    ) -> Result<(Vec<EligibleLine>, Vec<String>)> {
        let lines = cart_line::Entity::find().filter(cart_line::Column::CartId.eq(cart_id)).all(conn).await?;
        let info = variants::load(conn, &lines.iter().map(|l| l.variant_id).collect::<Vec<_>>()).await?;
        let product_ids: Vec<i64> = info.values().map(|v| v.product_id).collect();
        let paths = variants::category_paths(conn, &product_ids).await?;
        let eligible = lines
            .iter()
            .filter_map(|l| {
                let v = info.get(&l.variant_id)?;
                Some(EligibleLine {
                    product_id: v.product_id,
                    category_paths: paths.get(&v.product_id).cloned().unwrap_or_default(),
                    line_total: l.unit_price * i64::from(l.quantity),
                })
            })
            .collect();
        Ok((eligible, variants::paths_of_categories(conn, coupon_categories).await?))
    }

    /// How long a cart line is held after it is added.
    pub fn hold(&self) -> Duration {
        self.config.cart_hold
    }

    /// How long an order holds its stock for payment after checkout.
    pub fn payment_window(&self) -> Duration {
        self.config.payment_window
    }
}

/// How a line edit reads its quantities.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LineEdit {
    /// Units to add to what the cart has.
    Add,
    /// The line's new quantity (0 removes it); the line must be in the cart.
    Set,
}

/// The path of field `name` of input line `index` (see [`Error::field`]).
pub fn line_field(index: usize, name: &str) -> String {
    format!("lines.{index}.{name}")
}

/// Quantities must be positive (adding) or not negative (setting), and one change per
/// variant.
fn check_changes(lines: &[LineChange], adding: bool) -> Result<()> {
    if lines.is_empty() {
        return Err(Error::invalid("lines", "give at least one line"));
    }
    if lines.len() > 100 {
        return Err(Error::invalid("lines", "at most 100 lines per request"));
    }
    for (i, l) in lines.iter().enumerate() {
        let min = if adding { 1 } else { 0 };
        if l.quantity < min || l.quantity > 1_000_000 {
            let what = if adding { "positive" } else { "0 or more" };
            return Err(Error::invalid(line_field(i, "quantity"), format!("quantity must be {what} (got {})", l.quantity)));
        }
        if lines[..i].iter().any(|o| o.variant_id == l.variant_id) {
            return Err(Error::invalid(line_field(i, "variantId"), "this variant is already in another line of the request"));
        }
    }
    Ok(())
}

/// Sets the line of `line.variant_id` in `cart_id` to `line.quantity`, creating it at
/// `unit_price` (an existing line keeps the price the shopper was shown).
pub(super) async fn upsert_line(
    txn: &DatabaseTransaction,
    cart_id: i64,
    line: &LineChange,
    unit_price: i64,
    now: chrono::DateTime<Utc>,
) -> Result<()> {
    let quantity = i32::try_from(line.quantity).map_err(|_| Error::invalid("quantity", "too many"))?;
    cart_line::Entity::insert(cart_line::ActiveModel {
        cart_id: Set(cart_id),
        variant_id: Set(line.variant_id),
        quantity: Set(quantity),
        unit_price: Set(unit_price),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([cart_line::Column::CartId, cart_line::Column::VariantId])
            .update_columns([cart_line::Column::Quantity, cart_line::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
