//! The one place gateway events change orders: each event id is stored once (a unique
//! constraint) and applied in the same transaction, so a duplicate delivery, however
//! concurrent, changes nothing.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::json;

use super::gateway::{Failure, GatewayEvent, GatewayKind, PaymentChange, RefundState};
use super::model::record_attempt;
use super::{Payment, PaymentService, PaymentStatus, VoidState, latest_in};
use crate::actor::Actor;
use crate::entity::{gateway_event, order, order_line, payment, refund};
use crate::error::{Error, Result};
use crate::inventory::{ReleaseTarget, ReserveLine};
use crate::orders::{Change, Order, OrderStatus, order_owner};

/// What an event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// It changed the payment and/or the order.
    Applied,
    /// This event id was applied before: nothing changed.
    Duplicate,
    /// Valid but too late or already reflected (a failure after success): recorded only.
    Ignored,
    /// No payment of ours has this intent.
    Unmatched,
    /// A type we do not act on.
    Unhandled,
}

impl Applied {
    pub fn as_str(self) -> &'static str {
        match self {
            Applied::Applied => "applied",
            Applied::Duplicate => "duplicate",
            Applied::Ignored => "ignored",
            Applied::Unmatched => "unmatched",
            Applied::Unhandled => "unhandled",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub applied: Applied,
    pub order_id: Option<i64>,
    pub detail: String,
}

impl Outcome {
    fn new(applied: Applied, order_id: Option<i64>, detail: impl Into<String>) -> Self {
        Outcome { applied, order_id, detail: detail.into() }
    }
}

/// Work for after the commit: the other attempts of an order just paid that the
/// gateway could still take money for are cancelled there, so the buyer cannot pay twice.
#[derive(Default)]
struct After {
    void: Vec<Payment>,
}

const ACTOR: Actor = Actor::Gateway;

impl PaymentService {
    /// Applies one gateway event, once. Safe to call concurrently with the same event.
    #[tracing::instrument(skip(self, event), fields(gateway = %event.gateway, event_id = %event.id, event_type = %event.event_type))]
    pub async fn apply_event(&self, event: &GatewayEvent) -> Result<Outcome> {
        // A payment settled sells its order's stock: the write shares its SKUs' lanes
        // with the holds being taken on them (a hint read first; a payment not known
        // yet touches no stock).
        let hint = &intent_hint(self.inner.db.conn(), event.intent_id.as_deref()).await?;
        let variants: Vec<i64> = hint.iter().flat_map(|h| h.lines.iter().map(|(variant, _)| *variant)).collect();
        let (outcome, after) = self
            .inner
            .inventory
            .write_combined("payment event", variants, |txn| async move {
                let txn = &*txn;
                let now = Utc::now();
                let claimed = gateway_event::Entity::insert(gateway_event::ActiveModel {
                    gateway: Set(event.gateway.as_str().into()),
                    event_id: Set(event.id.clone()),
                    event_type: Set(event.event_type.clone()),
                    intent_id: Set(event.intent_id.clone()),
                    order_id: Set(None),
                    outcome: Set("received".into()),
                    detail: Set(String::new()),
                    received_at: Set(now),
                    ..Default::default()
                })
                .on_conflict(OnConflict::columns([gateway_event::Column::Gateway, gateway_event::Column::EventId]).do_nothing().to_owned())
                .try_insert()
                .exec(txn)
                .await?;
                if matches!(claimed, sea_orm::TryInsertResult::Conflicted) {
                    return Ok((Outcome::new(Applied::Duplicate, None, "already received"), After::default()));
                }
                let mut after = After::default();
                let outcome = self.decide(txn, event, hint.as_ref(), &mut after).await?;
                gateway_event::Entity::update_many()
                    .col_expr(gateway_event::Column::Outcome, Expr::val(outcome.applied.as_str()))
                    .col_expr(gateway_event::Column::OrderId, Expr::val(outcome.order_id))
                    .col_expr(gateway_event::Column::Detail, Expr::val(outcome.detail.chars().take(500).collect::<String>()))
                    .filter(gateway_event::Column::Gateway.eq(event.gateway.as_str()))
                    .filter(gateway_event::Column::EventId.eq(&event.id))
                    .exec(txn)
                    .await?;
                Ok((outcome, after))
            })
            .await?;
        self.inner.notify.notify();
        match outcome.applied {
            Applied::Unhandled | Applied::Unmatched => {
                tracing::info!(outcome = outcome.applied.as_str(), detail = %outcome.detail, "payment event acknowledged")
            }
            _ => {
                tracing::info!(outcome = outcome.applied.as_str(), order_id = ?outcome.order_id, detail = %outcome.detail, "payment event")
            }
        }
        for payment in after.void {
            if let Err(e) = Box::pin(self.void(&payment)).await {
                tracing::warn!(intent_id = %payment.intent_id, error = %e, "could not cancel a superseded payment intent; reconciliation will retry");
            }
        }
        Ok(outcome)
    }

