//! The seam between Stockade and whoever takes the money.
//!
//! A gateway creates, reads, cancels and refunds payment intents. It never decides an
//! order's state: what happened to a payment reaches us as a [`GatewayEvent`] (a
//! verified webhook, the test gateway's delivery, or what reconciliation read back) and
//! is applied in one place, `PaymentService::apply_event`.

use std::fmt;

use crate::money::Currency;

/// Which gateway an intent lives at (stored with every payment and event).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GatewayKind {
    Stripe,
    Test,
}

impl GatewayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GatewayKind::Stripe => "stripe",
            GatewayKind::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "stripe" => Some(GatewayKind::Stripe),
            "test" => Some(GatewayKind::Test),
            _ => None,
        }
    }
}

impl fmt::Display for GatewayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An intent's state at the gateway (Stripe's PaymentIntent statuses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Succeeded,
    Canceled,
}

impl IntentStatus {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "requires_payment_method" => IntentStatus::RequiresPaymentMethod,
            "requires_confirmation" => IntentStatus::RequiresConfirmation,
            "requires_action" => IntentStatus::RequiresAction,
            "processing" => IntentStatus::Processing,
            "requires_capture" => IntentStatus::RequiresCapture,
            "succeeded" => IntentStatus::Succeeded,
            "canceled" => IntentStatus::Canceled,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IntentStatus::RequiresPaymentMethod => "requires_payment_method",
            IntentStatus::RequiresConfirmation => "requires_confirmation",
            IntentStatus::RequiresAction => "requires_action",
            IntentStatus::Processing => "processing",
            IntentStatus::RequiresCapture => "requires_capture",
            IntentStatus::Succeeded => "succeeded",
            IntentStatus::Canceled => "canceled",
        }
    }
}

/// Why a payment failed, in the gateway's words (e.g. `card_declined` /
/// `insufficient_funds`, "Your card has insufficient funds.").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

/// What we ask the gateway to create: one intent per order and attempt.
#[derive(Clone, Debug)]
pub struct IntentRequest {
    pub order_id: i64,
    pub attempt: i32,
    pub amount: i64,
    pub currency: Currency,
    /// Derived from the order and attempt: the same attempt always gets the same intent.
    pub idempotency_key: String,
    pub email: String,
    pub description: String,
}

/// An intent as the gateway reports it.
#[derive(Clone, PartialEq, Eq)]
pub struct Intent {
    pub id: String,
    pub status: IntentStatus,
    pub amount: i64,
    pub amount_received: i64,
    /// Lower-case ISO 4217 code, as gateways report it.
    pub currency: String,
    /// What the storefront confirms the payment with. Never logged.
    pub client_secret: Option<String>,
    pub last_failure: Option<Failure>,
    /// The order and attempt from the intent's metadata.
    pub order_ref: Option<(i64, i32)>,
}

impl fmt::Debug for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Intent")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("amount", &self.amount)
            .field("amount_received", &self.amount_received)
            .field("currency", &self.currency)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("last_failure", &self.last_failure)
            .field("order_ref", &self.order_ref)
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct RefundRequest {
    pub intent_id: String,
    pub amount: i64,
    pub idempotency_key: String,
    pub order_id: i64,
    pub refund_id: i64,
}

/// Where a refund stands, at the gateway and in our `refunds` table alike.
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

    pub(super) fn parse(s: &str) -> Self {
        match s {
            "succeeded" => RefundState::Succeeded,
            "failed" => RefundState::Failed,
            _ => RefundState::Pending,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundReply {
    pub id: String,
    pub status: RefundState,
}

/// What a gateway call can fail with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// Not reached, timed out, or a server error: the same call (same idempotency key)
    /// may be sent again.
    #[error("gateway unavailable: {0}")]
    Unavailable(String),
    /// The gateway understood and refused (bad request, already refunded, ...).
    #[error("gateway refused ({code}): {message}")]
    Rejected { code: String, message: String },
}

impl From<GatewayError> for crate::error::Error {
    fn from(e: GatewayError) -> Self {
        match e {
            GatewayError::Unavailable(detail) => crate::error::Error::GatewayUnavailable { detail },
            GatewayError::Rejected { code, message } => {
                tracing::warn!(%code, %message, "the payment gateway refused a request");
                crate::error::Error::GatewayRejected { code, message }
            }
        }
    }
}

/// What happened to a payment, from the gateway, in our terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentChange {
    Succeeded {
        amount_received: i64,
        currency: String,
    },
    Failed(Failure),
    RequiresAction,
    Processing,
    Canceled,
    /// `amount_refunded` is the charge's running total (Stripe's `charge.refunded`).
    Refunded {
        amount_refunded: i64,
        refund_ids: Vec<String>,
    },
    /// The gateway's answer for one of our refunds (`refund_id` is ours): the refund
    /// API's reply, or what reconciliation read back. Only settled states are events.
    RefundSettled {
        refund_id: i64,
        gateway_refund_id: String,
        status: RefundState,
    },
    /// A type we do not act on (acknowledged and recorded).
    Unhandled,
}

