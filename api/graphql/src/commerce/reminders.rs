//! Abandoned carts: the staff's view (carts, counts, the webhook delivery log), the
//! recovery link a reminder carries, and opting out of reminders.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::actor_of;
use super::cart_types::Cart;
use super::order_types::Order;
use crate::access::{allow, viewer};
use crate::connection::{Counted, CountedConnection, counted, page_request};
use crate::error::{ResultExt, UserError, failed, with_user_errors};
use crate::ids::NodeType;
use crate::int::int;
use crate::money::Money;
use stockade_domain::checkout::ShortfallReason;
use stockade_domain::error::Error;
use stockade_domain::orders::OrderService;
use stockade_domain::reminders::{self, AbandonedFilter, DeliveryStatus, ReminderService};

fn service<'a>(ctx: &'a Context<'_>) -> &'a ReminderService {
    ctx.data_unchecked::<ReminderService>()
}

/// Which abandoned carts to list.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "AbandonedCartFilter")]
pub enum AbandonedCartFilter {
    /// Idle past the first reminder step with lines in them, or reminded.
    All,
    /// Idle, no reminder yet: no address to send to, opted out, or not due.
    NotReminded,
    Reminded,
    /// Reminded, then paid for (the cart itself or one its recovery link made).
    Recovered,
}

impl From<AbandonedCartFilter> for AbandonedFilter {
    fn from(f: AbandonedCartFilter) -> Self {
        match f {
            AbandonedCartFilter::All => AbandonedFilter::All,
            AbandonedCartFilter::NotReminded => AbandonedFilter::NotReminded,
            AbandonedCartFilter::Reminded => AbandonedFilter::Reminded,
            AbandonedCartFilter::Recovered => AbandonedFilter::Recovered,
        }
    }
}

/// Where an outgoing webhook stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum WebhookDeliveryStatus {
    /// Not answered with 2xx yet; tried again at `nextAttemptAt`.
    Pending,
    Delivered,
    /// Given up after the most attempts.
    Failed,
}

impl From<WebhookDeliveryStatus> for DeliveryStatus {
    fn from(s: WebhookDeliveryStatus) -> Self {
        match s {
            WebhookDeliveryStatus::Pending => DeliveryStatus::Pending,
            WebhookDeliveryStatus::Delivered => DeliveryStatus::Delivered,
            WebhookDeliveryStatus::Failed => DeliveryStatus::Failed,
        }
    }
}

impl From<DeliveryStatus> for WebhookDeliveryStatus {
    fn from(s: DeliveryStatus) -> Self {
        match s {
            DeliveryStatus::Pending => WebhookDeliveryStatus::Pending,
            DeliveryStatus::Delivered => WebhookDeliveryStatus::Delivered,
            DeliveryStatus::Failed => WebhookDeliveryStatus::Failed,
        }
    }
}

/// A cart left with lines in it, as staff see it.
pub struct AbandonedCart(reminders::AbandonedCart);

#[Object]
impl AbandonedCart {
    async fn cart_id(&self) -> ID {
        NodeType::Cart.id(self.0.cart_id)
    }

    /// The customer's id, for a signed-in customer's cart.
    async fn customer_id(&self) -> Option<ID> {
        self.0.customer_id.map(|c| NodeType::User.id(c))
    }

    /// Where reminders go: the email given at checkout, or the customer's.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    /// `active`, `converted`, `expired` or `merged`.
    async fn cart_status(&self) -> &str {
        &self.0.status
    }

    /// When the shopper last changed the cart.
    async fn idle_since(&self) -> DateTime<Utc> {
        self.0.idle_since
    }

    async fn line_count(&self) -> i32 {
        int(self.0.lines)
    }

    async fn units(&self) -> i32 {
        int(self.0.units)
    }

    /// At the prices the lines were added at.
    async fn subtotal(&self) -> Money {
        Money(self.0.subtotal)
    }

    /// How many reminder steps were sent.
    async fn reminders_sent(&self) -> i32 {
        self.0.reminders_sent
    }

