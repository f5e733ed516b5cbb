//! What a lane's batch is made of, below the combiner that runs it ([`super::combine`])
//! and the bulk reservations it serves ([`super::group`]): lanes, the bare reservation
//! ticket, and how a shared transaction fails.

use std::sync::{Mutex, PoisonError};

use sea_orm::DbErr;
use tokio::sync::oneshot;

use super::model::{Owner, Reservation, ReserveLine};
use super::retry::{Step, is_transient};
use crate::actor::Actor;
use crate::error::{Error, db_unavailable};

/// Lanes: SKUs share them by `variant_id % STRIPES`.
pub(super) const STRIPES: usize = 1024;

/// The lane of a SKU.
pub(super) fn lane_of(variant_id: i64) -> usize {
    variant_id.rem_euclid(STRIPES as i64) as usize
}

/// The distinct lanes of `variant_ids`, ascending (the order holders take them in).
pub(super) fn lanes_of(variant_ids: impl IntoIterator<Item = i64>) -> Vec<usize> {
    let mut lanes: Vec<usize> = variant_ids.into_iter().map(lane_of).collect();
    lanes.sort_unstable();
    lanes.dedup();
    lanes
}

/// A bare reservation, served by the driver in bulk.
pub(super) struct ReserveTicket {
    /// Normalised lines (see `plan::normalise`), all in this lane.
    pub lines: Vec<ReserveLine>,
    pub owner: Owner,
    pub ttl: chrono::Duration,
    pub actor: Actor,
    /// The answer, sent once the batch has committed (or failed).
    pub reply: oneshot::Sender<Answer>,
}

/// What a bare reservation is answered.
pub(super) type Answer = Result<Vec<Reservation>, Step>;

/// Why a shared transaction must not be committed, once something made it so: a
/// savepoint that could not be created, released or rolled back, or a caller gone
/// in the middle of its turn. Committing then could keep the half-done writes of a
/// caller that was told it failed, or, after a failed `SAVEPOINT` (on which the
/// driver rolls back the whole transaction and forgets it began one), report as
/// committed what was rolled back. Such a batch is rolled back and every caller in
/// it is told.
#[derive(Default)]
pub(super) struct Poison(Mutex<Option<Failure>>);

impl Poison {
    pub(super) fn set(&self, failure: Failure) {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(failure);
    }

    pub(super) fn get(&self) -> Option<Failure> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// Why a batch failed, as each of its callers is told.
#[derive(Clone, Debug)]
pub(super) enum Failure {
    /// A deadlock, serialisation failure or busy database file: try again.
    Transient,
    /// The database could not be reached.
    Unavailable,
    /// Anything else; the message is for the logs.
    Other(String),
}

impl Failure {
    pub(super) fn of(err: &Error) -> Self {
        match err {
            Error::Db { source, .. } if is_transient(source) => Failure::Transient,
            Error::Db { source, .. } if db_unavailable(source) => Failure::Unavailable,
            Error::Conflict => Failure::Transient,
            other => Failure::Other(other.to_string()),
        }
    }

    /// The step a caller of the failed batch takes.
    pub(super) fn step(&self) -> Step {
        match self {
            Failure::Transient => Step::Retry(Error::Conflict),
            Failure::Unavailable => Step::Fail(Error::from(DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::ConnectionClosed))),
            Failure::Other(message) => Step::Fail(Error::Internal(anyhow::anyhow!("the shared stock transaction failed: {message}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_are_distinct_and_ascending() {
        assert_eq!(lanes_of([7, 5 + STRIPES as i64, 5, 7]), [5, 7]);
        assert_eq!(lane_of(-1), STRIPES - 1);
    }

    #[test]
    fn failures_tell_callers_what_to_do() {
        assert!(matches!(Failure::Transient.step(), Step::Retry(Error::Conflict)));
        assert!(matches!(Failure::Unavailable.step(), Step::Fail(e) if e.is_unavailable()));
        assert!(matches!(Failure::Other("x".into()).step(), Step::Fail(Error::Internal(_))));
    }
}
