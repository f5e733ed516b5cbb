//! Runs GraphQL requests for every transport (HTTP and WebSocket) and gives every error
//! a code, in one place:
//!
//! - Parse errors get `GRAPHQL_PARSE_FAILED`; validation errors `GRAPHQL_VALIDATION_FAILED`,
//!   or `QUERY_TOO_DEEP` / `QUERY_TOO_COMPLEX` / `OPERATION_NOT_FOUND` where they say so.
//! - A field error without a code did not come through `graphql::error` and so was not
//!   expected: it is logged and its message replaced with a generic one, so no library
//!   text reaches a client.
//! - Each operation's name, kind, outcome and latency go to the metrics.
//!
//! This is deliberately not an async-graphql extension: registering any extension
//! sends every field of every response through the extension chain, which cost more
//! than a third of the CPU of a catalog listing.

use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Data, Request, Response, ServerError, Value};
use futures::stream::{BoxStream, StreamExt};

use super::StockadeSchema;
use super::error::code;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct Executor {
    schema: StockadeSchema,
    metrics: Arc<Metrics>,
}

impl Executor {
    pub fn new(schema: StockadeSchema, metrics: Arc<Metrics>) -> Self {
        Executor { schema, metrics }
    }

    /// Executes a query or mutation.
    pub async fn execute(&self, mut request: Request) -> Response {
        let started = Instant::now();
        let wanted = request.operation_name.clone();
        let (kind, name) = match request.parsed_query() {
            Ok(doc) => describe(doc, wanted.as_deref()),
            Err(mut err) => {
                set_code(&mut err, code::PARSE_FAILED);
                self.metrics.record_operation(None, "query", false, started.elapsed());
                return Response::from_errors(vec![err]);
            }
        };
        let mut response = self.schema.execute(request).await;
        classify(&mut response);
        self.metrics.record_operation(name.as_deref(), kind, response.errors.is_empty(), started.elapsed());
        response
    }

    /// Executes a subscription (or any operation sent over a WebSocket).
    pub fn execute_stream(&self, mut request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let wanted = request.operation_name.clone();
        let (kind, name) = match request.parsed_query() {
            Ok(doc) => describe(doc, wanted.as_deref()),
            Err(mut err) => {
                set_code(&mut err, code::PARSE_FAILED);
                return futures::stream::once(async move { Response::from_errors(vec![err]) }).boxed();
            }
        };
        let metrics = self.metrics.clone();
        metrics.record_operation(name.as_deref(), kind, true, std::time::Duration::ZERO);
        self.schema
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(|mut response| {
                classify(&mut response);
                response
            })
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

/// Gives every error of a response a code, masking unexpected ones.
fn classify(response: &mut Response) {
    let request_failed = matches!(response.data, Value::Null) && !response.errors.is_empty();
    for err in &mut response.errors {
        if has_code(err) {
            continue;
        }
        if request_failed && err.path.is_empty() {
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
