//! Stockade: a GraphQL commerce backend that sells limited stock fairly.
//!
//! Layers, with dependencies pointing one way:
//! `http` / `graphql` (transport, API types) -> domain services (`catalog`, `inventory`, ...) ->
//! persistence (`entity`, `db`). Domain modules know nothing of axum or async-graphql.

pub mod accounts;
pub mod actor;
pub mod catalog;
pub mod checkout;
pub mod cli;
pub mod config;
pub mod coupons;
pub mod db;
pub mod entity;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod inventory;
pub mod metrics;
pub mod money;
pub mod orders;
pub mod pagination;
pub mod payments;
pub mod ratelimit;
pub mod startup;
pub mod telemetry;
