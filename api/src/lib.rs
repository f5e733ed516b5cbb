//! The `stockade` server: start-up, HTTP and WebSocket routes, webhooks, the CLI.
//!
//! Layers, each a crate, with dependencies pointing one way:
//! this crate (transport) -> `stockade_graphql` (schema, resolvers, access policy) ->
//! `stockade_domain` (services, persistence, events). Nothing here holds business
//! rules: routes decode requests, call the GraphQL executor or a domain service, and
//! encode the answer.

pub mod cli;
pub mod config;
pub mod http;
pub mod startup;
pub mod telemetry;
