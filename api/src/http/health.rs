//! Liveness, readiness and metrics endpoints for operators.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use super::state::AppState;

/// `/healthz`: the process is up and serving.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// `/readyz`: the database answers within two seconds (when not, the log line says why
/// if a plain connection shows it: refused, timed out, host not resolved). The event bus state is
/// reported (`in_process`, `connecting`, `connected`, `degraded`) but never makes the
/// instance unready: without Redis it still serves requests and local events.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let database = match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            let reason = state.db.unreachable_reason(Duration::from_secs(1)).await;
            tracing::warn!(error = %e, reason = reason.as_deref().unwrap_or("-"), "readiness: database check failed");
            Err("error")
        }
        Err(_) => {
            let reason = state.db.unreachable_reason(Duration::from_secs(1)).await;
            tracing::warn!(reason = reason.as_deref().unwrap_or("-"), "readiness: the database did not answer within 2 s");
            Err("timeout")
        }
    };
    let event_bus = state.services.bus.health().as_str();
    match database {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok", "checks": { "database": "ok", "event_bus": event_bus } }))),
        Err(problem) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "checks": { "database": problem, "event_bus": event_bus } })),
        ),
    }
}

/// `/metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = state.services.metrics.render(state.db.pool_stats());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body)
}
