//! The publisher's queries on the outbox: find, claim, mark delivered, prune.
//!
//! Claiming takes undelivered rows in id order. On Postgres the claim is `FOR UPDATE
//! SKIP LOCKED`, so publishers in several instances claim disjoint rows; on SQLite the
//! claim runs inside a write transaction (`BEGIN IMMEDIATE`), so there is one claimer
//! at a time.
//!
//! Per aggregate, id order is commit order (writers to one aggregate hold its row lock
//! while appending). With concurrent claimers that is not enough: one publisher could
//! claim an aggregate's event 2 while another still holds event 1. So on Postgres a
//! claimed row is held back (left undelivered, retried shortly) when an older
//! undelivered row of the same aggregate is not in the claim: it belongs to another
//! publisher's open batch, which must commit first.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{LockBehavior, LockType, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::outbox::{self, Column};

/// Whether any row awaits delivery: one indexed read, no transaction, no write lock.
pub(crate) async fn has_pending<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    let first = outbox::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::DeliveredAt.is_null())
        .order_by_asc(Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(first.is_some())
}

/// Claims up to `limit` undelivered rows, oldest first, for the rest of `txn`.
pub(crate) async fn claim<C: ConnectionTrait>(txn: &C, limit: u32) -> Result<Vec<outbox::Model>, DbErr> {
    let mut query = outbox::Entity::find().filter(Column::DeliveredAt.is_null()).order_by_asc(Column::Id).limit(u64::from(limit));
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    query.all(txn).await
}

/// Splits `claimed` (in id order) into rows to publish now and rows to hold back
/// because an older event of their aggregate is claimed by another publisher.
pub(crate) async fn hold_back_out_of_order<C: ConnectionTrait>(
    txn: &C,
    claimed: Vec<outbox::Model>,
) -> Result<(Vec<outbox::Model>, Vec<outbox::Model>), DbErr> {
    let Some(last) = claimed.last().map(|row| row.id) else { return Ok((claimed, Vec::new())) };
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok((claimed, Vec::new()));
    }
    let mine: HashSet<i64> = claimed.iter().map(|row| row.id).collect();
    // Older undelivered rows we did not get are locked by other publishers (we claimed
    // every unlocked one below `last`). Their count is bounded by the other open batches.
    let older: Vec<(i64, String, String)> = outbox::Entity::find()
        .select_only()
        .columns([Column::Id, Column::AggregateType, Column::AggregateId])
        .filter(Column::DeliveredAt.is_null())
        .filter(Column::Id.lt(last))
        .into_tuple()
        .all(txn)
        .await?;
    let mut first_foreign: HashMap<(String, String), i64> = HashMap::new();
    for (id, aggregate_type, aggregate_id) in older.into_iter().filter(|(id, ..)| !mine.contains(id)) {
        let first = first_foreign.entry((aggregate_type, aggregate_id)).or_insert(id);
        *first = (*first).min(id);
    }
    if first_foreign.is_empty() {
        return Ok((claimed, Vec::new()));
    }
    Ok(claimed.into_iter().partition(|row| {
        first_foreign.get(&(row.aggregate_type.clone(), row.aggregate_id.clone())).is_none_or(|&foreign| row.id < foreign)
    }))
}

/// Marks `ids` delivered at `at`.
pub(crate) async fn mark_delivered<C: ConnectionTrait>(txn: &C, ids: &[i64], at: DateTime<Utc>) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    outbox::Entity::update_many()
        .col_expr(Column::DeliveredAt, sea_orm::sea_query::Expr::value(Some(at)))
        .filter(Column::Id.is_in(ids.iter().copied()))
        .exec(txn)
        .await?;
    Ok(())
}

/// Deletes up to `limit` rows delivered before `cutoff` (oldest first); returns how many.
pub(crate) async fn prune_batch<C: ConnectionTrait>(db: &C, cutoff: DateTime<Utc>, limit: u32) -> Result<u64, DbErr> {
    let oldest = Query::select()
        .column(Column::Id)
        .from(outbox::Entity)
        .and_where(Column::DeliveredAt.is_not_null())
        .and_where(Column::DeliveredAt.lt(cutoff))
        .order_by(Column::Id, sea_orm::Order::Asc)
        .limit(u64::from(limit))
        .to_owned();
    let result = outbox::Entity::delete_many().filter(Column::Id.in_subquery(oldest)).exec(db).await?;
    Ok(result.rows_affected)
}
