//! Carts and checkout: what a shopper does up to payment.

pub mod cart;
mod carts;
mod complete;
mod holds;
mod lifecycle;
pub mod pricing;
mod restore;
mod review;
mod settings;
pub(crate) mod variants;

pub use cart::{Cart, CartAccess, CartLine, CartStatus};
pub use carts::{CartService, LineChange, line_field};
pub use complete::{CheckoutInput, Completion};
pub use restore::{Restored, Shortfall, ShortfallReason};
pub use review::{Problem, Review};
pub use settings::CommerceConfig;
