//! `stockChanged`: the live availability of a few variants.
//!
//! Stock events are per (variant, location), each with that level's version as its
//! sequence. A subscription:
//! 1. subscribes to the bus first, so nothing committed from then on can be missed;
//! 2. reads every watched variant's levels (the snapshot) and sends each variant's
//!    availability;
//! 3. applies each event only if it is newer than the version held for its location
//!    (duplicates from at-least-once delivery, and events older than the snapshot, are
//!    dropped) and sends the variant's new total;
//! 4. on a resync signal (it fell behind its bounded buffer, or events from other
//!    instances may have been lost) reads the snapshot again and sends every variant.
//!
//! A variant's `stockVersion` is the sum of its per-location versions: it grows with
//! every change at any location, so clients can ignore anything not newer than what
//! they show.

use std::collections::{HashMap, VecDeque};

use async_graphql::{Context, Enum, ErrorExtensions, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::catalog::types::Variant;
use crate::error::ApiError;
use crate::ids::NodeType;
use crate::int::int;
use stockade_domain::events::{BusMessage, Subscription};
use stockade_domain::inventory::{InventoryService, StockLevel, decode_stock_event, stock_event_target};

/// Why a `stockChanged` message was sent.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum StockUpdateKind {
    /// The value when the subscription started.
    Snapshot,
    /// Stock changed.
    Change,
    /// The value re-read after this subscription may have missed changes (it fell
    /// behind, or another instance's events were lost); replace what you show.
    Resync,
}

/// The availability of one variant at a point in time.
#[derive(Clone, Debug)]
pub struct StockAvailability {
    pub variant_id: i64,
    pub available: i64,
    pub version: i64,
    pub at: DateTime<Utc>,
    pub kind: StockUpdateKind,
}

