//! Stockade's domain: what the shop does, with no transport in sight.
//!
//! Holds the services (`catalog`, `inventory`, `checkout`, `orders`, `payments`,
//! `accounts`, `coupons`, `reminders`), their models and errors (`error`), persistence (`entity`,
//! `db`), the transactional outbox and event bus (`events`), money, cursors, rate
//! limits, webhook signatures (`signing`), metrics, and each area's settings.
//!
//! May depend on: the migrations, the database and Redis clients, the payment gateway's
//! client. Must not depend on async-graphql, axum or anything HTTP-facing: the GraphQL
//! crate and the server binary depend on this crate, never the other way.

pub mod accounts;
pub mod actor;
pub mod address;
pub mod catalog;
pub mod checkout;
pub mod coupons;
pub mod db;
pub mod entity;
pub mod error;
pub mod events;
pub mod inventory;
pub mod metrics;
pub mod money;
pub mod orders;
pub mod pagination;
pub mod payments;
pub mod periodic;
pub mod ratelimit;
pub mod reminders;
pub mod settings;
pub mod signing;