/// One event from a gateway: applied once per `(gateway, id)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayEvent {
    pub gateway: GatewayKind,
    pub id: String,
    /// The gateway's own type name (`payment_intent.succeeded`).
    pub event_type: String,
    pub intent_id: Option<String>,
    /// The order and attempt from the intent's metadata, when the event carries them.
    pub order_ref: Option<(i64, i32)>,
    pub change: PaymentChange,
}

impl GatewayEvent {
    /// The event reconciliation applies for an intent it read back: its id is derived
    /// from the intent and state, so reading the same state twice applies it once.
    pub fn from_intent(gateway: GatewayKind, intent: &Intent) -> Self {
        let (event_type, change) = match intent.status {
            IntentStatus::Succeeded => (
                "payment_intent.succeeded",
                PaymentChange::Succeeded { amount_received: intent.amount_received, currency: intent.currency.clone() },
            ),
            IntentStatus::Canceled => ("payment_intent.canceled", PaymentChange::Canceled),
            IntentStatus::RequiresAction => ("payment_intent.requires_action", PaymentChange::RequiresAction),
            IntentStatus::Processing => ("payment_intent.processing", PaymentChange::Processing),
            IntentStatus::RequiresPaymentMethod if intent.last_failure.is_some() => (
                "payment_intent.payment_failed",
                PaymentChange::Failed(
                    intent.last_failure.clone().unwrap_or_else(|| Failure { code: "unknown".into(), message: "the payment failed".into() }),
                ),
            ),
            _ => ("payment_intent.unchanged", PaymentChange::Unhandled),
        };
        let failure = intent.last_failure.as_ref().map(|f| f.code.as_str()).unwrap_or("");
        GatewayEvent {
            gateway,
            id: format!("read:{}:{}:{failure}", intent.id, intent.status.as_str()),
            event_type: event_type.into(),
            intent_id: Some(intent.id.clone()),
            order_ref: intent.order_ref,
            change,
        }
    }
}

impl GatewayEvent {
    /// The event for the gateway's answer about refund `refund_id` of the payment on
    /// `intent_id`, once the refund is settled (`None` while it is pending). Its id is
    /// derived from the refund and state, so hearing the same answer twice applies it once.
    pub fn from_refund(gateway: GatewayKind, intent_id: &str, refund_id: i64, reply: &RefundReply) -> Option<Self> {
        if reply.status == RefundState::Pending {
            return None;
        }
        Some(GatewayEvent {
            gateway,
            id: format!("refund:{}:{}", reply.id, reply.status.as_str()),
            event_type: format!("refund.{}", reply.status.as_str()),
            intent_id: Some(intent_id.to_owned()),
            order_ref: None,
            change: PaymentChange::RefundSettled { refund_id, gateway_refund_id: reply.id.clone(), status: reply.status },
        })
    }
}

/// Metadata keys our intents carry so events can be matched to orders even when the
/// payment row is missing.
pub const META_ORDER_ID: &str = "stockade_order_id";
pub const META_ATTEMPT: &str = "stockade_attempt";

/// Reads the order reference from an intent's metadata.
pub fn order_ref_from(metadata: impl Fn(&str) -> Option<String>) -> Option<(i64, i32)> {
    let order = metadata(META_ORDER_ID)?.parse().ok()?;
    let attempt = metadata(META_ATTEMPT)?.parse().ok()?;
    Some((order, attempt))
}

/// A payment gateway. Implementations: [`super::stripe::StripeGateway`] and
/// [`super::test_gateway::TestGateway`].
#[async_trait::async_trait]
pub trait PaymentGateway: Send + Sync + 'static {
    fn kind(&self) -> GatewayKind;

    /// Creates the intent for an order's attempt; the same `idempotency_key` returns
    /// the same intent.
    async fn create_intent(&self, request: &IntentRequest) -> Result<Intent, GatewayError>;

    async fn retrieve_intent(&self, intent_id: &str) -> Result<Intent, GatewayError>;

    /// Cancels an intent that has not succeeded. Cancelling a succeeded intent is
    /// `Rejected`; callers read it back to learn what happened.
    async fn cancel_intent(&self, intent_id: &str) -> Result<Intent, GatewayError>;

    /// Asks for a refund; the same `idempotency_key` answers with the refund it made first.
    async fn refund(&self, request: &RefundRequest) -> Result<RefundReply, GatewayError>;

    /// A refund as the gateway reports it now (`intent_id` is the payment it refunds).
    async fn retrieve_refund(&self, intent_id: &str, refund_id: &str) -> Result<RefundReply, GatewayError>;

    /// Events this gateway produced for `intent_id` that are to be applied now. Stripe
    /// delivers by webhook, so it has none; the test gateway hands its outcomes over
    /// here, and they go through the same code path as Stripe's webhooks.
    fn take_deliveries(&self, _intent_id: &str) -> Vec<GatewayEvent> {
        Vec::new()
    }
}
