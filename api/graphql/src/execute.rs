//! Runs GraphQL requests for every transport (HTTP and WebSocket) and gives every error
//! a code, in one place:
//!
//! - Parse errors get `GRAPHQL_PARSE_FAILED`; validation errors `GRAPHQL_VALIDATION_FAILED`,
//!   or `QUERY_TOO_DEEP` / `QUERY_TOO_COMPLEX` / `OPERATION_NOT_FOUND` where they say so.
//! - A field error without a code did not come through `graphql::error` and so was not
//!   expected: it is logged and its message replaced with a generic one, so no library
//!   text reaches a client.
//! - Documents are admitted first ([`super::guard`]): nesting is bounded on the raw
//!   text before anything parses it, then fragment expansion, root fields and depth.
//! - Operations over a WebSocket are charged to the browse rate limit like HTTP requests.
//! - Each operation's name, kind, outcome and latency go to the metrics.
//!
//! This is deliberately not an async-graphql extension: registering any extension
//! sends every field of every response through the extension chain, which cost more
//! than a third of the CPU of a catalog listing.

use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Data, ErrorExtensions, Request, Response, ServerError, Value};
use futures::stream::{BoxStream, StreamExt};

use super::error::{ApiError, code};
use super::guard::{self, DocumentLimits};
use crate::schema::StockadeSchema;
use stockade_domain::accounts::ClientInfo;
use stockade_domain::metrics::Metrics;
use stockade_domain::ratelimit::{RateLimiter, Scope, Tier};

#[derive(Clone)]
pub struct Executor {
    schema: StockadeSchema,
    /// The same schema without the validation rules a request already passed.
    prevalidated: StockadeSchema,
    metrics: Arc<Metrics>,
    limits: DocumentLimits,
    rate_limiter: Arc<RateLimiter>,
    documents: ParsedDocuments,
    validated: Validated,
}

/// Requests (document, operation, variables) that passed every validation rule, so
/// they run on the schema that skips them: validation depends on nothing else (the
/// schema is fixed), and every rule ran on each request again, a tenth of a product
/// page's instructions. Bounded like [`ParsedDocuments`]; larger variables are not kept.
#[derive(Clone)]
struct Validated(moka::sync::Cache<(String, Option<String>, String), ()>);

impl Validated {
    const ENTRIES: u64 = 1_000;
    const MAX_VARIABLES: usize = 4 * 1024;

    /// What identifies `request` for validation, if it may be kept.
    fn key(request: &Request) -> Option<(String, Option<String>, String)> {
        if request.query.len() > ParsedDocuments::MAX_TEXT {
            return None;
        }
        let variables = serde_json::to_string(&request.variables).ok().filter(|v| v.len() <= Self::MAX_VARIABLES)?;
        Some((request.query.clone(), request.operation_name.clone(), variables))
    }
}

/// Documents already parsed and admitted, by their text. A storefront sends a handful
/// of documents over and over; parsing the listing's took as many instructions as
/// resolving half its variants. A hit costs a clone of the tree instead. Bounded in
/// entries and in the size of a document kept, so a client sending unique documents
/// only churns it.
#[derive(Clone)]
struct ParsedDocuments(moka::sync::Cache<String, Arc<ExecutableDocument>>);

impl ParsedDocuments {
    const ENTRIES: u64 = 1_000;
    const MAX_TEXT: usize = 16 * 1024;

    fn new() -> Self {
        ParsedDocuments(moka::sync::Cache::new(Self::ENTRIES))
    }

    fn get(&self, text: &str) -> Option<Arc<ExecutableDocument>> {
        self.0.get(text)
    }

    fn keep(&self, text: &str, doc: Arc<ExecutableDocument>) {
        if text.len() <= Self::MAX_TEXT {
            self.0.insert(text.to_owned(), doc);
        }
    }
}

/// The operation a request selects, once its document has been admitted.
pub struct Admitted {
    kind: &'static str,
    name: Option<String>,
}

