//! Planning a reservation: the lines checked and merged, availability read as a hint,
//! and where each line is taken from. Nothing here writes; the plan is carried out by
//! guarded statements that may still find it stale ([`super::reserve`], [`super::group`]).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, FromQueryResult};

use super::levels::{placeholders, stmt};
use super::limits::{self, MAX_LINE_QUANTITY, MAX_LINES};
use super::model::ReserveLine;
use crate::error::{Error, Result};

/// Availability of a variant at one location, read to plan a reservation.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub(super) struct Hint {
    pub variant_id: i64,
    /// `None` (with the other fields) for a known variant with no stock level at all.
    pub level_id: Option<i64>,
    pub location_id: Option<i64>,
    pub priority: Option<i32>,
    pub available: Option<i64>,
}

/// One planned take: `quantity` units of line `line` at one stock level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Allocation {
    pub line: usize,
    pub variant_id: i64,
    pub location_id: i64,
    pub level_id: i64,
    pub quantity: i64,
}

/// Checks the lines, merges duplicates and sorts them by (variant, location).
pub(super) fn normalise(lines: &[ReserveLine]) -> Result<Vec<ReserveLine>> {
    if lines.is_empty() {
        return Err(Error::invalid("lines", "at least one line is required"));
    }
    if lines.len() > MAX_LINES {
        return Err(Error::invalid("lines", format!("at most {MAX_LINES} lines per reservation")));
    }
    let mut merged: Vec<ReserveLine> = Vec::with_capacity(lines.len());
    for line in lines {
        limits::id("variantId", line.variant_id)?;
        if let Some(l) = line.location_id {
            limits::id("locationId", l)?;
        }
        limits::quantity("quantity", line.quantity, MAX_LINE_QUANTITY)?;
        match merged.iter_mut().find(|m| m.variant_id == line.variant_id && m.location_id == line.location_id) {
            Some(m) => m.quantity += line.quantity,
            None => merged.push(*line),
        }
    }
    for m in &merged {
        if m.quantity > MAX_LINE_QUANTITY {
            return Err(Error::invalid(
                "quantity",
                format!(
                    "at most {MAX_LINE_QUANTITY} units of one variant per reservation (lines for variant {} add up to {})",
                    m.variant_id, m.quantity
                ),
            ));
        }
    }
    merged.sort_by_key(|l| (l.variant_id, l.location_id));
    Ok(merged)
}

/// Availability of the lines' variants at every location, best location first.
/// `NotFound` if a variant does not exist.
pub(super) async fn load_hints<C: ConnectionTrait>(conn: &C, lines: &[ReserveLine]) -> Result<Vec<Hint>> {
    let mut variant_ids: Vec<i64> = lines.iter().map(|l| l.variant_id).collect();
    variant_ids.dedup(); // sorted by normalise
    let hints = read_hints(conn, &variant_ids).await?;
    if variant_ids.iter().any(|v| !hints.iter().any(|h| h.variant_id == *v)) {
        return Err(Error::not_found("variant", "variantId"));
    }
    Ok(hints)
}

/// Availability of `variant_ids` (sorted, distinct) at every location, best location
/// first; a variant that does not exist has no row.
pub(super) async fn read_hints<C: ConnectionTrait>(conn: &C, variant_ids: &[i64]) -> Result<Vec<Hint>> {
    let sql = format!(
        "SELECT v.id AS variant_id, sl.id AS level_id, sl.location_id AS location_id, l.priority AS priority, \
         sl.on_hand - sl.reserved AS available \
         FROM variants v LEFT JOIN stock_levels sl ON sl.variant_id = v.id LEFT JOIN stock_locations l ON l.id = sl.location_id \
         WHERE v.id IN ({})",
        placeholders(1, variant_ids.len())
    );
    let rows = conn.query_all_raw(stmt(conn.get_database_backend(), &sql, variant_ids.iter().map(|&v| v.into()))).await?;
    let mut hints = rows.iter().map(|r| Hint::from_query_result(r, "")).collect::<Result<Vec<_>, _>>()?;
    hints.sort_by_key(|h| (h.variant_id, h.priority, h.location_id));
    Ok(hints)
}

/// Plans where each line is taken from. Lines that name a location are planned first,
/// then the others: each from the first location (by priority) that has all of it,
/// otherwise split across locations in priority order. The plan comes back in
/// (variant, location) order, the order the writes must run in.
pub(super) fn allocate(lines: &[ReserveLine], hints: &[Hint]) -> Result<Vec<Allocation>> {
    allocate_with(lines, hints, &mut remaining_of(hints))
}

/// Units available per stock level id, as the hints found them.
pub(super) fn remaining_of(hints: &[Hint]) -> HashMap<i64, i64> {
    hints.iter().filter_map(|h| Some((h.level_id?, h.available?.max(0)))).collect()
}

