//! A schema extension that gives every error a code and records each operation.
//!
//! - Parse errors get `GRAPHQL_PARSE_FAILED`; validation errors `GRAPHQL_VALIDATION_FAILED`,
//!   or `QUERY_TOO_DEEP` / `QUERY_TOO_COMPLEX` / `OPERATION_NOT_FOUND` where they say so.
//! - A field error without a code did not come through `graphql::error` and so was not
//!   expected: it is logged and its message replaced with a generic one, so no library
//!   text reaches a client.
//! - Each operation's name, kind, outcome and latency go to the metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Response, ServerError, ServerResult, Value, Variables};

use super::error::code;
use crate::metrics::Metrics;

pub struct Observe {
    pub metrics: Arc<Metrics>,
}

impl ExtensionFactory for Observe {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ObserveExtension { metrics: self.metrics.clone(), kind: std::sync::Mutex::new("query"), executed: AtomicBool::new(false) })
    }
}

struct ObserveExtension {
    metrics: Arc<Metrics>,
    /// Operation kind, learned at parse time for the metrics label.
    kind: std::sync::Mutex<&'static str>,
    /// Whether the operation reached execution (and so was recorded there).
    executed: AtomicBool,
}

fn has_code(err: &ServerError) -> bool {
    err.extensions.as_ref().is_some_and(|e| e.get("code").is_some())
}

fn set_code(err: &mut ServerError, value: &str) {
    err.extensions.get_or_insert_with(Default::default).set("code", value);
}

#[async_trait::async_trait]
impl Extension for ObserveExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let mut response = next.run(ctx).await;
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
        let kind = *self.kind.lock().unwrap_or_else(|e| e.into_inner());
        // Operations that executed were recorded in `execute`; these never got that far.
        if !self.executed.load(Ordering::Relaxed) {
            self.metrics.record_operation(None, kind, false, started.elapsed());
        }
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        match next.run(ctx, query, variables).await {
            Ok(doc) => {
                let kind = doc
                    .operations
                    .iter()
                    .next()
                    .map(|(_, op)| match op.node.ty {
                        OperationType::Query => "query",
                        OperationType::Mutation => "mutation",
                        OperationType::Subscription => "subscription",
                    })
                    .unwrap_or("query");
                *self.kind.lock().unwrap_or_else(|e| e.into_inner()) = kind;
                Ok(doc)
            }
            Err(mut err) => {
                set_code(&mut err, code::PARSE_FAILED);
                Err(err)
            }
        }
    }

    async fn execute(&self, ctx: &ExtensionContext<'_>, operation_name: Option<&str>, next: NextExecute<'_>) -> Response {
        self.executed.store(true, Ordering::Relaxed);
        let started = Instant::now();
        let response = next.run(ctx, operation_name).await;
        let kind = *self.kind.lock().unwrap_or_else(|e| e.into_inner());
        self.metrics.record_operation(operation_name, kind, response.errors.is_empty(), started.elapsed());
        response
    }
}
