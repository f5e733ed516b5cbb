//! Request ids and the per-request span, access log line and HTTP metrics.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::state::AppState;

/// The id of the HTTP request being served: the caller's `x-request-id` if it is
/// sane, else a fresh UUIDv7. Echoed in the response and put on every log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

pub const HEADER: &str = "x-request-id";

fn incoming_id(request: &Request) -> Option<String> {
    let value = request.headers().get(HEADER)?.to_str().ok()?;
    let sane = !value.is_empty() && value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    sane.then(|| value.to_owned())
}

pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let id = incoming_id(&request).unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    request.extensions_mut().insert(RequestId(id.clone()));
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let method = request.method().clone();
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);

    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state.services.metrics.record_http(method.as_str(), &route, status, elapsed);

    let _enter = span.enter();
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(status, latency_ms, "request failed");
    } else if elapsed > Duration::from_secs(1) {
        tracing::warn!(status, latency_ms, "slow request");
    } else {
        tracing::debug!(status, latency_ms, "request");
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}
