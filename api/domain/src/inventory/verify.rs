//! Reconciliation: replays the ledger against every stock level.
//!
//! A stock level reconciles when
//! - the sums of its ledger deltas equal its `on_hand` and `reserved`,
//! - it has exactly `version` ledger rows (every change writes one) and the latest
//!   one's `*_after` columns are its current state,
//! - `reserved` equals the quantity of its active reservations.
//!
//! Ledger rows or active reservations for a level that does not exist are reported too.
//! Everything is read in one snapshot (REPEATABLE READ on Postgres; a read transaction
//! on SQLite), so it can run while the shop is selling.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use sea_orm::{AccessMode, ConnectionTrait, FromQueryResult, IsolationLevel, TransactionOptions, TransactionTrait};

use super::levels::stmt;
use super::service::InventoryService;
use crate::error::Result;

/// A stock level (or orphan ledger rows) that does not reconcile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discrepancy {
    pub variant_id: i64,
    pub location_id: i64,
    /// `None`: no stock level row exists.
    pub on_hand: Option<i64>,
    pub reserved: Option<i64>,
    pub version: Option<i64>,
    pub ledger_on_hand: i64,
    pub ledger_reserved: i64,
    pub ledger_rows: i64,
    /// `on_hand_after`, `reserved_after` of the latest ledger row.
    pub last_after: Option<(i64, i64)>,
    pub active_reserved: i64,
}

impl fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
        write!(
            f,
            "variant {} at location {}: level on_hand={} reserved={} version={}; ledger on_hand={} reserved={} rows={} last_after={}; active reservations={}",
            self.variant_id,
            self.location_id,
            show(self.on_hand),
            show(self.reserved),
            show(self.version),
            self.ledger_on_hand,
            self.ledger_reserved,
            self.ledger_rows,
            self.last_after.map_or_else(|| "-".to_owned(), |(o, r)| format!("{o}/{r}")),
            self.active_reserved,
        )
    }
}

/// The outcome of [`InventoryService::verify`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub levels: usize,
    pub ledger_rows: i64,
    pub discrepancies: Vec<Discrepancy>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.discrepancies.is_empty()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} stock levels, {} ledger rows, {} not reconciling", self.levels, self.ledger_rows, self.discrepancies.len())
    }
}

#[derive(FromQueryResult)]
struct LevelRow {
    variant_id: i64,
    location_id: i64,
    on_hand: i64,
    reserved: i64,
    version: i64,
}

#[derive(FromQueryResult)]
struct LedgerRow {
    variant_id: i64,
    location_id: i64,
    on_hand: i64,
    reserved: i64,
    n: i64,
}

#[derive(FromQueryResult)]
struct LastRow {
    variant_id: i64,
    location_id: i64,
    on_hand_after: i64,
    reserved_after: i64,
}

#[derive(FromQueryResult)]
struct ActiveRow {
    variant_id: i64,
    location_id: i64,
    quantity: i64,
}

impl InventoryService {
    /// Replays the ledger against every stock level; see the module docs.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn verify(&self) -> Result<VerifyReport> {
        let postgres = self.db.is_postgres();
        let txn = self
            .db
            .conn()
            .begin_with_options(TransactionOptions {
                isolation_level: postgres.then_some(IsolationLevel::RepeatableRead),
                access_mode: postgres.then_some(AccessMode::ReadOnly),
                ..Default::default()
            })
            .await?;
        let backend = txn.get_database_backend();
        let levels =
            LevelRow::find_by_statement(stmt(backend, "SELECT variant_id, location_id, on_hand, reserved, version FROM stock_levels", []))
                .all(&txn)
                .await?;
        let ledger = LedgerRow::find_by_statement(stmt(
            backend,
            "SELECT variant_id, location_id, CAST(SUM(delta_on_hand) AS BIGINT) AS on_hand, \
             CAST(SUM(delta_reserved) AS BIGINT) AS reserved, CAST(COUNT(*) AS BIGINT) AS n \
             FROM stock_movements GROUP BY variant_id, location_id",
            [],
        ))
        .all(&txn)
        .await?;
        let last = LastRow::find_by_statement(stmt(
            backend,
            "SELECT variant_id, location_id, on_hand_after, reserved_after FROM stock_movements \
             WHERE id IN (SELECT MAX(id) FROM stock_movements GROUP BY variant_id, location_id)",
            [],
        ))
        .all(&txn)
        .await?;
        let active = ActiveRow::find_by_statement(stmt(
            backend,
            "SELECT variant_id, location_id, CAST(SUM(quantity) AS BIGINT) AS quantity FROM reservations \
             WHERE status = 'active' GROUP BY variant_id, location_id",
            [],
        ))
        .all(&txn)
        .await?;
        txn.commit().await?;

        let level_map: BTreeMap<(i64, i64), &LevelRow> = levels.iter().map(|l| ((l.variant_id, l.location_id), l)).collect();
        let ledger_map: BTreeMap<(i64, i64), &LedgerRow> = ledger.iter().map(|l| ((l.variant_id, l.location_id), l)).collect();
        let last_map: BTreeMap<(i64, i64), (i64, i64)> =
            last.iter().map(|l| ((l.variant_id, l.location_id), (l.on_hand_after, l.reserved_after))).collect();
        let active_map: BTreeMap<(i64, i64), i64> = active.iter().map(|a| ((a.variant_id, a.location_id), a.quantity)).collect();
        let keys: BTreeSet<(i64, i64)> = level_map.keys().chain(ledger_map.keys()).chain(active_map.keys()).copied().collect();

        let mut report = VerifyReport { levels: levels.len(), ledger_rows: ledger.iter().map(|l| l.n).sum(), discrepancies: Vec::new() };
        for key in keys {
            let level = level_map.get(&key);
            let sums = ledger_map.get(&key);
            let d = Discrepancy {
                variant_id: key.0,
                location_id: key.1,
                on_hand: level.map(|l| l.on_hand),
                reserved: level.map(|l| l.reserved),
                version: level.map(|l| l.version),
                ledger_on_hand: sums.map_or(0, |s| s.on_hand),
                ledger_reserved: sums.map_or(0, |s| s.reserved),
                ledger_rows: sums.map_or(0, |s| s.n),
                last_after: last_map.get(&key).copied(),
                active_reserved: active_map.get(&key).copied().unwrap_or(0),
            };
            let reconciles = match level {
                Some(l) => {
                    d.ledger_on_hand == l.on_hand
                        && d.ledger_reserved == l.reserved
                        && d.ledger_rows == l.version
                        && d.last_after == Some((l.on_hand, l.reserved))
                        && d.active_reserved == l.reserved
                }
                None => false,
            };
            if !reconciles {
                report.discrepancies.push(d);
            }
        }
        Ok(report)
    }
}
