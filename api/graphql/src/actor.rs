//! Who made a change, as ledgers and timelines show it.

use async_graphql::Enum;

use stockade_domain::actor::Actor;

/// Who made a change.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ActorType {
    /// Stockade itself (the reservation sweeper, seeding).
    System,
    Staff,
    Customer,
    /// An anonymous shopper.
    Guest,
    /// The payment gateway (a verified webhook, or what reconciliation read back).
    Gateway,
}

impl From<Actor> for ActorType {
    fn from(actor: Actor) -> Self {
        match actor {
            Actor::System => ActorType::System,
            Actor::Staff { .. } => ActorType::Staff,
            Actor::Customer { .. } => ActorType::Customer,
            Actor::Guest => ActorType::Guest,
            Actor::Gateway => ActorType::Gateway,
        }
    }
}
