//! Who is calling and from where: client address, bearer tokens, the browse limit.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::AppState;
use crate::accounts::{ClientInfo, Viewer};
use crate::error::Error;
use crate::graphql::error::code;
use crate::ratelimit::{Scope, Tier};

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

/// The viewer named by `authorization` (a header value, or the `authorization` field
/// of a WebSocket `connection_init` payload). No value: anonymous. A value that is
/// not a valid, current bearer token: `Unauthenticated`.
pub async fn viewer(state: &AppState, authorization: Option<&str>) -> Result<Viewer, Error> {
    let Some(value) = authorization.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(Viewer::Anonymous) };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| Error::unauthenticated("the Authorization header must be `Bearer <accessToken>`"))?;
    let signed_in = state.services.accounts.authenticate(token).await?;
    Ok(Viewer::SignedIn(signed_in))
}

/// A 401 for a request whose credentials were refused.
pub fn unauthenticated(err: &Error) -> Response {
    let mut response = super::response::request_error(StatusCode::UNAUTHORIZED, code::UNAUTHENTICATED, err.to_string());
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
    response
}

/// Charges a GraphQL request to the browse tier; a 429 with `Retry-After` when over.
pub async fn browse_limit(state: &AppState, client: &ClientInfo) -> Result<(), Response> {
    let ip = client.ip.as_deref().unwrap_or("unknown");
    match state.services.rate_limiter.check(Tier::Browse, Scope::Ip, ip).await {
        Ok(()) => Ok(()),
        Err(retry_after) => {
            let secs = retry_after.as_secs().max(1);
            let mut response = super::response::request_error(
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
