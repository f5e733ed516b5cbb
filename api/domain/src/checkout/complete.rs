//! Checkout: `start` records who and where, firms the holds and reviews the cart;
//! `complete` turns it into an order, once per idempotency key.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait};

use super::cart::{self, CartAccess, CartStatus, cart_owner, check_access};
use super::carts::CartService;
use super::review::{Problem, Review};
use super::variants;
use crate::accounts::{Email, tokens::token_hash};
use crate::actor::Actor;
use crate::address::AddressInput;
use crate::db::OnUniqueViolation;
use crate::entity::{cart as cart_entity, cart_line, order, order_line};
use crate::error::{Error, Result};
use crate::orders::{Change, Order, OrderService, OrderStatus, order_owner, publish_status, record_in};

/// What the buyer gives at checkout; absent fields keep what the cart has.
#[derive(Clone, Debug, Default)]
pub struct CheckoutInput {
    pub email: Option<String>,
    pub shipping_address: Option<AddressInput>,
    /// Take the current prices of lines whose price changed since they were added.
    pub accept_price_changes: bool,
}

/// The result of `checkoutComplete`.
#[derive(Clone, Debug)]
pub enum Completion {
    /// The order, and the token a guest uses to see it. `replayed` when this key had
    /// already made it.
    Ordered { order: Box<Order>, token: String, replayed: bool },
    /// Nothing was ordered: the problems say why.
    NotReady(Box<Review>),
}

/// 8 to 128 characters: letters, digits, `-`, `_`, `:`, `.` (a UUID fits).
fn check_key(key: &str) -> Result<()> {
    let ok = (8..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b));
    if ok { Ok(()) } else { Err(Error::invalid("idempotencyKey", "use 8 to 128 letters, digits, '-', '_', ':' or '.' (a UUID is ideal)")) }
}

impl CartService {
    /// Records email and shipping address, optionally accepts price changes, firms the
    /// holds for another hold period (re-holding lapsed lines where stock allows), and
    /// reviews the cart. Address problems are reported, not stored.
    #[tracing::instrument(skip(self, access, input), fields(cart_id = access.cart_id))]
    pub async fn checkout_start(&self, access: &CartAccess, input: &CheckoutInput, actor: Actor) -> Result<Review> {
        let email = input.email.as_deref().map(Email::parse).transpose()?;
        let address_problems = input.shipping_address.as_ref().map(AddressInput::problems).unwrap_or_default();
        let address = match &input.shipping_address {
            Some(a) if address_problems.is_empty() => Some(a.validate()?),
            _ => None,
        };
        let current = self.get(access).await?;
        let ids: Vec<i64> = current.lines.iter().map(|l| l.variant_id).collect();
        let (email, address) = (&email, &address);
        self.inventory
            .write_combined("checkout start", ids, |txn| async move {
                let txn = &*txn;
                let row = self.lock(txn, access, None).await?;
                let mut update = cart_entity::Entity::update_many().filter(cart_entity::Column::Id.eq(row.id));
                if let Some(email) = &email {
                    let expires_at = Utc::now() + self.idle(row.customer_id, Some(email.as_str()));
                    update = update
                        .col_expr(cart_entity::Column::Email, Expr::val(email.to_string()))
                        .col_expr(cart_entity::Column::ExpiresAt, Expr::val(expires_at));
                }
                if let Some(address) = &address {
                    let json = serde_json::to_value(address).map_err(|e| Error::Internal(e.into()))?;
                    update = update.col_expr(cart_entity::Column::ShippingAddress, Expr::val(json));
                }
                if email.is_some() || address.is_some() {
                    update.exec(txn).await?;
                }
                let cart = cart::load(txn, row.clone(), self.currency).await?;
                if input.accept_price_changes {
                    let info = variants::load(txn, &cart.lines.iter().map(|l| l.variant_id).collect::<Vec<_>>()).await?;
                    for line in &cart.lines {
                        if let Some(v) = info.get(&line.variant_id).filter(|v| v.price != line.unit_price.amount) {
                            cart_line::Entity::update_many()
                                .col_expr(cart_line::Column::UnitPrice, Expr::val(v.price))
                                .filter(cart_line::Column::Id.eq(line.id))
                                .exec(txn)
                                .await?;
                        }
                    }
                }
                // Firm the holds: renew them, and re-hold lapsed lines where stock allows
                // (a line fully held stays so once renewed).
                let until = Utc::now() + chrono::Duration::from_std(self.config.cart_hold).unwrap_or(chrono::Duration::minutes(10));
                self.inventory.set_expiry_in(txn, &cart_owner(row.id), until).await?;
                let lapsed = cart.lines.iter().filter(|l| !l.fully_held()).map(|l| (l.variant_id, l.quantity)).collect();
                self.rehold_lines(txn, row.id, lapsed, actor).await?;
                Ok(())
            })
            .await?;
        self.notify.notify();
        let cart = self.get(access).await?;
        let mut review = self.assess(self.db.conn(), cart).await?;
        if !address_problems.is_empty() {
            // The address given had problems and was not stored: report each field
            // instead of the generic "address required".
            review.problems.retain(|p| !matches!(p, Problem::AddressIncomplete { .. }));
            review.problems.extend(address_problems.into_iter().map(|p| Problem::AddressIncomplete { field: p.field, message: p.message }));
        }
        Ok(review)
    }

