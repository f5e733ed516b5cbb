//! Paying for orders (buyers), the test gateway's card form, and the failed-payment
//! review for staff.

use crate::connection::{Counted, CountedConnection, counted, page_request};
use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::order_types::{
    Order, OrderPayload, Payment, PaymentGateway, PaymentIssue, PaymentIssueCount, PaymentIssueKind, Refund, order_payload,
};
use super::{actor_of, current_order, decode_order};
use crate::access::{allow, viewer};
use crate::error::{ResultExt, UserError, failed, with_user_errors};
use crate::ids::NodeType;
use crate::int::int;
use stockade_domain::error::Error;
use stockade_domain::orders::OrderService;
use stockade_domain::payments::{self, PaymentService};

fn service<'a>(ctx: &'a Context<'_>) -> &'a PaymentService {
    ctx.data_unchecked::<PaymentService>()
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
    #[graphql(guard = "allow(\"Query.paymentIssues\")", complexity = "crate::catalog::page_cost(first, last, child_complexity)")]
    async fn payment_issues(
        &self,
        ctx: &Context<'_>,
        filter: PaymentIssueKind,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<CountedConnection<PaymentIssue>> {
        let page = page_request(ctx, first, after, last, before)?;
        let kind: payments::PaymentIssueKind = filter.into();
        let result = service(ctx).issues(kind, &page).await.gql()?;
        // `issues` brought the queue up to date: count it as it is.
        let orders = ctx.data_unchecked::<OrderService>().clone();
        let total = Counted::new(move || {
            let orders = orders.clone();
            async move { Ok(orders.payment_issue_counts().await?.get(&kind).copied().unwrap_or(0)) }
        });
        Ok(counted(result, PaymentIssue, total))
    }

    /// How many orders have each kind of payment issue (staff).
    #[graphql(guard = "allow(\"Query.paymentIssueCounts\")")]
    async fn payment_issue_counts(&self, ctx: &Context<'_>) -> Result<Vec<PaymentIssueCount>> {
        let counts = service(ctx).issue_counts().await.gql()?;
        Ok(payments::PaymentIssueKind::ALL
            .into_iter()
            .map(|k| PaymentIssueCount { kind: k.into(), count: int(counts.get(&k).copied().unwrap_or(0)) })
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
        crate::commerce::limit_checkout(ctx).await?;
        let result = async {
            let id = decode_order(&order_id)?;
            let order = ctx.data_unchecked::<OrderService>().visible(id, viewer(ctx), token.as_deref()).await.map_err(|e| match e {
                Error::NotFound { entity, .. } => Error::NotFound { entity, field: Some("orderId".into()) },
                other => other,
            })?;
            service(ctx).start_order(order, actor_of(viewer(ctx))).await
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
        crate::commerce::limit_checkout(ctx).await?;
        match service(ctx).test_confirm(&client_secret, &card_number).await {
            Ok((p, o)) => Ok(TestPaymentPayload { payment: Some(Payment(p)), order: Some(Order(o)), user_errors: Vec::new() }),
            Err(e) => failed(e, None),
        }
    }

    /// Test gateway only: completes (`approve: true`) or fails the 3-D Secure step.
    #[graphql(guard = "allow(\"Mutation.testPaymentAuthenticate\")")]
    async fn test_payment_authenticate(&self, ctx: &Context<'_>, client_secret: String, approve: bool) -> Result<TestPaymentPayload> {
        crate::commerce::limit_checkout(ctx).await?;
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
