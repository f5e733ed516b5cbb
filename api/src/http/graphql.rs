//! `/graphql` over HTTP, following the GraphQL-over-HTTP spec:
//!
//! - POST with `Content-Type: application/json`; anything else is 415.
//! - GET with `query`, `operationName`, `variables` (JSON) in the query string; a
//!   mutation over GET is 405. GET from a browser (no query) serves GraphiQL; GET with
//!   `Upgrade: websocket` speaks graphql-transport-ws (and the legacy graphql-ws).
//! - `Accept: application/graphql-response+json` gets that media type and 4xx for
//!   request errors (parse, validation, unknown operation); `application/json` (or no
//!   Accept) gets 200 for every well-formed request. Other Accept values are 406.
//! - Malformed JSON, a missing `query`, and batches are 400; oversized bodies are 413.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::auth::{self, browse_limit, client_info};
use super::compress::{self, Encoding};
use super::request_id::RequestId;
use super::response::request_error;
use super::state::AppState;
use axum::extract::ConnectInfo;
use std::net::SocketAddr;
use stockade_graphql::cache::{CacheStatus, CachedResponse, StockReads};
use stockade_graphql::error::code;
use stockade_graphql::persisted::{Persisted, PersistedError};
use stockade_graphql::{PublicOrigin, request_data};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// Which response media type the client accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphqlResponse,
    Json,
}

impl MediaType {
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            MediaType::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            MediaType::Json => "application/json; charset=utf-8",
        })
    }
}

/// Picks the response media type from `Accept` (highest q wins; no header means JSON).
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(MediaType::Json);
    };
    let mut best: Option<(f32, MediaType)> = None;
    for part in accept.split(',') {
        let mut pieces = part.split(';').map(str::trim);
        let media = pieces.next().unwrap_or_default().to_ascii_lowercase();
        let q = pieces.find_map(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
        let candidate = match media.as_str() {
            GRAPHQL_RESPONSE => MediaType::GraphqlResponse,
            JSON | "application/*" | "*/*" => MediaType::Json,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(bq, bm)| q > bq || (q == bq && candidate == MediaType::GraphqlResponse && bm == MediaType::Json)) {
            best = Some((q, candidate));
        }
    }
    best.map(|(_, m)| m)
}

pub async fn post(
    State(state): State<AppState>,
    request_id: Option<axum::Extension<RequestId>>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return request_error(
            StatusCode::NOT_ACCEPTABLE,
            code::BAD_REQUEST,
            "Accept must allow application/graphql-response+json or application/json",
        );
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence != JSON {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code::BAD_REQUEST,
            format!("Content-Type must be application/json (got '{content_type}')"),
        );
    }
    let limit = state.config.graphql.max_body_bytes;
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return request_error(StatusCode::PAYLOAD_TOO_LARGE, code::BAD_REQUEST, format!("request body is larger than {limit} bytes"));
        }
    };
    let mut value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => return request_error(StatusCode::BAD_REQUEST, code::BAD_REQUEST, format!("body is not valid JSON: {e}")),
    };
    if value.is_array() {
        return request_error(
            StatusCode::BAD_REQUEST,
            code::BAD_REQUEST,
            "batched requests are not supported; send one operation per request",
        );
    }
    let persisted = match Persisted::of(value.get("extensions"), value.get("query").and_then(serde_json::Value::as_str)) {
        Ok(p) => p,
        Err(e) => return persisted_refusal(e),
    };
    let register = match resolve_persisted(&state, persisted).await {
        Ok((document, register)) => {
            if let Some(document) = document {
                value["query"] = serde_json::Value::String(document.to_string());
            }
            if let Some(ext) = value.get_mut("extensions").and_then(serde_json::Value::as_object_mut) {
                ext.remove("persistedQuery");
            }
            register
        }
        Err(refused) => return refused,
    };
    if !value.get("query").is_some_and(serde_json::Value::is_string) {
        return request_error(StatusCode::BAD_REQUEST, code::BAD_REQUEST, "the request has no `query` string");
    }
    let request: async_graphql::Request = match serde_json::from_value(value) {
        Ok(r) => r,
        Err(e) => {
            return request_error(StatusCode::BAD_REQUEST, code::BAD_REQUEST, format!("body is not a GraphQL request: {e}"));
        }
    };
    execute(&state, request, media, &headers, peer.as_ref().map(|p| &p.0), request_id.map(|e| e.0), Sent { method: Method::POST, register })
        .await
}