    async fn decide(
        &self,
        txn: &DatabaseTransaction,
        event: &GatewayEvent,
        hint: Option<&IntentHint>,
        after: &mut After,
    ) -> Result<Outcome> {
        if event.change == PaymentChange::Unhandled {
            return Ok(Outcome::new(Applied::Unhandled, None, format!("{} is not acted on", event.event_type)));
        }
        let Some(intent_id) = event.intent_id.as_deref() else {
            return Ok(Outcome::new(Applied::Unmatched, None, "the event names no payment intent"));
        };
        // Events of one order are applied one at a time, each seeing what the one before
        // it did: without this, a failure read the order as unpaid while a success of the
        // same intent committed (IllegalTransition), and a late `processing` overwrote a
        // payment just marked succeeded. Order first, then payment, everywhere. The
        // hint names the order (a payment's order never changes), so both are locked
        // and read at once.
        let hinted = match hint {
            Some(h) => {
                let order = lock_order(txn, h.order_id).await?;
                lock_payment_of_intent(txn, event.gateway, intent_id).await?.filter(|p| p.order_id == order.id).map(|p| (order, p))
            }
            None => None,
        };
        let (order, payment) = match hinted {
            Some(locked) => locked,
            None => {
                let Some(payment) = self.payment_for(txn, event, intent_id).await? else {
                    return Ok(Outcome::new(Applied::Unmatched, None, format!("no payment has intent {intent_id}")));
                };
                let order = lock_order(txn, payment.order_id).await?;
                let locked = lock_payment_of_intent(txn, event.gateway, intent_id).await?;
                (order, locked.ok_or_else(|| Error::not_found("payment", "paymentId"))?)
            }
        };
        let id = Some(order.id);
        let attempt = payment.attempt;

        match &event.change {
            PaymentChange::Succeeded { amount_received, currency } => {
                if payment.status == PaymentStatus::Succeeded {
                    return Ok(Outcome::new(Applied::Ignored, id, format!("attempt {attempt} was already recorded as succeeded")));
                }
                set_payment(txn, &payment, PaymentStatus::Succeeded, Some(*amount_received), None).await?;
                let data = json!({ "attempt": attempt, "intentId": intent_id, "amount": amount_received });
                let others = to_void(txn, order.id, payment.id).await?;
                let right_amount = *amount_received == order.total.amount && currency.eq_ignore_ascii_case(order.total.currency.code());
                let outcome = match order.status {
                    _ if !right_amount => {
                        let received = match currency.to_ascii_uppercase().parse::<crate::money::Currency>() {
                            Ok(paid_in) => crate::money::Money::new(*amount_received, paid_in).formatted(),
                            Err(_) => format!("{amount_received} (minor units) {}", currency.to_ascii_uppercase()),
                        };
                        let cause = format!("paid {received}, but the order totals {}: check the payment", order.total.formatted());
                        self.attention(txn, &order, &cause, data).await?
                    }
                    OrderStatus::PendingPayment | OrderStatus::PaymentFailed | OrderStatus::Expired => {
                        // An order's lines never change: the hint's are its lines.
                        let lines = hint.filter(|h| h.order_id == order.id).map(|h| h.lines.clone());
                        self.settle(txn, &order, lines, data).await?
                    }
                    OrderStatus::Cancelled => {
                        let cause = "paid after the order was cancelled: refund it, or reinstate it if the stock is there";
                        self.attention(txn, &order, cause, data).await?
                    }
                    _ => {
                        let cause = format!(
                            "attempt {attempt} succeeded too, but the order was already {}: refund the extra payment",
                            order.status
                        );
                        self.inner
                            .orders
                            .note_in(txn, order.id, "duplicate_payment", Change { actor: ACTOR, cause: &cause }, Some(data))
                            .await?;
                        tracing::warn!(order_id = order.id, attempt, "a second payment succeeded for one order");
                        return Ok(Outcome::new(Applied::Applied, id, cause));
                    }
                };
                after.void.extend(others);
                Ok(Outcome::new(Applied::Applied, id, format!("order {outcome}")))
            }
            PaymentChange::Failed(failure) => {
                if payment.status == PaymentStatus::Succeeded {
                    let cause = format!("a failure of attempt {attempt} arrived after it succeeded: ignored");
                    self.ignore(txn, &order, &cause, event).await?;
                    return Ok(Outcome::new(Applied::Ignored, id, cause));
                }
                set_payment(txn, &payment, PaymentStatus::Failed, None, Some(failure)).await?;
                let latest = latest_in(txn, order.id).await?.map(|p| p.id) == Some(payment.id);
                let data = json!({ "attempt": attempt, "code": failure.code, "message": failure.message });
                if order.status == OrderStatus::PendingPayment && latest {
                    self.fail(txn, &order, failure, data).await?;
                    Ok(Outcome::new(Applied::Applied, id, format!("payment failed: {}", failure.code)))
                } else if order.status == OrderStatus::PendingPayment || order.status == OrderStatus::PaymentFailed {
                    let cause = format!("attempt {attempt} failed ({}): {}", failure.code, failure.message);
                    self.inner.orders.note_in(txn, order.id, "payment_attempt", Change { actor: ACTOR, cause: &cause }, Some(data)).await?;
                    Ok(Outcome::new(Applied::Applied, id, cause))
                } else {
                    let cause = format!("a failure of attempt {attempt} arrived with the order {}: ignored", order.status);
                    self.ignore(txn, &order, &cause, event).await?;
                    Ok(Outcome::new(Applied::Ignored, id, cause))
                }
            }
            PaymentChange::RequiresAction | PaymentChange::Processing | PaymentChange::Canceled => {
                let (status, kind, cause) = match event.change {
                    PaymentChange::RequiresAction => (
                        PaymentStatus::RequiresAction,
                        "payment_requires_action",
                        format!("attempt {attempt} waits for the buyer to authenticate"),
                    ),
                    PaymentChange::Processing => {
                        (PaymentStatus::Processing, "payment_processing", format!("attempt {attempt} is processing"))
                    }
                    _ => (PaymentStatus::Canceled, "payment_canceled", format!("attempt {attempt} was cancelled")),
                };
                if !payment.status.is_open() || payment.status == status {
                    let cause = format!("{} arrived with attempt {attempt} {}: ignored", event.event_type, payment.status.as_str());
                    // A declined attempt we cancelled at the gateway is expected news.
                    let voided = status == PaymentStatus::Canceled && payment.status == PaymentStatus::Failed;
                    if !payment.status.is_open() && payment.status != status && !voided {
                        self.ignore(txn, &order, &cause, event).await?;
                    }
                    return Ok(Outcome::new(Applied::Ignored, id, cause));
                }
                set_payment(txn, &payment, status, None, None).await?;
                let data = json!({ "attempt": attempt, "intentId": intent_id });
                self.inner.orders.note_in(txn, order.id, kind, Change { actor: ACTOR, cause: &cause }, Some(data)).await?;
                Ok(Outcome::new(Applied::Applied, id, cause))
            }
            PaymentChange::Refunded { amount_refunded, .. } => self.refunded(txn, &order, &payment, *amount_refunded, None).await,
            PaymentChange::RefundSettled { refund_id, gateway_refund_id, status } => {
                self.refund_settled(txn, &order, &payment, *refund_id, gateway_refund_id, *status).await
            }
            PaymentChange::Unhandled => unreachable!("handled above"),
        }
    }

