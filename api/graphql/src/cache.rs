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
//! resync) makes them all stale.
//!
//! A stale answer is patched, not rebuilt: the stock values of a response are rendered
//! as placeholders first ([`StockReads::show`]), so the entry keeps its body as a
//! [`StockTemplate`] of fixed parts and stock holes. The first hit after a change fills
//! the holes with the stock as it is now; every other part of the answer (catalog data,
//! which catalog edits clear) is reused. That stock comes from memory: each stock event
//! carries its level's state and version, so once the entry's variants were read
//! (one statement, at the first patch) the events keep their sums (see `mirror`).
//! During a sale that changes the listed stock many times a second, the listing is then
//! neither resolved again nor read again: a patch costs a copy of the body. A patched
//! entry keeps its content's expiry, so catalog data is never older than its `max-age`.
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
use stockade_domain::inventory::StockLevel;

mod mirror;
use mirror::StockMirror;

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
    /// Where its computation began (its stock part: where its last patch began).
    stamp: Stamp,
    /// When its stock was last read.
    created: Instant,
    /// When its other content was computed: a patch keeps it, so an entry never
    /// outlives its content's lifetime.
    content_created: Instant,
    /// The body with its stock values as holes, when it shows stock.
    template: Option<Arc<StockTemplate>>,
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
        Some(value.ttl.saturating_sub(value.content_created.elapsed()))
    }
}

/// The stock values one response shows (request data of cacheable requests, filled by
/// the stock fields' resolvers through [`StockReads::show`]).
#[derive(Default)]
pub struct StockReads(Mutex<Vec<(i64, StockField, i64)>>);

/// Which stock field a value shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockField {
    /// `availableQuantity`: the units, never below 0.
    Quantity,
    /// `inStock`: whether any unit is available.
    InStock,
}

impl StockField {
    fn render(self, available: i64, out: &mut Vec<u8>) {
        match self {
            StockField::Quantity => out.extend_from_slice(crate::int::int(available.max(0)).to_string().as_bytes()),
            StockField::InStock => out.extend_from_slice(if available > 0 { b"true" } else { b"false" }),
        }
    }
}

/// The mark of this process's stock placeholders: a number drawn at start, which no
/// catalog text can be expected to hold after a NUL character.
fn placeholder_nonce() -> &'static str {
    static NONCE: OnceLock<String> = OnceLock::new();
    NONCE.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        format!("{:016x}", std::collections::hash_map::RandomState::new().build_hasher().finish())
    })
}

impl StockReads {
    /// The value to put in the response for `field` of `variant_id`, whose available
    /// units are `available`: a placeholder the HTTP layer replaces (see
    /// [`StockTemplate`]), so the entry can be refilled when that stock changes.
    pub fn show(&self, variant_id: i64, field: StockField, available: i64) -> async_graphql::Value {
        let Ok(mut shown) = self.0.lock() else {
            return async_graphql::Value::Null;
        };
        shown.push((variant_id, field, available));
        async_graphql::Value::String(format!("\u{0}{}:{}", placeholder_nonce(), shown.len() - 1))
    }

    fn variants(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.0.lock().map(|shown| shown.iter().map(|(v, ..)| *v).collect()).unwrap_or_default();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn shown(&self) -> Vec<(i64, StockField, i64)> {
        self.0.lock().map(|shown| shown.clone()).unwrap_or_default()
    }
}

/// A rendered response's body as it may be sent, and its stock template: the stock
/// placeholders of `body` replaced by the values the response read. `Err` if they
/// cannot be (a malformed placeholder): the body must then not be sent.
#[allow(clippy::result_unit_err)]
pub fn shown_stock(body: Bytes, reads: &StockReads) -> Result<(Bytes, Option<Arc<StockTemplate>>), ()> {
    if reads.0.lock().map(|shown| shown.is_empty()).unwrap_or(true) {
        return Ok((body, None));
    }
    let (template, filled) = StockTemplate::cut(&body, reads).ok_or(())?;
    Ok((filled, Some(Arc::new(template))))
}

/// A serialised response with its stock values cut out: `parts[0]`, hole 0,
/// `parts[1]`, hole 1, ..., `parts[n]`.
#[derive(Debug)]
pub struct StockTemplate {
    parts: Vec<Bytes>,
    holes: Vec<(i64, StockField)>,
}

impl StockTemplate {
    /// Cuts the placeholders [`StockReads::show`] put in `body` out of it, and the
    /// body with the values the response read. `None` if the response shows no stock
    /// or a placeholder is malformed (then the body is not usable).
    pub fn cut(body: &Bytes, reads: &StockReads) -> Option<(StockTemplate, Bytes)> {
        let shown = reads.shown();
        if shown.is_empty() {
            return None;
        }
        // In the JSON text a placeholder is `"\u0000<nonce>:<index>"`.
        let prefix = format!("\"\\u0000{}:", placeholder_nonce());
        let mut parts = Vec::with_capacity(shown.len() + 1);
        let mut holes = Vec::with_capacity(shown.len());
        let mut at = 0;
        for start in memchr::memmem::find_iter(body, prefix.as_bytes()) {
            let digits = &body[start + prefix.len()..];
            let len = digits.iter().position(|b| !b.is_ascii_digit())?;
            if digits.get(len) != Some(&b'"') {
                return None;
            }
            let index: usize = std::str::from_utf8(&digits[..len]).ok()?.parse().ok()?;
            let (variant, field, _) = *shown.get(index)?;
            holes.push((variant, field));
            parts.push(body.slice(at..start));
            at = start + prefix.len() + len + 1;
        }
        parts.push(body.slice(at..));
        // A value selected twice is shown twice and kept once: fewer holes than shown
        // values is normal.
        let template = StockTemplate { parts, holes };
        let read: HashMap<i64, i64> = shown.iter().map(|(variant, _, available)| (*variant, *available)).collect();
        let filled = template.fill(&read);
        Some((template, filled))
    }

