//! How failures reach GraphQL clients. The one place domain errors become responses.
//!
//! - Mutations answer expected failures (bad input, conflicts, taken values, ...) in
//!   their payload's `userErrors { code field message }`; see [`UserError`].
//! - Everything else is a top-level error with `extensions.code` (and `field` /
//!   `retryAfter` where they apply). Unexpected failures are logged here with their
//!   cause chain and shown only as "Internal server error".

use async_graphql::{Enum, ErrorExtensions, SimpleObject};

use stockade_domain::error::{Error, ErrorCode};

/// Top-level error codes (`extensions.code`) that are not domain codes.
pub mod code {
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";
    pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    pub const QUERY_TOO_DEEP: &str = "QUERY_TOO_DEEP";
    pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
    pub const OPERATION_NOT_FOUND: &str = "OPERATION_NOT_FOUND";
    pub const INTROSPECTION_DISABLED: &str = "INTROSPECTION_DISABLED";
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    pub const PERSISTED_QUERY_NOT_SUPPORTED: &str = "PERSISTED_QUERY_NOT_SUPPORTED";
}

/// What SERVICE_UNAVAILABLE answers tell clients to wait, in seconds.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

/// An error of the API layer, turned into a top-level GraphQL error with a code.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(#[from] pub Error);

impl ApiError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError(Error::invalid(field, message))
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        let err = &self.0;
        if err.is_unavailable() {
            tracing::warn!(error = ?err, "the database is unavailable");
            return async_graphql::Error::new("the service is temporarily unavailable; try again shortly").extend_with(|_, e| {
                e.set("code", code::SERVICE_UNAVAILABLE);
                e.set("retryAfter", UNAVAILABLE_RETRY_AFTER_SECS);
            });
        }
        if let Error::Overloaded { retry_after } = err {
            tracing::info!("a request was refused: its stock queue is full");
            let secs = retry_after.as_secs().max(1);
            return async_graphql::Error::new(err.to_string()).extend_with(|_, e| {
                e.set("code", code::SERVICE_UNAVAILABLE);
                e.set("retryAfter", secs);
            });
        }
        let Some(domain_code) = err.code() else {
            tracing::error!(error = ?err, "internal error while resolving a GraphQL field");
            return async_graphql::Error::new("Internal server error").extend_with(|_, e| e.set("code", code::INTERNAL));
        };
        let top_level = match domain_code {
            ErrorCode::Invalid => code::BAD_USER_INPUT,
            other => other.as_str(),
        };
        async_graphql::Error::new(err.to_string()).extend_with(|_, e| {
            e.set("code", top_level);
            if let Some(field) = err.field() {
                e.set("field", field);
            }
            if let Some(retry) = err.retry_after() {
                e.set("retryAfter", retry.as_secs().max(1));
            }
        })
    }
}

/// `.gql()?` in resolvers: converts domain and API errors with their code.
pub trait ResultExt<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<ApiError>> ResultExt<T> for Result<T, E> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.into().extend())
    }
}

/// Errors shared through a batch loader must be `Clone`.
#[derive(Clone, Debug)]
pub struct SharedError(pub std::sync::Arc<Error>);

impl From<Error> for SharedError {
    fn from(e: Error) -> Self {
        SharedError(std::sync::Arc::new(e))
    }
}

impl From<SharedError> for ApiError {
    fn from(e: SharedError) -> Self {
        match std::sync::Arc::try_unwrap(e.0) {
            Ok(err) => ApiError(err),
            // Shared by several waiters: keep the code and message, the cause is logged once.
            Err(shared) => ApiError(match &*shared {
                Error::Invalid { field, message } => Error::Invalid { field: field.clone(), message: message.clone() },
                Error::NotFound { entity, field } => Error::NotFound { entity, field: field.clone() },
                other => Error::Internal(anyhow::anyhow!("{other}: {other:?}")),
            }),
        }
    }
}

