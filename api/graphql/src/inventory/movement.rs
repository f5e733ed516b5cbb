//! A row of the stock ledger as staff see it, in `stockMovements` and `inventoryEvents`.

use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::loader;
use crate::accounts::types::User;
use crate::actor::ActorType;
use crate::catalog::types::Variant;
use crate::catalog::types::variant;
use crate::commerce::order_types::Order;
use crate::error::ResultExt;
use crate::ids::{CompositeType, NodeType};
use crate::int::int;
use crate::stock::loaders::UserById;
use crate::stock::types::{StockLocation, location};
use stockade_domain::actor::Actor;
use stockade_domain::inventory::{Movement, Reference};
use stockade_domain::orders::OrderService;

/// Why stock changed.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stockade_domain::inventory::MovementReason")]
pub enum MovementReason {
    /// Units held for a cart, checkout or order.
    Reserve,
    /// Held units given back by their owner.
    Release,
    /// Held units given back after the hold expired.
    Expire,
    /// Held units sold (on hand and reserved both drop).
    Sale,
    /// Goods received.
    Restock,
    /// A manual correction by staff (stock take, damage, ...).
    Adjustment,
    /// Moved between locations (two rows, one per location, sharing a reference).
    Transfer,
    /// Goods returned by a customer.
    Return,
}

/// What a ledger row refers to.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum MovementReferenceType {
    Reservation,
    Order,
    Adjustment,
    /// Both rows of one transfer share its id.
    Transfer,
    /// Nothing but the row's note.
    Note,
}

/// The party responsible for a change.
pub struct MovementActor(Actor);

/// The party responsible for a change.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[Object]
impl MovementActor {
    #[graphql(name = "type")]
    async fn kind(&self) -> ActorType {
        self.0.into()
    }
    /// The staff member or customer; null for the system and guests.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let (_, Some(id)) = self.0.parts() else { return Ok(None) };
        Ok(loader(ctx).load_one(UserById(id)).await.gql()?.map(User))
    }
}

/// The reservation, order, adjustment or transfer behind a change.
///
/// A value, not an entity: a client cache keeps it inside the object that holds it
/// (see `schema.cache-config.json`).
pub struct MovementReference(Reference);

#[Object]
impl MovementReference {
    #[graphql(name = "type")]
    async fn kind(&self) -> MovementReferenceType {
        match self.0 {
            Reference::Reservation(_) => MovementReferenceType::Reservation,
            Reference::Order(_) => MovementReferenceType::Order,
            Reference::Adjustment => MovementReferenceType::Adjustment,
            Reference::Transfer(_) => MovementReferenceType::Transfer,
            Reference::Note => MovementReferenceType::Note,
        }
    }

    /// For an order, the order's global id (as in `Order.id`). For a reservation, an
    /// opaque key shared by the rows of one hold (reserve, then release, expire or
    /// sale). For a transfer, the key both of its rows share. Null otherwise.
    async fn id(&self) -> Option<ID> {
        match &self.0 {
            Reference::Reservation(id) => Some(CompositeType::Reservation.id(&[*id])),
            Reference::Order(id) => Some(order_row(id).map_or_else(|| ID(id.clone()), |row| NodeType::Order.id(row))),
            Reference::Transfer(id) => Some(ID(id.clone())),
            Reference::Adjustment | Reference::Note => None,
        }
    }

    /// The order, for an order reference (a sale, or a return on refund).
    async fn order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        let Reference::Order(id) = &self.0 else { return Ok(None) };
        let Some(row) = order_row(id) else { return Ok(None) };
        Ok(ctx.data_unchecked::<OrderService>().by_id(row).await.gql()?.map(Order))
    }
}

/// The order row an order reference names (the ledger stores it as text).
fn order_row(reference: &str) -> Option<i64> {
    reference.parse().ok().filter(|n: &i64| *n > 0)
}

/// One change to one stock level: what changed, why, by whom, and the level after it.
pub struct StockMovement(pub Movement);

#[Object]
impl StockMovement {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        NodeType::StockMovement.id(self.0.id)
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<Variant>> {
        variant(ctx, self.0.variant_id).await
    }
    async fn location(&self, ctx: &Context<'_>) -> Result<StockLocation> {
        location(ctx, self.0.location_id).await
    }
    async fn reason(&self) -> MovementReason {
        self.0.reason.into()
    }
    /// Change of units on hand (negative: fewer).
    async fn delta_on_hand(&self) -> i32 {
        int(self.0.delta_on_hand)
    }
    /// Change of units reserved.
    async fn delta_reserved(&self) -> i32 {
        int(self.0.delta_reserved)
    }
    async fn on_hand_after(&self) -> i32 {
        int(self.0.on_hand_after)
    }
    async fn reserved_after(&self) -> i32 {
        int(self.0.reserved_after)
    }
    async fn available_after(&self) -> i32 {
        int(self.0.on_hand_after - self.0.reserved_after)
    }
    /// The stock level's version after this change.
    async fn version_after(&self) -> i32 {
        int(self.0.version_after)
    }
    async fn actor(&self) -> MovementActor {
        MovementActor(self.0.actor)
    }
    async fn reference(&self) -> MovementReference {
        MovementReference(self.0.reference.clone())
    }
    async fn note(&self) -> &str {
        &self.0.note
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
