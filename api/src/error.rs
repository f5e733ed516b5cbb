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
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Invalid => "INVALID",
            ErrorCode::NotFound => "NOT_FOUND",
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

pub type Result<T, E = Error> = std::result::Result<T, E>;
