//! The writes on `stock_levels`. Each change is ONE statement whose `WHERE` clause states
//! what makes it legal (enough available, enough reserved, the version the caller saw);
//! it returns the row after the change, or nothing when the condition did not hold.
//! Nothing here reads a quantity and writes it back.
//!
//! Every change bumps `version`, so the version is also the number of changes a level
//! has seen, the outbox sequence of its events and the ledger's `version_after`.
//!
//! The SQL is the same text on both backends: `$n` parameters are understood by
//! Postgres and by SQLite, and both have `ON CONFLICT ... DO UPDATE` and `RETURNING`.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};

use crate::entity::stock_level;
use crate::error::Result;

const RETURNING: &str = "RETURNING id, variant_id, location_id, on_hand, reserved, version, updated_at";

/// A statement with `$n` parameters, valid on both backends.
pub(super) fn stmt(backend: DbBackend, sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    Statement::from_sql_and_values(backend, sql, values)
}

async fn returning_one<C: ConnectionTrait>(conn: &C, sql: &str, values: Vec<Value>) -> Result<Option<stock_level::Model>> {
    let row = conn.query_one_raw(stmt(conn.get_database_backend(), sql, values)).await?;
    Ok(row.map(|r| stock_level::Model::from_query_result(&r, "")).transpose()?)
}

/// Holds `n` more units: succeeds only if `n` are available at that level.
pub(super) async fn reserve<C: ConnectionTrait>(conn: &C, level_id: i64, n: i64, now: DateTime<Utc>) -> Result<Option<stock_level::Model>> {
    let sql = format!(
        "UPDATE stock_levels SET reserved = reserved + $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND on_hand - reserved >= $1 {RETURNING}"
    );
    returning_one(conn, &sql, vec![n.into(), now.into(), level_id.into()]).await
}

/// [`reserve`] together with the reservation row it is taken for, in one statement:
/// on Postgres only (a data-modifying `WITH`, which SQLite lacks), so a hold inside the
/// shared stock transaction costs one round trip, not two. The row is written only if
/// the guard held. Returns the level after the change and the reservation's id.
pub(super) async fn reserve_with_row<C: ConnectionTrait>(
    conn: &C,
    level_id: i64,
    n: i64,
    now: DateTime<Utc>,
    owner: (&str, &str),
    expires_at: DateTime<Utc>,
) -> Result<Option<(stock_level::Model, i64)>> {
    let sql = format!(
        "WITH u AS (UPDATE stock_levels SET reserved = reserved + $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND on_hand - reserved >= $1 {RETURNING}), \
         r AS (INSERT INTO reservations (variant_id, location_id, quantity, owner_type, owner_id, status, expires_at, created_at, updated_at) \
         SELECT variant_id, location_id, $1, $4, $5, $7, $6, $2, $2 FROM u RETURNING id) \
         SELECT u.*, r.id AS reservation_id FROM u, r"
    );
    let active = super::model::ReservationStatus::Active.as_str();
    let values: Vec<Value> = vec![n.into(), now.into(), level_id.into(), owner.0.into(), owner.1.into(), expires_at.into(), active.into()];
    let Some(row) = conn.query_one_raw(stmt(DbBackend::Postgres, &sql, values)).await? else {
        return Ok(None);
    };
    let level = stock_level::Model::from_query_result(&row, "")?;
    Ok(Some((level, row.try_get("", "reservation_id")?)))
}

/// Holds `n` more units for `count` reservations at once (a combined batch): the
/// version moves by `count`, one per reservation, as if they had come one by one.
pub(super) async fn reserve_many<C: ConnectionTrait>(
    conn: &C,
    level_id: i64,
    n: i64,
    count: i64,
    now: DateTime<Utc>,
) -> Result<Option<stock_level::Model>> {
    let sql = format!(
        "UPDATE stock_levels SET reserved = reserved + $1, version = version + $2, updated_at = $3 \
         WHERE id = $4 AND on_hand - reserved >= $1 {RETURNING}"
    );
    returning_one(conn, &sql, vec![n.into(), count.into(), now.into(), level_id.into()]).await
}

/// Gives back `n` held units (release, expiry). Nothing when fewer are held, which the
/// reservation rows make impossible: callers treat it as a broken invariant.
pub(super) async fn unreserve<C: ConnectionTrait>(
    conn: &C,
    variant_id: i64,
    location_id: i64,
    n: i64,
    now: DateTime<Utc>,
) -> Result<Option<stock_level::Model>> {
    let sql = format!(
        "UPDATE stock_levels SET reserved = reserved - $1, version = version + 1, updated_at = $2 \
         WHERE variant_id = $3 AND location_id = $4 AND reserved >= $1 {RETURNING}"
    );
    returning_one(conn, &sql, vec![n.into(), now.into(), variant_id.into(), location_id.into()]).await
}

