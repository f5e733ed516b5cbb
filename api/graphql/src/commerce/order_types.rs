//! Orders and their payments as clients see them: the order, its lines and timeline,
//! payments, refunds, and the failed-payment issues staff review. One file because they
//! refer to each other (an order lists its payments, an issue names its order).

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::cart_types::{Address, Totals};
use super::current_order;
use super::loaders::{EventsOfOrder, LinesOfOrder, orders_loader};
use crate::error::{ResultExt, UserError, failed};
use crate::ids::NodeType;
use crate::int::int;
use crate::money::Money;
use stockade_domain::error::Error;
use stockade_domain::orders;
use stockade_domain::payments;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stockade_domain::orders::OrderStatus")]
pub enum OrderStatus {
    /// Created at checkout; stock held until `paymentDeadline`.
    PendingPayment,
    /// The last payment attempt failed; it can be retried until the deadline.
    PaymentFailed,
    Paid,
    /// Paid, but the stock was gone: staff must resolve it.
    NeedsAttention,
    Fulfilled,
    Shipped,
    Delivered,
    Cancelled,
    /// Not paid in time; its stock was released.
    Expired,
    Refunded,
}

/// An order: a snapshot of what was bought, at what price, where to, and its history.
pub struct Order(pub orders::Order);

#[Object]
impl Order {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        NodeType::Order.id(self.0.id)
    }
    /// Human-friendly number, e.g. `#1042`.
    async fn number(&self) -> String {
        format!("#{}", self.0.id)
    }
    async fn status(&self) -> OrderStatus {
        self.0.status.into()
    }
    /// Send it back as `expectedVersion` in staff actions.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<OrderLine>> {
        let lines = orders_loader(ctx).load_one(LinesOfOrder(self.0.id)).await.gql()?.unwrap_or_default();
        Ok(lines.into_iter().map(OrderLine).collect())
    }
    async fn totals(&self) -> Totals {
        let o = &self.0;
        Totals {
            subtotal: Money(o.subtotal),
            discount: Money(o.discount),
            shipping: Money(o.shipping),
            tax: Money(o.tax),
            total: Money(o.total),
        }
    }
    async fn coupon_code(&self) -> Option<&str> {
        self.0.coupon_code.as_deref()
    }
    async fn shipping_address(&self) -> Address {
        self.0.shipping_address.clone().into()
    }
    /// Unpaid orders expire (and release their stock) after this.
    async fn payment_deadline(&self) -> DateTime<Utc> {
        self.0.payment_deadline
    }
    /// Payment attempts, oldest first.
    async fn payments(&self, ctx: &Context<'_>) -> Result<Vec<Payment>> {
        let payments = orders_loader(ctx).load_one(super::loaders::PaymentsOfOrder(self.0.id)).await.gql()?.unwrap_or_default();
        Ok(payments.into_iter().map(Payment).collect())
    }
    /// Staff: the order's place in the failed-payment review queue; null when it has
    /// no open payment issue. Select it in a staff action's answer (`paymentRetry`,
    /// `orderRefund`, `paymentIssueResolve`, `orderCancel`) and a client cache updates
    /// the cached `PaymentIssue` by its id. One read per order.
    #[graphql(guard = "crate::access::allow(\"Order.paymentIssue\")")]
    async fn payment_issue(&self, ctx: &Context<'_>) -> Result<Option<PaymentIssue>> {
        let found = ctx.data_unchecked::<stockade_domain::payments::PaymentService>().issue_of(self.0.id).await.gql()?;
        Ok(found.map(PaymentIssue))
    }
    /// Refunds asked for, oldest first.
    async fn refunds(&self, ctx: &Context<'_>) -> Result<Vec<Refund>> {
        let refunds = orders_loader(ctx).load_one(super::loaders::RefundsOfOrder(self.0.id)).await.gql()?.unwrap_or_default();
        Ok(refunds.into_iter().map(Refund).collect())
    }
    /// Refunded so far.
    async fn refunded(&self) -> Money {
        Money(self.0.refunded)
    }
    /// Every change of the order, oldest first.
    async fn timeline(&self, ctx: &Context<'_>) -> Result<Vec<OrderTimelineEvent>> {
        let events = orders_loader(ctx).load_one(EventsOfOrder(self.0.id)).await.gql()?.unwrap_or_default();
        Ok(events.into_iter().map(OrderTimelineEvent).collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A line of an order, as it was bought.
pub struct OrderLine(pub orders::OrderLine);

#[Object]
impl OrderLine {
    async fn variant_id(&self) -> ID {
        NodeType::Variant.id(self.0.variant_id)
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn product_name(&self) -> &str {
        &self.0.product_name
    }
    async fn variant_title(&self) -> &str {
        &self.0.variant_title
    }
    async fn quantity(&self) -> i32 {
        int(self.0.quantity)
    }
    async fn unit_price(&self) -> Money {
        Money(self.0.unit_price)
    }
    async fn line_total(&self) -> Money {
        Money(self.0.line_total)
    }
}

/// One entry of an order's history: when, who, what and why.
pub struct OrderTimelineEvent(pub orders::OrderEvent);

#[Object]
impl OrderTimelineEvent {
    /// `created`, `status_changed`, `payment_attempt`, `ignored_event`, `note`, ...
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn from_status(&self) -> Option<OrderStatus> {
        self.0.from_status.map(Into::into)
    }
    async fn to_status(&self) -> Option<OrderStatus> {
        self.0.to_status.map(Into::into)
    }
    /// Who made the change.
    async fn actor_type(&self) -> crate::actor::ActorType {
        stockade_domain::actor::Actor::from_parts(&self.0.actor_type, self.0.actor_id)
            .map(Into::into)
            .unwrap_or(crate::actor::ActorType::System)
    }
    /// The staff member or customer, when there is one.
    async fn actor_id(&self) -> Option<ID> {
        self.0.actor_id.map(|id| NodeType::User.id(id))
    }
    async fn cause(&self) -> &str {
        &self.0.cause
    }
    /// Details as JSON text (tracking number, gateway error, ...).
    async fn data(&self) -> Option<String> {
        self.0.data.as_ref().map(|d| d.to_string())
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Which gateway takes the money.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PaymentGateway {
    /// Stripe: confirm with Stripe.js using `clientSecret` and `publishableKey`.
    Stripe,
    /// The built-in test gateway: confirm with `testPaymentConfirm` and a test card.
    Test,
}

impl From<payments::GatewayKind> for PaymentGateway {
    fn from(k: payments::GatewayKind) -> Self {
        match k {
            payments::GatewayKind::Stripe => PaymentGateway::Stripe,
            payments::GatewayKind::Test => PaymentGateway::Test,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PaymentStatus {
    /// Waiting for the buyer's card.
    RequiresPaymentMethod,
    RequiresConfirmation,
    /// Waiting for the buyer to authenticate (3-D Secure).
    RequiresAction,
    /// Money in flight; the order does not expire meanwhile.
    Processing,
    Succeeded,
    Failed,
    Canceled,
}

impl From<payments::PaymentStatus> for PaymentStatus {
    fn from(s: payments::PaymentStatus) -> Self {
        use payments::PaymentStatus as P;
        match s {
            P::RequiresPaymentMethod => PaymentStatus::RequiresPaymentMethod,
            P::RequiresConfirmation => PaymentStatus::RequiresConfirmation,
            P::RequiresAction => PaymentStatus::RequiresAction,
            P::Processing => PaymentStatus::Processing,
            P::Succeeded => PaymentStatus::Succeeded,
            P::Failed => PaymentStatus::Failed,
            P::Canceled => PaymentStatus::Canceled,
        }
    }
}

/// One attempt to pay an order.
pub struct Payment(pub payments::Payment);

#[Object]
impl Payment {
    pub async fn id(&self) -> ID {
        NodeType::Payment.id(self.0.id)
    }
    /// 1 for the first attempt, then 2, ...
    async fn attempt(&self) -> i32 {
        self.0.attempt
    }
    async fn gateway(&self) -> PaymentGateway {
        self.0.gateway.into()
    }
    async fn status(&self) -> PaymentStatus {
        self.0.status.into()
    }
    async fn amount(&self) -> Money {
        Money(self.0.amount)
    }
    async fn amount_received(&self) -> Money {
        Money(self.0.amount_received)
    }
    async fn amount_refunded(&self) -> Money {
        Money(self.0.amount_refunded)
    }
    /// The gateway's code for the last failure (`card_declined`, `insufficient_funds`, ...).
    async fn error_code(&self) -> Option<&str> {
        self.0.failure.as_ref().map(|f| f.code.as_str())
    }
    /// The gateway's message for the last failure, fit to show the buyer.
    async fn error_message(&self) -> Option<&str> {
        self.0.failure.as_ref().map(|f| f.message.as_str())
    }
    /// The intent's id at the gateway (`pi_...`; the client secret starts with it), to
    /// look the payment up in Stripe's dashboard.
    async fn gateway_reference(&self) -> &str {
        &self.0.intent_id
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum RefundStatus {
    /// Sent to the gateway; applied when it confirms.
    Pending,
    Succeeded,
    Failed,
}

pub struct Refund(pub payments::Refund);

#[Object]
impl Refund {
    pub async fn id(&self) -> ID {
        NodeType::Refund.id(self.0.id)
    }
    async fn amount(&self) -> Money {
        Money(self.0.amount)
    }
    /// The order's units go back on sale when the refund succeeds.
    async fn restock(&self) -> bool {
        self.0.restock
    }
    async fn status(&self) -> RefundStatus {
        match self.0.status {
            payments::RefundState::Pending => RefundStatus::Pending,
            payments::RefundState::Succeeded => RefundStatus::Succeeded,
            payments::RefundState::Failed => RefundStatus::Failed,
        }
    }
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// The staff member who asked for it.
    async fn requested_by(&self) -> Option<ID> {
        match self.0.actor {
            Some(stockade_domain::actor::Actor::Staff { user_id }) => Some(NodeType::User.id(user_id)),
            _ => None,
        }
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PaymentIssueKind {
    /// The last attempt failed; the stock went back and the buyer may retry.
    Failed,
    /// Waiting for the buyer to authenticate (3-D Secure).
    RequiresAction,
    /// Waiting for payment longer than expected.
    StuckPending,
    /// Paid, but the stock was gone when the money arrived: find stock or refund.
    PaidWithoutStock,
    /// More than one attempt took money: refund the extra payment (`orderRefund`
    /// refunds the latest attempt first).
    PaidTwice,
}

impl From<PaymentIssueKind> for payments::PaymentIssueKind {
    fn from(k: PaymentIssueKind) -> Self {
        match k {
            PaymentIssueKind::Failed => payments::PaymentIssueKind::Failed,
            PaymentIssueKind::RequiresAction => payments::PaymentIssueKind::RequiresAction,
            PaymentIssueKind::StuckPending => payments::PaymentIssueKind::StuckPending,
            PaymentIssueKind::PaidWithoutStock => payments::PaymentIssueKind::PaidWithoutStock,
            PaymentIssueKind::PaidTwice => payments::PaymentIssueKind::PaidTwice,
        }
    }
}

impl From<payments::PaymentIssueKind> for PaymentIssueKind {
    fn from(k: payments::PaymentIssueKind) -> Self {
        match k {
            payments::PaymentIssueKind::Failed => PaymentIssueKind::Failed,
            payments::PaymentIssueKind::RequiresAction => PaymentIssueKind::RequiresAction,
            payments::PaymentIssueKind::StuckPending => PaymentIssueKind::StuckPending,
            payments::PaymentIssueKind::PaidWithoutStock => PaymentIssueKind::PaidWithoutStock,
            payments::PaymentIssueKind::PaidTwice => PaymentIssueKind::PaidTwice,
        }
    }
}

/// An order whose payment needs a person.
pub struct PaymentIssue(pub payments::PaymentIssue);

#[Object]
impl PaymentIssue {
    /// Opaque id of the order's place in the review queue (one issue per order at a
    /// time): the same across kinds, so a client cache updates the cached issue.
    pub async fn id(&self) -> ID {
        NodeType::PaymentIssue.id(self.0.order.id)
    }
    async fn kind(&self) -> PaymentIssueKind {
        self.0.kind.into()
    }
    /// The order (its `timeline` tells the whole story; `version` goes into actions).
    async fn order(&self) -> Order {
        Order(self.0.order.clone())
    }
    async fn email(&self) -> &str {
        &self.0.order.email
    }
    /// The signed-in customer who placed it; null for guests.
    async fn customer_id(&self) -> Option<ID> {
        self.0.order.customer_id.map(|id| NodeType::User.id(id))
    }
    async fn amount(&self) -> Money {
        Money(self.0.order.total)
    }
    async fn attempts(&self) -> i32 {
        int(self.0.payments.len())
    }
    async fn payments(&self) -> Vec<Payment> {
        self.0.payments.iter().cloned().map(Payment).collect()
    }
    /// The gateway's code for the latest failure.
    async fn error_code(&self) -> Option<&str> {
        self.0.last_failure().map(|f| f.code.as_str())
    }
    async fn error_message(&self) -> Option<&str> {
        self.0.last_failure().map(|f| f.message.as_str())
    }
    /// Since when the order waits (its creation).
    async fn since(&self) -> DateTime<Utc> {
        self.0.order.created_at
    }
}

#[derive(SimpleObject)]
pub struct PaymentIssueCount {
    pub kind: PaymentIssueKind,
    pub count: i32,
}

#[derive(SimpleObject, Default)]
pub struct OrderPayload {
    /// The order after the change; with VERSION_CONFLICT or ILLEGAL_TRANSITION, as it is now.
    pub order: Option<Order>,
    pub user_errors: Vec<UserError>,
}

/// The changed order, or the user error with the order as it is now.
pub(super) async fn order_payload(
    ctx: &Context<'_>,
    id: Option<i64>,
    result: Result<stockade_domain::orders::Order, Error>,
) -> Result<OrderPayload> {
    match result {
        Ok(order) => Ok(OrderPayload { order: Some(Order(order)), user_errors: Vec::new() }),
        Err(err) => {
            let mut payload: OrderPayload = failed(err, None)?;
            payload.order = current_order(ctx, id).await;
            Ok(payload)
        }
    }
}
