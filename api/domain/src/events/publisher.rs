//! The outbox publisher: delivers committed outbox rows to the event bus and marks
//! them delivered, then prunes delivered rows after the retention period.
//!
//! One batch is one write transaction: claim undelivered rows in id order (see
//! the `delivery` module), mark them delivered, hand them to the bus, commit. A crash or
//! error before the commit leaves the rows undelivered, so they are published again
//! later: delivery is at least once, and receivers drop repeats by `sequence`. A
//! rolled-back writer never produced a row, so nothing is published for it.
//!
//! The publisher wakes when a writer in this process calls [`OutboxNotify::notify`]
//! after committing (low latency), and otherwise every poll interval, which picks up
//! rows written by other instances and rows left by a crash. An idle poll is a single
//! indexed read outside any transaction (no SQLite write lock). Postgres
//! `LISTEN/NOTIFY` is not used: every instance runs a publisher that its own writers
//! wake, so a cross-instance wake-up would only shave the poll interval off the rare
//! case of an instance whose publisher is off or stuck.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::DbErr;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::EventsConfig;
use super::bus::EventBus;
use super::delivery;
use super::message::BusEvent;
use crate::db::Database;
use crate::metrics::Metrics;

/// Wakes the publisher in this process. Cheap to clone; call
/// [`notify`](Self::notify) after committing a transaction that appended events.
#[derive(Clone, Default)]
pub struct OutboxNotify(Arc<Notify>);

impl OutboxNotify {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the publisher to look at the outbox now. Never blocks; wake-ups sent while
    /// the publisher is busy are merged into one.
    pub fn notify(&self) {
        self.0.notify_one();
    }
}

/// How the publisher paces itself.
#[derive(Clone, Debug)]
pub struct PublisherSettings {
    /// Fallback poll when nobody calls [`OutboxNotify::notify`].
    pub poll_interval: Duration,
    /// Most rows per transaction.
    pub batch_size: u32,
    /// Delivered rows older than this are pruned.
    pub retention: Duration,
    /// How often pruning runs (the first run is at start).
    pub prune_interval: Duration,
    /// Rows deleted per pruning statement (each in its own short transaction).
    pub prune_batch: u32,
}

impl PublisherSettings {
    pub fn from_config(events: &EventsConfig) -> Self {
        Self {
            poll_interval: events.poll_interval,
            batch_size: events.batch_size,
            retention: events.retention,
            prune_interval: Duration::from_secs(300),
            prune_batch: 1000,
        }
    }
}

/// What one batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Rows claimed by this batch.
    pub claimed: usize,
    /// Rows published and marked delivered.
    pub published: usize,
    /// Rows held back because an older event of their aggregate was still being
    /// published by another publisher; they are retried shortly.
    pub held_back: usize,
}

/// Delivers outbox rows to the bus. Cheap to clone.
#[derive(Clone)]
pub struct Publisher {
    db: Database,
    bus: EventBus,
    notify: OutboxNotify,
    settings: PublisherSettings,
    metrics: Arc<Metrics>,
}

/// Pruning statements per run at most; the rest waits for the next run.
const PRUNE_BATCHES_PER_RUN: u32 = 100;

impl Publisher {
    pub fn new(db: Database, bus: EventBus, notify: OutboxNotify, settings: PublisherSettings, metrics: Arc<Metrics>) -> Self {
        Self { db, bus, notify, settings, metrics }
    }

    /// Publishes one batch of undelivered rows (claim, mark, publish, commit).
    pub async fn publish_batch(&self) -> Result<BatchReport, DbErr> {
        if !delivery::has_pending(self.db.conn()).await? {
            return Ok(BatchReport::default());
        }
        let txn = self.db.begin_write().await?;
        let claimed = delivery::claim(&*txn, self.settings.batch_size).await?;
        let claimed_count = claimed.len();
        let (ready, held_back) = delivery::hold_back_out_of_order(&*txn, claimed).await?;
        if ready.is_empty() {
            txn.commit().await?;
            return Ok(BatchReport { claimed: claimed_count, published: 0, held_back: held_back.len() });
        }
        let now = Utc::now();
        let ids: Vec<i64> = ready.iter().map(|row| row.id).collect();
        // Marking first: if the update fails, nothing was published twice.
        delivery::mark_delivered(&*txn, &ids, now).await?;
        let events: Vec<BusEvent> = ready.into_iter().map(BusEvent::from).collect();
        let lags: Vec<Duration> = events.iter().map(|e| (now - e.created_at).to_std().unwrap_or_default()).collect();
        self.bus.publish(events).await;
        txn.commit().await?;
        self.metrics.record_events_published(lags);
        Ok(BatchReport { claimed: claimed_count, published: ids.len(), held_back: held_back.len() })
    }

