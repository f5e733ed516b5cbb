//! How failures reach GraphQL clients. The one place domain errors become responses.
//!
//! Every error a client sees carries `extensions.code`. Expected failures keep their
//! message; unexpected ones are logged here with their cause chain and shown only as
//! "Internal server error" with the request id to quote to support.

use async_graphql::ErrorExtensions;

use crate::error::Error;

/// Top-level error codes (`extensions.code`).
pub mod code {
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";
    pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    pub const QUERY_TOO_DEEP: &str = "QUERY_TOO_DEEP";
    pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
    pub const OPERATION_NOT_FOUND: &str = "OPERATION_NOT_FOUND";
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
}

/// An error of the API layer, turned into a GraphQL error with a code.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadInput { field: Option<String>, message: String },
    #[error("{message}")]
    NotFound { field: Option<String>, message: String },
    #[error("Internal server error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadInput { field: Some(field.into()), message: message.into() }
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        match err {
            Error::Invalid { field, message } => ApiError::BadInput { field, message },
            Error::NotFound { entity, field } => ApiError::NotFound { field, message: format!("{entity} not found") },
            // Inventory failures become typed `userErrors` (OUT_OF_STOCK, VERSION_CONFLICT)
            // in the mutation payloads; anywhere else they are the caller's input problem.
            e @ (Error::OutOfStock { .. } | Error::VersionConflict { .. }) => ApiError::BadInput { field: None, message: e.to_string() },
            Error::Db(e) => ApiError::Internal(anyhow::Error::new(e)),
            Error::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            ApiError::BadInput { field, message } | ApiError::NotFound { field, message } => {
                let code = if matches!(self, ApiError::BadInput { .. }) { code::BAD_USER_INPUT } else { code::NOT_FOUND };
                async_graphql::Error::new(message.clone()).extend_with(|_, e| {
                    e.set("code", code);
                    if let Some(field) = field {
                        e.set("field", field.as_str());
                    }
                })
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error while resolving a GraphQL field");
                async_graphql::Error::new("Internal server error").extend_with(|_, e| e.set("code", code::INTERNAL))
            }
        }
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

/// Errors shared through a DataLoader must be `Clone`.
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
            Ok(err) => err.into(),
            Err(shared) => match &*shared {
                Error::Invalid { field, message } => ApiError::BadInput { field: field.clone(), message: message.clone() },
                Error::NotFound { entity, field } => ApiError::NotFound { field: field.clone(), message: format!("{entity} not found") },
                other => ApiError::Internal(anyhow::anyhow!("{other}: {:?}", other)),
            },
        }
    }
}
