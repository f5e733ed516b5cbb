//! Bare reservations served in bulk: the group of one lane's batch is planned in
//! arrival order and written with one guarded `UPDATE` per stock level and multi-row
//! inserts (see [`super::combine`], which calls [`reserve_group`]).

use std::collections::HashMap;

use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, TransactionTrait};

use super::batch::{Failure, Poison, ReserveTicket};
use super::ledger::{self, Change};
use super::levels;
use super::model::{MovementReason, Reference, Reservation, ReservationStatus, now};
use super::plan::{Allocation, allocate_with, read_hints, remaining_of};
use super::retry::{MAX_ATTEMPTS, Step};
use crate::entity::reservation;
use crate::error::Error;

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