    /// Deletes rows delivered longer than the retention ago, in bounded batches (each
    /// its own short transaction). Returns how many rows went.
    pub async fn prune(&self) -> Result<u64, DbErr> {
        let retention = chrono::Duration::from_std(self.settings.retention).unwrap_or(chrono::Duration::MAX);
        let cutoff = Utc::now().checked_sub_signed(retention).unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
        let mut total = 0;
        for _ in 0..PRUNE_BATCHES_PER_RUN {
            let txn = self.db.begin_write().await?;
            let deleted = delivery::prune_batch(&*txn, cutoff, self.settings.prune_batch.max(1)).await?;
            txn.commit().await?;
            total += deleted;
            if deleted < u64::from(self.settings.prune_batch.max(1)) {
                break;
            }
            tokio::task::yield_now().await;
        }
        self.metrics.record_outbox_pruned(total);
        Ok(total)
    }

    /// Runs the publisher in the background until [`PublisherHandle::stop`].
    pub fn spawn(self) -> PublisherHandle {
        let stop = CancellationToken::new();
        let task = tokio::spawn(supervise(self, stop.clone()));
        PublisherHandle { stop, task: Some(task) }
    }

    /// The publishing loop: drain, prune when due, wait for a wake-up or the poll.
    async fn run(&self, stop: &CancellationToken) {
        let mut failing = Failing::default();
        let mut next_prune = tokio::time::Instant::now();
        while !stop.is_cancelled() {
            let wait = loop {
                match self.publish_batch().await {
                    Ok(report) => {
                        failing.recovered("outbox publisher");
                        let full = report.claimed >= self.settings.batch_size as usize && report.published > 0;
                        if full && !stop.is_cancelled() {
                            continue; // more may be waiting
                        }
                        // Held-back rows wait for another publisher that is about to commit.
                        break if report.held_back > 0 { Duration::from_millis(10) } else { self.settings.poll_interval };
                    }
                    Err(error) => {
                        failing.failed("outbox publisher", &error);
                        break self.settings.poll_interval.max(Duration::from_secs(1));
                    }
                }
            };
            if tokio::time::Instant::now() >= next_prune {
                match self.prune().await {
                    Ok(rows) if rows > 0 => tracing::info!(rows, "pruned delivered outbox rows past retention"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "pruning the outbox failed; will retry"),
                }
                next_prune = tokio::time::Instant::now() + self.settings.prune_interval;
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = self.notify.0.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// Logs the first error of a streak and the recovery, not every retry.
#[derive(Default)]
struct Failing(bool);

impl Failing {
    fn failed(&mut self, what: &str, error: &DbErr) {
        if !self.0 {
            tracing::error!(%error, "{what}: database error; retrying every second (further errors at debug level)");
        } else {
            tracing::debug!(%error, "{what}: still failing");
        }
        self.0 = true;
    }

    fn recovered(&mut self, what: &str) {
        if std::mem::take(&mut self.0) {
            tracing::info!("{what}: database reachable again");
        }
    }
}

/// Restarts the loop if it ever panics (a bug), so events keep flowing.
async fn supervise(publisher: Publisher, stop: CancellationToken) {
    loop {
        let (p, s) = (publisher.clone(), stop.clone());
        let mut run = AbortOnDrop(tokio::spawn(async move { p.run(&s).await }));
        match (&mut run.0).await {
            Err(e) if e.is_panic() && !stop.is_cancelled() => {
                tracing::error!("outbox publisher panicked; restarting in a second");
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
            _ => return,
        }
    }
}

/// Aborts the task when dropped, so aborting the supervisor stops the loop too.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A running publisher. Dropping the handle stops it too (without waiting).
pub struct PublisherHandle {
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl PublisherHandle {
    /// Stops after the batch in progress (waiting at most 5 s; a batch cut short is
    /// rolled back and its rows delivered later).
    pub async fn stop(mut self) {
        self.stop.cancel();
        let Some(mut task) = self.task.take() else { return };
        if tokio::time::timeout(Duration::from_secs(5), &mut task).await.is_err() {
            tracing::warn!("outbox publisher did not stop within 5 s; aborting it");
            task.abort();
        }
    }
}

impl Drop for PublisherHandle {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