    async fn last_reminded_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_reminded_at
    }

    /// The paid order the cart became after a reminder, if it did.
    async fn recovered_order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        let Some(id) = self.0.recovered_order_id else { return Ok(None) };
        Ok(ctx.data_unchecked::<OrderService>().by_id(id).await.gql()?.map(Order))
    }
}

/// Abandoned carts and how many came back, over reminders sent since `since`.
#[derive(SimpleObject)]
pub struct AbandonedCartSummary {
    pub since: DateTime<Utc>,
    /// Carts idle past the first reminder step with lines in them, now.
    pub abandoned_now: i32,
    /// Carts reminded since `since`.
    pub reminded: i32,
    /// Of those, carts that became paid orders.
    pub recovered: i32,
    /// `recovered / reminded` (0 when nothing was reminded).
    pub recovery_rate: f64,
    pub reminders_sent: i32,
}

/// One outgoing webhook and how its delivery went.
pub struct WebhookDelivery(reminders::Delivery);

#[Object]
impl WebhookDelivery {
    /// Sent as `Stockade-Delivery`: receivers drop repeats by it.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// What it reports, e.g. `cart.reminder`.
    async fn topic(&self) -> &str {
        &self.0.topic
    }

    /// What it is about, e.g. `cart_reminder:42`.
    async fn reference(&self) -> &str {
        &self.0.reference
    }

    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }

    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// When it is tried next (pending deliveries only).
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_attempt_at
    }

    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_attempt_at
    }

    /// The HTTP status the receiver last answered, if it answered.
    async fn last_status(&self) -> Option<i32> {
        self.0.last_status
    }

    /// Why the last attempt failed (refused, timed out, answered 500...).
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Default)]
pub struct ReminderQuery;

#[Object]
impl ReminderQuery {
    /// Carts left with lines in them, newest first (staff).
    #[graphql(guard = "allow(\"Query.abandonedCarts\")", complexity = "crate::catalog::page_cost(first, last, child_complexity)")]
    async fn abandoned_carts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "AbandonedCartFilter::All")] filter: AbandonedCartFilter,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<CountedConnection<AbandonedCart>> {
        let page = page_request(ctx, first, after, last, before)?;
        let now = Utc::now();
        let s = service(ctx).clone();
        let result = s.abandoned(filter.into(), now, &page).await.gql()?;
        let total = Counted::new(move || {
            let s = s.clone();
            async move { s.count_abandoned(filter.into(), now).await }
        });
        Ok(counted(result, AbandonedCart, total))
    }

    /// How many carts were abandoned, reminded and recovered (staff), over reminders
    /// sent since `since` (default: the last 30 days).
    #[graphql(guard = "allow(\"Query.abandonedCartSummary\")")]
    async fn abandoned_cart_summary(&self, ctx: &Context<'_>, since: Option<DateTime<Utc>>) -> Result<AbandonedCartSummary> {
        let now = Utc::now();
        let since = since.unwrap_or(now - chrono::Duration::days(30));
        let s = service(ctx).summary(since, now).await.gql()?;
        Ok(AbandonedCartSummary {
            since,
            abandoned_now: int(s.abandoned_now),
            reminded: int(s.reminded),
            recovered: int(s.recovered),
            recovery_rate: s.recovery_rate(),
            reminders_sent: int(s.reminders_sent),
        })
    }

    /// Outgoing webhooks, newest first (staff): the delivery log.
    #[graphql(guard = "allow(\"Query.webhookDeliveries\")", complexity = "crate::catalog::page_cost(first, last, child_complexity)")]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        status: Option<WebhookDeliveryStatus>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<CountedConnection<WebhookDelivery>> {
        let page = page_request(ctx, first, after, last, before)?;
        let status = status.map(DeliveryStatus::from);
        let s = service(ctx).clone();
        let result = s.deliveries(status, &page).await.gql()?;
        let total = Counted::new(move || {
            let s = s.clone();
            async move { s.count_deliveries(status).await }
        });
        Ok(counted(result, WebhookDelivery, total))
    }
}