    /// The body with each hole showing `available` units of its variant (0 if absent).
    pub fn fill(&self, available: &HashMap<i64, i64>) -> Bytes {
        let mut out = Vec::with_capacity(self.parts.iter().map(Bytes::len).sum::<usize>() + self.holes.len() * 4);
        for (part, (variant, field)) in self.parts.iter().zip(&self.holes) {
            out.extend_from_slice(part);
            field.render(available.get(variant).copied().unwrap_or(0), &mut out);
        }
        if let Some(last) = self.parts.last() {
            out.extend_from_slice(last);
        }
        Bytes::from(out)
    }
}

/// Where a computation began: the stock event sequence and the catalog edit count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamp {
    stock: u64,
    catalog: u64,
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
    /// A stored answer whose stock changed, answered with its stock read again.
    Patched,
    Miss,
}

impl CacheStatus {
    /// Its name in `x-cache` headers and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "hit",
            CacheStatus::Patched => "patched",
            CacheStatus::Miss => "miss",
        }
    }
}

/// How long catalog answers live (the `max_age` of the catalog's root fields), and so
/// answers that show stock while stock events keep them true.
pub const CATALOG_LIFETIME: Duration = Duration::from_secs(30);

/// Whether stock events reach this instance reliably right now.
pub type EventsTrusted = Box<dyn Fn() -> bool + Send + Sync>;

