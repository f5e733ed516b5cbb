//! Group commit per SKU: concurrent writes that touch the same stock levels share one
//! database transaction, so a hot SKU is bounded by batches per second, not by one
//! durable commit per reservation on its row.
//!
//! A flash sale puts every buyer on ONE stock level row. One transaction per buyer
//! means one row-lock hand-over and one WAL flush per buyer, which no hardware lifts
//! (pgbench on the hot row peaks near 2,000 transactions/s with two clients). Here the
//! requests for a SKU queue in a *lane*, and while one transaction of the lane is in
//! the database the next ones gather; the lane's driver then serves all of them in its
//! next transaction, in arrival order, and commits once. Each caller is answered only
//! after that commit.
//!
//! - **Lanes.** SKUs map to one of [`STRIPES`](super::batch::STRIPES) lanes by `variant_id % STRIPES` (fixed
//!   memory). A lane runs at most one transaction at a time on this instance. On a
//!   quiet lane (nothing running or waiting) a request goes straight in, on its
//!   caller's own task and transaction, as if there were no lanes (see
//!   [`Combiner::claim`]); a busy lane gathers up to `max_batch` requests per
//!   transaction; a lane whose queue holds `max_queue` requests answers the next one
//!   [`Error::Overloaded`] (retryable).
//! - **Three kinds of request.** [`Ticket::Reserve`]: a bare reservation, whose owned
//!   data the driver serves in bulk with every neighbouring bare reservation (one
//!   guarded `UPDATE` per stock level for their sum, multi-row inserts of reservations,
//!   ledger rows and events; see [`super::group::reserve_group`]). [`Ticket::Turn`]:
//!   a caller's own transactional work (a cart edit that holds stock together with the
//!   cart's lines), run by the caller on the batch's transaction when its turn comes,
//!   inside a savepoint of its own, so its failure undoes only its own writes.
//!   [`Ticket::Hold`]: a request for several lanes holds each of them (in ascending
//!   lane order, so holders cannot deadlock each other) and runs alone.
//! - **Failure is per batch.** If the batch's transaction cannot begin or commit, no
//!   part of it is applied and every caller in it is told: a deadlock or serialisation
//!   failure is retried (in a later batch, bounded), anything else is that caller's
//!   error. A caller that gives up while queued is skipped; one that gives up during or
//!   after its turn leaves its work to commit with the batch, owned by whom it named
//!   (a cart, an order), and released by expiry as any hold is. One alone on a quiet
//!   lane that gives up before its commit leaves nothing: its transaction rolls back,
//!   and whoever queued behind it is served by a driver.
//!
//! Only speed depends on the lanes, never correctness: every stock write stays one
//! guarded statement, and other instances combine for themselves; their batches meet
//! ours on the row lock like any other transaction.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, TransactionTrait};
use tokio::sync::{oneshot, watch};

use super::batch::{Answer, Failure, Poison, ReserveTicket, STRIPES};
use super::group::reserve_group;
use super::model::{Owner, Reservation, ReserveLine};
use super::retry::{MAX_ATTEMPTS, Step, again};
use crate::actor::Actor;
use crate::db::{Database, WriteTxn};
use crate::error::{Error, Result};

tokio::task_local! {
    /// Set while a task runs a turn in a batch or holds lanes: a stock write started
    /// from there would queue behind the very batch waiting for it.
    static INSIDE_LANE: ();
}

/// Runs `f` marked as inside a lane (see [`INSIDE_LANE`]).
pub(super) async fn inside_lane<F: Future>(f: F) -> F::Output {
    INSIDE_LANE.scope((), f).await
}

/// What a full lane tells callers to wait before trying again.
const OVERLOADED_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Sizes of batches and queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CombineLimits {
    /// Most requests served by one transaction of a lane.
    pub max_batch: usize,
    /// Most requests waiting in one lane; more are refused as `Overloaded`.
    pub max_queue: usize,
}

enum Ticket {
    Reserve(ReserveTicket),
    Turn(oneshot::Sender<Result<Turn, Failure>>),
    /// Granted by sending the holder a sender; the lane waits until it is dropped.
    Hold(oneshot::Sender<oneshot::Sender<()>>),
}

/// A caller's turn on a batch's transaction. Sending on `done` ends it; dropping it
/// unsent means the caller gave up in the middle, and the batch is not committed.
struct Turn {
    batch: Arc<Batch>,
    done: oneshot::Sender<()>,
}

