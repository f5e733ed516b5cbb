//! Charging resolvers to rate-limit tiers.

use async_graphql::{Context, ErrorExtensions};

use super::error::ApiError;
use stockade_domain::accounts::ClientInfo;
use stockade_domain::error::Error;
use stockade_domain::ratelimit::{RateLimiter, Scope, Tier};

/// Charges one request to the client's IP and, if given, the account key. Over the
/// limit: a RATE_LIMITED error with `retryAfter` (seconds).
pub async fn limit(ctx: &Context<'_>, tier: Tier, account: Option<&str>) -> async_graphql::Result<()> {
    let limiter = ctx.data_unchecked::<std::sync::Arc<RateLimiter>>();
    let ip = ctx.data_opt::<ClientInfo>().and_then(|c| c.ip.clone()).unwrap_or_else(|| "unknown".into());
    let over = match limiter.check(tier, Scope::Ip, &ip).await {
        Err(retry) => Some(retry),
        Ok(()) => match account {
            Some(key) => limiter.check(tier, Scope::Account, key).await.err(),
            None => None,
        },
    };
    match over {
        Some(retry_after) => Err(ApiError(Error::RateLimited { retry_after }).extend()),
        None => Ok(()),
    }
}
