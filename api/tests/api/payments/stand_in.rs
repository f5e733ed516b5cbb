//! A local stand-in for Stripe's HTTP API (the one part of the system not on this
//! machine): PaymentIntents and refunds, kept in memory, answering with Stripe's
//! shapes, recording every call, and able to fail on demand.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// One request Stripe received.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: &'static str,
    pub path: String,
    pub idempotency_key: Option<String>,
    pub authorization: Option<String>,
    /// The form body, flattened (`metadata[stockade_order_id]` -> `"7"`).
    pub form: HashMap<String, String>,
}

#[derive(Default)]
pub struct Inner {
    pub calls: Vec<Call>,
    /// Intents by id, as Stripe would return them.
    pub intents: HashMap<String, Value>,
    /// Idempotency key -> the answer it got first (Stripe replays it).
    replays: HashMap<String, Value>,
    /// Answer the next this-many calls with a 500.
    pub fail_next: usize,
    /// Answer creates with this 400 error (code, message) instead.
    pub reject_creates: Option<(String, String)>,
    /// Refunds by id, as Stripe would return them.
    pub refunds: HashMap<String, Value>,
    /// The status new refunds get (`pending` unless set: the webhook or a read-back
    /// tells the rest).
    pub refund_status: Option<&'static str>,
}

#[derive(Clone)]
pub struct StripeStandIn {
    pub url: String,
    pub state: Arc<Mutex<Inner>>,
}

impl StripeStandIn {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/v1/payment_intents", post(create_intent))
            .route("/v1/payment_intents/{id}", get(retrieve_intent))
            .route("/v1/payment_intents/{id}/cancel", post(cancel_intent))
            .route("/v1/refunds", post(create_refund))
            .route("/v1/refunds/{id}", get(retrieve_refund))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind stand-in");
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        StripeStandIn { url, state }
    }

    /// The configuration pointing the server at this stand-in.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("STRIPE_SECRET_KEY", "sk_test_standin".to_owned()),
            ("STRIPE_WEBHOOK_SECRET", format!("{NEW_SECRET},{OLD_SECRET}")),
            ("STRIPE_API_BASE", self.url.clone()),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_standin".to_owned()),
        ]
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    pub fn intent(&self, id: &str) -> Value {
        self.state.lock().unwrap().intents.get(id).cloned().expect("known intent")
    }

    /// Changes a refund as Stripe would when it settles.
    pub fn set_refund(&self, id: &str, change: impl FnOnce(&mut Value)) {
        let mut s = self.state.lock().unwrap();
        change(s.refunds.get_mut(id).expect("known refund"));
    }

    /// Changes an intent as Stripe would when the buyer pays (or fails to).
    pub fn set_intent(&self, id: &str, change: impl FnOnce(&mut Value)) {
        let mut s = self.state.lock().unwrap();
        change(s.intents.get_mut(id).expect("known intent"));
    }
}

/// Signing secrets: the current one and the one being rotated out.
pub const NEW_SECRET: &str = "whsec_new_secret_for_tests";
pub const OLD_SECRET: &str = "whsec_old_secret_for_tests";

/// Records the call; `Some` is the failure to answer with instead.
fn record(state: &Mutex<Inner>, method: &'static str, path: String, headers: &HeaderMap, body: &str) -> Option<Response> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let form = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let mut s = state.lock().unwrap();
    s.calls.push(Call { method, path, idempotency_key: header("idempotency-key"), authorization: header("authorization"), form });
    if s.fail_next > 0 {
        s.fail_next -= 1;
        return Some(error(StatusCode::INTERNAL_SERVER_ERROR, "api_error", "internal", "An unknown error occurred"));
    }
    None
}

fn error(status: StatusCode, kind: &str, code: &str, message: &str) -> Response {
    (status, axum::Json(json!({ "error": { "type": kind, "code": code, "message": message } }))).into_response()
}