    /// Our payment for `intent_id`; recreated from the intent's metadata if an instance
    /// stopped between creating the intent and recording it.
    async fn payment_for(&self, txn: &DatabaseTransaction, event: &GatewayEvent, intent_id: &str) -> Result<Option<Payment>> {
        let find = || {
            payment::Entity::find()
                .filter(payment::Column::Gateway.eq(event.gateway.as_str()))
                .filter(payment::Column::IntentId.eq(intent_id))
                .one(txn)
        };
        if let Some(m) = find().await? {
            return Payment::from_model(m).map(Some);
        }
        let Some((order_id, attempt)) = event.order_ref else { return Ok(None) };
        let Some(order) = order::Entity::find_by_id(order_id).one(txn).await? else { return Ok(None) };
        let key = self.order_key(order_id, order.created_at, &format!("intent:{attempt}"));
        let status = PaymentStatus::RequiresPaymentMethod;
        record_attempt(txn, (order_id, attempt), (order.total, &order.currency), event.gateway, intent_id, key, status).await?;
        find().await?.map(Payment::from_model).transpose()
    }

    /// Sells the order's stock and marks it paid: its holds if they are all still
    /// there, otherwise the stock held again, all or nothing; if it is gone, the order
    /// needs attention (paid without stock), never oversold.
    async fn settle(
        &self,
        txn: &DatabaseTransaction,
        order: &Order,
        lines: Option<Vec<(i64, i64)>>,
        data: serde_json::Value,
    ) -> Result<OrderStatus> {
        let owner = order_owner(order.id);
        let lines = match lines {
            Some(lines) => lines,
            None => order_lines(txn, order.id).await?,
        };
        let holds = self.inner.inventory.active_of_in(txn, &owner).await?;
        let mut held: HashMap<i64, i64> = HashMap::new();
        for h in &holds {
            *held.entry(h.variant_id).or_default() += h.quantity;
        }
        let covered = held.len() == lines.len() && lines.iter().all(|(v, q)| held.get(v) == Some(q));
        let mut cause = "payment succeeded";
        if !covered {
            if !holds.is_empty() {
                self.inner.inventory.release_in(txn, &ReleaseTarget::Owner(owner.clone()), ACTOR).await?;
            }
            let reserve: Vec<ReserveLine> = lines.iter().map(|(v, q)| ReserveLine::new(*v, *q)).collect();
            let savepoint = txn.begin().await?;
            match self.inner.inventory.reserve_in(&savepoint, &reserve, &owner, Duration::from_secs(60), ACTOR).await {
                Ok(_) => savepoint.commit().await?,
                Err(Error::OutOfStock { variant_id, requested, available }) => {
                    savepoint.rollback().await?;
                    let cause = format!(
                        "paid after the stock hold lapsed, and variant {variant_id} has {available} of {requested} left: find stock or refund"
                    );
                    return self.attention(txn, order, &cause, data).await;
                }
                Err(e) => return Err(e),
            }
            cause = "payment succeeded after the hold lapsed; stock held again";
        }
        self.inner.inventory.commit_in(txn, &owner, &order.id.to_string(), ACTOR).await?;
        // The order as locked and read by this event: nothing here has moved it since.
        let read = (order.status, order.version);
        self.inner
            .orders
            .transition_from_in(txn, order.id, read, OrderStatus::Paid, None, Change { actor: ACTOR, cause }, Some(data))
            .await?;
        if order.status == OrderStatus::PaymentFailed {
            // Its lines went back to the cart when the payment failed; they are bought now.
            self.inner.carts.close_reopened_in(txn, order.cart_id, ACTOR).await?;
        }
        Ok(OrderStatus::Paid)
    }

