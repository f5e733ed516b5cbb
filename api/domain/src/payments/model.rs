//! Payment attempts and refunds as the domain sees them, and how an attempt is recorded.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::GatewayKind;
use super::gateway::IntentStatus;
use super::gateway::{Failure, RefundState};
use crate::actor::Actor;
use crate::entity::{payment, refund};
use crate::error::{Error, Result};
use crate::money::{Currency, Money};
use crate::orders::Order;

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

    /// Could still be paid at the gateway: open, or declined (a declined intent waits
    /// there for another card, `requires_payment_method`), until it is cancelled there.
    pub fn payable_at_gateway(self) -> bool {
        self.is_open() || self == PaymentStatus::Failed
    }

    pub(super) fn of_intent(status: IntentStatus) -> Self {
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
    /// Whether the intent was (or is to be) cancelled at the gateway.
    pub void: VoidState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Payment {
    pub(super) fn from_model(m: payment::Model) -> Result<Self> {
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
            void: VoidState::parse(m.void_state.as_deref()),
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }

    /// An attempt the gateway might still take money for, that is not cancelled there yet.
    pub fn needs_void(&self) -> bool {
        self.status.payable_at_gateway() && self.void != VoidState::Done
    }
}

/// Cancelling an attempt's intent at the gateway, as stored work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoidState {
    /// Nobody asked.
    None,
    /// To be cancelled (reconciliation retries it until the gateway confirms).
    Requested,
    /// The gateway confirmed the intent can take no more money.
    Done,
}

impl VoidState {
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            VoidState::None => None,
            VoidState::Requested => Some("requested"),
            VoidState::Done => Some("done"),
        }
    }

    fn parse(s: Option<&str>) -> Self {
        match s {
            Some("done") => VoidState::Done,
            Some(_) => VoidState::Requested,
            None => VoidState::None,
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
    pub(super) fn from_model(m: refund::Model, currency: Currency) -> Self {
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

/// Records attempt `attempt` of order `order_id` (for `amount` in `currency`) for the
/// gateway's intent `intent_id`, once:
/// racing requests (and a webhook that arrives before the request that created the
/// intent recorded it) all end with the one row.
pub(super) async fn record_attempt<C: ConnectionTrait>(
    conn: &C,
    (order_id, attempt): (i64, i32),
    (amount, currency): (i64, &str),
    gateway: GatewayKind,
    intent_id: &str,
    idempotency_key: String,
    status: PaymentStatus,
) -> Result<()> {
    let now = Utc::now();
    payment::Entity::insert(payment::ActiveModel {
        order_id: Set(order_id),
        attempt: Set(attempt),
        gateway: Set(gateway.as_str().into()),
        intent_id: Set(intent_id.to_owned()),
        idempotency_key: Set(idempotency_key),
        amount: Set(amount),
        currency: Set(currency.to_owned()),
        status: Set(status.as_str().into()),
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
    .exec(conn)
    .await?;
    Ok(())
}