fn intent_json(id: &str, form: &HashMap<String, String>) -> Value {
    let metadata: serde_json::Map<String, Value> = form
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("metadata[").and_then(|k| k.strip_suffix(']')).map(|k| (k.to_owned(), json!(v))))
        .collect();
    json!({
        "id": id,
        "object": "payment_intent",
        "amount": form.get("amount").and_then(|a| a.parse::<i64>().ok()).unwrap_or(0),
        "amount_capturable": 0,
        "amount_received": 0,
        "capture_method": "automatic",
        "client_secret": format!("{id}_secret_standin"),
        "confirmation_method": "automatic",
        "created": 1_700_000_000,
        "currency": form.get("currency").cloned().unwrap_or_default(),
        "description": form.get("description"),
        "last_payment_error": null,
        "livemode": false,
        "metadata": metadata,
        "payment_method_types": ["card"],
        "receipt_email": form.get("receipt_email"),
        "status": "requires_payment_method",
    })
}

async fn create_intent(State(state): State<Arc<Mutex<Inner>>>, headers: HeaderMap, body: String) -> Response {
    if let Some(r) = record(&state, "POST", "/v1/payment_intents".into(), &headers, &body) {
        return r;
    }
    let mut s = state.lock().unwrap();
    if let Some((code, message)) = s.reject_creates.clone() {
        return error(StatusCode::BAD_REQUEST, "invalid_request_error", &code, &message);
    }
    let call = s.calls.last().cloned().unwrap();
    if let Some(key) = &call.idempotency_key
        && let Some(first) = s.replays.get(key)
    {
        return axum::Json(first.clone()).into_response();
    }
    let id = format!("pi_standin_{}", s.intents.len() + 1);
    let intent = intent_json(&id, &call.form);
    s.intents.insert(id, intent.clone());
    if let Some(key) = call.idempotency_key {
        s.replays.insert(key, intent.clone());
    }
    axum::Json(intent).into_response()
}

async fn retrieve_intent(State(state): State<Arc<Mutex<Inner>>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Some(r) = record(&state, "GET", format!("/v1/payment_intents/{id}"), &headers, "") {
        return r;
    }
    match state.lock().unwrap().intents.get(&id) {
        Some(intent) => axum::Json(intent.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "invalid_request_error", "resource_missing", &format!("No such payment_intent: '{id}'")),
    }
}

async fn cancel_intent(State(state): State<Arc<Mutex<Inner>>>, Path(id): Path<String>, headers: HeaderMap, body: String) -> Response {
    if let Some(r) = record(&state, "POST", format!("/v1/payment_intents/{id}/cancel"), &headers, &body) {
        return r;
    }
    let mut s = state.lock().unwrap();
    let Some(intent) = s.intents.get_mut(&id) else {
        return error(StatusCode::NOT_FOUND, "invalid_request_error", "resource_missing", "No such payment_intent");
    };
    let status = intent["status"].as_str().unwrap_or_default().to_owned();
    if status == "succeeded" || status == "canceled" {
        let message = format!("You cannot cancel this PaymentIntent because it has a status of {status}.");
        return error(StatusCode::BAD_REQUEST, "invalid_request_error", "payment_intent_unexpected_state", &message);
    }
    intent["status"] = json!("canceled");
    axum::Json(intent.clone()).into_response()
}

async fn create_refund(State(state): State<Arc<Mutex<Inner>>>, headers: HeaderMap, body: String) -> Response {
    if let Some(r) = record(&state, "POST", "/v1/refunds".into(), &headers, &body) {
        return r;
    }
    let mut s = state.lock().unwrap();
    let call = s.calls.last().cloned().unwrap();
    if let Some(key) = &call.idempotency_key
        && let Some(first) = s.replays.get(key)
    {
        return axum::Json(first.clone()).into_response();
    }
    let id = format!("re_standin_{}", s.refunds.len() + 1);
    let refund = json!({
        "id": id,
        "object": "refund",
        "amount": call.form.get("amount").and_then(|a| a.parse::<i64>().ok()).unwrap_or(0),
        "created": 1_700_000_000,
        "currency": "usd",
        "payment_intent": call.form.get("payment_intent"),
        "status": s.refund_status.unwrap_or("pending"),
    });
    s.refunds.insert(id, refund.clone());
    if let Some(key) = call.idempotency_key {
        s.replays.insert(key, refund.clone());
    }
    axum::Json(refund).into_response()
}

async fn retrieve_refund(State(state): State<Arc<Mutex<Inner>>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Some(r) = record(&state, "GET", format!("/v1/refunds/{id}"), &headers, "") {
        return r;
    }
    match state.lock().unwrap().refunds.get(&id) {
        Some(refund) => axum::Json(refund.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "invalid_request_error", "resource_missing", &format!("No such refund: '{id}'")),
    }
}
