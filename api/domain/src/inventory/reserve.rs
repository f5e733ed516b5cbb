//! Reserving stock: all lines or none, in one transaction.
//!
//! 1. The lines are checked, duplicates (same variant and location) MERGED into one line,
//!    and sorted by (variant, location).
//! 2. One read gives the availability of every requested variant at every location: a
//!    hint to plan with. Each line goes to the first location (by priority) that can fill
//!    it whole, otherwise it is split across locations in priority order.
//! 3. The planned takes run in (variant, location) order, the global lock order, each as
//!    one guarded `UPDATE` (`... AND on_hand - reserved >= n`), with its reservation row,
//!    ledger row and event. If a guard fails (the hint went stale), availability is read
//!    again: not enough left means `OutOfStock`; otherwise the whole transaction is rolled
//!    back and planned again (bounded). Nothing is ever written without its guard.

use std::collections::HashMap;
use std::time::Duration;

use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, FromQueryResult, TransactionTrait};

use super::combine::{Failure, Poison, ReserveTicket, lanes_of};
use super::ledger::{self, Change};
use super::levels::{self, placeholders, stmt};
use super::limits::{self, MAX_LINE_QUANTITY, MAX_LINES};
use super::model::{MovementReason, Owner, Reference, Reservation, ReservationStatus, ReserveLine};
use super::retry::{MAX_ATTEMPTS, Step, retrying};
use super::service::{InventoryService, ensure_locations, now};
use crate::actor::Actor;
use crate::entity::reservation;
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

impl InventoryService {
    /// Reserves every line for `owner` until `ttl` from now, or nothing.
    ///
    /// Returns one reservation per (line, location) taken from. Not enough stock for a
    /// line is [`Error::OutOfStock`] with what is available to it; an unknown variant or
    /// location is `NotFound`; bad input is `Invalid`. Nothing is written on any error.
    #[tracing::instrument(skip(self, lines), fields(owner = owner.id(), lines = lines.len()), err(level = "debug"))]
    pub async fn reserve(&self, lines: &[ReserveLine], owner: &Owner, ttl: Duration, actor: Actor) -> Result<Vec<Reservation>> {
        let lines = normalise(lines)?;
        let ttl = limits::ttl(ttl)?;
        let explicit: Vec<i64> = lines.iter().filter_map(|l| l.location_id).collect();
        ensure_locations(self.db.conn(), &explicit, "locationId").await?;
        let lanes = lanes_of(lines.iter().map(|l| l.variant_id));
        if let [lane] = lanes[..] {
            // The common case (one SKU): served in bulk with whatever else is queued for it.
            return retrying("reserve", || self.combiner.reserve(lane, lines.clone(), owner.clone(), ttl, actor)).await;
        }
        let _held = self.combiner.hold(&lanes).await?;
        retrying("reserve", || self.try_reserve(&lines, owner, ttl, actor)).await
    }

    async fn try_reserve(
        &self,
        lines: &[ReserveLine],
        owner: &Owner,
        ttl: chrono::Duration,
        actor: Actor,
    ) -> Result<Vec<Reservation>, Step> {
        let txn = self.db.begin_write().await?;
        let out = reserve_attempt(&*txn, lines, owner, ttl, actor).await?;
        txn.commit().await?;
        Ok(out)
    }
}

