//! Carts and checkout: what a shopper does up to payment.

pub mod address;
pub mod pricing;
