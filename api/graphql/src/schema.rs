//! The schema: its root types, how it is built with its limits and services, the
//! per-request data resolvers see, and its SDL.

use std::sync::Arc;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use stockade_domain::accounts::{AccountService, ClientInfo, Viewer};
use stockade_domain::catalog::{CatalogEditor, CatalogService, SearchService};
use stockade_domain::events::{EventBus, OutboxNotify};
use stockade_domain::inventory::InventoryService;
use stockade_domain::metrics::Metrics;
use stockade_domain::ratelimit::RateLimiter;

use crate::settings::GraphqlLimits;

/// The document limits the executor enforces for `limits`.
pub fn document_limits(limits: &GraphqlLimits) -> crate::guard::DocumentLimits {
    crate::guard::DocumentLimits {
        max_depth: limits.max_depth,
        max_fields: limits.max_fields,
        max_root_fields: limits.max_root_fields,
        introspection: limits.introspection,
    }
}

/// Reads. Expected failures of mutations come back in their payload's `userErrors`;
/// everything else is a top-level error (`errors[].extensions.code`), one of:
/// `BAD_USER_INPUT` (a malformed id or argument; `extensions.field` names it),
/// `NOT_FOUND` (no such object, or not yours to see), `UNAUTHENTICATED` (sign in: no,
/// expired or revoked token), `FORBIDDEN` (signed in, but not allowed),
/// `RATE_LIMITED` (too many requests; `extensions.retryAfter` seconds),
/// `QUERY_TOO_DEEP` and `QUERY_TOO_COMPLEX` (the operation exceeds the server's
/// limits), `INTROSPECTION_DISABLED` (introspection is off on this server),
/// `GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`, `OPERATION_NOT_FOUND` (no
/// operation of that name in the document), `BAD_REQUEST` (the HTTP request itself:
/// method, media type, body), `SERVICE_UNAVAILABLE` (the database cannot be reached;
/// retry after `extensions.retryAfter` seconds), `PERSISTED_QUERY_NOT_FOUND` (an
/// automatic persisted query this server has not seen: send the document with its
/// hash), `PERSISTED_QUERY_NOT_SUPPORTED` (persisted queries are off), and
/// `INTERNAL_SERVER_ERROR` (logged on the server with the request id; retry later).
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    crate::catalog::CatalogQuery,
    crate::catalog::SearchQueryRoot,
    crate::node::NodeQuery,
    crate::accounts::AccountQuery,
    crate::commerce::CommerceQuery,
    crate::commerce::PaymentQuery,
    crate::commerce::ReminderQuery,
    crate::inventory::InventoryQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    crate::accounts::AccountMutation,
    crate::catalog::CatalogMutation,
    crate::catalog::SearchMutation,
    crate::commerce::CartMutation,
    crate::commerce::OrderMutation,
    crate::commerce::PaymentMutation,
    crate::commerce::ReminderMutation,
    crate::inventory::InventoryMutation,
);

#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(
    crate::inventory::InventorySubscription,
    crate::commerce::OrderSubscription,
    crate::commerce::PaymentIssueSubscription,
);

pub type StockadeSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// What resolvers reach through the context for the life of the server.
#[derive(Clone)]
pub struct Services {
    /// The request limits (`ctx.data::<Arc<GraphqlLimits>>()` in resolvers).
    pub limits: Arc<GraphqlLimits>,
    /// The shop's currency (`ctx.data::<Currency>()`).
    pub currency: stockade_domain::money::Currency,
    pub catalog: CatalogService,
    pub catalog_editor: CatalogEditor,
    /// Search planning (typos, synonyms) and the synonym sets.
    pub search: SearchService,
    pub accounts: AccountService,
    pub carts: stockade_domain::checkout::CartService,
    pub orders: stockade_domain::orders::OrderService,
    pub payments: stockade_domain::payments::PaymentService,
    pub coupons: stockade_domain::coupons::CouponService,
    /// Abandoned carts: reminders, recovery links, opt-outs.
    pub reminders: stockade_domain::reminders::ReminderService,
    /// Stock levels, reservations and the ledger.
    pub inventory: InventoryService,
    pub rate_limiter: Arc<RateLimiter>,
    pub metrics: Arc<Metrics>,
    pub response_cache: Arc<crate::cache::ResponseCache>,
    /// Published events, for subscriptions (`bus.subscribe()`).
    pub bus: EventBus,
    /// Wakes the outbox publisher: call after committing a transaction that appended events.
    pub outbox_notify: OutboxNotify,
}

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
}

