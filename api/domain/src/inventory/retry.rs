//! Bounded retries of whole write transactions.
//!
//! An attempt ends in a [`Step`]: `Fail` goes straight back to the caller; `Retry`
//! means the transaction was rolled back for a reason that another attempt may not
//! meet (a guarded write found the stock moved since it was planned, a deadlock or
//! serialisation failure chosen by Postgres, a busy SQLite file). Each `Retry` carries
//! the error to return if the attempts run out, so a caller never sees a raw
//! "deadlock detected" while a retry could still succeed.

use std::time::Duration;

use sea_orm::{DbErr, RuntimeErr};

use crate::error::Error;

/// Attempts per operation, the first one included.
pub(super) const MAX_ATTEMPTS: u32 = 6;

pub(super) enum Step {
    /// Roll back and try again; `Error` is the answer if no attempt is left.
    Retry(Error),
    /// Roll back and return this error.
    Fail(Error),
}

impl From<Error> for Step {
    fn from(e: Error) -> Self {
        match &e {
            Error::Db { source, .. } if is_transient(source) => Step::Retry(e),
            _ => Step::Fail(e),
        }
    }
}

impl From<DbErr> for Step {
    #[track_caller]
    fn from(e: DbErr) -> Self {
        Step::from(Error::from(e))
    }
}

impl Step {
    /// The error to answer with when no attempt follows.
    pub(super) fn into_error(self) -> Error {
        match self {
            Step::Retry(e) | Step::Fail(e) => e,
        }
    }
}

/// Runs `attempt` until it succeeds, fails, or [`MAX_ATTEMPTS`] are spent.
pub(super) async fn retrying<T, F, Fut>(operation: &'static str, mut attempt: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Step>>,
{
    let mut n = 1;
    loop {
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(step) => again(operation, &mut n, step, "retrying").await?,
        }
    }
}

/// After attempt number `attempt` ended in `step`: if `step` may be retried and
/// attempts are left, waits a [`backoff`] and counts the next attempt; otherwise the
/// error to answer with. For loops that cannot be written as [`retrying`] (their
/// attempts borrow the caller's work, or wait on a shared transaction).
pub(super) async fn again(operation: &'static str, attempt: &mut u32, step: Step, what: &'static str) -> Result<(), Error> {
    match step {
        Step::Fail(e) => Err(e),
        Step::Retry(e) if *attempt >= MAX_ATTEMPTS => {
            tracing::warn!(operation, attempts = *attempt, error = %e, "giving up after repeated conflicts");
            Err(e)
        }
        Step::Retry(e) => {
            tracing::debug!(operation, attempt = *attempt, error = %e, "{what}");
            tokio::time::sleep(backoff(*attempt)).await;
            *attempt += 1;
            Ok(())
        }
    }
}

/// A short, jittered pause that grows with the attempt number, so racing retries spread out.
pub(super) fn backoff(attempt: u32) -> Duration {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or_default();
    let jitter_us = u64::from(nanos % 1000);
    Duration::from_micros(200 * u64::from(attempt) + jitter_us * u64::from(attempt))
}

/// Errors that another attempt of the same transaction may not meet.
pub(super) fn is_transient(err: &DbErr) -> bool {
    let sqlx_err = match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Conn(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    let Some(code) = sqlx_err.as_database_error().and_then(|d| d.code()) else { return false };
    matches!(
        &*code,
        // Postgres: deadlock_detected, serialization_failure.
        "40P01" | "40001"
        // SQLite: SQLITE_BUSY, SQLITE_LOCKED, SQLITE_BUSY_SNAPSHOT.
        | "5" | "6" | "517"
    )
}