/// Why a line of a recovered cart is short.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryShortfallReason {
    OutOfStock,
    NoLongerSold,
}

/// A line of the abandoned cart that the restored cart does not hold in full.
#[derive(SimpleObject)]
pub struct RecoveryShortfall {
    pub variant_id: ID,
    /// Units the abandoned cart had.
    pub requested: i32,
    /// Units the restored cart holds (0: the line is gone).
    pub restored: i32,
    pub reason: RecoveryShortfallReason,
}

#[derive(SimpleObject, Default)]
pub struct CartRecoverPayload {
    pub cart: Option<Cart>,
    /// A new guest cart's token (keep it as `cartCreate`'s); none for a customer's cart.
    pub cart_token: Option<String>,
    /// What could not be restored in full: tell the shopper.
    pub shortfalls: Vec<RecoveryShortfall>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct CartRemindersPayload {
    /// Whether the address now gets no reminders.
    pub opted_out: bool,
    pub user_errors: Vec<UserError>,
}

with_user_errors!(CartRecoverPayload, CartRemindersPayload);

#[derive(Default)]
pub struct ReminderMutation;

#[Object]
impl ReminderMutation {
    /// Restores the cart a reminder's recovery link names, on this device: a new guest
    /// cart (or, signed in, your cart) holding what is still sold and in stock, with
    /// what fell short. `deviceId`: a random id the storefront keeps per device (8 to
    /// 200 characters); a link works once per device, until it expires.
    #[graphql(guard = "allow(\"Mutation.cartRecover\")")]
    async fn cart_recover(&self, ctx: &Context<'_>, token: String, device_id: String) -> Result<CartRecoverPayload> {
        crate::commerce::limit_checkout(ctx).await?;
        let viewer = viewer(ctx);
        let customer = viewer.signed_in().map(|s| s.user_id);
        match service(ctx).recover(&token, &device_id, customer, actor_of(viewer)).await {
            Ok(r) => Ok(CartRecoverPayload {
                cart: Some(Cart(r.cart)),
                cart_token: r.token,
                shortfalls: r
                    .shortfalls
                    .into_iter()
                    .map(|s| RecoveryShortfall {
                        variant_id: NodeType::Variant.id(s.variant_id),
                        requested: int(s.requested),
                        restored: int(s.restored),
                        reason: match s.reason {
                            ShortfallReason::OutOfStock => RecoveryShortfallReason::OutOfStock,
                            ShortfallReason::NoLongerSold => RecoveryShortfallReason::NoLongerSold,
                        },
                    })
                    .collect(),
                user_errors: Vec::new(),
            }),
            Err(e) => failed(e, None),
        }
    }

    /// Opts your address out of cart reminders (`optOut: false` opts back in).
    #[graphql(guard = "allow(\"Mutation.cartRemindersOptOut\")")]
    async fn cart_reminders_opt_out(&self, ctx: &Context<'_>, opt_out: bool) -> Result<CartRemindersPayload> {
        let Some(user_id) = viewer(ctx).signed_in().map(|s| s.user_id) else {
            return failed(Error::Unauthenticated { message: "sign in to change your reminders".into() }, None);
        };
        match service(ctx).set_customer_opt_out(user_id, opt_out).await {
            Ok(()) => Ok(CartRemindersPayload { opted_out: opt_out, user_errors: Vec::new() }),
            Err(e) => failed(e, None),
        }
    }

    /// Opts the address a reminder went to out of further reminders, with the token of
    /// its recovery link (the "unsubscribe" of a reminder email).
    #[graphql(guard = "allow(\"Mutation.cartRemindersUnsubscribe\")")]
    async fn cart_reminders_unsubscribe(&self, ctx: &Context<'_>, token: String) -> Result<CartRemindersPayload> {
        crate::commerce::limit_checkout(ctx).await?;
        match service(ctx).unsubscribe(&token).await {
            Ok(()) => Ok(CartRemindersPayload { opted_out: true, user_errors: Vec::new() }),
            Err(e) => failed(e, None),
        }
    }
}
