//! Payments: money is never lost, doubled, or taken for stock we do not have.
//!
//! - An order is paid in attempts; each attempt is one intent at the gateway, created
//!   with an idempotency key derived from the order and attempt number, so however
//!   often (and on however many instances) an attempt is started, one intent exists.
//! - The server never marks an order paid on a client's word. What happened to a
//!   payment arrives as a [`GatewayEvent`]: a verified Stripe webhook, the test
//!   gateway's delivery, or what reconciliation read back from the gateway. Every
//!   event goes through [`PaymentService::apply_event`], which stores its id once and
//!   applies it in the same transaction.
//! - Orders only move along the state table, so a late or repeated event cannot undo
//!   a later state; it is recorded in the timeline as ignored.
//! - Money that arrives after the order's stock hold lapsed holds the stock again, all
//!   or nothing; if it is gone the order needs staff attention (never oversold).

mod actions;
mod apply;
pub mod gateway;
mod issues;
mod reconcile;
pub mod stripe;
pub mod test_gateway;
pub mod webhook;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use sha2::Sha256;

pub use actions::{RefundOutcome, RetryOutcome};
pub use apply::{Applied, Outcome};
pub use gateway::{Failure, GatewayEvent, GatewayKind, PaymentChange, PaymentGateway};
pub use issues::{PaymentIssue, PaymentIssueKind};
pub use reconcile::ReconcileReport;
pub use test_gateway::{CardOutcome, TEST_CARDS, TestCard, TestGateway};

use crate::actor::Actor;
use crate::checkout::CartService;
use crate::config::PaymentsConfig;
use crate::db::Database;
use crate::entity::{payment, refund};
use crate::error::{Error, Result};
use crate::events::OutboxNotify;
use crate::inventory::InventoryService;
use crate::money::{Currency, Money};
use crate::orders::{Order, OrderService, OrderStatus};
use gateway::{IntentRequest, IntentStatus};

/// An attempt's state, as we last learnt it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    /// Created; waiting for the buyer's card.
    RequiresPaymentMethod,
    RequiresConfirmation,
    /// Waiting for the buyer (3-D Secure).
    RequiresAction,
    /// Money in flight (the order does not expire meanwhile).
    Processing,
    Succeeded,
    Failed,
    Canceled,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 7] = [
        PaymentStatus::RequiresPaymentMethod,
        PaymentStatus::RequiresConfirmation,
        PaymentStatus::RequiresAction,
        PaymentStatus::Processing,
        PaymentStatus::Succeeded,
        PaymentStatus::Failed,
        PaymentStatus::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::RequiresPaymentMethod => "requires_payment_method",
            PaymentStatus::RequiresConfirmation => "requires_confirmation",
            PaymentStatus::RequiresAction => "requires_action",
            PaymentStatus::Processing => "processing",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("unknown payment status in database: {s}")))
    }

    /// Still able to take money.
    pub fn is_open(self) -> bool {
        !matches!(self, PaymentStatus::Succeeded | PaymentStatus::Failed | PaymentStatus::Canceled)
    }

    fn of_intent(status: IntentStatus) -> Self {
        match status {
            IntentStatus::RequiresPaymentMethod => PaymentStatus::RequiresPaymentMethod,
            IntentStatus::RequiresConfirmation => PaymentStatus::RequiresConfirmation,
            IntentStatus::RequiresAction => PaymentStatus::RequiresAction,
            IntentStatus::Processing | IntentStatus::RequiresCapture => PaymentStatus::Processing,
            IntentStatus::Succeeded => PaymentStatus::Succeeded,
            IntentStatus::Canceled => PaymentStatus::Canceled,
        }
    }
}