/// [`allocate`] against `remaining` (per level id), which it decreases by the plan.
pub(super) fn allocate_with(lines: &[ReserveLine], hints: &[Hint], remaining: &mut HashMap<i64, i64>) -> Result<Vec<Allocation>> {
    let mut plan = Vec::new();
    let order =
        (0..lines.len()).filter(|&i| lines[i].location_id.is_some()).chain((0..lines.len()).filter(|&i| lines[i].location_id.is_none()));
    for i in order {
        let line = lines[i];
        let candidates: Vec<(i64, i64)> = hints
            .iter()
            .filter(|h| h.variant_id == line.variant_id && (line.location_id.is_none() || h.location_id == line.location_id))
            .filter_map(|h| Some((h.level_id?, h.location_id?)))
            .collect();
        let available: i64 = candidates.iter().map(|(level, _)| remaining.get(level).copied().unwrap_or(0)).sum();
        if available < line.quantity {
            return Err(Error::OutOfStock { variant_id: line.variant_id, requested: line.quantity, available });
        }
        let mut take = |level_id: i64, location_id: i64, quantity: i64, remaining: &mut HashMap<i64, i64>| {
            if let Some(r) = remaining.get_mut(&level_id) {
                *r -= quantity;
            }
            plan.push(Allocation { line: i, variant_id: line.variant_id, location_id, level_id, quantity });
        };
        if let Some(&(level, location)) = candidates.iter().find(|(level, _)| remaining.get(level).copied().unwrap_or(0) >= line.quantity) {
            take(level, location, line.quantity, remaining);
            continue;
        }
        let mut left = line.quantity;
        for &(level, location) in &candidates {
            let n = remaining.get(&level).copied().unwrap_or(0).min(left);
            if n > 0 {
                take(level, location, n, remaining);
                left -= n;
            }
        }
    }
    plan.sort_by_key(|a| (a.variant_id, a.location_id, a.line));
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(variant_id: i64, level_id: i64, location_id: i64, priority: i32, available: i64) -> Hint {
        Hint { variant_id, level_id: Some(level_id), location_id: Some(location_id), priority: Some(priority), available: Some(available) }
    }

    #[test]
    fn duplicates_are_merged_and_lines_sorted() {
        let lines = normalise(&[ReserveLine::new(9, 1), ReserveLine::new(3, 2), ReserveLine::new(9, 4)]).unwrap();
        assert_eq!(lines, [ReserveLine::new(3, 2), ReserveLine::new(9, 5)]);
        assert_eq!(normalise(&[]).unwrap_err().field(), Some("lines"));
        assert_eq!(normalise(&[ReserveLine::new(1, 0)]).unwrap_err().field(), Some("quantity"));
        assert_eq!(normalise(&[ReserveLine::new(1, 6_000), ReserveLine::new(1, 6_000)]).unwrap_err().field(), Some("quantity"));
        assert_eq!(normalise(&[ReserveLine::new(-1, 1)]).unwrap_err().field(), Some("variantId"));
    }

    #[test]
    fn a_line_goes_whole_to_the_best_location_that_has_it() {
        // Location 10 (priority 1) has 2, location 20 (priority 2) has 5.
        let hints = [hint(1, 100, 10, 1, 2), hint(1, 200, 20, 2, 5)];
        let plan = allocate(&[ReserveLine::new(1, 2)], &hints).unwrap();
        assert_eq!(plan.iter().map(|a| (a.location_id, a.quantity)).collect::<Vec<_>>(), [(10, 2)]);
        let plan = allocate(&[ReserveLine::new(1, 4)], &hints).unwrap();
        assert_eq!(plan.iter().map(|a| (a.location_id, a.quantity)).collect::<Vec<_>>(), [(20, 4)]);
    }

    #[test]
    fn a_line_no_location_can_fill_is_split_by_priority() {
        let hints = [hint(1, 100, 10, 1, 2), hint(1, 200, 20, 2, 5)];
        let plan = allocate(&[ReserveLine::new(1, 6)], &hints).unwrap();
        assert_eq!(plan.iter().map(|a| (a.location_id, a.quantity)).collect::<Vec<_>>(), [(10, 2), (20, 4)]);
        let err = allocate(&[ReserveLine::new(1, 8)], &hints).unwrap_err();
        assert!(matches!(err, Error::OutOfStock { variant_id: 1, requested: 8, available: 7 }), "{err:?}");
    }

    #[test]
    fn lines_naming_a_location_are_served_first_and_stock_is_not_counted_twice() {
        let hints = [hint(1, 100, 10, 1, 3), hint(1, 200, 20, 2, 3)];
        let lines = normalise(&[ReserveLine::new(1, 3), ReserveLine { variant_id: 1, quantity: 3, location_id: Some(10) }]).unwrap();
        let plan = allocate(&lines, &hints).unwrap();
        assert_eq!(plan.iter().map(|a| (a.location_id, a.quantity)).collect::<Vec<_>>(), [(10, 3), (20, 3)]);
        let lines = normalise(&[ReserveLine::new(1, 4), ReserveLine { variant_id: 1, quantity: 3, location_id: Some(10) }]).unwrap();
        assert!(matches!(allocate(&lines, &hints), Err(Error::OutOfStock { available: 3, .. })));
    }

    #[test]
    fn a_known_variant_without_stock_is_out_of_stock() {
        let hints = [Hint { variant_id: 1, level_id: None, location_id: None, priority: None, available: None }];
        assert!(matches!(allocate(&[ReserveLine::new(1, 1)], &hints), Err(Error::OutOfStock { available: 0, .. })));
    }
}
