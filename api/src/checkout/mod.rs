//! Carts and checkout: what a shopper does up to payment.

pub mod address;
pub mod cart;
mod carts;
mod complete;
pub mod pricing;
mod review;
mod variants;

pub use cart::{Cart, CartAccess, CartLine, CartStatus};
pub use carts::{CartService, LineChange};
pub use complete::{CheckoutInput, Completion};
pub use review::{Problem, Review};