pub struct ResponseCache {
    entries: Option<moka::future::Cache<CacheKey, CachedResponse>>,
    clock: StockClock,
    /// The stock levels known from events, to patch stale entries with.
    mirror: StockMirror,
    /// Catalog edits so far (see [`ResponseCache::clear`]).
    edits: AtomicU64,
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
        ResponseCache {
            entries,
            clock: StockClock::default(),
            mirror: StockMirror::default(),
            edits: AtomicU64::new(0),
            events_trusted,
            stock_lifetime,
        }
    }

    /// Where a computation starts, in the stock event sequence and among catalog edits
    /// (take it before reading).
    pub fn stamp(&self) -> Stamp {
        // The edit count first: an edit counted after the sequence was read only makes
        // the answer stale sooner.
        let catalog = self.edits.load(Ordering::SeqCst);
        Stamp { stock: self.clock.seq.load(Ordering::SeqCst), catalog }
    }

    /// The entry for a response computed from `stamp` on, with hint `max_age`, that
    /// showed the stock of `reads` (its body and template from [`shown_stock`]).
    pub fn response(
        &self,
        (body, template): (Bytes, Option<Arc<StockTemplate>>),
        cache_control: Option<String>,
        max_age: Duration,
        reads: &StockReads,
        stamp: Stamp,
    ) -> CachedResponse {
        let stock: Arc<[i64]> = reads.variants().into();
        let ttl = if !stock.is_empty() && (self.events_trusted)() { max_age.max(self.stock_lifetime) } else { max_age };
        let now = Instant::now();
        CachedResponse {
            body,
            cache_control,
            ttl,
            hint: max_age,
            stock,
            stamp,
            created: now,
            content_created: now,
            template,
            encoded: Arc::default(),
        }
    }

    /// `entry` with its stock holes filled from `available`, read from `stamp` on (its
    /// other content keeps the catalog it was computed from).
    fn patched(entry: &CachedResponse, template: &Arc<StockTemplate>, available: &HashMap<i64, i64>, stamp: Stamp) -> CachedResponse {
        CachedResponse {
            body: template.fill(available),
            cache_control: entry.cache_control.clone(),
            ttl: entry.ttl,
            hint: entry.hint,
            stock: entry.stock.clone(),
            stamp: Stamp { stock: stamp.stock, catalog: entry.stamp.catalog },
            created: Instant::now(),
            content_created: entry.content_created,
            template: Some(template.clone()),
            encoded: Arc::default(),
        }
    }

    /// A stock event told `level`'s state after its change: answers showing its
    /// variant's stock are stale, and can be patched from what the event told.
    pub fn stock_level_changed(&self, level: &StockLevel) {
        // Known before the change is counted: a patch that sees the change sees its level.
        self.mirror.learn(level);
        self.count_change(level.variant_id);
    }

    /// A stock event for `variant_id` arrived that did not tell its level: answers
    /// showing its stock are stale, and its stock must be read again.
    pub fn stock_changed(&self, variant_id: i64) {
        self.mirror.forget_variant(variant_id);
        self.count_change(variant_id);
    }

    fn count_change(&self, variant_id: i64) {
        let seq = self.clock.seq.fetch_add(1, Ordering::SeqCst) + 1;
        if let Ok(mut last) = self.clock.last_change.write() {
            last.insert(variant_id, seq);
        }
    }

    /// Stock events may have been missed: every answer showing stock is stale.
    pub fn stock_events_missed(&self) {
        self.mirror.forget();
        let seq = self.clock.seq.fetch_add(1, Ordering::SeqCst) + 1;
        self.clock.floor.store(seq, Ordering::SeqCst);
    }

    /// Whether `entry` was computed from the catalog as it is.
    fn catalog_current(&self, entry: &CachedResponse) -> bool {
        entry.stamp.catalog == self.edits.load(Ordering::SeqCst)
    }

    /// Whether `entry` still shows the catalog and the stock as they are (as far as
    /// edits and events tell).
    fn fresh(&self, entry: &CachedResponse) -> bool {
        if !self.catalog_current(entry) {
            return false;
        }
        if entry.stock.is_empty() {
            return true;
        }
        if entry.stamp.stock < self.clock.floor.load(Ordering::SeqCst) {
            return false;
        }
        if entry.created.elapsed() > entry.hint && !(self.events_trusted)() {
            return false;
        }
        let Ok(last) = self.clock.last_change.read() else { return false };
        entry.stock.iter().all(|v| last.get(v).is_none_or(|&changed| changed <= entry.stamp.stock))
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

    /// The units available of each of `variants` as far as stock events tell, when
    /// they can be trusted and tell every one.
    fn mirrored(&self, variants: &[i64]) -> Option<HashMap<i64, i64>> {
        if !(self.events_trusted)() {
            self.mirror.forget();
            return None;
        }
        self.mirror.available(variants)
    }

    /// The cached answer for `key`, or the one `compute` produces. `compute` returns
    /// `Ok` for an answer that may be stored and `Err` for one that may not; either is
    /// handed to every caller waiting on the same key. An entry whose stock changed is
    /// patched with its variants' stock as stock events told it, or else as
    /// `read_levels` reads it (their stock levels; `None`: they could not be read, and
    /// `compute` runs instead).
    pub async fn get_or_compute<F, E, R, RF>(
        &self,
        key: CacheKey,
        compute: F,
        read_levels: R,
    ) -> (Result<CachedResponse, Arc<E>>, CacheStatus)
    where
        F: Future<Output = Result<CachedResponse, E>>,
        E: Send + Sync + 'static,
        R: FnOnce(Vec<i64>) -> RF,
        RF: Future<Output = Option<HashMap<i64, Vec<StockLevel>>>>,
    {
        let Some(entries) = &self.entries else {
            return (compute.await.map_err(Arc::new), CacheStatus::Miss);
        };
        if let Some(hit) = entries.get(&key).await {
            if self.fresh(&hit) {
                return (Ok(hit), CacheStatus::Hit);
            }
            // Only the stock of an answer from the current catalog is worth patching.
            if let Some(template) = hit.template.clone().filter(|_| self.catalog_current(&hit)) {
                // Taken before the stock is known: a change after it makes the patch stale.
                let stamp = self.stamp();
                if let Some(available) = self.mirrored(&hit.stock) {
                    // No I/O: concurrent hits patch for themselves rather than wait.
                    let patched = Self::patched(&hit, &template, &available, stamp);
                    entries.insert(key, patched.clone()).await;
                    return (Ok(patched), CacheStatus::Patched);
                }
                entries.invalidate(&key).await;
                // Concurrent hits on the same stale entry wait for one read.
                let patch = async move {
                    let reading = self.mirror.begin_read();
                    match read_levels(hit.stock.to_vec()).await {
                        Some(levels) => {
                            let available = self.mirror.merge(reading, &hit.stock, &levels);
                            Ok(Self::patched(&hit, &template, &available, stamp))
                        }
                        None => compute.await,
                    }
                };
                return (entries.try_get_with(key, patch).await, CacheStatus::Patched);
            }
            entries.invalidate(&key).await;
        }
        (entries.try_get_with(key, compute).await, CacheStatus::Miss)
    }

    /// Drops every entry (after catalog edits), and every answer still being computed
    /// from the catalog before them.
    pub fn clear(&self) {
        // Counted first: an answer whose computation began before the edit and is stored
        // after this call is stale from the start, not kept for its whole lifetime.
        self.edits.fetch_add(1, Ordering::SeqCst);
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
            BusMessage::Event(event) => match stockade_domain::inventory::decode_stock_event(&event) {
                Some(Ok(changed)) => cache.stock_level_changed(&changed.level),
                Some(Err(_)) => {
                    if let Some((variant_id, _)) = stockade_domain::inventory::stock_event_target(&event) {
                        cache.stock_changed(variant_id);
                    }
                }
                None => {}
            },
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

    fn test_key() -> CacheKey {
        CacheKey { query: "{}".into(), operation_name: None, variables: "{}".into(), origin: None, graphql_response_media: false }
    }

    fn entry(cache: &ResponseCache, variants: &[i64], stamp: Stamp) -> CachedResponse {
        let reads = StockReads::default();
        variants.iter().for_each(|v| {
            reads.show(*v, StockField::Quantity, 1);
        });
        cache.response((Bytes::from_static(b"{}"), None), None, Duration::from_secs(2), &reads, stamp)
    }

    #[test]
    fn stock_placeholders_are_cut_out_and_refilled() {
        let reads = StockReads::default();
        let value = async_graphql::Value::from_json(serde_json::json!({ "variants": [
            { "sku": "A", "qty": null, "inStock": null, "again": null },
            { "sku": "B \u{0}0:1 \"", "qty": null },
        ] }))
        .unwrap();
        let async_graphql::Value::Object(mut root) = value else { unreachable!() };
        let Some(async_graphql::Value::List(variants)) = root.get_mut("variants") else { unreachable!() };
        let async_graphql::Value::Object(a) = &mut variants[0] else { unreachable!() };
        a.insert(async_graphql::Name::new("qty"), reads.show(1, StockField::Quantity, 3));
        a.insert(async_graphql::Name::new("inStock"), reads.show(1, StockField::InStock, 3));
        // A value selected twice is shown twice, and one of them is dropped.
        reads.show(1, StockField::Quantity, 3);
        a.insert(async_graphql::Name::new("again"), reads.show(1, StockField::Quantity, 3));
        let async_graphql::Value::Object(b) = &mut variants[1] else { unreachable!() };
        b.insert(async_graphql::Name::new("qty"), reads.show(2, StockField::Quantity, -2));
        let body = Bytes::from(serde_json::to_vec(&async_graphql::Value::Object(root)).unwrap());

        let (sent, template) = shown_stock(body, &reads).unwrap();
        let expected = serde_json::json!({ "variants": [
            { "sku": "A", "qty": 3, "inStock": true, "again": 3 },
            { "sku": "B \u{0}0:1 \"", "qty": 0 },
        ] });
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&sent).unwrap(), expected);
        let template = template.unwrap();
        assert_eq!(
            template.holes,
            vec![(1, StockField::Quantity), (1, StockField::InStock), (1, StockField::Quantity), (2, StockField::Quantity)]
        );
        let refilled = template.fill(&HashMap::from([(1, 0), (2, 7)]));
        let expected = serde_json::json!({ "variants": [
            { "sku": "A", "qty": 0, "inStock": false, "again": 0 },
            { "sku": "B \u{0}0:1 \"", "qty": 7 },
        ] });
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&refilled).unwrap(), expected);

        let none = StockReads::default();
        let (plain, template) = shown_stock(Bytes::from_static(b"{}"), &none).unwrap();
        assert!(template.is_none() && &plain[..] == b"{}");
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
        let plain = entry(&c, &[], Stamp::default());
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
    fn a_patched_answer_keeps_its_contents_expiry() {
        let c = cache(Arc::new(AtomicBool::new(true)));
        let mut e = entry(&c, &[1], c.stamp());
        e.content_created = Instant::now() - Duration::from_secs(29);
        let template = Arc::new(StockTemplate { parts: vec![Bytes::from_static(b"{}")], holes: Vec::new() });
        let patched = ResponseCache::patched(&e, &template, &HashMap::new(), c.stamp());
        assert_eq!(patched.content_created, e.content_created);
        let key = test_key();
        let left = ByTtl.expire_after_create(&key, &patched, Instant::now()).unwrap();
        assert!(left <= Duration::from_secs(1), "30 s from its content, not from the patch: {left:?}");
    }

    #[tokio::test]
    async fn once_read_a_stale_answer_is_patched_from_its_events_alone() {
        let c = cache(Arc::new(AtomicBool::new(true)));
        let key = test_key();
        let level =
            |on_hand, reserved, version| StockLevel { variant_id: 1, location_id: 10, on_hand, reserved, version, updated_at: None };
        let stamp = c.stamp();
        let reads = StockReads::default();
        let shown = serde_json::to_string(&reads.show(1, StockField::Quantity, 3)).unwrap();
        let body = Bytes::from(format!("{{\"qty\":{shown}}}"));
        let computed = c.response(shown_stock(body, &reads).unwrap(), None, Duration::from_secs(2), &reads, stamp);
        let read_count = AtomicU64::new(0);
        let get = async |on_db: StockLevel| {
            let read = async |_: Vec<i64>| {
                read_count.fetch_add(1, Ordering::SeqCst);
                Some(HashMap::from([(1, vec![on_db])]))
            };
            let (answer, status) = c.get_or_compute(key.clone(), async { Ok::<_, ()>(computed.clone()) }, read).await;
            (String::from_utf8(answer.unwrap().body.to_vec()).unwrap(), status)
        };
        assert_eq!(get(level(9, 9, 9)).await, (r#"{"qty":3}"#.into(), CacheStatus::Miss));

        // Its first patch reads the variant's levels...
        c.stock_level_changed(&level(5, 1, 2));
        assert_eq!(get(level(5, 1, 2)).await, (r#"{"qty":4}"#.into(), CacheStatus::Patched));
        assert_eq!(read_count.load(Ordering::SeqCst), 1);
        // ...and the next ones take them from the events (the database would say 9).
        c.stock_level_changed(&level(5, 5, 3));
        assert_eq!(get(level(9, 0, 3)).await, (r#"{"qty":0}"#.into(), CacheStatus::Patched));
        assert_eq!(get(level(9, 0, 3)).await, (r#"{"qty":0}"#.into(), CacheStatus::Hit));
        assert_eq!(read_count.load(Ordering::SeqCst), 1, "no read");

        // An event that cannot be understood, or a gap, sends the next patch to the database.
        c.stock_changed(1);
        assert_eq!(get(level(7, 0, 4)).await, (r#"{"qty":7}"#.into(), CacheStatus::Patched));
        c.stock_events_missed();
        assert_eq!(get(level(6, 0, 5)).await, (r#"{"qty":6}"#.into(), CacheStatus::Patched));
        assert_eq!(read_count.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_answer_computed_from_the_catalog_before_an_edit_is_not_kept_after_it() {
        let c = cache(Arc::new(AtomicBool::new(true)));
        let key = test_key();
        let no_read = async |_: Vec<i64>| -> Option<HashMap<i64, Vec<StockLevel>>> { None };
        // An edit lands (and clears) while an answer is being computed; it is stored after.
        let before = c.stamp();
        c.clear();
        let (_, status) = c.get_or_compute(key.clone(), async { Ok::<_, ()>(entry(&c, &[1], before)) }, no_read).await;
        assert_eq!(status, CacheStatus::Miss);
        // The next request computes again instead of being served the old catalog.
        let (_, status) = c.get_or_compute(key.clone(), async { Ok::<_, ()>(entry(&c, &[1], c.stamp())) }, no_read).await;
        assert_eq!(status, CacheStatus::Miss);
        let (_, status) = c.get_or_compute(key.clone(), async { Ok::<_, ()>(entry(&c, &[1], c.stamp())) }, no_read).await;
        assert_eq!(status, CacheStatus::Hit);
        assert!(!c.fresh(&entry(&c, &[], before)), "with or without stock");
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