    async fn attention(&self, txn: &DatabaseTransaction, order: &Order, cause: &str, data: serde_json::Value) -> Result<OrderStatus> {
        if order.status == OrderStatus::PendingPayment {
            // Whatever is still held goes back: this order takes no stock until staff decide.
            self.inner.inventory.release_in(txn, &ReleaseTarget::Owner(order_owner(order.id)), ACTOR).await?;
        }
        tracing::warn!(order_id = order.id, cause, "order needs attention");
        let change = Change { actor: ACTOR, cause };
        self.inner.orders.transition_in(txn, order.id, OrderStatus::NeedsAttention, None, change, Some(data)).await?;
        Ok(OrderStatus::NeedsAttention)
    }

    /// The latest attempt failed: the order waits for a retry (until the retry window
    /// closes), its stock goes back on sale, and the buyer's cart gets its lines back so
    /// they can change it or check out again.
    async fn fail(&self, txn: &DatabaseTransaction, order: &Order, failure: &Failure, data: serde_json::Value) -> Result<()> {
        self.inner.inventory.release_in(txn, &ReleaseTarget::Owner(order_owner(order.id)), ACTOR).await?;
        let cause = format!("payment failed ({}): {}", failure.code, failure.message);
        let change = Change { actor: ACTOR, cause: &cause };
        self.inner.orders.transition_in(txn, order.id, OrderStatus::PaymentFailed, None, change, Some(data)).await?;
        // Holding no stock now, it waits longer for the buyer's retry or staff, then expires.
        let retry_window = chrono::Duration::from_std(self.inner.config.retry_window).unwrap_or(chrono::Duration::days(1));
        order::Entity::update_many()
            .col_expr(order::Column::PaymentDeadline, Expr::val(Utc::now() + retry_window))
            .filter(order::Column::Id.eq(order.id))
            .exec(txn)
            .await?;
        let lines = order_line::Entity::find().filter(order_line::Column::OrderId.eq(order.id)).all(txn).await?;
        let lines: Vec<(i64, i64, i64)> = lines.iter().map(|l| (l.variant_id, i64::from(l.quantity), l.unit_price)).collect();
        self.inner.carts.reopen_in(txn, order.cart_id, &lines).await?;
        Ok(())
    }