    /// Reviews the cart without changing it.
    pub async fn review(&self, access: &CartAccess) -> Result<Review> {
        let cart = self.get(access).await?;
        self.assess(self.db.conn(), cart).await
    }

    /// Creates the order from the cart: a snapshot of lines, prices, discount, address
    /// and totals in `pending_payment`, with the cart's holds moved to it until the
    /// payment deadline, the coupon redeemed and the cart emptied, all in one
    /// transaction. The same key returns the same order however often (and however
    /// concurrently) it is sent; the same key for another cart is
    /// `IdempotencyKeyReused`.
    #[tracing::instrument(skip(self, access, orders), fields(cart_id = access.cart_id))]
    pub async fn complete(&self, access: &CartAccess, idempotency_key: &str, orders: &OrderService, actor: Actor) -> Result<Completion> {
        check_key(idempotency_key)?;
        if let Some(done) = self.replay(self.db.conn(), access, idempotency_key, orders).await? {
            return Ok(done);
        }
        let current = self.get(access).await?;
        let ids: Vec<i64> = current.lines.iter().map(|l| l.variant_id).collect();
        let outcome = self
            .inventory
            .write_combined("checkout", ids, |txn| async move {
                let txn = &*txn;
                let row = match self.lock(txn, access, None).await {
                    Ok(row) => row,
                    // No longer active: a concurrent request with this key may just have
                    // ordered it (the lock waited for that commit, or it came earlier in
                    // this shared transaction).
                    Err(closed @ Error::Invalid { field: Some(_), .. }) => {
                        return match self.replay(txn, access, idempotency_key, orders).await? {
                            Some(done) => Ok(done),
                            None => Err(closed),
                        };
                    }
                    Err(e) => return Err(e),
                };
                let cart = cart::load(txn, row.clone(), self.currency).await?;
                // Re-hold what lapsed (in variant order), each on a savepoint so a shortfall
                // is reported rather than half-written.
                let lapsed: Vec<(i64, i64)> = cart.lines.iter().filter(|l| !l.fully_held()).map(|l| (l.variant_id, l.quantity)).collect();
                let cart = if lapsed.is_empty() {
                    cart
                } else {
                    self.rehold_lines(txn, row.id, lapsed, actor).await?;
                    cart::load(txn, row.clone(), self.currency).await?
                };
                let review = self.assess(txn, cart).await?;
                let unheld = review.cart.lines.iter().any(|l| !l.fully_held());
                if !review.ready() || unheld {
                    return Ok(Completion::NotReady(Box::new(review)));
                }
                let order = match review.cart.coupon_id {
                    // Without a coupon, any failure is the whole turn's: no savepoint needed.
                    None => self.create_order(txn, &review, row.customer_id, idempotency_key, orders, actor).await?,
                    // On its own savepoint: a coupon used up meanwhile undoes the order's
                    // rows, not the holds taken back above.
                    Some(coupon_id) => {
                        let ordering = txn.begin().await?;
                        match self.create_order(&ordering, &review, row.customer_id, idempotency_key, orders, actor).await {
                            Ok(order) => {
                                ordering.commit().await?;
                                order
                            }
                            // Used up by a checkout that committed first: the same problem
                            // the review reports once the count is visible.
                            Err(Error::Invalid { field: Some(field), message }) if field == "coupon" => {
                                ordering.rollback().await?;
                                let coupon = crate::coupons::by_id_in(txn, coupon_id).await?;
                                let mut review = review;
                                let code = coupon.map(|c| c.code).unwrap_or_default();
                                review.problems.push(Problem::CouponInvalid { code, message });
                                return Ok(Completion::NotReady(Box::new(review)));
                            }
                            Err(e) => return Err(e),
                        }
                    }
                };
                Ok(Completion::Ordered { token: orders.tokens().token(idempotency_key), order: Box::new(order), replayed: false })
            })
            .await?;
        self.notify.notify();
        Ok(outcome)
    }

    /// The order this key already made for this cart; `IdempotencyKeyReused` if it made
    /// one for another cart; `None` if it made none.
    async fn replay<C: ConnectionTrait>(
        &self,
        conn: &C,
        access: &CartAccess,
        key: &str,
        orders: &OrderService,
    ) -> Result<Option<Completion>> {
        let Some(existing) = order::Entity::find().filter(order::Column::IdempotencyKey.eq(key)).one(conn).await? else {
            return Ok(None);
        };
        if existing.cart_id != access.cart_id {
            return Err(Error::IdempotencyKeyReused);
        }
        let row = cart_entity::Entity::find_by_id(access.cart_id).one(conn).await?.ok_or_else(|| Error::not_found("cart", "cartId"))?;
        check_access(&row, access)?;
        Ok(Some(Completion::Ordered { order: Box::new(Order::try_from(existing)?), token: orders.tokens().token(key), replayed: true }))
    }