/// Turns `n` held units into a sale: both `on_hand` and `reserved` drop.
pub(super) async fn sell<C: ConnectionTrait>(
    conn: &C,
    variant_id: i64,
    location_id: i64,
    n: i64,
    now: DateTime<Utc>,
) -> Result<Option<stock_level::Model>> {
    let sql = format!(
        "UPDATE stock_levels SET on_hand = on_hand - $1, reserved = reserved - $1, version = version + 1, updated_at = $2 \
         WHERE variant_id = $3 AND location_id = $4 AND reserved >= $1 {RETURNING}"
    );
    returning_one(conn, &sql, vec![n.into(), now.into(), variant_id.into(), location_id.into()]).await
}

/// Adds `n` units to `on_hand`, creating the level (version 1) if there is none.
pub(super) async fn add_on_hand<C: ConnectionTrait>(
    conn: &C,
    variant_id: i64,
    location_id: i64,
    n: i64,
    now: DateTime<Utc>,
) -> Result<stock_level::Model> {
    let sql = format!(
        "INSERT INTO stock_levels (variant_id, location_id, on_hand, reserved, version, updated_at) VALUES ($1, $2, $3, 0, 1, $4) \
         ON CONFLICT (variant_id, location_id) DO UPDATE SET on_hand = stock_levels.on_hand + excluded.on_hand, \
         version = stock_levels.version + 1, updated_at = excluded.updated_at {RETURNING}"
    );
    let row = returning_one(conn, &sql, vec![variant_id.into(), location_id.into(), n.into(), now.into()]).await?;
    row.ok_or_else(|| anyhow::anyhow!("upsert of stock level {variant_id}:{location_id} returned no row").into())
}

/// Creates the level with `n` units on hand; nothing if it already exists (the caller
/// expected version 0 and is stale).
pub(super) async fn create<C: ConnectionTrait>(
    conn: &C,
    variant_id: i64,
    location_id: i64,
    n: i64,
    now: DateTime<Utc>,
) -> Result<Option<stock_level::Model>> {
    let sql = format!(
        "INSERT INTO stock_levels (variant_id, location_id, on_hand, reserved, version, updated_at) VALUES ($1, $2, $3, 0, 1, $4) \
         ON CONFLICT (variant_id, location_id) DO NOTHING {RETURNING}"
    );
    returning_one(conn, &sql, vec![variant_id.into(), location_id.into(), n.into(), now.into()]).await
}

/// Removes `n` unreserved units from `on_hand` (transfer out): succeeds only if `n` are available.
pub(super) async fn take_available<C: ConnectionTrait>(
    conn: &C,
    variant_id: i64,
    location_id: i64,
    n: i64,
    now: DateTime<Utc>,
) -> Result<Option<stock_level::Model>> {
    let sql = format!(
        "UPDATE stock_levels SET on_hand = on_hand - $1, version = version + 1, updated_at = $2 \
         WHERE variant_id = $3 AND location_id = $4 AND on_hand - reserved >= $1 {RETURNING}"
    );
    returning_one(conn, &sql, vec![n.into(), now.into(), variant_id.into(), location_id.into()]).await
}

/// Changes `on_hand` by `delta` if the level is still at `version` and keeps at least
/// what is reserved.
pub(super) async fn adjust<C: ConnectionTrait>(
    conn: &C,
    level_id: i64,
    delta: i64,
    version: i64,
    now: DateTime<Utc>,
) -> Result<Option<stock_level::Model>> {
    let sql = format!(
        "UPDATE stock_levels SET on_hand = on_hand + $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND version = $4 AND on_hand + $1 >= reserved {RETURNING}"
    );
    returning_one(conn, &sql, vec![delta.into(), now.into(), level_id.into(), version.into()]).await
}

/// The level as it is now (a plain read: only ever a hint for a guarded write, or the
/// state reported with an error).
pub(super) async fn find<C: ConnectionTrait>(conn: &C, variant_id: i64, location_id: i64) -> Result<Option<stock_level::Model>> {
    let sql = "SELECT id, variant_id, location_id, on_hand, reserved, version, updated_at FROM stock_levels \
               WHERE variant_id = $1 AND location_id = $2";
    returning_one(conn, sql, vec![variant_id.into(), location_id.into()]).await
}

/// Units available of a variant now, at one location or across all.
pub(super) async fn available<C: ConnectionTrait>(conn: &C, variant_id: i64, location_id: Option<i64>) -> Result<i64> {
    let (sql, values) = match location_id {
        Some(l) => (
            "SELECT CAST(COALESCE(SUM(on_hand - reserved), 0) AS BIGINT) AS n FROM stock_levels WHERE variant_id = $1 AND location_id = $2",
            vec![variant_id.into(), l.into()],
        ),
        None => (
            "SELECT CAST(COALESCE(SUM(on_hand - reserved), 0) AS BIGINT) AS n FROM stock_levels WHERE variant_id = $1",
            vec![variant_id.into()],
        ),
    };
    let row = conn.query_one_raw(stmt(conn.get_database_backend(), sql, values)).await?;
    Ok(match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    })
}

/// `$start, $start+1, ...`: `n` numbered parameters for an `IN (...)` list.
pub(super) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}
