//! The HTTP surface: routes, middleware, and the shared state handlers see.

mod auth;
mod compress;
mod demo_images;
mod graphiql;
mod graphql;
mod health;
pub mod request_id;
mod response;
mod state;
mod webhooks;
mod ws;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

pub use state::{AppParts, AppState};

pub fn router(state: AppState) -> Router {
    let cors = cors(&state.config.cors_allowed_origins);
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post).fallback(graphql::method_not_allowed))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/demo-images/{file}", get(demo_images::image))
        .route("/graphiql/{file}", get(graphiql::asset))
        .route("/webhooks/stripe", axum::routing::post(webhooks::stripe).layer(axum::extract::DefaultBodyLimit::max(webhooks::MAX_BODY)))
        .fallback(not_found)
        .layer(compress::layer())
        .layer(axum::middleware::from_fn(limit_head))
        .layer(axum::middleware::from_fn_with_state(state.clone(), request_id::observe))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(CatchPanicLayer::custom(|_| panic_response()))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(HeaderName::from_static("x-frame-options"), HeaderValue::from_static("DENY")))
        .layer(tower::util::option_layer(cors))
        .with_state(state)
}

/// Browsers may call the API from the configured origins only (none by default:
/// same-origin). `*` allows any origin.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT, HeaderName::from_static(request_id::HEADER)])
            .expose_headers([HeaderName::from_static(request_id::HEADER), HeaderName::from_static("x-cache"), header::RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    )
}

/// Longest request target accepted (a GET query included).
const MAX_URI_BYTES: usize = 32 * 1024;
/// Most header bytes accepted (names and values).
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Refuses oversized request targets (414) and headers (431) with a JSON body like
/// every other error. (Past hyper's own buffer, about 400 KB, hyper answers first.)
async fn limit_head(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let uri_len = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return response::request_error(
            StatusCode::URI_TOO_LONG,
            "BAD_REQUEST",
            format!("the request URL is longer than {MAX_URI_BYTES} bytes; send large queries with POST"),
        );
    }
    let header_bytes: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if header_bytes > MAX_HEADER_BYTES {
        return response::request_error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "BAD_REQUEST",
            format!("the request headers are larger than {MAX_HEADER_BYTES} bytes"),
        );
    }
    next.run(request).await
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
