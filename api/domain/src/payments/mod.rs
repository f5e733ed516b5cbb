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
mod model;
mod reconcile;
mod refunds;
mod settings;
mod start;
pub mod stripe;
mod test_flow;
pub mod test_gateway;
pub mod webhook;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hmac::{KeyInit, Mac};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use sha2::Sha256;

pub use actions::{RefundOutcome, RetryOutcome};
pub use apply::{Applied, Outcome};
pub use gateway::{Failure, GatewayEvent, GatewayKind, PaymentChange, PaymentGateway, RefundState};
pub use issues::{PaymentIssue, PaymentIssueKind};
pub use model::{Payment, PaymentStart, PaymentStatus, Refund, VoidState};
pub use reconcile::ReconcileReport;
pub use settings::{GatewayChoice, PaymentsConfig};
pub use test_gateway::{CardOutcome, TEST_CARDS, TestCard, TestGateway};

use crate::checkout::CartService;
use crate::db::Database;
use crate::entity::{payment, refund};
use crate::error::{Error, Result};
use crate::events::OutboxNotify;
use crate::inventory::InventoryService;
use crate::money::Currency;
use crate::orders::{Order, OrderService};

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
            GatewayChoice::Stripe => (Arc::new(stripe::StripeGateway::new(&parts.config)?), None),
            GatewayChoice::Test => {
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

    async fn order(&self, order_id: i64) -> Result<Order> {
        self.inner.orders.by_id(order_id).await?.ok_or_else(|| Error::not_found("order", "orderId"))
    }

    pub async fn latest_payment(&self, order_id: i64) -> Result<Option<Payment>> {
        latest_in(self.inner.db.conn(), order_id).await
    }

    /// One payment attempt by id.
    pub async fn payment_by_id(&self, id: i64) -> Result<Option<Payment>> {
        payment::Entity::find_by_id(id).one(self.inner.db.conn()).await?.map(Payment::from_model).transpose()
    }

    /// One refund by id.
    pub async fn refund_by_id(&self, id: i64) -> Result<Option<Refund>> {
        Ok(refund::Entity::find_by_id(id).one(self.inner.db.conn()).await?.map(|m| Refund::from_model(m, self.inner.currency)))
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
