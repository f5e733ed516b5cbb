//! The reservation sweeper: gives back the stock of reservations past `expires_at`.
//!
//! One sweep takes a bounded batch in one transaction: a single statement marks up to
//! `batch` expired active reservations `expired` and returns them, and each one's stock
//! is given back with a ledger row (reason `expire`, actor `system`) and the same event
//! as any other change. Several instances may sweep at once: on Postgres the batch is
//! picked with `FOR UPDATE SKIP LOCKED`, so sweepers take disjoint batches instead of
//! queueing on each other; SQLite has one writer at a time. Either way the status guard
//! (`status = 'active'`) releases each reservation exactly once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::model::now;
use super::reservations::{Ending, RESERVATION_COLUMNS, end, returning_reservations};
use super::retry::retrying;
use super::service::InventoryService;
use crate::actor::Actor;
use crate::error::{Error, Result};

/// Most batches one tick of the background sweeper runs before it waits again.
const MAX_BATCHES_PER_TICK: usize = 20;

impl InventoryService {
    /// Expires up to `batch` reservations that are past their `expires_at` now; returns
    /// how many it expired.
    pub async fn sweep_expired(&self, batch: usize) -> Result<usize> {
        self.sweep_expired_as_of(now(), batch).await
    }

    /// Like [`sweep_expired`](Self::sweep_expired), treating `as_of` as the current time
    /// (tests; catching up after downtime).
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn sweep_expired_as_of(&self, as_of: DateTime<Utc>, batch: usize) -> Result<usize> {
        if batch == 0 || batch > 10_000 {
            return Err(Error::invalid("batch", "sweep batch must be between 1 and 10000"));
        }
        let skip_locked = if self.db.is_postgres() { "FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE reservations SET status = 'expired', updated_at = $1 WHERE id IN (\
                SELECT id FROM reservations WHERE status = 'active' AND expires_at <= $2 \
                ORDER BY expires_at, id LIMIT $3 {skip_locked}\
             ) AND status = 'active' RETURNING {RESERVATION_COLUMNS}"
        );
        let expired = retrying("sweep", || async {
            let txn = self.db.begin_write().await?;
            let now = now();
            let rows = returning_reservations(&*txn, &sql, vec![now.into(), as_of.into(), (batch as i64).into()]).await?;
            if rows.is_empty() {
                txn.rollback().await?;
                return Ok(0);
            }
            let ended = end(&*txn, rows, Ending::Expire, Actor::System, now).await?;
            txn.commit().await?;
            Ok(ended.len())
        })
        .await?;
        if expired > 0 {
            tracing::info!(expired, "expired reservations released");
        }
        Ok(expired)
    }
}

/// Runs the sweeper every `interval` until `stop` changes (or its sender is dropped).
/// Each pass sweeps batches of `batch` until one comes back short (at most
/// [`MAX_BATCHES_PER_TICK`]). Errors are logged and the next pass tries again.
pub fn spawn_sweeper(service: InventoryService, interval: Duration, batch: usize, stop: watch::Receiver<bool>) -> JoinHandle<()> {
    crate::periodic::spawn_periodic(interval, stop, move || {
        let service = service.clone();
        async move {
            for _ in 0..MAX_BATCHES_PER_TICK {
                match service.sweep_expired(batch).await {
                    Ok(n) if n == batch => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = ?e, "reservation sweep failed; retrying next pass");
                        break;
                    }
                }
            }
        }
    })
}
