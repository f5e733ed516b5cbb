//! What staff (and the sweeper) do about payments: retry, cancel, refund, resolve,
//! expire. Each staff action names the order's `expectedVersion` and is recorded in
//! the order's timeline with the staff member.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::apply::order_lines;
use super::gateway::{GatewayError, GatewayEvent, IntentStatus, RefundRequest};
use super::{Payment, PaymentService, PaymentStatus, Refund, VoidState};
use crate::actor::Actor;
use crate::db::OnUniqueViolation;
use crate::entity::{order, payment, refund};
use crate::error::{Error, Result};
use crate::inventory::{ReserveLine, retry_transaction};
use crate::orders::{Change, Order, OrderStatus, order_owner};

/// A new payment attempt staff started, and where the buyer completes it.
#[derive(Clone, Debug)]
pub struct RetryOutcome {
    pub order: Order,
    pub payment: Payment,
    /// The token a guest opens the order with (for the payment link).
    pub order_token: String,
}

#[derive(Clone, Debug)]
pub struct RefundOutcome {
    pub order: Order,
    pub refund: Refund,
}

const NOTE_MAX: usize = 1000;

impl PaymentService {
    /// Reopens a `payment_failed` order: its stock held again (all or nothing: out of
    /// stock changes nothing), back to `pending_payment` with a fresh payment window,
    /// and the cart its lines went back to closed again.
    pub(super) async fn reopen(&self, order: &Order, expected_version: Option<i64>, actor: Actor, cause: &str) -> Result<()> {
        let lines = order_lines(self.inner.db.conn(), order.id).await?;
        let reserve: Vec<ReserveLine> = lines.iter().map(|(v, q)| ReserveLine::new(*v, *q)).collect();
        let (inventory, reserve) = (&self.inner.inventory, &reserve);
        inventory
            .write_combined("payment retry", lines.iter().map(|(v, _)| *v), |txn| async move {
                let txn = &*txn;
                let owner = order_owner(order.id);
                inventory.reserve_in(txn, reserve, &owner, self.inner.payment_window, actor).await?;
                let change = Change { actor, cause };
                self.inner.orders.transition_in(txn, order.id, OrderStatus::PendingPayment, expected_version, change, None).await?;
                order::Entity::update_many()
                    .col_expr(order::Column::PaymentDeadline, Expr::val(Utc::now() + window(self)))
                    .filter(order::Column::Id.eq(order.id))
                    .exec(txn)
                    .await?;
                self.inner.carts.close_reopened_in(txn, order.cart_id, actor).await
            })
            .await?;
        self.inner.notify.notify();
        Ok(())
    }

    /// Staff: a new payment attempt for a failed, stuck or unauthenticated order. A
    /// failed order holds its stock again first; an open attempt is cancelled at the
    /// gateway (if it turns out to have succeeded, that is applied instead).
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn retry(&self, order_id: i64, expected_version: i64, actor: Actor) -> Result<RetryOutcome> {
        let order = self.order(order_id).await?;
        match order.status {
            OrderStatus::PaymentFailed => self.reopen(&order, Some(expected_version), actor, "payment retried by staff").await?,
            OrderStatus::PendingPayment => {
                if i64::from(order.version) != expected_version {
                    return Err(Error::stale("order", expected_version, i64::from(order.version)));
                }
                if let Some(open) = self.latest_payment(order_id).await?.filter(|p| p.status.is_open()) {
                    self.void(&open).await?;
                }
                let order = self.order(order_id).await?;
                if order.status != OrderStatus::PendingPayment {
                    return Err(Error::IllegalTransition { from: order.status.as_str(), to: OrderStatus::PendingPayment.as_str() });
                }
                retry_transaction("payment retry", || async {
                    let txn = self.inner.db.begin_write().await?;
                    self.inner.orders.touch_in(&*txn, order_id, expected_version).await?;
                    let deadline = Utc::now() + window(self);
                    order::Entity::update_many()
                        .col_expr(order::Column::PaymentDeadline, Expr::val(deadline))
                        .filter(order::Column::Id.eq(order_id))
                        .exec(&*txn)
                        .await?;
                    self.inner.inventory.set_expiry_in(&*txn, &order_owner(order_id), deadline).await?;
                    let change = Change { actor, cause: "payment retried by staff" };
                    self.inner.orders.note_in(&*txn, order_id, "payment_retry", change, None).await?;
                    txn.commit().await?;
                    Ok(())
                })
                .await?;
            }
            other => return Err(Error::IllegalTransition { from: other.as_str(), to: OrderStatus::PendingPayment.as_str() }),
        }
        let started = self.start(order_id, actor).await?;
        let order_token = self.inner.orders.tokens().token(&started.order.idempotency_key);
        Ok(RetryOutcome { order: started.order, payment: started.payment, order_token })
    }

