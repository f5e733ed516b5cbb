//! The inventory part of the GraphQL API: public stock on variants, the staff inventory
//! list, ledger and adjustments, and the live stock subscriptions.
//!
//! - Shoppers see `Variant.availableQuantity` / `inStock` (cached for at most 2 s in
//!   public listings) and subscribe to `stockChanged` for live values.
//! - Staff see per-location levels with their versions, the ledger, and change stock
//!   with `inventoryAdjust` (optimistic locking on the level's `version`) and
//!   `inventoryTransfer`; `inventoryEvents` streams every ledger movement.

pub(crate) mod item;
pub(crate) mod movement;
mod mutation;
mod query;
mod subscription;

pub(crate) use crate::stock::{loader, service};
pub use item::InventoryItem;
pub use movement::StockMovement;
pub use mutation::InventoryMutation;
pub use query::InventoryQuery;
pub use subscription::InventorySubscription;

use async_graphql::Context;

use stockade_domain::actor::Actor;
use stockade_domain::error::Error;

/// The signed-in staff member making a change, as recorded in the ledger. The field
/// guards have already refused everyone else; this only maps the viewer.
pub(crate) fn staff_actor(ctx: &Context<'_>) -> Result<Actor, Error> {
    match crate::access::viewer(ctx).signed_in() {
        Some(s) => Ok(Actor::Staff { user_id: s.user_id }),
        None => Err(Error::unauthenticated("sign in to do this (send `Authorization: Bearer <accessToken>`)")),
    }
}
