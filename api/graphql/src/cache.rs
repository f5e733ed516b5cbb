//! A shared response cache for public catalog queries.
//!
//! A storefront asks the same few listing queries over and over; answering them from
//! memory spares the database and the resolvers. Correctness never depends on it:
//! entries live at most as long as the response's cache hint (`max-age`), catalog
//! edits clear it, and it can be switched off (`RESPONSE_CACHE_ENTRIES=0`).
//!
//! A response is cached only when all of these hold, so nothing private or live is
//! ever shared:
//! - the viewer is anonymous;
//! - the operation is a query whose root fields are all in [`CACHEABLE_ROOT_FIELDS`]
//!   (plain fields, no fragments at the root);
//! - it executed without errors;
//! - its cache hint is public with a positive max-age (a field marked no-cache anywhere
//!   in the response, such as live stock, makes the whole response uncacheable).
//!
//! Concurrent misses for the same query are coalesced: one computes, the rest wait.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::Request;
use async_graphql::parser::types::{OperationType, Selection};
use bytes::Bytes;
use moka::Expiry;

/// Root query fields whose answers are the same for every anonymous viewer and carry
/// cache hints. `node`/`nodes` are absent: they can return any type.
pub const CACHEABLE_ROOT_FIELDS: &[&str] = &["products", "product", "categories", "category", "__typename"];

/// What identifies a cached answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey {
    query: String,
    operation_name: Option<String>,
    variables: String,
    /// Absolute URLs in responses depend on the origin the client used.
    origin: Option<String>,
    /// Request errors render differently per media type.
    graphql_response_media: bool,
}

/// A serialised successful response and how long it may be reused.
#[derive(Clone, Debug)]
pub struct CachedResponse {
    pub body: Bytes,
    /// The `Cache-Control` value of the response, e.g. `max-age=30`.
    pub cache_control: Option<String>,
    max_age: Duration,
}

impl CachedResponse {
    pub fn new(body: Bytes, cache_control: Option<String>, max_age: Duration) -> Self {
        CachedResponse { body, cache_control, max_age }
    }
}

struct ByMaxAge;

impl Expiry<CacheKey, CachedResponse> for ByMaxAge {
    fn expire_after_create(&self, _key: &CacheKey, value: &CachedResponse, _created_at: Instant) -> Option<Duration> {
        Some(value.max_age)
    }
}

/// Whether a lookup was answered from memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheStatus {
    Hit,
    Miss,
}

pub struct ResponseCache {
    entries: Option<moka::future::Cache<CacheKey, CachedResponse>>,
}

impl ResponseCache {
    /// A cache holding at most `capacity` responses; 0 disables it.
    pub fn new(capacity: u64) -> Self {
        let entries = (capacity > 0).then(|| moka::future::Cache::builder().max_capacity(capacity).expire_after(ByMaxAge).build());
        ResponseCache { entries }
    }

    /// The key for `request` if its answer may be shared, else `None`.
    pub fn key_for(&self, request: &mut Request, anonymous: bool, origin: Option<&str>, graphql_response_media: bool) -> Option<CacheKey> {
        self.entries.as_ref()?;
        if !anonymous || !request.extensions.is_empty() {
            return None;
        }
        let wanted = request.operation_name.clone();
        let doc = request.parsed_query().ok()?;
        let (_, op) = doc.operations.iter().find(|(name, _)| match (name, wanted.as_deref()) {
            (Some(n), Some(w)) => n.as_str() == w,
            (_, None) => true,
            (None, Some(_)) => false,
        })?;
        if op.node.ty != OperationType::Query {
            return None;
        }
        let plain_cacheable_fields = op.node.selection_set.node.items.iter().all(|item| match &item.node {
            Selection::Field(field) => CACHEABLE_ROOT_FIELDS.contains(&field.node.name.node.as_str()) && field.node.directives.is_empty(),
            Selection::FragmentSpread(_) | Selection::InlineFragment(_) => false,
        });
        if !plain_cacheable_fields {
            return None;
        }
        Some(CacheKey {
            query: request.query.clone(),
            operation_name: wanted,
            variables: serde_json::to_string(&request.variables).ok()?,
            origin: origin.map(str::to_owned),
            graphql_response_media,
        })
    }

    /// The cached answer for `key`, or the one `compute` produces. `compute` returns
    /// `Ok` for an answer that may be stored and `Err` for one that may not; either is
    /// handed to every caller waiting on the same key.
    pub async fn get_or_compute<F, E>(&self, key: CacheKey, compute: F) -> (Result<CachedResponse, Arc<E>>, CacheStatus)
    where
        F: Future<Output = Result<CachedResponse, E>>,
        E: Send + Sync + 'static,
    {
        let Some(entries) = &self.entries else {
            return (compute.await.map_err(Arc::new), CacheStatus::Miss);
        };
        if let Some(hit) = entries.get(&key).await {
            return (Ok(hit), CacheStatus::Hit);
        }
        (entries.try_get_with(key, compute).await, CacheStatus::Miss)
    }

    /// Drops every entry (after catalog edits).
    pub fn clear(&self) {
        if let Some(entries) = &self.entries {
            entries.invalidate_all();
        }
    }
}