/// One transaction of a lane, shared by the requests it serves.
struct Batch {
    txn: tokio::sync::Mutex<Option<Checked>>,
    /// Set when the transaction can no longer be trusted (see [`Poison`]).
    poison: Poison,
    outcome: watch::Receiver<Option<Outcome>>,
}

/// How a batch ended.
#[derive(Clone, Debug)]
enum Outcome {
    Committed,
    Failed(Failure),
}

#[derive(Default)]
struct Lane {
    state: Mutex<LaneState>,
}

#[derive(Default)]
struct LaneState {
    /// A driver task is serving this lane.
    driving: bool,
    queue: VecDeque<Ticket>,
}

/// The lanes of one instance. Cheap to share (`Arc`).
pub(super) struct Combiner {
    db: Database,
    limits: CombineLimits,
    lanes: Box<[Lane]>,
}

impl Combiner {
    pub(super) fn new(db: Database, limits: CombineLimits) -> Arc<Self> {
        let limits = CombineLimits { max_batch: limits.max_batch.max(1), max_queue: limits.max_queue.max(1) };
        Arc::new(Combiner { db, limits, lanes: (0..STRIPES).map(|_| Lane::default()).collect() })
    }

    /// Takes `lane` for the caller itself when nothing runs or waits there, so a lone
    /// request on a quiet SKU goes straight to the database on its own task, with no
    /// hand-over to a driver and no savepoint. `None` when the lane is busy: queue.
    ///
    /// While the claim lives, later requests for the lane queue as behind any batch;
    /// dropping it (done, failed or given up) hands them to a driver.
    pub(super) fn claim(self: &Arc<Self>, lane: usize) -> Result<Option<Claim>> {
        refuse_inside_lane()?;
        let mut state = self.lanes[lane].state.lock().unwrap_or_else(PoisonError::into_inner);
        // A lane that is not driven has nobody queued (see `drive` and `Claim::drop`).
        if state.driving {
            return Ok(None);
        }
        state.driving = true;
        Ok(Some(Claim { combiner: Arc::clone(self), lane }))
    }

    /// Queues `ticket` in `lane`, starting the lane's driver if none runs.
    fn enqueue(self: &Arc<Self>, lane: usize, ticket: Ticket) -> Result<()> {
        refuse_inside_lane()?;
        let mut state = self.lanes[lane].state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.queue.len() >= self.limits.max_queue {
            return Err(Error::Overloaded { retry_after: OVERLOADED_RETRY_AFTER });
        }
        state.queue.push_back(ticket);
        if !state.driving {
            state.driving = true;
            tokio::spawn(Arc::clone(self).drive(lane));
        }
        Ok(())
    }

