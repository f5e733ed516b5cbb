//! The domain layer's error type. Services return [`Result`]; the GraphQL layer turns
//! each variant into a typed client error in one place (`graphql::error`).
//!
//! Expected failures (bad input, unknown ids, conflicts) carry what a client needs to
//! act on them. Unexpected ones (`Db`, `Internal`) keep their cause for the log and are
//! shown to clients only as a generic message.

use sea_orm::DbErr;

/// Machine-readable reason for an expected failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The input is malformed or out of range.
    Invalid,
    /// A referenced object does not exist (or is not visible to the caller).
    NotFound,
    /// The edit named a version that is no longer current.
    VersionConflict,
    EmailTaken,
    SlugTaken,
    SkuTaken,
    /// The password does not meet the rules.
    WeakPassword,
    /// Wrong email or password.
    InvalidCredentials,
    /// Too many failed sign-ins; retry later.
    TooManyAttempts,
    /// Sign-in required, or the token is expired, forged or revoked.
    Unauthenticated,
    /// Signed in, but not allowed.
    Forbidden,
    /// Too many requests of this kind; retry later.
    RateLimited,
    /// The object is in a state that does not allow this (e.g. shipping an unpaid order).
    IllegalTransition,
    /// Not enough stock to reserve, transfer or sell what was asked for.
    OutOfStock,
    /// A concurrent change got in the way and retrying did not help; try again.
    Conflict,
    /// The idempotency key was already used for a different request.
    IdempotencyKeyReused,
    /// The payment gateway could not be reached or timed out; nothing changed here.
    GatewayUnavailable,
    /// The payment gateway refused the request (the message says why).
    GatewayRejected,
    /// The order is paid already: there is nothing (more) to pay.
    AlreadyPaid,
    /// A search term is already in another synonym set.
    SynonymTaken,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Invalid => "INVALID",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::VersionConflict => "VERSION_CONFLICT",
            ErrorCode::EmailTaken => "EMAIL_TAKEN",
            ErrorCode::SlugTaken => "SLUG_TAKEN",
            ErrorCode::SkuTaken => "SKU_TAKEN",
            ErrorCode::WeakPassword => "WEAK_PASSWORD",
            ErrorCode::InvalidCredentials => "INVALID_CREDENTIALS",
            ErrorCode::TooManyAttempts => "TOO_MANY_ATTEMPTS",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::IllegalTransition => "ILLEGAL_TRANSITION",
            ErrorCode::OutOfStock => "OUT_OF_STOCK",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ErrorCode::GatewayUnavailable => "GATEWAY_UNAVAILABLE",
            ErrorCode::GatewayRejected => "GATEWAY_REJECTED",
            ErrorCode::AlreadyPaid => "ALREADY_PAID",
            ErrorCode::SynonymTaken => "SYNONYM_TAKEN",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that fails validation. `field` names the input field, if one is to blame.
    #[error("{message}")]
    Invalid { field: Option<String>, message: String },

    /// The referenced object does not exist.
    #[error("{entity} not found")]
    NotFound { entity: &'static str, field: Option<String> },

    /// Not enough stock of `variant_id`: `available` is what could still be had (across
    /// the locations the request allowed) when it failed. Nothing was written.
    #[error("not enough stock: {requested} requested, {available} available")]
    OutOfStock { variant_id: i64, requested: i64, available: i64 },

    /// The caller edited `entity` (e.g. "stock level") from version `expected`, but
    /// someone changed it since: it is at version `current` now. Nothing was written; the
    /// caller reloads the row, shows it, and retries.
    #[error("{entity} was changed by someone else (expected version {expected}, current version {current})")]
    VersionConflict { entity: &'static str, expected: i64, current: i64 },

    /// A value that must be unique is already in use.
    #[error("{message}")]
    Taken { code: ErrorCode, field: String, message: String },

    #[error("{message}")]
    WeakPassword { message: String },

    #[error("wrong email or password")]
    InvalidCredentials,

    /// Refused for a while after repeated failures.
    #[error("too many failed attempts; try again in {} s", retry_after.as_secs().max(1))]
    TooManyAttempts { retry_after: std::time::Duration },

    /// Too many requests of one kind in a short time.
    #[error("too many requests; try again in {} s", retry_after.as_secs().max(1))]
    RateLimited { retry_after: std::time::Duration },

    /// Too many requests are queued for the same stock on this instance (a flash sale
    /// beyond what the queue holds); nothing changed, try again shortly.
    #[error("too many buyers are waiting for this item right now; try again in {} s", retry_after.as_secs().max(1))]
    Overloaded { retry_after: std::time::Duration },

    /// A state change the transition table does not allow; nothing changed.
    #[error("cannot go from {from} to {to}")]
    IllegalTransition { from: &'static str, to: &'static str },

    #[error("{message}")]
    Unauthenticated { message: String },

    #[error("{message}")]
    Forbidden { message: String },

    /// A concurrent change got in the way of this transaction (a stale stock plan,
    /// a lost race); the whole transaction should be retried.
    #[error("a concurrent change got in the way; please try again")]
    Conflict,

    /// The idempotency key belongs to another request (e.g. another cart's checkout).
    #[error("this idempotency key was already used for a different request; use a new key")]
    IdempotencyKeyReused,

    /// The payment gateway could not be reached (or answered with a server error).
    #[error("the payment gateway is unavailable; try again shortly")]
    GatewayUnavailable { detail: String },

    /// The payment gateway refused the request. Its own text stays in the logs: it
    /// can name keys and internals, and is not written for buyers.
    #[error("the payment gateway refused the request ({code}); please try again, or contact the shop if it persists")]
    GatewayRejected { code: String, message: String },

    /// Paying an order that is paid already.
    #[error("this order is paid already; there is nothing to pay")]
    AlreadyPaid,

    /// A statement failed. `at` is where in our code (the `?` that turned the
    /// database's error into this one): the logs say which operation failed, the
    /// client only that something did.
    #[error("database error")]
    Db { source: DbErr, at: &'static std::panic::Location<'static> },

    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<DbErr> for Error {
    /// Records where the error crossed into the domain (`?` in a service), so the log
    /// line of a failed statement names the operation.
    #[track_caller]
    fn from(source: DbErr) -> Self {
        Error::Db { source, at: std::panic::Location::caller() }
    }
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid { field: Some(field.into()), message: message.into() }
    }

    pub fn not_found(entity: &'static str, field: impl Into<String>) -> Self {
        Error::NotFound { entity, field: Some(field.into()) }
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Error::Unauthenticated { message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::Forbidden { message: message.into() }
    }

    /// A stale edit of a versioned row.
    pub fn stale(entity: &'static str, expected: i64, current: i64) -> Self {
        Error::VersionConflict { entity, expected, current }
    }

    /// With VERSION_CONFLICT: the version the row is at now.
    pub fn current_version(&self) -> Option<i64> {
        match self {
            Error::VersionConflict { current, .. } => Some(*current),
            _ => None,
        }
    }

    /// The code for expected failures; `None` for unexpected ones.
    pub fn code(&self) -> Option<ErrorCode> {
        Some(match self {
            Error::Invalid { .. } => ErrorCode::Invalid,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::OutOfStock { .. } => ErrorCode::OutOfStock,
            Error::VersionConflict { .. } => ErrorCode::VersionConflict,
            Error::Taken { code, .. } => *code,
            Error::WeakPassword { .. } => ErrorCode::WeakPassword,
            Error::InvalidCredentials => ErrorCode::InvalidCredentials,
            Error::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            Error::RateLimited { .. } => ErrorCode::RateLimited,
            Error::Unauthenticated { .. } => ErrorCode::Unauthenticated,
            Error::Forbidden { .. } => ErrorCode::Forbidden,
            Error::IllegalTransition { .. } => ErrorCode::IllegalTransition,
            Error::Conflict => ErrorCode::Conflict,
            Error::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            Error::GatewayUnavailable { .. } => ErrorCode::GatewayUnavailable,
            Error::GatewayRejected { .. } => ErrorCode::GatewayRejected,
            Error::AlreadyPaid => ErrorCode::AlreadyPaid,
            Error::Db { .. } | Error::Internal(_) | Error::Overloaded { .. } => return None,
        })
    }

    /// Whether the database could not be reached (retry shortly); see
    /// [`db_unavailable`].
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Db { source, .. } if db_unavailable(source))
    }

    /// The input field to blame, if any: a path from the operation's argument, its
    /// segments (field names, and list indexes counted from 0) joined by `.`, e.g.
    /// `lines.1.quantity` or `shippingAddress.city`.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. } | Error::NotFound { field, .. } => field.as_deref(),
            Error::Taken { field, .. } => Some(field),
            Error::VersionConflict { .. } => Some("expectedVersion"),
            Error::WeakPassword { .. } => Some("password"),
            _ => None,
        }
    }

    /// How long to wait before retrying, for throttling errors.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Error::TooManyAttempts { retry_after } | Error::RateLimited { retry_after } | Error::Overloaded { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether `err` means the database cannot be reached right now (pool timeout, refused
/// or dropped connections, a server shutting down or starting up), as opposed to a
/// failed statement. Such failures are worth retrying shortly.
pub fn db_unavailable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    let sqlx_error = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    match &**sqlx_error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => true,
        // Postgres: class 08 (connection exception) and 57P01-57P03 (shutting down,
        // crash shutdown, cannot connect now).
        sqlx::Error::Database(db) => db.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}
