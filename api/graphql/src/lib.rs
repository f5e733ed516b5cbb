//! Stockade's GraphQL API: the schema (`schema`), its resolvers by area (`catalog`,
//! `commerce`, `inventory`, `accounts`, `node`), the access policy (`access`), request
//! admission and execution (`guard`, `execute`), batching (`batch`) and the response
//! cache (`cache`).
//!
//! May depend on: `stockade_domain` and async-graphql. Nothing here knows HTTP (the
//! server binary turns requests into [`Executor`] calls), and the domain never depends
//! on this crate.
//!
//! Resolvers are thin: they decode ids and inputs, call a domain service, and wrap the
//! result in an API type. Each domain area has its own `XxxQuery` merged at the root.

pub mod access;
pub mod accounts;
pub mod actor;
pub mod batch;
pub mod cache;
pub mod catalog;
pub mod client_cache;
pub mod commerce;
pub mod connection;
pub mod error;
mod execute;
pub mod guard;
pub mod ids;
mod immediate;
mod int;
pub mod inventory;
mod limits;
pub mod money;
pub mod node;
pub mod persisted;
pub mod schema;
pub mod settings;
pub mod stock;

pub use execute::Executor;
pub use immediate::{RawJson, write_response};
pub use schema::{Services, StockadeSchema, build_prevalidated_schema, build_schema, cache_config, document_limits, request_data, sdl};
pub use settings::{GraphqlLimits, PublicOrigin};
