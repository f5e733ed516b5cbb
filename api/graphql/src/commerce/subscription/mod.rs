//! `orderStatusChanged`: an order's status as it changes, for whoever may see the order
//! (its signed-in customer, a guest holding the order token, staff); and
//! `paymentIssueChanged`: the failed-payment review queue, for staff (see [`issues`]).
//!
//! Access is checked once, before streaming starts, exactly as `Query.order` checks it;
//! anyone else gets NOT_FOUND (an order's existence is not disclosed) as a GraphQL error
//! on the subscription, with the socket left open. An error while streaming is sent as
//! one error message, after which the subscription completes. How messages are chosen
//! (snapshot, changes by version, resyncs, completion) is in [`live`].

mod issues;
mod live;

use async_graphql::{Context, Enum, ErrorExtensions, ID, Object, Result, Subscription};
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, StreamExt};

use crate::access::{allow, viewer};
use crate::commerce::order_types::{Order, OrderStatus};
use crate::error::{ApiError, ResultExt};
use crate::ids::{NodeType, decode_as};
use crate::int::int;
use issues::IssueFeed;
pub use issues::PaymentIssueUpdate;
use live::Live;
use stockade_domain::error::Error;
use stockade_domain::events::EventBus;
use stockade_domain::orders::{OrderService, StatusChange};

/// `orderStatusChanged`.
#[derive(Default)]
pub struct OrderSubscription;

#[Subscription]
impl OrderSubscription {
    /// Live status of one order: yours (signed in), any for staff, or a guest order
    /// whose `token` you hold (the `orderToken` from `checkoutComplete`, as for
    /// `Query.order`). First a SNAPSHOT of the status now, then a CHANGE for each
    /// status change, in order and once each, and a RESYNC with the status re-read
    /// when this subscription may have missed changes and the order did change.
    /// Completes after REFUNDED (the only status nothing follows); otherwise it stays
    /// open, since cancelled and expired orders can still be paid late and delivered
    /// ones refunded. NOT_FOUND for an order you may not see.
    #[graphql(guard = "allow(\"Subscription.orderStatusChanged\")")]
    async fn order_status_changed(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        token: Option<String>,
    ) -> Result<BoxStream<'static, Result<OrderStatusUpdate>>> {
        let id = decode_as(&order_id, NodeType::Order, "orderId").gql()?;
        let orders = ctx.data_unchecked::<OrderService>().clone();
        match orders.visible(id, viewer(ctx), token.as_deref()).await {
            Ok(_) => {}
            Err(Error::NotFound { .. }) => return Err(not_found()),
            Err(e) => return Err(ApiError(e).extend()),
        }
        // Subscribe before reading: a change committed after the read is on the bus.
        let sub = ctx.data_unchecked::<EventBus>().subscribe();
        let now = orders.current_status(id).await.gql()?.ok_or_else(not_found)?;
        Ok(futures::stream::unfold(Live::new(sub, orders, now), Live::next).boxed())
    }
}

/// `paymentIssueChanged`.
#[derive(Default)]
pub struct PaymentIssueSubscription;

#[Subscription]
impl PaymentIssueSubscription {
    /// Staff: the failed-payment review queue, live, on whichever instance you are
    /// connected to. First a SNAPSHOT with the counts per kind (load the lists with
    /// `paymentIssues` then); then a CHANGE whenever an order enters the queue, moves
    /// to another kind or leaves it (resolved, retried and paid, cancelled, refunded),
    /// each once and in order per order, with the counts after it; and a RESYNC with
    /// fresh counts when this subscription may have missed changes (reload the lists).
    /// Orders that become STUCK_PENDING by waiting arrive within the commerce sweep
    /// interval (or at once when anyone reads the queue).
    #[graphql(guard = "allow(\"Subscription.paymentIssueChanged\")")]
    async fn payment_issue_changed(&self, ctx: &Context<'_>) -> Result<BoxStream<'static, Result<PaymentIssueUpdate>>> {
        let orders = ctx.data_unchecked::<OrderService>().clone();
        // Subscribe before reading: a change committed after the read is on the bus.
        let sub = ctx.data_unchecked::<EventBus>().subscribe();
        let feed = IssueFeed::start(sub, orders).await?;
        Ok(futures::stream::unfold(feed, IssueFeed::next).boxed())
    }
}

fn not_found() -> async_graphql::Error {
    ApiError(Error::not_found("order", "orderId")).extend()
}

/// Why an `orderStatusChanged` message was sent.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum OrderStatusUpdateKind {
    /// The status when the subscription started.
    Snapshot,
    /// The status changed.
    Change,
    /// The status re-read after this subscription may have missed changes (it fell
    /// behind, or another instance's events were lost) and found newer than what was
    /// sent; replace what you show.
    Resync,
}

/// An order's status at one version, and how it got there.
pub struct OrderStatusUpdate {
    change: StatusChange,
    kind: OrderStatusUpdateKind,
}

#[Object]
impl OrderStatusUpdate {
    /// The order's global id.
    async fn order_id(&self) -> ID {
        NodeType::Order.id(self.change.order_id)
    }
    async fn status(&self) -> OrderStatus {
        self.change.status.into()
    }
    /// The status before the change that led to `status`; null for a new order.
    async fn previous_status(&self) -> Option<OrderStatus> {
        self.change.previous.map(Into::into)
    }
    /// The order's version (as `Order.version`). It only grows, also with edits that
    /// change no status, so it may skip numbers: ignore a message whose version is not
    /// above the one you show.
    async fn version(&self) -> i32 {
        int(self.change.version)
    }
    /// Why, in words (as the order's timeline says it), e.g. `cancelled: customer asked`.
    async fn cause(&self) -> &str {
        &self.change.cause
    }
    /// When the order entered `status`.
    async fn at(&self) -> DateTime<Utc> {
        self.change.at
    }
    async fn kind(&self) -> OrderStatusUpdateKind {
        self.kind
    }
    /// The whole order, read when this message is sent (one read per message: select
    /// it only if you need more than the status). After quick successive changes it
    /// may already be newer than this message.
    async fn order(&self, ctx: &Context<'_>) -> Result<Order> {
        let order = ctx.data_unchecked::<OrderService>().by_id(self.change.order_id).await.gql()?;
        order.map(Order).ok_or_else(not_found)
    }
}
