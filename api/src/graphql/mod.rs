//! The GraphQL API: schema assembly, per-request data, limits.
//!
//! Resolvers are thin: they decode ids and inputs, call a domain service, and wrap the
//! result in an API type. Each domain area has its own `XxxQuery` merged at the root.

pub mod batch;
pub mod cache;
pub mod catalog;
pub mod error;
mod execute;
pub mod ids;
pub mod money;
pub mod node;

use std::sync::Arc;

use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema};

use crate::catalog::{CatalogService, Visibility};
use crate::config::{Config, GraphqlLimits};
use crate::events::{EventBus, OutboxNotify};
use crate::metrics::Metrics;

pub use execute::Executor;

#[derive(MergedObject, Default)]
pub struct QueryRoot(catalog::CatalogQuery, node::NodeQuery);

pub type StockadeSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// What resolvers reach through the context for the life of the server.
#[derive(Clone)]
pub struct Services {
    pub config: Arc<Config>,
    pub catalog: CatalogService,
    pub metrics: Arc<Metrics>,
    pub response_cache: Arc<cache::ResponseCache>,
    /// Published events, for subscriptions (`bus.subscribe()`).
    pub bus: EventBus,
    /// Wakes the outbox publisher: call after committing a transaction that appended events.
    pub outbox_notify: OutboxNotify,
}

/// Builds the schema with its limits and shared services.
pub fn build_schema(services: &Services) -> StockadeSchema {
    let mut builder = configure(Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription), &services.config.graphql)
        .data(services.config.clone())
        .data(services.catalog.clone());
    if !services.config.graphql.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

fn configure(
    builder: async_graphql::SchemaBuilder<QueryRoot, EmptyMutation, EmptySubscription>,
    limits: &GraphqlLimits,
) -> async_graphql::SchemaBuilder<QueryRoot, EmptyMutation, EmptySubscription> {
    builder.limit_depth(limits.max_depth).limit_complexity(limits.max_complexity).limit_recursive_depth(64).limit_directives(16)
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    let schema = Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription).finish();
    schema.sdl()
}

/// Where clients reach this server (`PUBLIC_URL`, or the request's `Host`), for
/// turning server-relative URLs into absolute ones.
#[derive(Clone, Debug)]
pub struct PublicOrigin(pub url::Url);

/// Per-request data: batchers scoped to the viewer, so caches never leak between
/// requests or viewers.
pub fn request_data(services: &Services, request: async_graphql::Request) -> async_graphql::Request {
    let loader = catalog::loaders::CatalogLoader { catalog: services.catalog.clone(), visibility: Visibility::Storefront };
    request.data(batch::Batcher::new(loader))
}