    async fn create_order(
        &self,
        txn: &DatabaseTransaction,
        review: &Review,
        customer_id: Option<i64>,
        key: &str,
        orders: &OrderService,
        actor: Actor,
    ) -> Result<Order> {
        let cart = &review.cart;
        let now = Utc::now();
        let deadline = now + chrono::Duration::from_std(self.config.payment_window).unwrap_or(chrono::Duration::minutes(2));
        let email = cart.email.clone().unwrap_or_default();
        let address = serde_json::to_value(&cart.shipping_address).map_err(|e| Error::Internal(e.into()))?;
        let coupon = match cart.coupon_id {
            Some(id) => crate::coupons::by_id_in(txn, id).await?,
            None => None,
        };
        let t = &review.totals;
        let inserted = order::Entity::insert(order::ActiveModel {
            status: Set(OrderStatus::PendingPayment.as_str().into()),
            customer_id: Set(customer_id),
            email: Set(email.clone()),
            token_hash: Set(token_hash(&orders.tokens().token(key))),
            cart_id: Set(cart.id),
            idempotency_key: Set(key.to_owned()),
            currency: Set(self.currency.code().into()),
            subtotal: Set(t.subtotal.amount),
            discount: Set(t.discount.amount),
            shipping: Set(t.shipping.amount),
            tax: Set(t.tax.amount),
            total: Set(t.total.amount),
            coupon_code: Set(coupon.as_ref().map(|c| c.code.clone())),
            shipping_address: Set(address),
            payment_deadline: Set(deadline),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(txn)
        .await
        .on_unique_violation("orders.idempotency_key", || Error::IdempotencyKeyReused)?;

        // The variants as the review read them, in this transaction.
        let info = &review.variants;
        for line in &cart.lines {
            let v = info.get(&line.variant_id).ok_or_else(|| Error::not_found("variant", "variantId"))?;
            order_line::Entity::insert(order_line::ActiveModel {
                order_id: Set(inserted.id),
                variant_id: Set(line.variant_id),
                product_id: Set(v.product_id),
                sku: Set(v.sku.clone()),
                product_name: Set(v.product_name.clone()),
                variant_title: Set(v.variant_title.clone()),
                attributes: Set(v.attributes.clone()),
                unit_price: Set(line.unit_price.amount),
                quantity: Set(i32::try_from(line.quantity).map_err(|_| Error::invalid("quantity", "too many"))?),
                line_total: Set(line.unit_price.amount * line.quantity),
                ..Default::default()
            })
            .exec_without_returning(txn)
            .await?;
        }
        let change = Change { actor, cause: "checkout completed" };
        record_in(txn, inserted.id, "created", None, Some(OrderStatus::PendingPayment), change, None, now).await?;
        publish_status(txn, inserted.id, None, OrderStatus::PendingPayment, 1, change.cause, now).await?;
        self.inventory.transfer_owner_in(txn, &cart_owner(cart.id), &order_owner(inserted.id), deadline).await?;
        if let Some(coupon) = &coupon {
            let customer_key = match customer_id {
                Some(id) => format!("customer:{id}"),
                None => format!("email:{email}"),
            };
            crate::coupons::redeem_in(txn, coupon, inserted.id, &customer_key).await?;
        }
        // A failed order from this cart (its lines came back when the payment failed)
        // is replaced by this one.
        let replaced: Vec<i64> = order::Entity::find()
            .filter(order::Column::CartId.eq(cart.id))
            .filter(order::Column::Status.eq(OrderStatus::PaymentFailed.as_str()))
            .all(txn)
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect();
        for old in replaced {
            let cause = format!("replaced by order #{} from the same cart", inserted.id);
            orders.transition_in(txn, old, OrderStatus::Cancelled, None, Change { actor, cause: &cause }, None).await?;
        }
        cart_line::Entity::delete_many().filter(cart_line::Column::CartId.eq(cart.id)).exec(txn).await?;
        cart_entity::Entity::update_many()
            .col_expr(cart_entity::Column::Status, Expr::val(CartStatus::Converted.as_str()))
            .filter(cart_entity::Column::Id.eq(cart.id))
            .exec(txn)
            .await?;
        if t.total.amount == 0 {
            // Nothing to pay (free items, or a discount and shipping that cancel out):
            // no gateway takes a zero amount, so the sale is final now.
            let owner = order_owner(inserted.id);
            self.inventory.commit_in(txn, &owner, &inserted.id.to_string(), Actor::System).await?;
            let change = Change { actor: Actor::System, cause: "nothing to pay: the total is zero" };
            return orders.transition_in(txn, inserted.id, OrderStatus::Paid, None, change, None).await;
        }
        Order::try_from(inserted)
    }
}