/// Why a mutation did not do what was asked. Expected failures only: unexpected ones
/// are top-level errors.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "stockade_domain::error::ErrorCode")]
pub enum UserErrorCode {
    /// The input is malformed or out of range.
    Invalid,
    /// A referenced object does not exist or is not visible to you.
    NotFound,
    /// `expectedVersion` is stale: someone else changed the object. The payload holds
    /// its current state; nothing was changed.
    VersionConflict,
    EmailTaken,
    SlugTaken,
    SkuTaken,
    /// The password does not meet the rules (see the message).
    WeakPassword,
    /// Wrong email or password.
    InvalidCredentials,
    /// Too many failed sign-ins; the message says when to retry.
    TooManyAttempts,
    Unauthenticated,
    Forbidden,
    RateLimited,
    /// The object's state does not allow this (e.g. shipping an unpaid order).
    IllegalTransition,
    /// Not enough stock; the message says how many are available.
    OutOfStock,
    /// A concurrent change got in the way; send the request again.
    Conflict,
    /// The idempotency key was used for a different request; use a new key.
    IdempotencyKeyReused,
    /// The payment gateway could not be reached; nothing changed, try again shortly.
    GatewayUnavailable,
    /// The payment gateway refused the request; the message carries its reason.
    GatewayRejected,
    /// The order is paid already (a repeated payment request); nothing was charged.
    AlreadyPaid,
    /// A search term is already in another synonym set; remove it there first.
    SynonymTaken,
}

/// An expected failure of a mutation, for the client to show or act on.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    pub code: UserErrorCode,
    /// Path to the input field to blame, from the mutation's argument: field names and
    /// list indexes (as decimal strings, since a GraphQL list has one item type), e.g.
    /// `["input", "price"]` or `["lines", "1", "variantId"]`; null if none.
    pub field: Option<Vec<String>>,
    /// A message for people, in English.
    pub message: String,
    /// With VERSION_CONFLICT: the version the object is at now.
    pub current_version: Option<i64>,
}

impl UserError {
    pub fn new(code: ErrorCode, field: Option<&str>, message: impl Into<String>) -> Self {
        UserError { code: code.into(), field: field.map(|f| field_path(None, f)), message: message.into(), current_version: None }
    }
}

/// A domain field path (`lines.1.quantity`, see `Error::field`) as the API's list of
/// segments, under `input` when the mutation takes one input object.
pub fn field_path(input: Option<&str>, field: &str) -> Vec<String> {
    let prefix = input.filter(|_| field != "expectedVersion");
    prefix.into_iter().chain(field.split('.')).map(str::to_owned).collect()
}

/// Splits a domain error into a `UserError` for the payload, or a top-level error for
/// what a payload cannot express (unexpected failures, authentication, throttling).
/// `input` prefixes field paths, e.g. `Some("input")` gives `["input", "price"]`.
pub fn user_error(err: Error, input: Option<&str>) -> async_graphql::Result<UserError> {
    match err.code() {
        Some(ErrorCode::Unauthenticated | ErrorCode::Forbidden | ErrorCode::RateLimited) | None => Err(ApiError(err).extend()),
        Some(code) => {
            let field = err.field().map(|f| field_path(input, f));
            let current_version = err.current_version();
            Ok(UserError { code: code.into(), field, message: err.to_string(), current_version })
        }
    }
}

/// Payloads with a `userErrors` list.
pub trait WithUserErrors {
    fn user_errors(&mut self) -> &mut Vec<UserError>;
}

/// Implements [`WithUserErrors`] for payload structs with a `user_errors` field.
macro_rules! with_user_errors {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::error::WithUserErrors for $t {
            fn user_errors(&mut self) -> &mut Vec<$crate::error::UserError> {
                &mut self.user_errors
            }
        }
    )*};
}
pub(crate) use with_user_errors;

/// A payload holding only the user error for `err` (or a top-level error, see
/// [`user_error`]).
pub fn failed<P: Default + WithUserErrors>(err: Error, input: Option<&str>) -> async_graphql::Result<P> {
    let mut payload = P::default();
    payload.user_errors().push(user_error(err, input)?);
    Ok(payload)
}

/// A row that must exist (a location, a variant named by a stock level) is gone: a bug,
/// not a client mistake, so an internal error (logged, never shown in detail).
pub(crate) fn vanished(what: &str, id: i64) -> async_graphql::Error {
    async_graphql::ErrorExtensions::extend(&ApiError(Error::Internal(anyhow::anyhow!("{what} {id} vanished"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_stock_queue_is_a_retryable_unavailable_answer() {
        let err = ApiError(Error::Overloaded { retry_after: std::time::Duration::from_secs(1) }).extend();
        let ext = err.extensions.expect("extensions");
        assert_eq!(ext.get("code"), Some(&async_graphql::Value::from(code::SERVICE_UNAVAILABLE)));
        assert_eq!(ext.get("retryAfter"), Some(&async_graphql::Value::from(1u64)));
        assert!(err.message.contains("try again"), "{}", err.message);
        // Never a user error: a mutation's payload cannot say "wait".
        assert!(user_error(Error::Overloaded { retry_after: std::time::Duration::from_secs(1) }, None).is_err());
    }
}