    async fn ignore(&self, txn: &DatabaseTransaction, order: &Order, cause: &str, event: &GatewayEvent) -> Result<()> {
        let data = json!({ "eventId": event.id, "eventType": event.event_type });
        self.inner.orders.note_in(txn, order.id, "ignored_event", Change { actor: ACTOR, cause }, Some(data)).await
    }

    /// The gateway's answer for one refund of ours (its API's reply, or what
    /// reconciliation read back): a success counts like `charge.refunded` would, settling
    /// that refund; a failure gives its amount back to refund.
    async fn refund_settled(
        &self,
        txn: &DatabaseTransaction,
        order: &Order,
        payment: &Payment,
        refund_id: i64,
        gateway_refund_id: &str,
        status: RefundState,
    ) -> Result<Outcome> {
        let id = Some(order.id);
        let Some(row) = refund::Entity::find_by_id(refund_id).filter(refund::Column::PaymentId.eq(payment.id)).one(txn).await? else {
            return Ok(Outcome::new(Applied::Unmatched, id, format!("refund {refund_id} is not one of this payment's")));
        };
        if row.status != RefundState::Pending.as_str() {
            return Ok(Outcome::new(Applied::Ignored, id, format!("refund {refund_id} was already {}", row.status)));
        }
        refund::Entity::update_many()
            .col_expr(refund::Column::GatewayRefundId, Expr::val(gateway_refund_id))
            .filter(refund::Column::Id.eq(row.id))
            .exec(txn)
            .await?;
        match status {
            RefundState::Succeeded => self.refunded(txn, order, payment, payment.amount_refunded.amount + row.amount, Some(row.id)).await,
            RefundState::Failed => {
                refund::Entity::update_many()
                    .col_expr(refund::Column::Status, Expr::val(RefundState::Failed.as_str()))
                    .col_expr(refund::Column::UpdatedAt, Expr::val(Utc::now()))
                    .filter(refund::Column::Id.eq(row.id))
                    .exec(txn)
                    .await?;
                let money = crate::money::Money::new(row.amount, order.total.currency).formatted();
                let cause = format!("the gateway could not refund {money}: nothing was given back; refund again or another way");
                let data = json!({ "refundId": row.id, "gatewayRefundId": gateway_refund_id });
                self.inner.orders.note_in(txn, order.id, "refund_failed", Change { actor: ACTOR, cause: &cause }, Some(data)).await?;
                Ok(Outcome::new(Applied::Applied, id, cause))
            }
            RefundState::Pending => Ok(Outcome::new(Applied::Ignored, id, format!("refund {refund_id} is still pending"))),
        }
    }