/// Builds the schema with its limits and shared services.
pub fn build_schema(services: &Services) -> StockadeSchema {
    build(services, async_graphql::ValidationMode::Strict)
}

/// The same schema, for requests that already passed every validation rule with the
/// same document, operation and variables (see [`crate::Executor`]): it checks only
/// what it must compute anyway (cache hints, complexity, depth), since the rest would
/// find what it found before.
pub fn build_prevalidated_schema(services: &Services) -> StockadeSchema {
    build(services, async_graphql::ValidationMode::Fast)
}

fn build(services: &Services, validation: async_graphql::ValidationMode) -> StockadeSchema {
    let mut builder = configure(builder(), &services.limits)
        .validation_mode(validation)
        .data(services.limits.clone())
        .data(services.currency)
        .data(services.catalog.clone())
        .data(services.catalog_editor.clone())
        .data(services.search.clone())
        .data(services.accounts.clone())
        .data(services.carts.clone())
        .data(services.orders.clone())
        .data(services.payments.clone())
        .data(services.coupons.clone())
        .data(services.reminders.clone())
        .data(services.inventory.clone())
        .data(services.bus.clone())
        .data(services.outbox_notify.clone())
        .data(services.rate_limiter.clone())
        .data(services.metrics.clone())
        .data(services.response_cache.clone());
    if !services.limits.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

fn configure(
    builder: SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot>,
    limits: &GraphqlLimits,
) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    // Depth is checked by `crate::guard::check_document` (it measures introspection apart);
    // the parser's recursion limit stays as a second line behind `crate::guard::check_text`.
    builder.limit_complexity(limits.max_complexity).limit_recursive_depth(64).limit_directives(16)
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    // `@specifiedBy` on scalars: clients and codegen learn the formats (RFC 3339, ...).
    builder().finish().sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}

/// The client cache configuration for the schema, as committed in
/// `schema.cache-config.json` (see [`client_cache`]).
pub fn cache_config() -> String {
    crate::client_cache::cache_config(&sdl()).unwrap_or_else(|e| panic!("the server's own SDL does not parse: {e}"))
}

/// Per-request data: who is asking, from where, and batchers scoped to that viewer,
/// so nothing loaded for one viewer is served to another. A request that may write
/// (`reads_only` false: a mutation) reads the catalog from the primary, so its answer
/// shows its own writes; other requests read it from the read replicas, if any.
pub fn request_data(
    services: &Services,
    request: async_graphql::Request,
    viewer: Viewer,
    client: ClientInfo,
    reads_only: bool,
) -> async_graphql::Request {
    let catalog = if reads_only { services.catalog.clone() } else { services.catalog.on_primary() };
    let loader = crate::catalog::loaders::CatalogLoader { catalog: catalog.clone(), visibility: crate::catalog::visibility_for(&viewer) };
    let orders = crate::commerce::loaders::OrdersLoader { orders: services.orders.clone(), payments: services.payments.clone() };
    let stock = crate::stock::loaders::InventoryLoader { inventory: services.inventory.clone(), accounts: services.accounts.clone() };
    let request = request
        .data(crate::batch::Batcher::new(loader))
        .data(crate::batch::Batcher::new(orders))
        .data(crate::batch::Batcher::new(stock))
        .data(viewer)
        .data(client);
    // Request data comes before the schema's: resolvers that read the catalog
    // themselves get the same routing as the loaders.
    if reads_only { request } else { request.data(catalog) }
}
