//! Request-level failures (before or instead of executing a GraphQL operation) as
//! GraphQL-shaped JSON errors, for every route and transport of the HTTP surface.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A request-level failure before execution, as a GraphQL-shaped JSON error.
pub(super) fn request_error(status: StatusCode, error_code: &str, message: impl Into<String>) -> Response {
    let body = json!({ "errors": [{ "message": message.into(), "extensions": { "code": error_code } }] });
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}