impl Admitted {
    /// Whether the selected operation is a query (the only kind GET may carry).
    pub fn is_query(&self) -> bool {
        self.kind == "query"
    }
}

impl Executor {
    /// `prevalidated` is `schema` built with [`async_graphql::ValidationMode::Fast`].
    pub fn new(
        schema: StockadeSchema,
        prevalidated: StockadeSchema,
        metrics: Arc<Metrics>,
        limits: DocumentLimits,
        rate_limiter: Arc<RateLimiter>,
    ) -> Self {
        Executor {
            schema,
            prevalidated,
            metrics,
            limits,
            rate_limiter,
            documents: ParsedDocuments::new(),
            validated: Validated(moka::sync::Cache::new(Validated::ENTRIES)),
        }
    }

    /// Checks and parses the request's document (see [`guard`]). The parsed document
    /// stays in the request. A refusal is returned as the response to send.
    pub fn admit(&self, request: &mut Request) -> Result<Admitted, Box<Response>> {
        let refused = |err: ServerError| {
            self.metrics.record_operation(None, "query", false, std::time::Duration::ZERO);
            Box::new(Response::from_errors(vec![err]))
        };
        let wanted = request.operation_name.clone();
        // The same text passed the same checks before (the limits are fixed).
        if let Some(doc) = self.documents.get(&request.query) {
            let (kind, name) = describe(&doc, wanted.as_deref());
            request.set_parsed_query(ExecutableDocument::clone(&doc));
            return Ok(Admitted { kind, name });
        }
        guard::check_text(&request.query).map_err(refused)?;
        let doc = match request.parsed_query() {
            Ok(doc) => doc,
            Err(mut err) => {
                set_code(&mut err, code::PARSE_FAILED);
                return Err(refused(err));
            }
        };
        guard::check_document(doc, &self.limits).map_err(refused)?;
        let (kind, name) = describe(doc, wanted.as_deref());
        let parsed = Arc::new(doc.clone());
        self.documents.keep(&request.query, parsed);
        Ok(Admitted { kind, name })
    }

    /// Executes a query or mutation.
    pub async fn execute(&self, mut request: Request) -> Response {
        match self.admit(&mut request) {
            Ok(admitted) => self.execute_admitted(request, admitted).await,
            Err(refused) => *refused,
        }
    }

    /// Executes a request that [`Executor::admit`] accepted.
    pub async fn execute_admitted(&self, request: Request, admitted: Admitted) -> Response {
        let started = Instant::now();
        let key = Validated::key(&request);
        let passed_before = key.as_ref().is_some_and(|k| self.validated.0.contains_key(k));
        self.metrics.record_validation(if passed_before { "skipped" } else { "checked" });
        let mut response = if passed_before { self.prevalidated.execute(request).await } else { self.schema.execute(request).await };
        // Validation errors, like every request error, have no path; field errors have one.
        if let Some(key) = key.filter(|_| !passed_before && response.errors.iter().all(|e| !e.path.is_empty())) {
            self.validated.0.insert(key, ());
        }
        classify(&mut response);
        self.metrics.record_operation(admitted.name.as_deref(), admitted.kind, response.errors.is_empty(), started.elapsed());
        response
    }

    /// Executes a subscription (or any operation sent over a WebSocket), charged to
    /// the browse limit of the connection's client like an HTTP request.
    pub fn execute_stream(&self, mut request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let admitted = match self.admit(&mut request) {
            Ok(admitted) => admitted,
            Err(refused) => return futures::stream::once(async move { *refused }).boxed(),
        };
        let session_data = session_data.unwrap_or_default();
        let ip = session_data
            .get(&std::any::TypeId::of::<ClientInfo>())
            .and_then(|data| data.downcast_ref::<ClientInfo>())
            .and_then(|client| client.ip.clone())
            .unwrap_or_else(|| "unknown".into());
        let executor = self.clone();
        futures::stream::once(async move {
            if let Err(retry_after) = executor.rate_limiter.check(Tier::Browse, Scope::Ip, &ip).await {
                executor.metrics.record_operation(admitted.name.as_deref(), admitted.kind, false, std::time::Duration::ZERO);
                let err = ApiError(stockade_domain::error::Error::RateLimited { retry_after }).extend();
                return futures::stream::once(async move { Response::from_errors(vec![err.into_server_error(Default::default())]) })
                    .boxed();
            }
            executor.metrics.record_operation(admitted.name.as_deref(), admitted.kind, true, std::time::Duration::ZERO);
            executor
                .schema
                .execute_stream_with_session_data(request, session_data)
                .map(|mut response| {
                    classify(&mut response);
                    response
                })
                .boxed()
        })
        .flatten()
        .boxed()
    }
}

