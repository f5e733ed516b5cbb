//! The commerce part of the GraphQL API: carts, checkout, orders, coupons, sales.

mod cart_mutation;
pub mod cart_types;
pub mod loaders;
mod order_mutation;
pub mod order_types;
pub mod payments;
mod query;
mod reminders;
mod subscription;

pub(crate) use cart_mutation::charge as limit_checkout;
pub use cart_mutation::{CartMutation, GuestCartInput};
pub use order_mutation::{Coupon, OrderMutation};
pub use payments::{PaymentMutation, PaymentQuery};
pub use query::CommerceQuery;
pub use reminders::{ReminderMutation, ReminderQuery};
pub use subscription::{OrderSubscription, PaymentIssueSubscription};

use async_graphql::{Context, ID};

use crate::access::viewer;
use crate::ids::{NodeType, row_id};
use stockade_domain::accounts::Viewer;
use stockade_domain::actor::Actor;
use stockade_domain::checkout::CartAccess;
use stockade_domain::error::Error;

/// Who the viewer is in ledgers and timelines.
pub fn actor_of(viewer: &Viewer) -> Actor {
    match viewer.signed_in() {
        Some(s) if viewer.is_staff() => Actor::Staff { user_id: s.user_id },
        Some(s) => Actor::Customer { user_id: s.user_id },
        None => Actor::Guest,
    }
}

/// An order's global id as its database id (`orderId` in errors).
pub(super) fn decode_order(id: &ID) -> Result<i64, Error> {
    row_id(id, NodeType::Order, "orderId")
}

/// The order as it is now, for payloads that report a refusal.
pub(super) async fn current_order(ctx: &Context<'_>, id: Option<i64>) -> Option<order_types::Order> {
    ctx.data_unchecked::<stockade_domain::orders::OrderService>().by_id(id?).await.ok().flatten().map(order_types::Order)
}

/// How the request claims a cart: its id, the guest token if given, the customer.
pub(crate) fn cart_access(ctx: &Context<'_>, cart_id: &ID, token: Option<String>) -> Result<CartAccess, Error> {
    let cart_id = row_id(cart_id, NodeType::Cart, "cartId")?;
    Ok(CartAccess { cart_id, token, customer_id: viewer(ctx).signed_in().map(|s| s.user_id) })
}
