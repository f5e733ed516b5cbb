//! Paying for orders (buyers), the test gateway's card form, and the failed-payment
//! review for staff.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::order_mutation::{OrderPayload, order_payload};
use super::types::Order;
use super::{actor_of, current_order, decode_order};
use crate::error::Error;
use crate::graphql::access::{allow, viewer};
use crate::graphql::error::{ResultExt, UserError, failed, with_user_errors};
use crate::graphql::ids::NodeType;
use crate::graphql::money::Money;
use crate::orders::OrderService;
use crate::pagination::PageRequest;
use crate::payments::{self, PaymentService};

fn service<'a>(ctx: &'a Context<'_>) -> &'a PaymentService {
    ctx.data_unchecked::<PaymentService>()
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
    async fn id(&self) -> ID {
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
    async fn id(&self) -> ID {
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
            Some(crate::actor::Actor::Staff { user_id }) => Some(NodeType::User.id(user_id)),
            _ => None,
        }
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A card the test gateway knows, and what it does.
#[derive(SimpleObject)]
pub struct TestCard {
    pub number: String,
    pub brand: String,
    pub description: String,
}

/// How this shop takes payments.
#[derive(SimpleObject)]
pub struct PaymentConfig {
    pub gateway: PaymentGateway,
    /// For Stripe.js (Stripe only).
    pub publishable_key: Option<String>,
    /// The test gateway's cards (empty with Stripe).
    pub test_cards: Vec<TestCard>,
}

#[derive(SimpleObject, Default)]
pub struct PaymentIntentPayload {
    pub order: Option<Order>,
    pub payment: Option<Payment>,
    /// Confirm the payment with this: Stripe.js's `confirmPayment`, or
    /// `testPaymentConfirm` with the test gateway. Keep it in the page, never log it.
    pub client_secret: Option<String>,
    pub gateway: Option<PaymentGateway>,
    pub publishable_key: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct TestPaymentPayload {
    pub payment: Option<Payment>,
    /// The order after the gateway's outcome was applied.
    pub order: Option<Order>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct PaymentRetryPayload {
    pub order: Option<Order>,
    /// The new attempt.
    pub payment: Option<Payment>,
    /// Send this to the buyer: it opens the order in the storefront to pay.
    pub payment_link: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct OrderRefundPayload {
    /// The order after the refund (REFUNDED once everything is back).
    pub order: Option<Order>,
    pub refund: Option<Refund>,
    pub user_errors: Vec<UserError>,
}

with_user_errors!(PaymentIntentPayload, TestPaymentPayload, PaymentRetryPayload, OrderRefundPayload);

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
    async fn id(&self) -> ID {
        crate::graphql::ids::composite_id("PaymentIssue", &[self.0.order.id])
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
        i32::try_from(self.0.payments.len()).unwrap_or(i32::MAX)
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

#[derive(Default)]
pub struct PaymentQuery;

#[Object]
impl PaymentQuery {
    /// Which gateway takes payments, and what a storefront needs to use it.
    #[graphql(guard = "allow(\"Query.paymentConfig\")")]
    async fn payment_config(&self, ctx: &Context<'_>) -> PaymentConfig {
        let s = service(ctx);
        let test = s.test_gateway().is_some();
        PaymentConfig {
            gateway: s.gateway_kind().into(),
            publishable_key: s.config().stripe_publishable_key.clone().filter(|_| !test),
            test_cards: if test {
                payments::TEST_CARDS
                    .iter()
                    .map(|c| TestCard { number: c.number.into(), brand: c.brand.into(), description: c.description.into() })
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Orders whose payment needs a person, newest first (staff). Resolved issues are
    /// left out until the order changes again.
    #[graphql(guard = "allow(\"Query.paymentIssues\")", complexity = "crate::graphql::catalog::page_cost(first, last, child_complexity)")]
    async fn payment_issues(
        &self,
        ctx: &Context<'_>,
        filter: PaymentIssueKind,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<String, PaymentIssue, EmptyFields, EmptyFields>> {
        let max = ctx.data_unchecked::<std::sync::Arc<crate::config::Config>>().graphql.max_page_size;
        let page = PageRequest::new(first, after, last, before, max).gql()?;
        let result = service(ctx).issues(filter.into(), &page).await.gql()?;
        let mut connection = Connection::new(result.has_previous_page, result.has_next_page);
        connection.edges.extend(result.items.into_iter().map(|(c, i)| Edge::new(c, PaymentIssue(i))));
        Ok(connection)
    }

    /// How many orders have each kind of payment issue (staff).
    #[graphql(guard = "allow(\"Query.paymentIssueCounts\")")]
    async fn payment_issue_counts(&self, ctx: &Context<'_>) -> Result<Vec<PaymentIssueCount>> {
        let counts = service(ctx).issue_counts().await.gql()?;
        Ok(payments::PaymentIssueKind::ALL
            .into_iter()
            .map(|k| PaymentIssueCount { kind: k.into(), count: i32::try_from(counts.get(&k).copied().unwrap_or(0)).unwrap_or(i32::MAX) })
            .collect())
    }
}

#[derive(Default)]
pub struct PaymentMutation;

#[Object]
impl PaymentMutation {
    /// Starts paying an order (yours, or a guest order whose `token` you hold): returns
    /// the attempt and the `clientSecret` to confirm it with. Calling it again resumes
    /// the same attempt; after a failure it starts a new one, holding the stock again
    /// (OUT_OF_STOCK if it is gone). The order is only marked paid when the gateway
    /// says so.
    #[graphql(guard = "allow(\"Mutation.paymentIntentCreate\")")]
    async fn payment_intent_create(&self, ctx: &Context<'_>, order_id: ID, token: Option<String>) -> Result<PaymentIntentPayload> {
        crate::graphql::commerce::limit_checkout(ctx).await?;
        let result = async {
            let id = decode_order(&order_id)?;
            let order = ctx.data_unchecked::<OrderService>().visible(id, viewer(ctx), token.as_deref()).await.map_err(|e| match e {
                Error::NotFound { entity, .. } => Error::NotFound { entity, field: Some("orderId".into()) },
                other => other,
            })?;
            service(ctx).start(order.id, actor_of(viewer(ctx))).await
        }
        .await;
        match result {
            Ok(started) => {
                let s = service(ctx);
                Ok(PaymentIntentPayload {
                    order: Some(Order(started.order)),
                    payment: Some(Payment(started.payment)),
                    client_secret: Some(started.client_secret),
                    gateway: Some(s.gateway_kind().into()),
                    publishable_key: s.config().stripe_publishable_key.clone().filter(|_| s.test_gateway().is_none()),
                    user_errors: Vec::new(),
                })
            }
            Err(e) => failed(e, None),
        }
    }

    /// Test gateway only: pays with a test card, as Stripe.js would. 4242 4242 4242 4242
    /// succeeds, 4000 0000 0000 0002 is declined, 4000 0000 0000 3220 requires
    /// authentication (then `testPaymentAuthenticate`). The outcome is applied like a
    /// webhook before this answers.
    #[graphql(guard = "allow(\"Mutation.testPaymentConfirm\")")]
    async fn test_payment_confirm(&self, ctx: &Context<'_>, client_secret: String, card_number: String) -> Result<TestPaymentPayload> {
        crate::graphql::commerce::limit_checkout(ctx).await?;
        match service(ctx).test_confirm(&client_secret, &card_number).await {
            Ok((p, o)) => Ok(TestPaymentPayload { payment: Some(Payment(p)), order: Some(Order(o)), user_errors: Vec::new() }),
            Err(e) => failed(e, None),
        }
    }

    /// Test gateway only: completes (`approve: true`) or fails the 3-D Secure step.
    #[graphql(guard = "allow(\"Mutation.testPaymentAuthenticate\")")]
    async fn test_payment_authenticate(&self, ctx: &Context<'_>, client_secret: String, approve: bool) -> Result<TestPaymentPayload> {
        crate::graphql::commerce::limit_checkout(ctx).await?;
        match service(ctx).test_authenticate(&client_secret, approve).await {
            Ok((p, o)) => Ok(TestPaymentPayload { payment: Some(Payment(p)), order: Some(Order(o)), user_errors: Vec::new() }),
            Err(e) => failed(e, None),
        }
    }

    /// Staff: a new payment attempt for a failed, stuck or unauthenticated order, and a
    /// link the buyer pays it with. A failed order holds its stock again first
    /// (OUT_OF_STOCK if it is gone).
    #[graphql(guard = "allow(\"Mutation.paymentRetry\")")]
    async fn payment_retry(&self, ctx: &Context<'_>, order_id: ID, expected_version: i32) -> Result<PaymentRetryPayload> {
        let id = decode_order(&order_id);
        let known = id.as_ref().ok().copied();
        let result = match id {
            Ok(id) => service(ctx).retry(id, i64::from(expected_version), actor_of(viewer(ctx))).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(r) => {
                let base = &service(ctx).config().storefront_url;
                let gid = NodeType::Order.id(r.order.id);
                let link = base.join(&format!("orders/{}", gid.as_str())).map(|mut u| {
                    u.query_pairs_mut().append_pair("token", &r.order_token).append_pair("pay", "1");
                    u.to_string()
                });
                Ok(PaymentRetryPayload {
                    order: Some(Order(r.order)),
                    payment: Some(Payment(r.payment)),
                    payment_link: link.ok(),
                    user_errors: Vec::new(),
                })
            }
            Err(e) => {
                let mut payload: PaymentRetryPayload = failed(e, None)?;
                payload.order = current_order(ctx, known).await;
                Ok(payload)
            }
        }
    }

    /// Staff: refunds `amount` (everything left if omitted) of a paid order. With
    /// `restock` (whole-order refunds only), its units go back on sale when the
    /// gateway confirms. The order becomes REFUNDED once everything is back.
    #[graphql(guard = "allow(\"Mutation.orderRefund\")")]
    async fn order_refund(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        expected_version: i32,
        amount: Option<i32>,
        #[graphql(default)] restock: bool,
        #[graphql(default)] reason: String,
    ) -> Result<OrderRefundPayload> {
        let id = decode_order(&order_id);
        let known = id.as_ref().ok().copied();
        let result = match id {
            Ok(id) => {
                service(ctx).refund(id, i64::from(expected_version), amount.map(i64::from), restock, &reason, actor_of(viewer(ctx))).await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(r) => Ok(OrderRefundPayload { order: Some(Order(r.order)), refund: Some(Refund(r.refund)), user_errors: Vec::new() }),
            Err(e) => {
                let mut payload: OrderRefundPayload = failed(e, None)?;
                payload.order = current_order(ctx, known).await;
                Ok(payload)
            }
        }
    }

    /// Staff: closes a payment issue with a note saying what was done. With
    /// `allocateStock`, an order paid without stock takes it now and becomes PAID
    /// (OUT_OF_STOCK if it is still not there).
    #[graphql(guard = "allow(\"Mutation.paymentIssueResolve\")")]
    async fn payment_issue_resolve(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        expected_version: i32,
        note: String,
        #[graphql(default)] allocate_stock: bool,
    ) -> Result<OrderPayload> {
        let id = decode_order(&order_id);
        let known = id.as_ref().ok().copied();
        let result = match id {
            Ok(id) => service(ctx).resolve(id, i64::from(expected_version), &note, allocate_stock, actor_of(viewer(ctx))).await,
            Err(e) => Err(e),
        };
        order_payload(ctx, known, result).await
    }
}