#[Object]
impl StockAvailability {
    /// The variant's global id.
    async fn variant_id(&self) -> ID {
        NodeType::Variant.id(self.variant_id)
    }
    /// Units that can be bought now, over all locations.
    async fn available_quantity(&self) -> i32 {
        int(self.available.max(0))
    }
    async fn in_stock(&self) -> bool {
        self.available > 0
    }
    /// The variant, read when this message is sent, so a normalised client cache
    /// (urql graphcache, Apollo) updates its `Variant` by itself: select
    /// `variant { id availableQuantity }`. One read per message: leave it out if you
    /// only need the numbers here. After quick successive changes it may already be
    /// newer than this message.
    async fn variant(&self, ctx: &Context<'_>) -> Result<Variant> {
        let found = crate::catalog::types::variant(ctx, self.variant_id).await?;
        found.ok_or_else(|| ApiError(stockade_domain::error::Error::not_found("variant", "variantIds")).extend())
    }
    /// Grows with every change of this variant's stock (at any location; it is the sum
    /// of the per-location `StockLevel.version`s); ignore messages whose stock version
    /// is not above the one you show. Not `Variant.version`, which counts catalog edits.
    async fn stock_version(&self) -> i32 {
        int(self.version)
    }
    /// When the change happened (for snapshots and resyncs: when it was read).
    async fn at(&self) -> DateTime<Utc> {
        self.at
    }
    async fn kind(&self) -> StockUpdateKind {
        self.kind
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Held {
    version: i64,
    available: i64,
}

/// What a subscriber has been told, per watched variant and location.
#[derive(Debug, Default)]
pub(super) struct Tracker {
    /// Watched variants in the order asked.
    order: Vec<i64>,
    levels: HashMap<i64, HashMap<i64, Held>>,
}

impl Tracker {
    pub(super) fn new(variant_ids: &[i64]) -> Self {
        Tracker { order: variant_ids.to_vec(), levels: variant_ids.iter().map(|&v| (v, HashMap::new())).collect() }
    }

    /// Takes levels read from the database, keeping whichever of held and read is newer
    /// per location.
    pub(super) fn merge(&mut self, read: &HashMap<i64, Vec<StockLevel>>) {
        for level in read.values().flatten() {
            self.apply(level.variant_id, level.location_id, level.version, level.available());
        }
    }

    /// Applies the state of `(variant, location)` at `version`; true if it is news.
    pub(super) fn apply(&mut self, variant: i64, location: i64, version: i64, available: i64) -> bool {
        let Some(locations) = self.levels.get_mut(&variant) else { return false };
        match locations.get(&location) {
            Some(held) if held.version >= version => false,
            _ => {
                locations.insert(location, Held { version, available });
                true
            }
        }
    }

    pub(super) fn watches(&self, variant: i64) -> bool {
        self.levels.contains_key(&variant)
    }

    /// The variant's availability now: the sums over its locations.
    pub(super) fn current(&self, variant: i64, at: DateTime<Utc>, kind: StockUpdateKind) -> StockAvailability {
        let held = self.levels.get(&variant);
        let (available, version) =
            held.map_or((0, 0), |l| l.values().fold((0i64, 0i64), |(a, v), h| (a + h.available, v.saturating_add(h.version))));
        StockAvailability { variant_id: variant, available, version, at, kind }
    }

    /// Every watched variant, in the order asked.
    pub(super) fn all(&self, kind: StockUpdateKind) -> VecDeque<StockAvailability> {
        let now = Utc::now();
        self.order.iter().map(|&v| self.current(v, now, kind)).collect()
    }
}

/// The live state of one `stockChanged` subscription.
pub(super) struct Live {
    pub sub: Subscription,
    pub tracker: Tracker,
    pub inventory: InventoryService,
    pub pending: VecDeque<StockAvailability>,
    pub done: bool,
}

impl Live {
    /// The next message to send; `None` ends the subscription (the bus is gone, or an
    /// error was sent).
    pub(super) async fn next(mut self) -> Option<(async_graphql::Result<StockAvailability>, Self)> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some((Ok(item), self));
            }
            if self.done {
                return None;
            }
            match self.sub.recv().await? {
                BusMessage::Event(event) => {
                    let Some((variant, _)) = stock_event_target(&event) else { continue };
                    if !self.tracker.watches(variant) {
                        continue;
                    }
                    let changed = match decode_stock_event(&event) {
                        Some(Ok(changed)) => changed,
                        Some(Err(e)) => {
                            tracing::warn!(error = %e, "skipping a stock event that does not decode");
                            continue;
                        }
                        None => continue,
                    };
                    let level = &changed.level;
                    if self.tracker.apply(level.variant_id, level.location_id, level.version, level.available()) {
                        let at = level.updated_at.unwrap_or(event.created_at);
                        self.pending.push_back(self.tracker.current(variant, at, StockUpdateKind::Change));
                    }
                }
                BusMessage::Resync(reason) => {
                    tracing::debug!(?reason, "stockChanged subscriber resyncs");
                    match self.inventory.levels_by_variant_ids(&self.tracker.order).await {
                        Ok(levels) => {
                            self.tracker.merge(&levels);
                            self.pending = self.tracker.all(StockUpdateKind::Resync);
                        }
                        Err(e) => {
                            self.done = true;
                            return Some((Err(async_graphql::ErrorExtensions::extend(&crate::error::ApiError(e))), self));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(variant: i64, location: i64, version: i64, available: i64) -> StockLevel {
        StockLevel { variant_id: variant, location_id: location, on_hand: available, reserved: 0, version, updated_at: None }
    }

    #[test]
    fn sums_locations_and_drops_duplicates_and_stale_events() {
        let mut t = Tracker::new(&[1, 2]);
        t.merge(&HashMap::from([(1, vec![level(1, 10, 3, 5), level(1, 11, 2, 4)])]));
        let now = Utc::now();
        let v1 = t.current(1, now, StockUpdateKind::Snapshot);
        assert_eq!((v1.available, v1.version), (9, 5));
        assert_eq!(t.current(2, now, StockUpdateKind::Snapshot).available, 0, "never stocked: 0");

        assert!(!t.apply(1, 10, 3, 100), "a duplicate of what the snapshot holds");
        assert!(!t.apply(1, 10, 2, 100), "older than the snapshot");
        assert!(t.apply(1, 10, 4, 4));
        assert!(!t.apply(1, 10, 4, 4), "the same event delivered twice");
        assert!(t.apply(2, 10, 1, 7), "a location first stocked after the snapshot");
        assert!(!t.apply(3, 10, 1, 7), "not watched");
        let v1 = t.current(1, now, StockUpdateKind::Change);
        assert_eq!((v1.available, v1.version), (8, 6));

        // A resync read that is older than an event already applied keeps the newer.
        t.merge(&HashMap::from([(1, vec![level(1, 10, 3, 5), level(1, 11, 5, 0)])]));
        let v1 = t.current(1, now, StockUpdateKind::Resync);
        assert_eq!((v1.available, v1.version), (4, 9));
        let order: Vec<i64> = t.all(StockUpdateKind::Resync).iter().map(|a| a.variant_id).collect();
        assert_eq!(order, [1, 2]);
    }
}
