//! Starting to pay an order: its open attempt, or a new intent at the gateway.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::GatewayEvent;
use super::gateway::{Intent, IntentRequest};
use super::model::record_attempt;
use super::{Payment, PaymentService, PaymentStart, PaymentStatus};
use crate::actor::Actor;
use crate::entity::payment;
use crate::error::{Error, Result};
use crate::orders::{Order, OrderStatus};

impl PaymentService {
    /// Starts (or resumes) paying an order: its open attempt, or a new one (the declined
    /// one before it cancelled at the gateway first). A failed order is reopened first
    /// (its stock held again, all or nothing).
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn start(&self, order_id: i64, actor: Actor) -> Result<PaymentStart> {
        let order = self.order(order_id).await?;
        self.start_order(order, actor).await
    }

    /// [`start`](PaymentService::start) with the order as the caller has just read it.
    pub async fn start_order(&self, order: Order, actor: Actor) -> Result<PaymentStart> {
        let order_id = order.id;
        // The order as read, while nothing here has changed it.
        let mut known = match order.status {
            OrderStatus::PendingPayment => Some(order),
            OrderStatus::PaymentFailed => {
                self.reopen(&order, None, actor, "payment retried").await?;
                None
            }
            other if other.is_paid() => return Err(Error::AlreadyPaid),
            other => return Err(Error::invalid("orderId", format!("this order is {other}: there is nothing to pay"))),
        };
        let (mut replaced, mut voided) = (false, false);
        loop {
            let order = match known.take() {
                Some(order) => order,
                None => self.order(order_id).await?,
            };
            if order.status.is_paid() {
                return Err(Error::AlreadyPaid);
            }
            if order.status != OrderStatus::PendingPayment {
                return Err(Error::invalid("orderId", format!("this order is {}: there is nothing to pay", order.status)));
            }
            let latest = self.latest_payment(order_id).await?;
            let (payment, created) = match latest {
                Some(p) if p.status.is_open() => (p, None),
                // A declined intent can still be paid at the gateway: cancel it there
                // before making another, so one attempt at most can take the money.
                // (If it was paid meanwhile, that is applied and the loop sees it.)
                Some(p) if p.needs_void() && !voided => {
                    voided = true;
                    // On a task of its own: voiding may apply events, a deep call chain
                    // that would otherwise sit on top of this request's.
                    let service = self.clone();
                    tokio::spawn(async move { service.void(&p).await })
                        .await
                        .map_err(|e| Error::Internal(anyhow::anyhow!("voiding a payment attempt stopped: {e}")))??;
                    continue;
                }
                other => {
                    let (payment, intent) = self.new_attempt(&order, other.map(|p| p.attempt).unwrap_or(0) + 1).await?;
                    (payment, Some(intent))
                }
            };
            // The gateway's view, for the client secret; it may know more than we do
            // (a webhook still on its way): apply that first. An intent the gateway has
            // just answered with is its view.
            let intent = match created.filter(|i| i.id == payment.intent_id) {
                Some(intent) => intent,
                None => self.inner.gateway.retrieve_intent(&payment.intent_id).await?,
            };
            let status = PaymentStatus::of_intent(intent.status);
            if status != payment.status && !(status == PaymentStatus::RequiresPaymentMethod && payment.status.is_open()) {
                self.apply_event(&GatewayEvent::from_intent(self.gateway_kind(), &intent)).await?;
                if replaced {
                    return Err(Error::Conflict);
                }
                replaced = true;
                continue;
            }
            let client_secret = intent
                .client_secret
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("intent {} came without a client secret", intent.id)))?;
            return Ok(PaymentStart { order, payment, client_secret });
        }
    }

    /// Creates attempt `attempt` at the gateway and records it (once, however many
    /// requests race to do it); with the gateway's answer.
    async fn new_attempt(&self, order: &Order, attempt: i32) -> Result<(Payment, Intent)> {
        let key = self.order_key(order.id, order.created_at, &format!("intent:{attempt}"));
        let request = IntentRequest {
            order_id: order.id,
            attempt,
            amount: order.total.amount,
            currency: order.total.currency,
            idempotency_key: key.clone(),
            email: order.email.clone(),
            description: format!("Order #{}", order.id),
        };
        let intent = self.inner.gateway.create_intent(&request).await?;
        let status = PaymentStatus::of_intent(intent.status);
        let total = (order.total.amount, order.total.currency.code());
        record_attempt(self.inner.db.conn(), (order.id, attempt), total, self.gateway_kind(), &intent.id, key, status).await?;
        let row = payment::Entity::find()
            .filter(payment::Column::OrderId.eq(order.id))
            .filter(payment::Column::Attempt.eq(attempt))
            .one(self.inner.db.conn())
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("payment attempt {attempt} of order {} vanished", order.id)))?;
        Ok((Payment::from_model(row)?, intent))
    }
}
