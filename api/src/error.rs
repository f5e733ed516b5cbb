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
    /// Not enough stock to reserve, transfer or sell what was asked for.
    OutOfStock,
    /// An edit named a version that is no longer current (optimistic locking).
    VersionConflict,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Invalid => "INVALID",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::OutOfStock => "OUT_OF_STOCK",
            ErrorCode::VersionConflict => "VERSION_CONFLICT",
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

    /// The caller edited from version `expected`, but someone changed the row since;
    /// `current` is its state now, so the caller can show it and retry. Nothing was written.
    #[error("{} was changed by someone else (expected version {expected}, current version {})", current.entity(), current.version())]
    VersionConflict { expected: i64, current: Box<ConflictState> },

    #[error("database error")]
    Db(#[from] DbErr),

    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid { field: Some(field.into()), message: message.into() }
    }

    pub fn not_found(entity: &'static str, field: impl Into<String>) -> Self {
        Error::NotFound { entity, field: Some(field.into()) }
    }

    /// The code for expected failures; `None` for unexpected ones.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Invalid { .. } => Some(ErrorCode::Invalid),
            Error::NotFound { .. } => Some(ErrorCode::NotFound),
            Error::OutOfStock { .. } => Some(ErrorCode::OutOfStock),
            Error::VersionConflict { .. } => Some(ErrorCode::VersionConflict),
            Error::Db(_) | Error::Internal(_) => None,
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. } | Error::NotFound { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

/// The current state of a row that a stale edit was aimed at (see
/// [`Error::VersionConflict`]). One variant per kind of versioned row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConflictState {
    StockLevel(crate::inventory::StockLevel),
}

impl ConflictState {
    /// What kind of row it is, for messages.
    pub fn entity(&self) -> &'static str {
        match self {
            ConflictState::StockLevel(_) => "stock level",
        }
    }

    /// Its version now.
    pub fn version(&self) -> i64 {
        match self {
            ConflictState::StockLevel(level) => level.version,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