/// One payment attempt of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    pub id: i64,
    pub order_id: i64,
    pub attempt: i32,
    pub gateway: GatewayKind,
    pub intent_id: String,
    pub amount: Money,
    pub amount_received: Money,
    pub amount_refunded: Money,
    pub status: PaymentStatus,
    /// The gateway's reason for the last failure.
    pub failure: Option<Failure>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Payment {
    fn from_model(m: payment::Model) -> Result<Self> {
        let currency: Currency = m.currency.parse().map_err(|e| Error::Internal(anyhow::anyhow!("payment {} currency: {e}", m.id)))?;
        let gateway =
            GatewayKind::parse(&m.gateway).ok_or_else(|| Error::Internal(anyhow::anyhow!("payment {} gateway {}", m.id, m.gateway)))?;
        Ok(Payment {
            id: m.id,
            order_id: m.order_id,
            attempt: m.attempt,
            gateway,
            intent_id: m.intent_id,
            amount: Money::new(m.amount, currency),
            amount_received: Money::new(m.amount_received, currency),
            amount_refunded: Money::new(m.amount_refunded, currency),
            status: PaymentStatus::parse(&m.status)?,
            failure: match (m.error_code, m.error_message) {
                (Some(code), Some(message)) => Some(Failure { code, message }),
                _ => None,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundState {
    Pending,
    Succeeded,
    Failed,
}

impl RefundState {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundState::Pending => "pending",
            RefundState::Succeeded => "succeeded",
            RefundState::Failed => "failed",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "succeeded" => RefundState::Succeeded,
            "failed" => RefundState::Failed,
            _ => RefundState::Pending,
        }
    }
}

/// A refund staff asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refund {
    pub id: i64,
    pub order_id: i64,
    pub payment_id: i64,
    pub amount: Money,
    pub restock: bool,
    pub status: RefundState,
    pub reason: String,
    pub actor: Option<Actor>,
    pub created_at: DateTime<Utc>,
}

impl Refund {
    fn from_model(m: refund::Model, currency: Currency) -> Self {
        Refund {
            id: m.id,
            order_id: m.order_id,
            payment_id: m.payment_id,
            amount: Money::new(m.amount, currency),
            restock: m.restock,
            status: RefundState::parse(&m.status),
            reason: m.reason,
            actor: Actor::from_parts(&m.actor_type, m.actor_id),
            created_at: m.created_at,
        }
    }
}

/// What the storefront needs to collect a payment.
#[derive(Clone, Debug)]
pub struct PaymentStart {
    pub order: Order,
    pub payment: Payment,
    /// Confirms the payment with Stripe.js (or the test gateway). Never logged.
    pub client_secret: String,
}

#[derive(Clone)]
pub struct PaymentService {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    gateway: Arc<dyn PaymentGateway>,
    test: Option<Arc<TestGateway>>,
    inventory: InventoryService,
    orders: OrderService,
    carts: CartService,
    config: PaymentsConfig,
    payment_window: Duration,
    /// Derives idempotency keys: stable for an order and attempt on every instance.
    key: Vec<u8>,
    notify: OutboxNotify,
    currency: Currency,
}

/// What the payment service is built from.
pub struct PaymentParts {
    pub db: Database,
    pub inventory: InventoryService,
    pub orders: OrderService,
    pub carts: CartService,
    pub config: PaymentsConfig,
    pub payment_window: Duration,
    /// Secret key material shared by all instances (derived from the token key).
    pub key: Vec<u8>,
    pub notify: OutboxNotify,
    pub currency: Currency,
}

impl PaymentService {
    /// The gateway the configuration chose: Stripe, or the built-in test gateway.
    pub fn new(parts: PaymentParts) -> Result<Self, String> {
        let (gateway, test): (Arc<dyn PaymentGateway>, Option<Arc<TestGateway>>) = match parts.config.gateway {
            crate::config::GatewayChoice::Stripe => (Arc::new(stripe::StripeGateway::new(&parts.config)?), None),
            crate::config::GatewayChoice::Test => {
                let test = Arc::new(TestGateway::new(parts.db.clone(), derive(&parts.key, "test-gateway")));
                (test.clone(), Some(test))
            }
        };
        Ok(Self::with_gateway(parts, gateway, test))
    }

    fn with_gateway(p: PaymentParts, gateway: Arc<dyn PaymentGateway>, test: Option<Arc<TestGateway>>) -> Self {
        PaymentService {
            inner: Arc::new(Inner {
                db: p.db,
                gateway,
                test,
                inventory: p.inventory,
                orders: p.orders,
                carts: p.carts,
                config: p.config,
                payment_window: p.payment_window,
                key: p.key,
                notify: p.notify,
                currency: p.currency,
            }),
        }
    }

    pub fn gateway_kind(&self) -> GatewayKind {
        self.inner.gateway.kind()
    }

    pub fn config(&self) -> &PaymentsConfig {
        &self.inner.config
    }

    /// The built-in test gateway, when it is the one in use.
    pub fn test_gateway(&self) -> Option<&TestGateway> {
        self.inner.test.as_deref()
    }

    /// A stable, secret-derived key: the same on every instance for the same purpose,
    /// unguessable to anyone else, unique per installation.
    fn idempotency_key(&self, purpose: &str) -> String {
        format!("stockade-{}", &hex::encode(derive(&self.inner.key, purpose))[..40])
    }

    /// The idempotency key of one gateway request about an order (`what` names it,
    /// e.g. `intent:2` for attempt 2). Besides the installation's secret it names the
    /// order by its id *and the moment it was created*, so a fresh or restored database
    /// whose order ids start again never reuses a key inside the gateway's 24-hour
    /// window (Stripe would otherwise hand back another order's payment), while every
    /// instance and every retry derive the same key for the same request.
    pub(crate) fn order_key(&self, order_id: i64, created_at: chrono::DateTime<Utc>, what: &str) -> String {
        self.idempotency_key(&format!("order:{order_id}:{}:{what}", created_at.timestamp_micros()))
    }

    /// Starts (or resumes) paying an order: its open attempt, or a new one. A failed
    /// order is reopened first (its stock held again, all or nothing).
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn start(&self, order_id: i64, actor: Actor) -> Result<PaymentStart> {
        let order = self.order(order_id).await?;
        match order.status {
            OrderStatus::PendingPayment => {}
            OrderStatus::PaymentFailed => self.reopen(&order, None, actor, "payment retried").await?,
            other if other.is_paid() => return Err(Error::AlreadyPaid),
            other => return Err(Error::invalid("orderId", format!("this order is {other}: there is nothing to pay"))),
        }
        let mut replaced = false;
        loop {
            let order = self.order(order_id).await?;
            if order.status != OrderStatus::PendingPayment {
                return Err(Error::invalid("orderId", format!("this order is {}: there is nothing to pay", order.status)));
            }
            let latest = self.latest_payment(order_id).await?;
            let payment = match latest {
                Some(p) if p.status.is_open() => p,
                other => self.new_attempt(&order, other.map(|p| p.attempt).unwrap_or(0) + 1).await?,
            };
            // The gateway's view, for the client secret; it may know more than we do
            // (a webhook still on its way): apply that first.
            let intent = self.inner.gateway.retrieve_intent(&payment.intent_id).await?;
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
    /// requests race to do it).
    async fn new_attempt(&self, order: &Order, attempt: i32) -> Result<Payment> {
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
        let now = Utc::now();
        payment::Entity::insert(payment::ActiveModel {
            order_id: Set(order.id),
            attempt: Set(attempt),
            gateway: Set(self.gateway_kind().as_str().into()),
            intent_id: Set(intent.id.clone()),
            idempotency_key: Set(key),
            amount: Set(order.total.amount),
            currency: Set(order.total.currency.code().into()),
            status: Set(PaymentStatus::of_intent(intent.status).as_str().into()),
            amount_received: Set(0),
            amount_refunded: Set(0),
            error_code: Set(None),
            error_message: Set(None),
            checked_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .on_conflict(OnConflict::columns([payment::Column::OrderId, payment::Column::Attempt]).do_nothing().to_owned())
        .try_insert()
        .exec(self.inner.db.conn())
        .await?;
        let row = payment::Entity::find()
            .filter(payment::Column::OrderId.eq(order.id))
            .filter(payment::Column::Attempt.eq(attempt))
            .one(self.inner.db.conn())
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("payment attempt {attempt} of order {} vanished", order.id)))?;
        Payment::from_model(row)
    }

    async fn order(&self, order_id: i64) -> Result<Order> {
        self.inner.orders.by_id(order_id).await?.ok_or_else(|| Error::not_found("order", "orderId"))
    }

    pub async fn latest_payment(&self, order_id: i64) -> Result<Option<Payment>> {
        latest_in(self.inner.db.conn(), order_id).await
    }

    pub async fn payments_by_order_ids(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<Payment>>> {
        let rows = payment::Entity::find()
            .filter(payment::Column::OrderId.is_in(ids.iter().copied()))
            .order_by_asc(payment::Column::Attempt)
            .all(self.inner.db.conn())
            .await?;
        let mut out: HashMap<i64, Vec<Payment>> = HashMap::new();
        for m in rows {
            let p = Payment::from_model(m)?;
            out.entry(p.order_id).or_default().push(p);
        }
        Ok(out)
    }

    /// One order's attempts, oldest first.
    async fn payments_of(&self, order_id: i64) -> Result<Vec<Payment>> {
        Ok(self.payments_by_order_ids(&[order_id]).await?.remove(&order_id).unwrap_or_default())
    }

    pub async fn refunds_by_order_ids(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<Refund>>> {
        let rows = refund::Entity::find()
            .filter(refund::Column::OrderId.is_in(ids.iter().copied()))
            .order_by_asc(refund::Column::Id)
            .all(self.inner.db.conn())
            .await?;
        let mut out: HashMap<i64, Vec<Refund>> = HashMap::new();
        for m in rows {
            let r = Refund::from_model(m, self.inner.currency);
            out.entry(r.order_id).or_default().push(r);
        }
        Ok(out)
    }

    /// Applies what the test gateway delivered for `intent_id` (nothing for Stripe,
    /// which delivers by webhook).
    async fn deliver(&self, intent_id: &str) -> Result<usize> {
        let events = self.inner.gateway.take_deliveries(intent_id);
        for event in &events {
            self.apply_event(event).await?;
        }
        Ok(events.len())
    }

    /// Test gateway: pays with a test card (see [`TEST_CARDS`]); the outcome is applied
    /// through the same path as a webhook before this returns. Confirming a payment
    /// that already went through answers its outcome (a retry after a lost answer).
    pub async fn test_confirm(&self, client_secret: &str, card_number: &str) -> Result<(Payment, Order)> {
        let test = self.test_gateway().ok_or_else(|| Error::invalid("clientSecret", "the test gateway is not in use"))?;
        let intent = test.confirm(client_secret, card_number).await?;
        self.settle_test_intent(&intent.id).await?;
        self.payment_and_order(&intent.id).await
    }

    /// Test gateway: completes (`approve`) or fails the 3-D Secure step.
    pub async fn test_authenticate(&self, client_secret: &str, approve: bool) -> Result<(Payment, Order)> {
        let test = self.test_gateway().ok_or_else(|| Error::invalid("clientSecret", "the test gateway is not in use"))?;
        let intent = test.authenticate(client_secret, approve).await?;
        self.settle_test_intent(&intent.id).await?;
        self.payment_and_order(&intent.id).await
    }

    /// Applies the test gateway's outcome for `intent_id`. The outcome is already
    /// durable (the gateway's intent row is committed before it answers). Its events
    /// are applied; if that fails (a database blip) or there were none (a retry of a
    /// confirmation whose answer was lost, or whose events a crash took), the intent
    /// as it stands is read back and applied, with a few retries. Whatever is still
    /// missing is read back before the order could expire.
    async fn settle_test_intent(&self, intent_id: &str) -> Result<()> {
        match self.deliver(intent_id).await {
            Ok(0) => {}
            Ok(_) => return Ok(()),
            Err(e) => tracing::warn!(%intent_id, error = %e, "applying a test payment's events failed; reading the intent back"),
        }
        let mut delay = std::time::Duration::from_millis(200);
        for attempt in 1.. {
            let applied = async {
                let intent = self.inner.gateway.retrieve_intent(intent_id).await?;
                self.apply_event(&GatewayEvent::from_intent(self.gateway_kind(), &intent)).await
            }
            .await;
            match applied {
                Ok(_) => return Ok(()),
                Err(e) if attempt < 3 => {
                    tracing::warn!(%intent_id, error = %e, attempt, "applying a test payment failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn payment_and_order(&self, intent_id: &str) -> Result<(Payment, Order)> {
        let row = payment::Entity::find()
            .filter(payment::Column::Gateway.eq(self.gateway_kind().as_str()))
            .filter(payment::Column::IntentId.eq(intent_id))
            .one(self.inner.db.conn())
            .await?
            .ok_or_else(|| Error::not_found("payment", "clientSecret"))?;
        let payment = Payment::from_model(row)?;
        let order = self.order(payment.order_id).await?;
        Ok((payment, order))
    }
}

fn derive(key: &[u8], purpose: &str) -> Vec<u8> {
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key) else { return key.to_vec() };
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

async fn latest_in<C: ConnectionTrait>(conn: &C, order_id: i64) -> Result<Option<Payment>> {
    payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order_id))
        .order_by_desc(payment::Column::Attempt)
        .one(conn)
        .await?
        .map(Payment::from_model)
        .transpose()
}