/// The document a persisted query names (when the request has none), and the hash to
/// register the request's document under once it is admitted; or the answer that
/// refuses it.
async fn resolve_persisted(state: &AppState, persisted: Persisted) -> Result<(Option<std::sync::Arc<str>>, Option<String>), Response> {
    if persisted != Persisted::Absent && !state.persisted.enabled() {
        return Err(persisted_refusal(PersistedError::NotSupported));
    }
    match persisted {
        Persisted::Absent => Ok((None, None)),
        Persisted::Register(hash) => Ok((None, Some(hash))),
        Persisted::Lookup(hash) => match state.persisted.get(&hash).await {
            Some(document) => Ok((Some(document), None)),
            None => Err(persisted_miss(code::PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")),
        },
    }
}

/// A persisted query the client must send again with its document (or, when they are
/// off, without the extension): 200, as clients expect, and never cached.
fn persisted_miss(error_code: &str, message: &str) -> Response {
    let mut response = request_error(StatusCode::OK, error_code, message);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache, must-revalidate"));
    response
}

fn persisted_refusal(error: PersistedError) -> Response {
    match error {
        PersistedError::NotSupported => persisted_miss(code::PERSISTED_QUERY_NOT_SUPPORTED, "PersistedQueryNotSupported"),
        PersistedError::Malformed(why) => request_error(StatusCode::BAD_REQUEST, code::BAD_REQUEST, why),
        PersistedError::HashMismatch => request_error(StatusCode::BAD_REQUEST, code::BAD_REQUEST, "provided sha does not match query"),
    }
}

/// `PUBLIC_URL` if configured, else `http(s)://<Host>/` of the request.
fn public_origin(state: &AppState, headers: &HeaderMap) -> Option<PublicOrigin> {
    if let Some(url) = &state.config.public_url {
        return Some(PublicOrigin(url.clone()));
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let https = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"));
    url::Url::parse(&format!("{}://{host}/", if https { "https" } else { "http" })).ok().map(PublicOrigin)
}

/// GET: WebSocket upgrade, a query in the URL, or GraphiQL for a browser.
pub async fn get(
    State(state): State<AppState>,
    request_id: Option<axum::Extension<RequestId>>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    Query(params): Query<HashMap<String, String>>,
    request: axum::extract::Request,
) -> Response {
    let (mut parts, _body) = request.into_parts();
    let headers = parts.headers.clone();
    let wants_ws = headers.get(header::UPGRADE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if wants_ws {
        let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(ws) => ws,
            Err(rejection) => return rejection.into_response(),
        };
        let origin = public_origin(&state, &headers);
        let client = client_info(&headers, peer.as_ref().map(|p| &p.0), state.config.trust_forwarded_for);
        if let Err(limited) = browse_limit(&state, &client).await {
            return limited;
        }
        return super::ws::upgrade(state, ws, &headers, origin, client);
    }

    let extensions = match params.get("extensions").filter(|e| !e.is_empty()).map(|e| serde_json::from_str::<serde_json::Value>(e)) {
        None => None,
        Some(Ok(v @ serde_json::Value::Object(_))) => Some(v),
        Some(_) => return request_error(StatusCode::BAD_REQUEST, code::BAD_REQUEST, "`extensions` must be a JSON object"),
    };
    let persisted = match Persisted::of(extensions.as_ref(), params.get("query").map(String::as_str)) {
        Ok(p) => p,
        Err(e) => return persisted_refusal(e),
    };
    let (document, register) = match resolve_persisted(&state, persisted).await {
        Ok(resolved) => resolved,
        Err(refused) => return refused,
    };
    let Some(query) = document.map(|d| d.to_string()).or_else(|| params.get("query").cloned()) else {
        let html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
        if html && state.config.graphql.graphiql {
            return super::graphiql::page();
        }
        return request_error(StatusCode::BAD_REQUEST, code::BAD_REQUEST, "missing `query` parameter");
    };
    let Some(media) = negotiate(&headers) else {
        return request_error(
            StatusCode::NOT_ACCEPTABLE,
            code::BAD_REQUEST,
            "Accept must allow application/graphql-response+json or application/json",
        );
    };
    let mut request = async_graphql::Request::new(query);
    if let Some(name) = params.get("operationName").filter(|n| !n.is_empty()) {
        request = request.operation_name(name.clone());
    }
    if let Some(vars) = params.get("variables").filter(|v| !v.is_empty()) {
        match serde_json::from_str::<serde_json::Value>(vars) {
            Ok(v @ serde_json::Value::Object(_)) => request = request.variables(async_graphql::Variables::from_json(v)),
            _ => return request_error(StatusCode::BAD_REQUEST, code::BAD_REQUEST, "`variables` must be a JSON object"),
        }
    }
    execute(&state, request, media, &headers, peer.as_ref().map(|p| &p.0), request_id.map(|e| e.0), Sent { method: Method::GET, register })
        .await
}

/// How a request came: its HTTP method, and the hash to register its document under
/// (an automatic persisted query sent with its document).
struct Sent {
    method: Method,
    register: Option<String>,
}

async fn execute(
    state: &AppState,
    mut request: async_graphql::Request,
    media: MediaType,
    headers: &HeaderMap,
    peer: Option<&ConnectInfo<SocketAddr>>,
    request_id: Option<RequestId>,
    Sent { method, register }: Sent,
) -> Response {
    let client = client_info(headers, peer, state.config.trust_forwarded_for);
    if let Err(limited) = browse_limit(state, &client).await {
        return limited;
    }
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let viewer = match auth::viewer(state, authorization).await {
        Ok(viewer) => viewer,
        Err(failure) => return failure.into_response(),
    };
    let admitted = match state.executor.admit(&mut request) {
        Ok(admitted) => admitted,
        Err(refused) => return respond(render(*refused, media), media, None, viewer.is_anonymous()),
    };
    // A persisted query's document is kept once it has passed admission.
    if let Some(hash) = register {
        state.persisted.register(hash, &request.query).await;
    }
    // Mutations must not be sent over GET (GET may be cached or replayed by proxies).
    if method == Method::GET && !admitted.is_query() {
        let mut response = request_error(StatusCode::METHOD_NOT_ALLOWED, code::BAD_REQUEST, "only queries may be sent with GET; use POST");
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let origin = public_origin(state, headers);
    let cache = &state.services.response_cache;
    let anonymous = viewer.is_anonymous();
    let key = cache.key_for(&mut request, anonymous, origin.as_ref().map(|o| o.0.as_str()), media == MediaType::GraphqlResponse);

    let mut request = request_data(&state.services, request, viewer, client, admitted.is_query());
    // A shareable answer notes whose stock it shows, and when its reading began.
    let stock_reads = Arc::new(StockReads::default());
    let stamp = cache.stamp();
    if key.is_some() {
        request = request.data(stock_reads.clone());
    }
    if let Some(id) = request_id {
        request = request.data(id);
    }
    if let Some(origin) = origin {
        request = request.data(origin);
    }
    // `render` serialises the answer, so objects may hand it their JSON ready-made.
    request = request.data(stockade_graphql::RawJson::default());
    let run = async {
        let mut rendered = render(state.executor.execute_admitted(request, admitted).await, media);
        // Stock values were rendered as placeholders (see `cache::StockReads`).
        let Ok((body, template)) = stockade_graphql::cache::shown_stock(rendered.body.clone(), &stock_reads) else {
            tracing::error!("a response's stock placeholders could not be replaced");
            return Err(internal_error());
        };
        rendered.body = body.clone();
        match rendered.cacheable_for {
            Some(max_age) => Ok(cache.response((body, template), rendered.cache_control.clone(), max_age, &stock_reads, stamp)),
            None => Err(rendered),
        }
    };
    // A stored answer whose stock changed and whose stock levels events have not told
    // reads them (on the primary, as the listing does).
    let read_levels = |variants: Vec<i64>| async move { state.services.inventory.levels_by_variant_ids(&variants).await.ok() };
    let (rendered, cache_status) = match key {
        None => (run.await.map_or_else(|r| r, Rendered::from), None),
        Some(key) => {
            let (outcome, status) = cache.get_or_compute(key, run, read_levels).await;
            state.services.metrics.record_response_cache(status.as_str());
            let rendered = match outcome {
                Ok(cached) => compressed_once(cached, headers),
                Err(shared) => (*shared).clone(),
            };
            (rendered, Some(status))
        }
    };

    respond(rendered, media, cache_status, anonymous)
}

/// A cached answer as the client takes it: compressed (once per encoding, kept with the
/// entry) when it accepts an encoding and the body is worth it; the compression layer
/// leaves an encoded body alone.
fn compressed_once(cached: CachedResponse, headers: &HeaderMap) -> Rendered {
    let encoding = Encoding::choose(headers).filter(|_| cached.body.len() >= usize::from(compress::MIN_BYTES));
    let packed = encoding.and_then(|e| Some((e, cached.encoded(e.slot(), |body| e.encode(body))?)));
    let mut rendered = Rendered::from(cached);
    if let Some((encoding, body)) = packed {
        rendered.body = body;
        rendered.http_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding.token()));
    }
    rendered
}

/// The HTTP response for a rendered GraphQL response.
fn respond(rendered: Rendered, media: MediaType, cache_status: Option<CacheStatus>, anonymous: bool) -> Response {
    let mut http = (rendered.status, rendered.body).into_response();
    let out = http.headers_mut();
    out.insert(header::CONTENT_TYPE, media.content_type());
    // What a signed-in viewer sees depends on who they are (staff see drafts): never
    // stored by a shared cache, whatever the fields' hints say. Anonymous answers keep
    // their hints; every answer varies by credentials and by the negotiated media type.
    let cache_control = if anonymous { rendered.cache_control.and_then(|v| HeaderValue::from_str(&v).ok()) } else { Some(PRIVATE) };
    if let Some(cache_control) = cache_control {
        out.insert(header::CACHE_CONTROL, cache_control);
    }
    out.append(header::VARY, HeaderValue::from_static("Authorization, Accept, Accept-Encoding"));
    if let Some(status) = cache_status {
        out.insert("x-cache", HeaderValue::from_static(status.as_str()));
    }
    out.extend(rendered.http_headers);
    http
}

/// `Cache-Control` of every answer to an authenticated request.
const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-store");

/// A GraphQL response as HTTP status, body and headers.
#[derive(Clone)]
struct Rendered {
    status: StatusCode,
    body: Bytes,
    cache_control: Option<String>,
    http_headers: HeaderMap,
    /// Set when the response may be shared through the response cache.
    cacheable_for: Option<std::time::Duration>,
}

impl From<CachedResponse> for Rendered {
    fn from(cached: CachedResponse) -> Self {
        Rendered {
            status: StatusCode::OK,
            body: cached.body,
            cache_control: cached.cache_control,
            http_headers: HeaderMap::new(),
            cacheable_for: None,
        }
    }
}

/// A 500 with the generic internal error, for a response that could not be made.
fn internal_error() -> Rendered {
    let body = json!({ "errors": [{ "message": "Internal server error", "extensions": { "code": code::INTERNAL } }] });
    Rendered {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        body: Bytes::from(body.to_string()),
        cache_control: None,
        http_headers: HeaderMap::new(),
        cacheable_for: None,
    }
}

fn render(response: async_graphql::Response, media: MediaType) -> Rendered {
    // A request error: nothing executed (parse/validation/operation errors have no path).
    let request_failed = matches!(response.data, async_graphql::Value::Null)
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    // Nothing could run because the database is unreachable: 503 with Retry-After,
    // so clients and proxies retry (elsewhere) instead of reading it as a bad request.
    let unavailable = matches!(response.data, async_graphql::Value::Null)
        && !response.errors.is_empty()
        && response
            .errors
            .iter()
            .all(|e| e.extensions.as_ref().and_then(|x| x.get("code")) == Some(&async_graphql::Value::from(code::SERVICE_UNAVAILABLE)));
    let status = if unavailable {
        StatusCode::SERVICE_UNAVAILABLE
    } else if request_failed && media == MediaType::GraphqlResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    // Serialise straight to bytes: no intermediate JSON tree for large responses.
    let bytes = if request_failed {
        // The spec: a response to a request error has no `data` entry.
        serde_json::to_vec(&json!({ "errors": response.errors }))
    } else {
        stockade_graphql::write_response(&response)
    };
    let body = match bytes {
        Ok(b) => Bytes::from(b),
        Err(e) => {
            tracing::error!(error = %e, "serialising a GraphQL response failed");
            return internal_error();
        }
    };
    let hint = response.cache_control;
    let mut http_headers = response.http_headers;
    if unavailable {
        http_headers.insert(header::RETRY_AFTER, HeaderValue::from(stockade_graphql::error::UNAVAILABLE_RETRY_AFTER_SECS));
    }
    let cacheable_for =
        (response.errors.is_empty() && hint.public && hint.max_age > 0).then(|| std::time::Duration::from_secs(hint.max_age as u64));
    Rendered { status, body, cache_control: hint.value(), http_headers, cacheable_for }
}

/// Requests to `/graphql` with any other method.
pub async fn method_not_allowed(method: Method) -> Response {
    let mut response =
        request_error(StatusCode::METHOD_NOT_ALLOWED, code::BAD_REQUEST, format!("{method} is not supported on /graphql; use POST or GET"));
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<MediaType> {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        negotiate(&h)
    }

    #[test]
    fn negotiates_media_types() {
        assert!(negotiate(&HeaderMap::new()) == Some(MediaType::Json));
        assert!(accept("application/graphql-response+json") == Some(MediaType::GraphqlResponse));
        assert!(accept("application/json, application/graphql-response+json") == Some(MediaType::GraphqlResponse));
        assert!(accept("application/graphql-response+json;q=0.5, application/json") == Some(MediaType::Json));
        assert!(accept("*/*") == Some(MediaType::Json));
        assert!(accept("text/xml").is_none());
        assert!(accept("application/json;q=0").is_none());
    }
}