    /// Serves `lane` until its queue is empty. Runs on a task of its own, so a caller
    /// that gives up never leaves the others of its batch waiting.
    async fn drive(self: Arc<Self>, lane: usize) {
        // Should this task end abnormally, the queued callers are answered (their
        // tickets dropped) and the lane can start again.
        struct Stop<'a> {
            lane: &'a Lane,
            clean: bool,
        }
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                if !self.clean {
                    let mut state = self.lane.state.lock().unwrap_or_else(PoisonError::into_inner);
                    state.driving = false;
                    state.queue.clear();
                }
            }
        }
        let mut stop = Stop { lane: &self.lanes[lane], clean: false };
        let lane = stop.lane;
        loop {
            let mut batch = Vec::new();
            {
                let mut state = lane.state.lock().unwrap_or_else(PoisonError::into_inner);
                while batch.len() < self.limits.max_batch {
                    match state.queue.front() {
                        None => break,
                        // A holder runs alone, after the batch before it.
                        Some(Ticket::Hold(_)) => {
                            if batch.is_empty() {
                                batch.extend(state.queue.pop_front());
                            }
                            break;
                        }
                        Some(_) => batch.extend(state.queue.pop_front()),
                    }
                }
                if batch.is_empty() {
                    state.driving = false;
                    drop(state);
                    stop.clean = true;
                    return;
                }
            }
            if let [Ticket::Hold(_)] = batch.as_slice() {
                if let Some(Ticket::Hold(holder)) = batch.pop() {
                    let (release, released) = oneshot::channel();
                    if holder.send(release).is_ok() {
                        let _ = released.await;
                    }
                }
                continue;
            }
            self.run_batch(batch).await;
        }
    }

    /// One transaction serving `tickets` in order, committed once.
    async fn run_batch(&self, tickets: Vec<Ticket>) {
        let size = tickets.len();
        // Only a caller's own work could swallow a failed savepoint (bare reservations
        // poison the batch themselves): a batch without turns needs no id check.
        let check = if tickets.iter().any(|t| matches!(t, Ticket::Turn(_))) { Check::Xid } else { Check::Poison };
        let txn = match begin_checked(&self.db, check).await {
            Ok(txn) => txn,
            Err(e) => {
                let failure = Failure::of(&e);
                for ticket in tickets {
                    answer_unserved(ticket, &failure);
                }
                return;
            }
        };
        let (outcome_tx, outcome_rx) = watch::channel(None);
        let batch = Arc::new(Batch { txn: tokio::sync::Mutex::new(Some(txn)), poison: Poison::default(), outcome: outcome_rx });
        let mut replies: Vec<(oneshot::Sender<Answer>, Answer)> = Vec::new();
        let mut tickets = tickets.into_iter().peekable();
        while let Some(ticket) = tickets.next() {
            match ticket {
                Ticket::Reserve(first) => {
                    // This bare reservation and every one right after it, in bulk.
                    let mut group = vec![first];
                    while let Some(Ticket::Reserve(_)) = tickets.peek() {
                        if let Some(Ticket::Reserve(t)) = tickets.next() {
                            group.push(t);
                        }
                    }
                    group.retain(|t| !t.reply.is_closed());
                    if group.is_empty() {
                        continue;
                    }
                    let guard = batch.txn.lock().await;
                    let answers = match guard.as_ref() {
                        Some(txn) => reserve_group(txn, &group, &batch.poison).await,
                        None => group.iter().map(|_| Err(Failure::Other("the transaction is gone".into()).step())).collect(),
                    };
                    drop(guard);
                    replies.extend(group.into_iter().map(|t| t.reply).zip(answers));
                }
                Ticket::Turn(caller) => {
                    let (done, finished) = oneshot::channel();
                    if caller.send(Ok(Turn { batch: Arc::clone(&batch), done })).is_ok() && finished.await.is_err() {
                        // Its writes may be half done: the batch is rolled back and the
                        // others are served again in the next one.
                        batch.poison.set(Failure::Transient);
                    }
                }
                // Not batched (see `drive`); a holder seen here is answered "try again".
                Ticket::Hold(holder) => drop(holder),
            }
        }
        let txn = batch.txn.lock().await.take();
        let outcome = match txn {
            Some(txn) => match commit_checked(txn, &batch.poison).await {
                Ok(()) => Outcome::Committed,
                Err(failure) => Outcome::Failed(failure),
            },
            None => Outcome::Failed(Failure::Other("the transaction is gone".into())),
        };
        if let Outcome::Failed(failure) = &outcome {
            tracing::warn!(size, ?failure, "a shared stock transaction failed; its callers are told");
        }
        for (reply, answer) in replies {
            let answer = match &outcome {
                Outcome::Committed => answer,
                // The reservations were rolled back with the batch; errors stay errors.
                Outcome::Failed(failure) => answer.and_then(|_| Err(failure.step())),
            };
            let _ = reply.send(answer);
        }
        let _ = outcome_tx.send(Some(outcome));
    }

    /// Serves a bare reservation in `lane`: bulk with its neighbours in the queue.
    pub(super) async fn reserve(
        self: &Arc<Self>,
        lane: usize,
        lines: Vec<ReserveLine>,
        owner: Owner,
        ttl: chrono::Duration,
        actor: Actor,
    ) -> Result<Vec<Reservation>, Step> {
        let (reply, answer) = oneshot::channel();
        self.enqueue(lane, Ticket::Reserve(ReserveTicket { lines, owner, ttl, actor, reply })).map_err(Step::Fail)?;
        answer.await.unwrap_or_else(|_| Err(Failure::Other("the lane stopped".into()).step()))
    }

    /// Runs `work` on the shared transaction of `lane` when its turn comes, in a
    /// savepoint, and waits for the batch to commit. Retries (a stale plan, a
    /// deadlock) within the batch while attempts are left, then in a later batch.
    pub(super) async fn turn<T, F, Fut>(self: &Arc<Self>, operation: &'static str, lane: usize, work: &mut F) -> Result<T>
    where
        F: FnMut(Arc<DatabaseTransaction>) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut attempt = 1;
        loop {
            if let Some(claim) = self.claim(lane)? {
                let result = alone(&self.db, &mut *work).await;
                drop(claim);
                match result {
                    Ok(value) => return Ok(value),
                    Err(step) => {
                        again(operation, &mut attempt, step, "retrying").await?;
                        continue;
                    }
                }
            }
            let (caller, granted) = oneshot::channel();
            self.enqueue(lane, Ticket::Turn(caller))?;
            let turn = match granted.await {
                Ok(Ok(turn)) => turn,
                Ok(Err(failure)) => {
                    again(operation, &mut attempt, failure.step(), "the batch could not begin; trying again").await?;
                    continue;
                }
                Err(_) => return Err(Failure::Other("the lane stopped".into()).step().into_error()),
            };
            let value = async {
                let guard = turn.batch.txn.lock().await;
                let Some(txn) = guard.as_ref() else {
                    return Err(Failure::Other("the transaction is gone".into()).step());
                };
                loop {
                    match inside_lane(in_savepoint(txn, &mut *work, &turn.batch.poison)).await {
                        Ok(value) => return Ok(value),
                        Err(Step::Retry(e)) if attempt < MAX_ATTEMPTS => {
                            tracing::debug!(operation, attempt, error = %e, "retrying within the batch");
                            attempt += 1;
                        }
                        Err(step) => return Err(step),
                    }
                }
            }
            .await;
            // The turn is over (its savepoint released or rolled back): the next one may go.
            let _ = turn.done.send(());
            let value = value.map_err(Step::into_error)?;
            let mut outcome = turn.batch.outcome.clone();
            let ended = outcome.wait_for(Option::is_some).await.map(|o| o.clone()).ok().flatten();
            match ended {
                Some(Outcome::Committed) => return Ok(value),
                Some(Outcome::Failed(failure)) => {
                    again(operation, &mut attempt, failure.step(), "the batch failed; trying again in another").await?;
                }
                None => return Err(Failure::Other("the lane stopped".into()).step().into_error()),
            }
        }
    }

    /// Holds every lane in `lanes` (ascending) until the returned guards are dropped:
    /// what runs meanwhile is alone among this instance's writes to their SKUs.
    pub(super) async fn hold(self: &Arc<Self>, lanes: &[usize]) -> Result<Vec<oneshot::Sender<()>>> {
        let mut held = Vec::with_capacity(lanes.len());
        for &lane in lanes {
            let (holder, granted) = oneshot::channel();
            self.enqueue(lane, Ticket::Hold(holder))?;
            match granted.await {
                Ok(release) => held.push(release),
                Err(_) => return Err(Failure::Other("the lane stopped".into()).step().into_error()),
            }
        }
        Ok(held)
    }
}