    /// A charge's refunded total went up: record it, settle the refunds staff asked
    /// for (`only` that one, or oldest first up to the total), restock if they chose
    /// so, and mark the order refunded once all is back. `payment` was read under its
    /// lock (see `decide`).
    async fn refunded(
        &self,
        txn: &DatabaseTransaction,
        order: &Order,
        payment: &Payment,
        amount_refunded: i64,
        only: Option<i64>,
    ) -> Result<Outcome> {
        let id = Some(order.id);
        if amount_refunded <= payment.amount_refunded.amount {
            let refunded = crate::money::Money::new(amount_refunded, order.total.currency).formatted();
            return Ok(Outcome::new(Applied::Ignored, id, format!("{refunded} refunded was already recorded")));
        }
        let now = Utc::now();
        payment::Entity::update_many()
            .col_expr(payment::Column::AmountRefunded, Expr::val(amount_refunded))
            .col_expr(payment::Column::UpdatedAt, Expr::val(now))
            .filter(payment::Column::Id.eq(payment.id))
            .exec(txn)
            .await?;
        let payments = payment::Entity::find().filter(payment::Column::OrderId.eq(order.id)).all(txn).await?;
        let total_refunded: i64 = payments.iter().map(|p| p.amount_refunded).sum();
        // Measured against what was taken, not the order total: refunding the extra
        // payment of an order paid twice leaves it paid.
        let received: i64 = payments.iter().map(|p| p.amount_received).sum();
        order::Entity::update_many()
            .col_expr(order::Column::RefundedAmount, Expr::val(total_refunded))
            .filter(order::Column::Id.eq(order.id))
            .exec(txn)
            .await?;
        // The refunds we asked for, oldest first, up to what the gateway reports.
        let pending =
            refund::Entity::find().filter(refund::Column::PaymentId.eq(payment.id)).order_by_asc(refund::Column::Id).all(txn).await?;
        let mut settled: i64 = pending.iter().filter(|r| r.status == "succeeded").map(|r| r.amount).sum();
        let mut restock_by: Option<Actor> = None;
        for r in pending.iter().filter(|r| r.status == RefundState::Pending.as_str() && only.is_none_or(|id| id == r.id)) {
            if only.is_none() && settled + r.amount > amount_refunded {
                break;
            }
            settled += r.amount;
            refund::Entity::update_many()
                .col_expr(refund::Column::Status, Expr::val("succeeded"))
                .col_expr(refund::Column::UpdatedAt, Expr::val(now))
                .filter(refund::Column::Id.eq(r.id))
                .exec(txn)
                .await?;
            if r.restock {
                restock_by = Some(Actor::from_parts(&r.actor_type, r.actor_id).unwrap_or(ACTOR));
            }
        }
        let data = json!({ "refunded": amount_refunded - payment.amount_refunded.amount, "totalRefunded": total_refunded });
        let money = |a: i64| crate::money::Money::new(a, order.total.currency).formatted();
        let full = total_refunded >= received;
        if full && order.status.can_become(OrderStatus::Refunded) {
            let cause = format!("refunded {}", money(total_refunded));
            self.inner
                .orders
                .transition_in(txn, order.id, OrderStatus::Refunded, None, Change { actor: ACTOR, cause: &cause }, Some(data))
                .await?;
        } else {
            let cause = format!("refunded {} of {} received", money(total_refunded), money(received));
            self.inner.orders.note_in(txn, order.id, "refund", Change { actor: ACTOR, cause: &cause }, Some(data)).await?;
        }
        if let Some(actor) = restock_by {
            let returned = self.inner.inventory.return_sale_in(txn, &order.id.to_string(), actor).await?;
            if returned > 0 {
                let cause = format!("{returned} unit(s) back in stock");
                self.inner.orders.note_in(txn, order.id, "restocked", Change { actor, cause: &cause }, None).await?;
            }
        }
        Ok(Outcome::new(Applied::Applied, id, format!("{total_refunded} refunded in total")))
    }
}

/// Takes the order's row lock (a no-op update) and reads it under that lock: events
/// for one order apply one at a time.
async fn lock_order(txn: &DatabaseTransaction, order_id: i64) -> Result<Order> {
    let stmt =
        crate::db::statement(txn.get_database_backend(), "UPDATE orders SET id = id WHERE id = ? RETURNING *", vec![order_id.into()]);
    let row = order::Entity::find().from_raw_sql(stmt).one(txn).await?.ok_or_else(|| Error::not_found("order", "orderId"))?;
    Order::try_from(row)
}

/// Takes the row lock of the payment of `intent_id` at `gateway` and reads it; `None`
/// if there is none.
async fn lock_payment_of_intent(txn: &DatabaseTransaction, gateway: GatewayKind, intent_id: &str) -> Result<Option<Payment>> {
    let sql = "UPDATE payments SET id = id WHERE gateway = ? AND intent_id = ? RETURNING *";
    let stmt = crate::db::statement(txn.get_database_backend(), sql, vec![gateway.as_str().into(), intent_id.into()]);
    payment::Entity::find().from_raw_sql(stmt).one(txn).await?.map(Payment::from_model).transpose()
}

async fn set_payment(
    txn: &DatabaseTransaction,
    payment: &Payment,
    status: PaymentStatus,
    amount_received: Option<i64>,
    failure: Option<&Failure>,
) -> Result<()> {
    let mut update = payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::val(status.as_str()))
        .col_expr(payment::Column::UpdatedAt, Expr::val(Utc::now()))
        .filter(payment::Column::Id.eq(payment.id));
    if let Some(amount) = amount_received {
        update = update.col_expr(payment::Column::AmountReceived, Expr::val(amount));
    }
    if let Some(f) = failure {
        update = update
            .col_expr(payment::Column::ErrorCode, Expr::val(f.code.chars().take(100).collect::<String>()))
            .col_expr(payment::Column::ErrorMessage, Expr::val(f.message.chars().take(500).collect::<String>()));
    }
    update.exec(txn).await?;
    Ok(())
}

