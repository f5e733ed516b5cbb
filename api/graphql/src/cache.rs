//! A shared response cache for public catalog queries.
//!
//! A storefront asks the same few listing queries over and over; answering them from
//! memory spares the database and the resolvers. Correctness never depends on it:
//! entries live at most as long as the response's cache hint (`max-age`), catalog
//! edits clear it, and it can be switched off (`RESPONSE_CACHE_ENTRIES=0`).
//!
//! Stock does not make an answer short-lived: a response that shows stock
//! (`availableQuantity`, `inStock`) records the variants it read, and a stock event
//! for any of them (from the outbox, on every instance through the event bus) makes
//! it stale, checked on every hit. So a cached answer is never older than the event's
//! delivery, and it lives as long as a catalog answer while nothing changes. When
//! events cannot be trusted to arrive (Redis down, or no publisher in an embedded
//! setup) such answers fall back to their short cache hint, and an event gap (a
//! resync) drops them all.
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

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
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
    /// How long the entry lives while nothing it shows changes.
    ttl: Duration,
    /// Its cache hint: how long it lives when stock events cannot be trusted.
    hint: Duration,
    /// The variants whose stock it shows.
    stock: Arc<[i64]>,
    /// The stock event sequence when its computation began.
    stamp: u64,
    created: Instant,
    /// Encoded copies of the body (the HTTP layer's compressions), made once each on
    /// demand and shared by every copy of the entry.
    encoded: Arc<[OnceLock<Option<Bytes>>; ENCODED_SLOTS]>,
}

/// How many encoded copies an entry may keep.
pub const ENCODED_SLOTS: usize = 3;

impl CachedResponse {
    /// The body encoded in `slot` (below [`ENCODED_SLOTS`]), made by `make` the first
    /// time and kept with the entry; `None` if `make` cannot.
    pub fn encoded(&self, slot: usize, make: impl FnOnce(&[u8]) -> Option<Bytes>) -> Option<Bytes> {
        self.encoded.get(slot)?.get_or_init(|| make(&self.body)).clone()
    }
}

struct ByTtl;

impl Expiry<CacheKey, CachedResponse> for ByTtl {
    fn expire_after_create(&self, _key: &CacheKey, value: &CachedResponse, _created_at: Instant) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// The variants whose stock one response read (request data of cacheable requests,
/// filled by the stock fields' resolvers).
#[derive(Default)]
pub struct StockReads(Mutex<Vec<i64>>);

impl StockReads {
    pub fn record(&self, variant_id: i64) {
        if let Ok(mut reads) = self.0.lock() {
            reads.push(variant_id);
        }
    }

    fn take(&self) -> Vec<i64> {
        let mut reads = self.0.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default();
        reads.sort_unstable();
        reads.dedup();
        reads
    }
}

/// What the cache knows of stock changes: a sequence number per change, the last one
/// of each variant, and the floor below which every stock-reading entry is stale.
#[derive(Default)]
struct StockClock {
    seq: AtomicU64,
    floor: AtomicU64,
    /// Read on every hit, written once per stock event.
    last_change: RwLock<HashMap<i64, u64>>,
}

/// Whether a lookup was answered from memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheStatus {
    Hit,
    Miss,
}

/// How long catalog answers live (the `max_age` of the catalog's root fields), and so
/// answers that show stock while stock events keep them true.
pub const CATALOG_LIFETIME: Duration = Duration::from_secs(30);

/// Whether stock events reach this instance reliably right now.
pub type EventsTrusted = Box<dyn Fn() -> bool + Send + Sync>;

pub struct ResponseCache {
    entries: Option<moka::future::Cache<CacheKey, CachedResponse>>,
    clock: StockClock,
    events_trusted: EventsTrusted,
    /// How long a stock-showing answer lives while events are trusted.
    stock_lifetime: Duration,
}

impl ResponseCache {
    /// A cache holding at most `capacity` responses (0 disables it); answers that show
    /// stock live `stock_lifetime` while `events_trusted` says stock events arrive, and
    /// their short cache hint otherwise.
    pub fn new(capacity: u64, stock_lifetime: Duration, events_trusted: EventsTrusted) -> Self {
        let entries = (capacity > 0).then(|| moka::future::Cache::builder().max_capacity(capacity).expire_after(ByTtl).build());
        ResponseCache { entries, clock: StockClock::default(), events_trusted, stock_lifetime }
    }

    /// Where a computation starts in the stock event sequence (take it before reading).
    pub fn stamp(&self) -> u64 {
        self.clock.seq.load(Ordering::SeqCst)
    }

    /// The entry for a response computed from `stamp` on, with hint `max_age`, that
    /// showed the stock of `reads`.
    pub fn response(
        &self,
        body: Bytes,
        cache_control: Option<String>,
        max_age: Duration,
        reads: &StockReads,
        stamp: u64,
    ) -> CachedResponse {
        let stock: Arc<[i64]> = reads.take().into();
        let ttl = if !stock.is_empty() && (self.events_trusted)() { max_age.max(self.stock_lifetime) } else { max_age };
        CachedResponse { body, cache_control, ttl, hint: max_age, stock, stamp, created: Instant::now(), encoded: Arc::default() }
    }