/// Runs `work` once inside a savepoint of `txn`: released on success, rolled back on
/// any error (so the batch keeps only what succeeded). `work` gets the savepoint as an
/// owned handle, which it must not keep.
///
/// A failure of the savepoint itself (not of `work`) poisons `txn`: see [`Poison`].
pub(super) async fn in_savepoint<T, F, Fut>(txn: &DatabaseTransaction, work: &mut F, poison: &Poison) -> Result<T, Step>
where
    F: FnMut(Arc<DatabaseTransaction>) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let poisoned = |e: DbErr| {
        let e = Error::from(e);
        poison.set(Failure::of(&e));
        Step::Fail(e)
    };
    let savepoint = Arc::new(txn.begin().await.map_err(poisoned)?);
    let result = work(Arc::clone(&savepoint)).await;
    let Ok(savepoint) = Arc::try_unwrap(savepoint) else {
        let e = Error::Internal(anyhow::anyhow!("a write kept its transaction after it ended"));
        poison.set(Failure::of(&e));
        return Err(Step::Fail(e));
    };
    match result {
        Ok(value) => {
            savepoint.commit().await.map_err(poisoned)?;
            Ok(value)
        }
        Err(e) => {
            savepoint.rollback().await.map_err(poisoned)?;
            Err(match &e {
                Error::Conflict => Step::Retry(e),
                _ => Step::from(e),
            })
        }
    }
}

/// Runs `work` once on a write transaction of its own, committed before answering:
/// for a caller alone on its SKUs (a quiet lane it has claimed, or lanes it holds).
/// With nobody else's writes to protect it needs no savepoint: a failure rolls back
/// the whole transaction. `work` gets the transaction as an owned handle, which it
/// must not keep.
pub(super) async fn alone<T, F, Fut>(db: &Database, work: &mut F) -> Result<T, Step>
where
    F: FnMut(Arc<DatabaseTransaction>) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let Checked { txn, xid } = begin_checked(db, Check::Xid).await?;
    let (txn, permit) = txn.into_parts();
    let txn = Arc::new(txn);
    let result = inside_lane(work(Arc::clone(&txn))).await;
    // Dropped here, the transaction rolls back.
    let Ok(txn) = Arc::try_unwrap(txn) else {
        return Err(Step::Fail(Error::Internal(anyhow::anyhow!("a write kept its transaction after it ended"))));
    };
    let checked = Checked { txn: WriteTxn::from_parts(txn, permit), xid };
    match result {
        Ok(value) => {
            commit_checked(checked, &Poison::default()).await.map_err(|failure| failure.step())?;
            Ok(value)
        }
        Err(e) => {
            let _ = checked.txn.rollback().await;
            Err(match &e {
                Error::Conflict => Step::Retry(e),
                _ => Step::from(e),
            })
        }
    }
}