/// One attempt at reserving normalised `lines` on `txn` (which the caller commits or
/// rolls back). `Step::Retry` when a guard found the plan stale but enough stock may
/// still be there: the caller's transaction must roll back and try again.
pub(super) async fn reserve_attempt<C: ConnectionTrait>(
    txn: &C,
    lines: &[ReserveLine],
    owner: &Owner,
    ttl: chrono::Duration,
    actor: Actor,
) -> Result<Vec<Reservation>, Step> {
    let hints = load_hints(txn, lines).await?;
    let plan = allocate(lines, &hints).map_err(Step::Fail)?;
    let now = now();
    let expires_at = now + ttl;
    let mut taken = vec![0i64; lines.len()];
    let mut out = Vec::with_capacity(plan.len());
    for a in plan {
        // The reservation row first: the level's row lock is then held for as few
        // statements as possible.
        let id = reservation::Entity::insert(reservation::ActiveModel {
            variant_id: Set(a.variant_id),
            location_id: Set(a.location_id),
            quantity: Set(a.quantity),
            owner_type: Set(owner.kind().as_str().to_owned()),
            owner_id: Set(owner.id().to_owned()),
            status: Set(ReservationStatus::Active.as_str().to_owned()),
            expires_at: Set(expires_at),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(txn)
        .await?
        .last_insert_id;

        let Some(level) = levels::reserve(txn, a.level_id, a.quantity, now).await? else {
            // The hint was stale. What is there now (plus what this line already holds)?
            let line = &lines[a.line];
            let available = levels::available(txn, line.variant_id, line.location_id).await? + taken[a.line];
            let err = Error::OutOfStock { variant_id: line.variant_id, requested: line.quantity, available };
            return Err(if available < line.quantity { Step::Fail(err) } else { Step::Retry(err) });
        };
        taken[a.line] += a.quantity;
        ledger::record(
            txn,
            Change {
                level: &level,
                delta_on_hand: 0,
                delta_reserved: a.quantity,
                reason: MovementReason::Reserve,
                actor,
                reference: Reference::Reservation(id),
                note: "",
                at: now,
            },
        )
        .await?;
        out.push(Reservation {
            id,
            variant_id: a.variant_id,
            location_id: a.location_id,
            quantity: a.quantity,
            owner: owner.clone(),
            status: ReservationStatus::Active,
            expires_at,
            created_at: now,
            updated_at: now,
        });
    }
    Ok(out)
}

/// Serves a group of bare reservations (all in one lane) on `txn` in arrival order:
/// each is planned against what the ones before it left, so the first comers get the
/// last units and a later, smaller request may still fit. Then one guarded `UPDATE`
/// per stock level for the sum taken there, and one multi-row insert each for the
/// reservations, their ledger rows and their events. Answers one result per ticket;
/// a database error fails the whole group (nothing of it is kept).
pub(super) async fn reserve_group(
    txn: &DatabaseTransaction,
    group: &[ReserveTicket],
    poison: &Poison,
) -> Vec<Result<Vec<Reservation>, Step>> {
    let everyone = |failure: Failure| group.iter().map(|_| Err(failure.step())).collect();
    // A savepoint that cannot be made, released or rolled back leaves the shared
    // transaction in doubt: nobody in the batch may be told it committed.
    let doubt = |e: DbErr| {
        let failure = Failure::of(&e.into());
        poison.set(failure.clone());
        failure
    };
    let mut attempt = 1;
    loop {
        let savepoint = match txn.begin().await {
            Ok(s) => s,
            Err(e) => return everyone(doubt(e)),
        };
        let finished = match group_attempt(&savepoint, group).await {
            Ok(answers) => match savepoint.commit().await {
                Ok(()) => Ok(answers),
                Err(e) => return everyone(doubt(e)),
            },
            Err(e) => match savepoint.rollback().await {
                Ok(()) => Err(e),
                Err(rollback) => return everyone(doubt(rollback)),
            },
        };
        match finished {
            Ok(answers) => return answers,
            // A guard found less than planned: another instance took stock since the
            // read. Plan again with what is there now.
            Err(GroupError::Stale) if attempt < MAX_ATTEMPTS => attempt += 1,
            Err(GroupError::Stale) => return everyone(Failure::Transient),
            Err(GroupError::Db(e)) => return everyone(Failure::of(&e)),
        }
    }
}

/// Why a group attempt stopped.
enum GroupError {
    /// A guarded update matched no row.
    Stale,
    Db(Error),
}

impl From<DbErr> for GroupError {
    #[track_caller]
    fn from(e: DbErr) -> Self {
        GroupError::Db(e.into())
    }
}

impl From<Error> for GroupError {
    fn from(e: Error) -> Self {
        GroupError::Db(e)
    }
}

async fn group_attempt<C: ConnectionTrait>(conn: &C, group: &[ReserveTicket]) -> Result<Vec<Result<Vec<Reservation>, Step>>, GroupError> {
    let mut variant_ids: Vec<i64> = group.iter().flat_map(|t| t.lines.iter().map(|l| l.variant_id)).collect();
    variant_ids.sort_unstable();
    variant_ids.dedup();
    let hints = read_hints(conn, &variant_ids).await?;
    let mut remaining = remaining_of(&hints);
    // Plan every ticket in arrival order against what is left.
    let mut answers: Vec<Result<Vec<Allocation>, Step>> = Vec::with_capacity(group.len());
    for ticket in group {
        if ticket.lines.iter().any(|l| !hints.iter().any(|h| h.variant_id == l.variant_id)) {
            answers.push(Err(Step::Fail(Error::not_found("variant", "variantId"))));
            continue;
        }
        let mut left = remaining.clone();
        match allocate_with(&ticket.lines, &hints, &mut left) {
            Ok(plan) => {
                remaining = left;
                answers.push(Ok(plan));
            }
            Err(e) => answers.push(Err(Step::Fail(e))),
        }
    }
    let now = now();
    // (ticket, allocation) in arrival order.
    let taken: Vec<(usize, Allocation)> = answers
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.as_ref().ok().map(|plan| (i, plan)))
        .flat_map(|(i, plan)| plan.iter().map(move |a| (i, *a)))
        .collect();
    if taken.is_empty() {
        return Ok(answers.into_iter().map(|a| a.map(|_| Vec::new())).collect());
    }
    let mut ids = Vec::with_capacity(taken.len());
    for chunk in taken.chunks(crate::db::MULTI_ROW_CHUNK) {
        let rows = chunk.iter().map(|(i, a)| {
            let t = &group[*i];
            reservation::ActiveModel {
                variant_id: Set(a.variant_id),
                location_id: Set(a.location_id),
                quantity: Set(a.quantity),
                owner_type: Set(t.owner.kind().as_str().to_owned()),
                owner_id: Set(t.owner.id().to_owned()),
                status: Set(ReservationStatus::Active.as_str().to_owned()),
                expires_at: Set(now + t.ttl),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        });
        let mut chunk_ids: Vec<i64> = reservation::Entity::insert_many(rows).exec_with_returning_keys(conn).await?;
        chunk_ids.sort_unstable();
        ids.extend(chunk_ids);
    }
    if ids.len() != taken.len() {
        return Err(GroupError::Db(anyhow::anyhow!("{} reservations written for {} takes", ids.len(), taken.len()).into()));
    }
    // One guarded update per level, in (variant, location) order: the global lock order.
    let mut levels: Vec<(i64, i64, i64)> = Vec::new(); // (variant, location, level)
    for (_, a) in &taken {
        if !levels.iter().any(|l| l.2 == a.level_id) {
            levels.push((a.variant_id, a.location_id, a.level_id));
        }
    }
    levels.sort_unstable();
    let mut after: HashMap<i64, crate::entity::stock_level::Model> = HashMap::with_capacity(levels.len());
    for &(_, _, level_id) in &levels {
        let at_level = taken.iter().filter(|(_, a)| a.level_id == level_id);
        let (sum, count) = at_level.fold((0, 0), |(s, c), (_, a)| (s + a.quantity, c + 1));
        let Some(level) = levels::reserve_many(conn, level_id, sum, count, now).await? else {
            return Err(GroupError::Stale);
        };
        after.insert(level_id, level);
    }
    // The ledger: one row per reservation, each with the level as it stood after it
    // (the level's versions in between are those of the rows, in arrival order).
    let mut state: HashMap<i64, crate::entity::stock_level::Model> = after
        .iter()
        .map(|(&id, level)| {
            let (sum, count) = taken.iter().filter(|(_, a)| a.level_id == id).fold((0, 0), |(s, c), (_, a)| (s + a.quantity, c + 1));
            (id, crate::entity::stock_level::Model { reserved: level.reserved - sum, version: level.version - count, ..level.clone() })
        })
        .collect();
    let mut snapshots = Vec::with_capacity(taken.len());
    for (_, a) in &taken {
        let Some(level) = state.get_mut(&a.level_id) else {
            return Err(GroupError::Db(anyhow::anyhow!("no level {} after the update", a.level_id).into()));
        };
        level.reserved += a.quantity;
        level.version += 1;
        snapshots.push(level.clone());
    }
    let changes: Vec<Change<'_>> = taken
        .iter()
        .zip(&ids)
        .zip(&snapshots)
        .map(|(((i, a), &id), level)| Change {
            level,
            delta_on_hand: 0,
            delta_reserved: a.quantity,
            reason: MovementReason::Reserve,
            actor: group[*i].actor,
            reference: Reference::Reservation(id),
            note: "",
            at: now,
        })
        .collect();
    ledger::record_many(conn, &changes).await?;
    let mut out: Vec<Result<Vec<Reservation>, Step>> = answers.into_iter().map(|a| a.map(|_| Vec::new())).collect();
    for ((i, a), id) in taken.iter().zip(ids) {
        let t = &group[*i];
        if let Ok(list) = &mut out[*i] {
            list.push(Reservation {
                id,
                variant_id: a.variant_id,
                location_id: a.location_id,
                quantity: a.quantity,
                owner: t.owner.clone(),
                status: ReservationStatus::Active,
                expires_at: now + t.ttl,
                created_at: now,
                updated_at: now,
            });
        }
    }
    Ok(out)
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
async fn load_hints<C: ConnectionTrait>(conn: &C, lines: &[ReserveLine]) -> Result<Vec<Hint>> {
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
async fn read_hints<C: ConnectionTrait>(conn: &C, variant_ids: &[i64]) -> Result<Vec<Hint>> {
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
fn remaining_of(hints: &[Hint]) -> HashMap<i64, i64> {
    hints.iter().filter_map(|h| Some((h.level_id?, h.available?.max(0)))).collect()
}

/// [`allocate`] against `remaining` (per level id), which it decreases by the plan.
fn allocate_with(lines: &[ReserveLine], hints: &[Hint], remaining: &mut HashMap<i64, i64>) -> Result<Vec<Allocation>> {
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
