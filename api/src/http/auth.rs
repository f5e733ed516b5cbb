//! Who is calling and from where: client address, bearer tokens, the browse limit.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::response::request_error;
use super::state::AppState;
use stockade_domain::accounts::{ClientInfo, Viewer};
use stockade_domain::error::{Error, ErrorCode};
use stockade_domain::ratelimit::{Scope, Tier};
use stockade_graphql::error::code;

/// The client's address: the TCP peer, or with `TRUST_FORWARDED_FOR` the first
/// address in `X-Forwarded-For` (only behind a proxy that sets it).
pub fn client_info(headers: &HeaderMap, peer: Option<&ConnectInfo<SocketAddr>>, trust_forwarded_for: bool) -> ClientInfo {
    let forwarded = trust_forwarded_for
        .then(|| headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()).map(str::trim))
        .flatten()
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
        .map(str::to_owned);
    ClientInfo {
        ip: forwarded.or_else(|| peer.map(|p| p.0.ip().to_string())),
        user_agent: headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(255).collect()),
    }
}

/// Why no viewer could be established for a request or a WebSocket connection. Each
/// transport answers it its own way (HTTP: 401 / 503 / 500; WebSocket: 4403 / 1013 /
/// 4500); the cause is logged here, once, and internal text never reaches the client.
#[derive(Debug)]
pub enum AuthFailure {
    /// The credentials were refused (malformed, expired, forged, revoked): the message
    /// says which, and is safe to show.
    Refused(Error),
    /// The database could not be reached: retry shortly.
    Unavailable,
    /// Anything else: a bug or an outage we did not classify.
    Internal,
}

/// The viewer named by `authorization` (a header value, or the `authorization` field
/// of a WebSocket `connection_init` payload). No value: anonymous.
pub async fn viewer(state: &AppState, authorization: Option<&str>) -> Result<Viewer, AuthFailure> {
    let Some(value) = authorization.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(Viewer::Anonymous) };
    let Some(token) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).map(str::trim) else {
        return Err(AuthFailure::Refused(Error::unauthenticated("the Authorization header must be `Bearer <accessToken>`")));
    };
    match state.services.accounts.authenticate(token).await {
        Ok(signed_in) => Ok(Viewer::SignedIn(signed_in)),
        Err(err) if err.code() == Some(ErrorCode::Unauthenticated) => Err(AuthFailure::Refused(err)),
        Err(err) if err.is_unavailable() => {
            tracing::warn!(error = ?err, "authenticating failed: the database is unavailable");
            Err(AuthFailure::Unavailable)
        }
        Err(err) => {
            tracing::error!(error = ?err, "authenticating failed");
            Err(AuthFailure::Internal)
        }
    }
}

impl AuthFailure {
    /// The HTTP answer: 401 with `WWW-Authenticate`, 503 with `Retry-After`, or 500.
    pub fn into_response(self) -> Response {
        match self {
            AuthFailure::Refused(err) => {
                let mut response = request_error(StatusCode::UNAUTHORIZED, code::UNAUTHENTICATED, err.to_string());
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
                response
            }
            AuthFailure::Unavailable => {
                let mut response = request_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    code::SERVICE_UNAVAILABLE,
                    "the service is temporarily unavailable; try again shortly",
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(stockade_graphql::error::UNAVAILABLE_RETRY_AFTER_SECS));
                response
            }
            AuthFailure::Internal => request_error(StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL, "Internal server error"),
        }
    }
}

/// Charges a GraphQL request to the browse tier; a 429 with `Retry-After` when over.
pub async fn browse_limit(state: &AppState, client: &ClientInfo) -> Result<(), Response> {
    let ip = client.ip.as_deref().unwrap_or("unknown");
    match state.services.rate_limiter.check(Tier::Browse, Scope::Ip, ip).await {
        Ok(()) => Ok(()),
        Err(retry_after) => {
            let secs = retry_after.as_secs().max(1);
            let mut response = request_error(
                StatusCode::TOO_MANY_REQUESTS,
                code::RATE_LIMITED,
                format!("too many requests from this address; try again in {secs} s"),
            );
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
            // The body is a GraphQL-shaped error; give clients the number there too.
            Err(response)
        }
    }
}
