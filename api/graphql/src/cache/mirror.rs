//! The stock levels this instance knows, from stock events and from its own reads: what
//! lets the response cache patch a stale answer without reading the database.
//!
//! Every stock event carries the level after its change and that level's version, which
//! every change bumps; so whatever order reads and events arrive in, the highest version
//! of a level is its latest state. A variant's sum is only trusted once its levels were
//! read from the database (events alone may have told of some locations only), and
//! everything is forgotten when events may have been missed.
//!
//! Events for variants it does not know are skipped, except while a read is under way:
//! a read's snapshot may predate an event delivered before the read's answer is merged,
//! and that event must not be lost. An event delivered when no read is under way is
//! already in every later read's snapshot (it was committed before it was delivered).

use std::collections::HashMap;
use std::sync::Mutex;

use stockade_domain::inventory::StockLevel;

#[derive(Default)]
pub(super) struct StockMirror(Mutex<Levels>);

#[derive(Default)]
struct Levels {
    variants: HashMap<i64, Variant>,
    /// Bumped when everything is forgotten: a read begun before must not be merged.
    generation: u64,
    /// Reads begun and not yet merged or abandoned.
    reading: usize,
}

#[derive(Default)]
struct Variant {
    /// Its levels were read from the database since the last time everything was forgotten.
    read: bool,
    /// `(location, version, available units)` of each level known.
    levels: Vec<(i64, i64, i64)>,
}

impl Variant {
    fn learn(&mut self, location: i64, version: i64, available: i64) {
        match self.levels.iter_mut().find(|(l, ..)| *l == location) {
            Some(level) if version > level.1 => *level = (location, version, available),
            Some(_) => {}
            None => self.levels.push((location, version, available)),
        }
    }

    fn available(&self) -> Option<i64> {
        self.read.then(|| self.levels.iter().map(|(.., available)| available).sum())
    }
}

/// A read of levels under way (see [`StockMirror::begin_read`]); dropping it unmerged
/// abandons the read.
pub(super) struct Reading<'a> {
    mirror: &'a StockMirror,
    generation: u64,
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        if let Ok(mut levels) = self.mirror.0.lock() {
            levels.reading = levels.reading.saturating_sub(1);
        }
    }
}

impl StockMirror {
    /// A stock event told the state of a level after its change.
    pub(super) fn learn(&self, level: &StockLevel) {
        let Ok(mut levels) = self.0.lock() else { return };
        let reading = levels.reading > 0;
        let variant = match levels.variants.get_mut(&level.variant_id) {
            Some(variant) => variant,
            None if reading => levels.variants.entry(level.variant_id).or_default(),
            None => return,
        };
        variant.learn(level.location_id, level.version, level.available());
    }

    /// A stock event for `variant_id` could not be understood: its sum is no longer known.
    pub(super) fn forget_variant(&self, variant_id: i64) {
        if let Ok(mut levels) = self.0.lock() {
            levels.variants.remove(&variant_id);
        }
    }

    /// Events may have been missed: nothing known is trusted any more.
    pub(super) fn forget(&self) {
        if let Ok(mut levels) = self.0.lock() {
            levels.variants.clear();
            levels.generation += 1;
        }
    }

    /// The units available of each of `variants`, if every one is known.
    pub(super) fn available(&self, variants: &[i64]) -> Option<HashMap<i64, i64>> {
        let levels = self.0.lock().ok()?;
        variants.iter().map(|v| Some((*v, levels.variants.get(v)?.available()?))).collect()
    }

