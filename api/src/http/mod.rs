//! The HTTP surface: routes, middleware, and the shared state handlers see.

mod demo_images;
mod graphql;
mod health;
pub mod request_id;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::db::Database;
use crate::graphql::{Executor, Services};

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub executor: Executor,
    pub db: Database,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post).fallback(graphql::method_not_allowed))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/demo-images/{file}", get(demo_images::image))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), request_id::observe))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(CatchPanicLayer::custom(|_| panic_response()))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(HeaderName::from_static("x-frame-options"), HeaderValue::from_static("DENY")))
        .with_state(state)
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "error": "not found", "hint": "the API is at /graphql" }))).into_response()
}

fn panic_response() -> Response {
    tracing::error!("a request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(
            serde_json::json!({ "errors": [{ "message": "Internal server error", "extensions": { "code": "INTERNAL_SERVER_ERROR" } }] }),
        ),
    )
        .into_response()
}
