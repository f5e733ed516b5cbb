//! GraphQL settings: the limits that keep one request from taking the server down, and
//! the response cache's size.

use std::time::Duration;

use stockade_domain::settings::{ConfigError, Env};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphqlLimits {
    /// `GRAPHQL_MAX_DEPTH`.
    pub max_depth: usize,
    /// `GRAPHQL_MAX_COMPLEXITY`.
    pub max_complexity: usize,
    /// Largest `first` / `last` a connection accepts (`GRAPHQL_MAX_PAGE_SIZE`).
    pub max_page_size: usize,
    /// `GRAPHQL_MAX_BODY_BYTES`.
    pub max_body_bytes: usize,
    /// Most fields one operation may select once its fragments are expanded
    /// (`GRAPHQL_MAX_FIELDS`).
    pub max_fields: usize,
    /// Most root fields (aliases included) one operation may select
    /// (`GRAPHQL_MAX_ROOT_FIELDS`).
    pub max_root_fields: usize,
    /// How long a WebSocket client has to send `connection_init` (`WS_INIT_TIMEOUT_SECS`).
    pub ws_init_timeout: Duration,
    /// Serve GraphiQL on `GET /graphql` to browsers (`GRAPHIQL`).
    pub graphiql: bool,
    /// `GRAPHQL_INTROSPECTION`.
    pub introspection: bool,
    /// Most variants one `stockChanged` subscription may watch
    /// (`STOCK_SUBSCRIPTION_MAX_VARIANTS`).
    pub max_stock_subscription_variants: usize,
    /// Most public query responses kept in the response cache; 0 switches it off
    /// (`RESPONSE_CACHE_ENTRIES`).
    pub response_cache_entries: u64,
    /// Most documents kept for automatic persisted queries; 0 switches them off
    /// (`PERSISTED_QUERIES_ENTRIES`).
    pub persisted_queries_entries: u64,
}

impl Default for GraphqlLimits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            // Every field costs 1; a list multiplies what is under it by its page size
            // (`first`/`last`) or, for nested lists, by a typical length (10 variants or
            // images, 5 categories). A 100-product listing with variants, images and
            // categories costs about 13,000.
            max_complexity: 20_000,
            max_page_size: 100,
            max_body_bytes: 256 * 1024,
            max_fields: 2_000,
            max_root_fields: 20,
            ws_init_timeout: Duration::from_secs(10),
            graphiql: true,
            introspection: true,
            max_stock_subscription_variants: 50,
            response_cache_entries: 10_000,
            persisted_queries_entries: 10_000,
        }
    }
}

impl GraphqlLimits {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(GraphqlLimits {
            max_depth: env.number("GRAPHQL_MAX_DEPTH", d.max_depth, 2..=48)?,
            max_complexity: env.number("GRAPHQL_MAX_COMPLEXITY", d.max_complexity, 10..=1_000_000)?,
            max_page_size: env.number("GRAPHQL_MAX_PAGE_SIZE", d.max_page_size, 1..=1000)?,
            max_body_bytes: env.number("GRAPHQL_MAX_BODY_BYTES", d.max_body_bytes, 1024..=16 * 1024 * 1024)?,
            max_fields: env.number("GRAPHQL_MAX_FIELDS", d.max_fields, 10..=100_000)?,
            max_root_fields: env.number("GRAPHQL_MAX_ROOT_FIELDS", d.max_root_fields, 1..=1_000)?,
            ws_init_timeout: env.secs("WS_INIT_TIMEOUT_SECS", d.ws_init_timeout.as_secs(), 1..=300)?,
            graphiql: env.flag("GRAPHIQL", d.graphiql)?,
            introspection: env.flag("GRAPHQL_INTROSPECTION", d.introspection)?,
            max_stock_subscription_variants: env.number("STOCK_SUBSCRIPTION_MAX_VARIANTS", d.max_stock_subscription_variants, 1..=1000)?,
            response_cache_entries: env.number("RESPONSE_CACHE_ENTRIES", d.response_cache_entries, 0..=10_000_000)?,
            persisted_queries_entries: env.number("PERSISTED_QUERIES_ENTRIES", d.persisted_queries_entries, 0..=1_000_000)?,
        })
    }

    /// For the start-up summary.
    pub fn summary(&self) -> String {
        format!(
            "response_cache={} graphql(depth<={}, complexity<={}, page<={}, graphiql={}, introspection={})",
            self.response_cache_entries, self.max_depth, self.max_complexity, self.max_page_size, self.graphiql, self.introspection
        )
    }
}

/// Where clients reach this server (`PUBLIC_URL`, or the request's `Host`), for
/// turning server-relative URLs into absolute ones.
#[derive(Clone, Debug)]
pub struct PublicOrigin(pub url::Url);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bad_values() {
        assert_eq!(GraphqlLimits::from_env(&Env::from_pairs(&[])).unwrap(), GraphqlLimits::default());
        for (k, v) in
            [("GRAPHQL_MAX_DEPTH", "0"), ("STOCK_SUBSCRIPTION_MAX_VARIANTS", "0"), ("RESPONSE_CACHE_ENTRIES", "-1"), ("GRAPHIQL", "maybe")]
        {
            assert_eq!(GraphqlLimits::from_env(&Env::from_pairs(&[(k, v)])).unwrap_err().var, k);
        }
    }
}