    /// A read of levels from the database is about to start: events delivered until it
    /// is merged are kept for it.
    pub(super) fn begin_read(&self) -> Reading<'_> {
        let generation = self.0.lock().map_or(u64::MAX, |mut levels| {
            levels.reading += 1;
            levels.generation
        });
        Reading { mirror: self, generation }
    }

    /// Merges what `reading` found of `variants` (their levels, none for a variant
    /// never stocked), and the units available of each: the newest the mirror knows, or
    /// the read's own when everything was forgotten since it began.
    pub(super) fn merge(&self, reading: Reading<'_>, variants: &[i64], found: &HashMap<i64, Vec<StockLevel>>) -> HashMap<i64, i64> {
        let of_read = |v: &i64| found.get(v).map_or(0, |ls| ls.iter().map(StockLevel::available).sum());
        let generation = reading.generation;
        let Ok(mut levels) = self.0.lock() else {
            return variants.iter().map(|v| (*v, of_read(v))).collect();
        };
        // The read ends under the same lock as its merge, so no event falls between.
        levels.reading = levels.reading.saturating_sub(1);
        std::mem::forget(reading);
        if levels.generation != generation {
            return variants.iter().map(|v| (*v, of_read(v))).collect();
        }
        variants
            .iter()
            .map(|&v| {
                let variant = levels.variants.entry(v).or_default();
                for level in found.get(&v).into_iter().flatten() {
                    variant.learn(level.location_id, level.version, level.available());
                }
                variant.read = true;
                (v, variant.available().unwrap_or_default())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(variant_id: i64, location_id: i64, on_hand: i64, reserved: i64, version: i64) -> StockLevel {
        StockLevel { variant_id, location_id, on_hand, reserved, version, updated_at: None }
    }

    fn read(levels: &[StockLevel]) -> HashMap<i64, Vec<StockLevel>> {
        let mut out: HashMap<i64, Vec<StockLevel>> = HashMap::new();
        for l in levels {
            out.entry(l.variant_id).or_default().push(l.clone());
        }
        out
    }

    #[test]
    fn a_variant_is_known_once_read_and_follows_its_events_by_version() {
        let mirror = StockMirror::default();
        mirror.learn(&level(1, 10, 5, 0, 3));
        assert_eq!(mirror.available(&[1]), None, "events alone: not every location is known");

        let reading = mirror.begin_read();
        let found = mirror.merge(reading, &[1, 2], &read(&[level(1, 10, 5, 1, 4), level(1, 11, 2, 0, 1)]));
        assert_eq!(found, HashMap::from([(1, 6), (2, 0)]), "a variant never stocked has none");
        assert_eq!(mirror.available(&[1, 2]), Some(HashMap::from([(1, 6), (2, 0)])));

        mirror.learn(&level(1, 11, 2, 2, 2));
        assert_eq!(mirror.available(&[1]), Some(HashMap::from([(1, 4)])));
        mirror.learn(&level(1, 11, 2, 1, 1));
        assert_eq!(mirror.available(&[1]), Some(HashMap::from([(1, 4)])), "an older version changes nothing");
        mirror.learn(&level(2, 12, 3, 0, 1));
        assert_eq!(mirror.available(&[2]), Some(HashMap::from([(2, 3)])), "a new location");
        assert_eq!(mirror.available(&[1, 3]), None, "one variant unknown: no answer");
    }

    #[test]
    fn an_event_delivered_during_a_read_is_not_lost_by_an_older_snapshot() {
        let mirror = StockMirror::default();
        let reading = mirror.begin_read();
        // The read's snapshot was taken before this change, delivered before the merge.
        mirror.learn(&level(1, 10, 5, 5, 8));
        mirror.learn(&level(1, 12, 1, 0, 1));
        let found = mirror.merge(reading, &[1], &read(&[level(1, 10, 5, 0, 7)]));
        assert_eq!(found, HashMap::from([(1, 1)]));

        // With no read under way, unknown variants are skipped.
        mirror.learn(&level(9, 10, 5, 0, 1));
        let reading = mirror.begin_read();
        assert_eq!(mirror.merge(reading, &[9], &read(&[level(9, 10, 4, 0, 2)])), HashMap::from([(9, 4)]));
    }

    #[test]
    fn forgetting_drops_what_was_known_and_the_reads_begun_before() {
        let mirror = StockMirror::default();
        let reading = mirror.begin_read();
        mirror.merge(reading, &[1], &read(&[level(1, 10, 5, 0, 1)]));
        mirror.forget();
        assert_eq!(mirror.available(&[1]), None);

        let reading = mirror.begin_read();
        mirror.learn(&level(1, 10, 5, 4, 9));
        mirror.forget();
        let found = mirror.merge(reading, &[1], &read(&[level(1, 10, 5, 0, 1)]));
        assert_eq!(found, HashMap::from([(1, 5)]), "the read's own figures");
        assert_eq!(mirror.available(&[1]), None, "and nothing merged");

        let reading = mirror.begin_read();
        mirror.merge(reading, &[2], &read(&[level(2, 10, 5, 0, 1)]));
        mirror.forget_variant(2);
        assert_eq!(mirror.available(&[2]), None);
    }

    #[test]
    fn an_abandoned_read_stops_keeping_unknown_variants() {
        let mirror = StockMirror::default();
        drop(mirror.begin_read());
        mirror.learn(&level(5, 10, 1, 0, 1));
        assert!(mirror.0.lock().unwrap().variants.is_empty());
    }
}