    /// A stock event for `variant_id` arrived: answers showing its stock are stale.
    pub fn stock_changed(&self, variant_id: i64) {
        let seq = self.clock.seq.fetch_add(1, Ordering::SeqCst) + 1;
        if let Ok(mut last) = self.clock.last_change.write() {
            last.insert(variant_id, seq);
        }
    }

    /// Stock events may have been missed: every answer showing stock is stale.
    pub fn stock_events_missed(&self) {
        let seq = self.clock.seq.fetch_add(1, Ordering::SeqCst) + 1;
        self.clock.floor.store(seq, Ordering::SeqCst);
    }

    /// Whether `entry` still shows the stock as it is (as far as events tell).
    fn fresh(&self, entry: &CachedResponse) -> bool {
        if entry.stock.is_empty() {
            return true;
        }
        if entry.stamp < self.clock.floor.load(Ordering::SeqCst) {
            return false;
        }
        if entry.created.elapsed() > entry.hint && !(self.events_trusted)() {
            return false;
        }
        let Ok(last) = self.clock.last_change.read() else { return false };
        entry.stock.iter().all(|v| last.get(v).is_none_or(|&changed| changed <= entry.stamp))
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
            if self.fresh(&hit) {
                return (Ok(hit), CacheStatus::Hit);
            }
            entries.invalidate(&key).await;
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

/// Keeps `cache` in step with the stock events on the bus until the bus closes.
pub async fn follow_stock_events(cache: Arc<ResponseCache>, mut events: stockade_domain::events::Subscription) {
    use stockade_domain::events::BusMessage;
    while let Some(message) = events.recv().await {
        match message {
            BusMessage::Event(event) => {
                if let Some((variant_id, _)) = stockade_domain::inventory::stock_event_target(&event) {
                    cache.stock_changed(variant_id);
                }
            }
            BusMessage::Resync(_) => cache.stock_events_missed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn cache(trusted: Arc<AtomicBool>) -> ResponseCache {
        ResponseCache::new(10, CATALOG_LIFETIME, Box::new(move || trusted.load(Ordering::SeqCst)))
    }

    fn entry(cache: &ResponseCache, variants: &[i64], stamp: u64) -> CachedResponse {
        let reads = StockReads::default();
        variants.iter().for_each(|v| reads.record(*v));
        cache.response(Bytes::from_static(b"{}"), None, Duration::from_secs(2), &reads, stamp)
    }

    #[test]
    fn an_answer_is_stale_once_a_variant_it_shows_changes_and_only_then() {
        let c = cache(Arc::new(AtomicBool::new(true)));
        let stamp = c.stamp();
        let e = entry(&c, &[1, 2, 2], stamp);
        assert_eq!(e.ttl, CATALOG_LIFETIME, "trusted events: the catalog's lifetime");
        assert_eq!(&*e.stock, &[1, 2]);
        c.stock_changed(3);
        assert!(c.fresh(&e), "another variant changed");
        c.stock_changed(2);
        assert!(!c.fresh(&e));
        // An answer computed after that change is fresh until the next one.
        let later = entry(&c, &[2], c.stamp());
        assert!(c.fresh(&later));
        let plain = entry(&c, &[], 0);
        assert!(c.fresh(&plain) && plain.ttl == Duration::from_secs(2), "no stock: its hint, never stale by events");
    }

    #[test]
    fn a_change_during_the_computation_makes_its_answer_stale() {
        let c = cache(Arc::new(AtomicBool::new(true)));
        let stamp = c.stamp();
        c.stock_changed(7);
        assert!(!c.fresh(&entry(&c, &[7], stamp)));
    }

    #[test]
    fn missed_events_drop_every_answer_showing_stock() {
        let c = cache(Arc::new(AtomicBool::new(true)));
        let e = entry(&c, &[1], c.stamp());
        c.stock_events_missed();
        assert!(!c.fresh(&e));
        assert!(c.fresh(&entry(&c, &[1], c.stamp())));
    }

    #[test]
    fn untrusted_events_fall_back_to_the_hint() {
        let trusted = Arc::new(AtomicBool::new(false));
        let c = cache(trusted.clone());
        assert_eq!(entry(&c, &[1], c.stamp()).ttl, Duration::from_secs(2));
        trusted.store(true, Ordering::SeqCst);
        let mut e = entry(&c, &[1], c.stamp());
        e.created = Instant::now() - Duration::from_secs(3);
        assert!(c.fresh(&e), "older than its hint, but events keep it true");
        trusted.store(false, Ordering::SeqCst);
        assert!(!c.fresh(&e), "events no longer arrive: the hint applies");
    }
}
