//! `POST /webhooks/stripe`: Stripe's events, verified over the raw body before
//! anything is read, then applied once.
//!
//! Answers: 200 for every verified event, including duplicates and types we do not act
//! on (so Stripe stops sending them); 400 for a missing, malformed, stale or wrong
//! signature or an unreadable body (nothing changes); 404 when no signing secret is
//! configured; 500 when applying failed (Stripe retries later, and the retry is
//! applied once).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::state::AppState;
use stockade_domain::payments::webhook::{self, SignatureError};

/// Stripe's events are a few KiB; anything near this is not one.
pub const MAX_BODY: usize = 256 * 1024;

pub async fn stripe(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let services = &state.services;
    let metrics = &services.metrics;
    let secrets = &state.config.payments.stripe_webhook_secrets;
    if secrets.is_empty() {
        return (StatusCode::NOT_FOUND, Json(json!({ "error": "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)" })))
            .into_response();
    }
    let signature = headers.get("stripe-signature").map(|v| v.to_str().unwrap_or(""));
    if let Err(e) = webhook::verify(signature, &body, secrets, chrono::Utc::now().timestamp()) {
        metrics.record_webhook("stripe", "bad_signature");
        tracing::warn!(reason = %e, "Stripe webhook refused: signature");
        let reason = match e {
            SignatureError::Missing => "missing Stripe-Signature header",
            SignatureError::Malformed => "malformed Stripe-Signature header",
            SignatureError::Stale => "timestamp outside the tolerance",
            SignatureError::Mismatch => "no signature matches",
        };
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": "invalid signature", "reason": reason }))).into_response();
    }
    let event = match webhook::decode(&body) {
        Ok(event) => event,
        Err(e) => {
            metrics.record_webhook("stripe", "bad_body");
            tracing::warn!(error = %e, "Stripe webhook refused: body");
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": e.to_string() }))).into_response();
        }
    };
    match services.payments.apply_event(&event).await {
        Ok(outcome) => {
            metrics.record_webhook("stripe", outcome.applied.as_str());
            (StatusCode::OK, Json(json!({ "received": true, "outcome": outcome.applied.as_str() }))).into_response()
        }
        Err(e) => {
            metrics.record_webhook("stripe", "error");
            tracing::error!(event_id = %event.id, error = ?e, "applying a Stripe event failed; Stripe will retry");
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "the event could not be applied; it will be retried" })))
                .into_response()
        }
    }
}