    /// Makes sure the intent of `payment` can take no more money. The wish is stored
    /// first (`void_state = requested`: if this call does not finish, reconciliation
    /// does), then the intent is cancelled at the gateway and the wish marked done. An
    /// open attempt becomes cancelled; a declined one stays failed (what the buyer and
    /// staff were told). If the gateway refuses because the intent already succeeded
    /// (or failed), what it says is applied instead and the caller finds the order
    /// moved on. An unreachable gateway leaves the wish stored and answers the error.
    pub(super) async fn void(&self, payment: &Payment) -> Result<()> {
        self.set_void(payment.id, VoidState::Requested).await?;
        match self.inner.gateway.cancel_intent(&payment.intent_id).await {
            Ok(_) => {
                payment::Entity::update_many()
                    .col_expr(payment::Column::Status, Expr::val(PaymentStatus::Canceled.as_str()))
                    .col_expr(payment::Column::UpdatedAt, Expr::val(Utc::now()))
                    .filter(payment::Column::Id.eq(payment.id))
                    .filter(payment::Column::Status.is_in(PaymentStatus::ALL.into_iter().filter(|s| s.is_open()).map(|s| s.as_str())))
                    .exec(self.inner.db.conn())
                    .await?;
                self.set_void(payment.id, VoidState::Done).await?;
                Box::pin(self.deliver(&payment.intent_id)).await.map(drop)
            }
            Err(GatewayError::Rejected { .. }) => {
                let intent = self.inner.gateway.retrieve_intent(&payment.intent_id).await?;
                Box::pin(self.apply_event(&GatewayEvent::from_intent(self.gateway_kind(), &intent))).await?;
                if matches!(intent.status, IntentStatus::Succeeded | IntentStatus::Canceled) {
                    self.set_void(payment.id, VoidState::Done).await?;
                }
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Moves an attempt's void work forward (`requested` never undoes `done`).
    async fn set_void(&self, payment_id: i64, state: VoidState) -> Result<()> {
        let mut update = payment::Entity::update_many()
            .col_expr(payment::Column::VoidState, Expr::val(state.as_str()))
            .filter(payment::Column::Id.eq(payment_id));
        if state == VoidState::Requested {
            update = update.filter(payment::Column::VoidState.is_null());
        }
        update.exec(self.inner.db.conn()).await?;
        Ok(())
    }

    /// Staff: cancels an unpaid order: every attempt the gateway could still take money
    /// for (open or declined) is cancelled there first, then its holds are released.
    /// Money that already arrived wins.
    #[tracing::instrument(skip(self, reason), err(level = "debug"))]
    pub async fn cancel_order(&self, order_id: i64, expected_version: i64, actor: Actor, reason: &str) -> Result<Order> {
        let order = self.order(order_id).await?;
        if i64::from(order.version) != expected_version {
            return Err(Error::stale("order", expected_version, i64::from(order.version)));
        }
        order.status.check(OrderStatus::Cancelled)?;
        for p in self.payments_of(order_id).await?.into_iter().filter(Payment::needs_void) {
            self.void(&p).await?;
        }
        let now = self.order(order_id).await?;
        if now.status != order.status {
            // A payment outcome just moved it (e.g. it was paid): report that.
            now.status.check(OrderStatus::Cancelled)?;
        }
        self.inner.orders.cancel(order_id, i64::from(now.version), actor, reason).await
    }

    /// Staff: refunds `amount` (all that is left if `None`) of an order's payment; with
    /// `restock`, its units go back on sale when the refund succeeds (full refunds of
    /// orders that took stock only).
    #[tracing::instrument(skip(self, reason), err(level = "debug"))]
    pub async fn refund(
        &self,
        order_id: i64,
        expected_version: i64,
        amount: Option<i64>,
        restock: bool,
        reason: &str,
        actor: Actor,
    ) -> Result<RefundOutcome> {
        let reason = reason.trim();
        if reason.chars().count() > NOTE_MAX {
            return Err(Error::invalid("reason", format!("at most {NOTE_MAX} characters")));
        }
        let order = self.order(order_id).await?;
        if i64::from(order.version) != expected_version {
            return Err(Error::stale("order", expected_version, i64::from(order.version)));
        }
        order.status.check(OrderStatus::Refunded)?;
        let refunds = self.refunds_by_order_ids(&[order_id]).await?.remove(&order_id).unwrap_or_default();
        let pending_of = |payment_id: i64| -> i64 {
            refunds.iter().filter(|r| r.payment_id == payment_id && r.status == super::RefundState::Pending).map(|r| r.amount.amount).sum()
        };
        let payments = self.payments_of(order_id).await?;
        let refundable = |p: &Payment| p.amount_received.amount - p.amount_refunded.amount - pending_of(p.id);
        let Some(payment) = payments.iter().rev().find(|p| p.status == PaymentStatus::Succeeded && refundable(p) > 0) else {
            return Err(Error::invalid("orderId", "nothing of this order's payments is left to refund"));
        };
        let left = refundable(payment);
        let amount = amount.unwrap_or(left);
        if amount < 1 || amount > left {
            return Err(Error::invalid("amount", format!("refund between 1 and {left} (what is left of the payment)")));
        }
        if restock {
            if order.status == OrderStatus::NeedsAttention {
                return Err(Error::invalid("restock", "this order never took stock: there is nothing to put back"));
            }
            let order_left: i64 = payments.iter().map(refundable).sum();
            if amount < order_left {
                return Err(Error::invalid(
                    "restock",
                    "restocking goes with refunding the whole order; adjust stock in inventory for a partial return",
                ));
            }
        }
        let number = refunds.len() + 1;
        let key = self.order_key(order_id, order.created_at, &format!("refund:{number}"));
        let refund_id = retry_transaction("refund request", || async {
            let txn = self.inner.db.begin_write().await?;
            self.inner.orders.touch_in(&*txn, order_id, expected_version).await?;
            let (actor_type, actor_id) = actor.parts();
            let now = Utc::now();
            let inserted = refund::Entity::insert(refund::ActiveModel {
                order_id: Set(order_id),
                payment_id: Set(payment.id),
                amount: Set(amount),
                restock: Set(restock),
                status: Set("pending".into()),
                gateway_refund_id: Set(None),
                idempotency_key: Set(key.clone()),
                reason: Set(reason.to_owned()),
                actor_type: Set(actor_type.into()),
                actor_id: Set(actor_id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec(&*txn)
            .await
            .on_unique_violation("refunds.idempotency_key", || Error::Conflict)?;
            let money = crate::money::Money::new(amount, order.total.currency).formatted();
            let cause =
                if reason.is_empty() { format!("refund of {money} requested") } else { format!("refund of {money} requested: {reason}") };
            let data = json!({ "amount": amount, "restock": restock });
            self.inner.orders.note_in(&*txn, order_id, "refund_requested", Change { actor, cause: &cause }, Some(data)).await?;
            txn.commit().await?;
            Ok(inserted.last_insert_id)
        })
        .await?;
        let request = RefundRequest { intent_id: payment.intent_id.clone(), amount, idempotency_key: key, order_id, refund_id };
        match self.inner.gateway.refund(&request).await {
            Ok(reply) => {
                self.record_refund_reply(&payment.intent_id, refund_id, &reply).await?;
            }
            // Perhaps made, perhaps not: the refund stays pending and reconciliation sends
            // the same request again (same key: never a second refund).
            Err(GatewayError::Unavailable(e)) => {
                tracing::warn!(order_id, refund_id, error = %e, "the gateway did not answer a refund request; reconciliation will send it again");
                let cause = "the payment gateway did not answer; the refund request will be sent again";
                let txn = self.inner.db.begin_write().await?;
                self.inner.orders.note_in(&*txn, order_id, "refund_unconfirmed", Change { actor, cause }, None).await?;
                txn.commit().await?;
            }
            Err(e) => {
                self.refund_refused(order_id, refund_id, &e, actor).await?;
                return Err(e.into());
            }
        }
        let order = self.order(order_id).await?;
        let refund = self
            .refunds_by_order_ids(&[order_id])
            .await?
            .remove(&order_id)
            .and_then(|rs| rs.into_iter().find(|r| r.id == refund_id))
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("refund {refund_id} vanished")))?;
        Ok(RefundOutcome { order, refund })
    }

    /// Staff: closes a payment issue with a note. With `allocate_stock`, an order paid
    /// without stock takes it now (all or nothing) and becomes paid.
    #[tracing::instrument(skip(self, note), err(level = "debug"))]
    pub async fn resolve(&self, order_id: i64, expected_version: i64, note: &str, allocate_stock: bool, actor: Actor) -> Result<Order> {
        let note = note.trim();
        if note.is_empty() || note.chars().count() > NOTE_MAX {
            return Err(Error::invalid("note", format!("say what was done, in 1 to {NOTE_MAX} characters")));
        }
        let order = self.order(order_id).await?;
        if allocate_stock {
            if order.status != OrderStatus::NeedsAttention {
                return Err(Error::invalid(
                    "allocateStock",
                    format!("only orders paid without stock take stock this way (this one is {})", order.status),
                ));
            }
            let lines = order_lines(self.inner.db.conn(), order_id).await?;
            let reserve: Vec<ReserveLine> = lines.iter().map(|(v, q)| ReserveLine::new(*v, *q)).collect();
            let (inventory, reserve) = (&self.inner.inventory, &reserve);
            inventory
                .write_combined("allocate stock", lines.iter().map(|(v, _)| *v), |txn| async move {
                    let txn = &*txn;
                    let owner = order_owner(order_id);
                    inventory.reserve_in(txn, reserve, &owner, std::time::Duration::from_secs(60), actor).await?;
                    inventory.commit_in(txn, &owner, &order_id.to_string(), actor).await?;
                    let cause = format!("stock allocated by staff: {note}");
                    let change = Change { actor, cause: &cause };
                    self.inner.orders.transition_in(txn, order_id, OrderStatus::Paid, Some(expected_version), change, None).await?;
                    Ok(())
                })
                .await?;
        } else {
            if !matches!(order.status, OrderStatus::PaymentFailed | OrderStatus::NeedsAttention | OrderStatus::PendingPayment) {
                return Err(Error::invalid("orderId", format!("this order is {}: it has no open payment issue", order.status)));
            }
            retry_transaction("resolve payment issue", || async {
                let txn = self.inner.db.begin_write().await?;
                let version = self.inner.orders.touch_in(&*txn, order_id, expected_version).await?;
                order::Entity::update_many()
                    .col_expr(order::Column::IssueResolvedVersion, Expr::val(version))
                    .filter(order::Column::Id.eq(order_id))
                    .exec(&*txn)
                    .await?;
                self.inner.orders.note_in(&*txn, order_id, "issue_resolved", Change { actor, cause: note }, None).await?;
                txn.commit().await?;
                Ok(())
            })
            .await?;
        }
        self.inner.notify.notify();
        self.order(order_id).await
    }

    /// Expires orders whose payment window passed (not those with money in flight),
    /// gives their stock back, and cancels their open and declined intents at the
    /// gateway so a late payment is unlikely (one that still arrives is applied like
    /// any other).
    pub async fn expire_unpaid(&self, batch: u64) -> Result<usize> {
        let mut expired = 0;
        for order_id in self.inner.orders.due_for_expiry(batch).await? {
            // Money may have arrived that we have not heard of yet (a webhook on its
            // way, a crash between the gateway's answer and applying it): ask the
            // gateway before giving the stock away. If it cannot be asked, the order
            // waits for the next sweep.
            if let Err(e) = self.read_back_open_attempts(order_id).await {
                tracing::warn!(order_id, error = %e, "not expiring an order whose payment attempts could not be read back; will retry");
                continue;
            }
            if !self.inner.orders.expire(order_id).await? {
                continue;
            }
            expired += 1;
            for p in self.payments_of(order_id).await?.into_iter().filter(Payment::needs_void) {
                if let Err(e) = self.void(&p).await {
                    tracing::warn!(order_id, intent_id = %p.intent_id, error = %e, "could not cancel the intent of an expired order; reconciliation will retry");
                }
            }
        }
        Ok(expired)
    }

    /// Applies what the gateway knows of the order's open attempts.
    async fn read_back_open_attempts(&self, order_id: i64) -> Result<()> {
        for p in self.payments_of(order_id).await?.into_iter().filter(|p| p.status.is_open()) {
            let intent = self.inner.gateway.retrieve_intent(&p.intent_id).await?;
            self.apply_event(&GatewayEvent::from_intent(self.gateway_kind(), &intent)).await?;
        }
        Ok(())
    }
}

fn window(service: &PaymentService) -> chrono::Duration {
    chrono::Duration::from_std(service.inner.payment_window).unwrap_or(chrono::Duration::minutes(10))
}