/// A write transaction that knows, on Postgres, its own transaction id, so that
/// [`commit_checked`] can tell it is still the same transaction.
pub(super) struct Checked {
    txn: WriteTxn,
    xid: Option<i64>,
}

impl std::ops::Deref for Checked {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

const XID_SQL: &str = "SELECT CAST(txid_current_if_assigned() AS BIGINT) AS id";

/// How [`commit_checked`] makes sure a transaction is still the one that began.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
    /// By its transaction id (on Postgres): for transactions that run callers' work.
    Xid,
    /// By the poison alone: for transactions whose every savepoint is our own, each
    /// failure of which poisons the batch.
    Poison,
}

/// Begins a write transaction; on Postgres with [`Check::Xid`] it takes a transaction
/// id at once.
pub(super) async fn begin_checked(db: &Database, check: Check) -> Result<Checked> {
    let txn = db.begin_write().await?;
    let xid = match txn.get_database_backend() {
        sea_orm::DbBackend::Postgres if check == Check::Xid => {
            let row = txn
                .query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, "SELECT CAST(txid_current() AS BIGINT) AS id"))
                .await?;
            Some(row.ok_or_else(|| anyhow::anyhow!("txid_current() returned no row"))?.try_get::<i64>("", "id")?)
        }
        _ => None,
    };
    Ok(Checked { txn, xid })
}

/// Commits unless the transaction is poisoned, and only after checking, on Postgres,
/// that it is still the transaction that began: after a failed nested `SAVEPOINT`
/// the driver rolls the whole transaction back and answers a later `COMMIT` with
/// success without sending it, which would tell callers "committed" about writes
/// that are gone. A changed (or missing) transaction id catches that.
pub(super) async fn commit_checked(checked: Checked, poison: &Poison) -> Result<(), Failure> {
    let Checked { txn, xid } = checked;
    if let Some(failure) = poison.get() {
        let _ = txn.rollback().await;
        return Err(failure);
    }
    if let Some(began) = xid {
        let row = txn.query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, XID_SQL)).await;
        let now: Option<i64> = match row {
            Ok(Some(row)) => row.try_get("", "id").map_err(|e| Failure::of(&e.into()))?,
            Ok(None) => None,
            Err(e) => return Err(Failure::of(&e.into())),
        };
        if now != Some(began) {
            let _ = txn.rollback().await;
            return Err(Failure::Other("the shared transaction was rolled back under it (a savepoint failed)".into()));
        }
    }
    txn.commit().await.map_err(|e| Failure::of(&e.into()))
}

/// A lane taken by a caller that writes alone on its own transaction (see
/// [`Combiner::claim`]).
pub(super) struct Claim {
    combiner: Arc<Combiner>,
    lane: usize,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let lane = &self.combiner.lanes[self.lane];
        let mut state = lane.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.queue.is_empty() {
            state.driving = false;
            return;
        }
        // Whoever queued meanwhile is served by a driver, as behind any batch.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                drop(state);
                runtime.spawn(Arc::clone(&self.combiner).drive(self.lane));
            }
            // No runtime left to serve them (shutting down): they are answered now.
            Err(_) => {
                state.driving = false;
                state.queue.clear();
            }
        }
    }
}

/// A stock write started from a turn or a held lane would wait for itself.
fn refuse_inside_lane() -> Result<()> {
    if INSIDE_LANE.try_with(|_| ()).is_ok() {
        return Err(Error::Internal(anyhow::anyhow!(
            "a stock write was started from inside another one on this instance; it would wait for itself"
        )));
    }
    Ok(())
}

/// A ticket whose batch never began.
fn answer_unserved(ticket: Ticket, failure: &Failure) {
    match ticket {
        Ticket::Reserve(t) => {
            let _ = t.reply.send(Err(failure.step()));
        }
        Ticket::Turn(caller) => {
            let _ = caller.send(Err(failure.clone()));
        }
        // Holds need no transaction: not batched, never here.
        Ticket::Hold(_) => {}
    }
}