impl async_graphql::Executor for Executor {
    async fn execute(&self, request: Request) -> Response {
        Executor::execute(self, request).await
    }

    fn execute_stream(&self, request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        Executor::execute_stream(self, request, session_data)
    }
}

/// The kind and name of the operation a request selects.
fn describe(doc: &ExecutableDocument, wanted: Option<&str>) -> (&'static str, Option<String>) {
    let selected = doc.operations.iter().find(|(name, _)| match (name, wanted) {
        (Some(n), Some(w)) => n.as_str() == w,
        (_, None) => true,
        (None, Some(_)) => false,
    });
    match selected {
        Some((name, op)) => (
            match op.node.ty {
                OperationType::Query => "query",
                OperationType::Mutation => "mutation",
                OperationType::Subscription => "subscription",
            },
            name.map(|n| n.to_string()),
        ),
        None => ("query", wanted.map(str::to_owned)),
    }
}

fn has_code(err: &ServerError) -> bool {
    err.extensions.as_ref().is_some_and(|e| e.get("code").is_some())
}

fn set_code(err: &mut ServerError, value: &str) {
    err.extensions.get_or_insert_with(Default::default).set("code", value);
}

/// Whether `message` is async-graphql's report of an argument or variable value that
/// could not be coerced to its type (it coerces while executing, so these come back
/// as field errors): the client's mistake, not ours.
fn is_coercion_error(message: &str) -> bool {
    message.starts_with("Failed to parse \"")
        || message.starts_with("Invalid value for argument")
        || (message.starts_with("Variable ") && message.ends_with("is not defined."))
}

/// Gives every error of a response a code, masking unexpected ones. Coercion errors
/// become request errors (`BAD_USER_INPUT`, no path), as the GraphQL spec has them.
fn classify(response: &mut Response) {
    let request_failed = matches!(response.data, Value::Null) && !response.errors.is_empty();
    for err in &mut response.errors {
        if has_code(err) {
            continue;
        }
        if !err.path.is_empty() && is_coercion_error(&err.message) {
            if let Some(name) = err.message.strip_prefix("Variable ").and_then(|m| m.strip_suffix(" is not defined.")) {
                err.message = format!("variable ${name} is required but was not provided");
            }
            err.path.clear();
            set_code(err, code::BAD_USER_INPUT);
        } else if request_failed && err.path.is_empty() {
            let tag = match err.message.as_str() {
                "Query is nested too deep." => code::QUERY_TOO_DEEP,
                "Query is too complex." => code::QUERY_TOO_COMPLEX,
                m if m.starts_with("Unknown operation named") || m.starts_with("Operation name required") => code::OPERATION_NOT_FOUND,
                _ => code::VALIDATION_FAILED,
            };
            set_code(err, tag);
        } else {
            tracing::error!(message = %err.message, path = ?err.path, "GraphQL error without a code (unexpected)");
            err.message = "Internal server error".into();
            set_code(err, code::INTERNAL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coercion_failures_are_client_errors() {
        assert!(is_coercion_error(
            "Failed to parse \"Int\": Only integers from -2147483648 to 2147483647 are accepted. (occurred while parsing \"CartLineInput\")"
        ));
        assert!(is_coercion_error("Variable s is not defined."));
        assert!(is_coercion_error("Invalid value for argument \"slug\", expected type \"String\""));
        assert!(!is_coercion_error("database is locked"));
    }
}