/// An order's other attempts that the gateway could still take money for (open or
/// declined), marked in this transaction to be cancelled there: if the process stops
/// before it cancels them, reconciliation does.
async fn to_void(txn: &DatabaseTransaction, order_id: i64, except: i64) -> Result<Vec<Payment>> {
    let payable: Vec<&str> = PaymentStatus::ALL.into_iter().filter(|s| s.payable_at_gateway()).map(PaymentStatus::as_str).collect();
    let others: Vec<Payment> = payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order_id))
        .filter(payment::Column::Id.ne(except))
        .filter(payment::Column::Status.is_in(payable))
        .all(txn)
        .await?
        .into_iter()
        .map(Payment::from_model)
        .filter(|p| p.as_ref().map_or(true, Payment::needs_void))
        .collect::<Result<_>>()?;
    if !others.is_empty() {
        payment::Entity::update_many()
            .col_expr(payment::Column::VoidState, Expr::val(VoidState::Requested.as_str()))
            .filter(payment::Column::Id.is_in(others.iter().map(|p| p.id)))
            .filter(payment::Column::VoidState.is_null())
            .exec(txn)
            .await?;
    }
    Ok(others)
}

/// The order a gateway intent pays for and its lines, read before the event is applied
/// (to know which SKUs' lanes it takes).
struct IntentHint {
    order_id: i64,
    /// (variant, quantity), by variant, as [`order_lines`] gives them.
    lines: Vec<(i64, i64)>,
}

/// The hint for `intent_id`; `None` when the intent is not known here (its event then
/// touches no stock) or names no intent.
async fn intent_hint<C: ConnectionTrait>(conn: &C, intent_id: Option<&str>) -> Result<Option<IntentHint>> {
    let Some(intent_id) = intent_id else { return Ok(None) };
    let sql = "SELECT l.order_id, l.variant_id, CAST(SUM(l.quantity) AS BIGINT) FROM order_lines l \
               WHERE l.order_id = (SELECT p.order_id FROM payments p WHERE p.intent_id = ? LIMIT 1) \
               GROUP BY l.order_id, l.variant_id ORDER BY l.variant_id";
    let stmt = crate::db::statement(conn.get_database_backend(), sql, vec![intent_id.into()]);
    let rows = conn.query_all_raw(stmt).await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let order_id = crate::db::column::<i64>(first, 0)?;
    let lines = rows.iter().map(|row| Ok((crate::db::column::<i64>(row, 1)?, crate::db::column::<i64>(row, 2)?))).collect::<Result<_>>()?;
    Ok(Some(IntentHint { order_id, lines }))
}

/// (variant, quantity) of an order's lines, by variant.
pub(super) async fn order_lines<C: ConnectionTrait>(conn: &C, order_id: i64) -> Result<Vec<(i64, i64)>> {
    let lines = order_line::Entity::find().filter(order_line::Column::OrderId.eq(order_id)).all(conn).await?;
    let mut by_variant: HashMap<i64, i64> = HashMap::new();
    for l in lines {
        *by_variant.entry(l.variant_id).or_default() += i64::from(l.quantity);
    }
    let mut out: Vec<(i64, i64)> = by_variant.into_iter().collect();
    out.sort_unstable();
    Ok(out)
}
