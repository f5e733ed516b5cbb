//! Rate limits by tier (browsing, authentication, checkout), per IP and per account.
//!
//! The algorithm is GCRA ("n per minute", bursts up to n). In-process it is the
//! `governor` crate. With `REDIS_URL` the same algorithm runs as a Redis script (the
//! well-known redis-gcra formulation), so the limit is shared by every instance; while
//! Redis is unreachable each instance falls back to its in-process limiter (logged once
//! per outage) rather than failing requests or letting everything through.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::settings::{ConfigError, Env};

/// Requests per minute per client, by tier; `None` switches a tier off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Every GraphQL request, per IP (whole request refused with 429).
    pub browse_per_ip: Option<u32>,
    /// Sign-in, registration, token refresh, password change: per IP and per account.
    pub auth_per_ip: Option<u32>,
    pub auth_per_account: Option<u32>,
    /// Checkout-like mutations: per IP and per account.
    pub checkout_per_ip: Option<u32>,
    pub checkout_per_account: Option<u32>,
}

/// The limits and where shared counters live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimitConfig {
    pub limits: RateLimits,
    /// Key prefix of shared counters in Redis (`RATE_LIMIT_PREFIX`).
    pub redis_prefix: String,
}

impl RateLimitConfig {
    /// `RATE_LIMIT_*_PER_MINUTE`; 0 switches a tier off.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let per_minute = |var: &'static str, default: u32| -> Result<Option<u32>, ConfigError> {
            Ok(Some(env.number(var, default, 0..=1_000_000)?).filter(|n| *n > 0))
        };
        Ok(RateLimitConfig {
            limits: RateLimits {
                browse_per_ip: per_minute("RATE_LIMIT_BROWSE_PER_MINUTE", 1200)?,
                auth_per_ip: per_minute("RATE_LIMIT_AUTH_PER_MINUTE", 30)?,
                auth_per_account: per_minute("RATE_LIMIT_AUTH_ACCOUNT_PER_MINUTE", 10)?,
                checkout_per_ip: per_minute("RATE_LIMIT_CHECKOUT_PER_MINUTE", 60)?,
                checkout_per_account: per_minute("RATE_LIMIT_CHECKOUT_ACCOUNT_PER_MINUTE", 30)?,
            },
            redis_prefix: env.get("RATE_LIMIT_PREFIX").unwrap_or_else(|| "stockade:rl".into()),
        })
    }
}

/// What kind of request is being limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tier {
    Browse,
    Auth,
    Checkout,
}

/// Whose budget a request is charged to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Ip,
    Account,
}

impl Tier {
    fn name(self) -> &'static str {
        match self {
            Tier::Browse => "browse",
            Tier::Auth => "auth",
            Tier::Checkout => "checkout",
        }
    }
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::Ip => "ip",
            Scope::Account => "account",
        }
    }
}

/// The Redis side: a lazily (re)connecting connection manager and the GCRA script.
struct RedisGcra {
    client: redis::Client,
    manager: tokio::sync::Mutex<Option<redis::aio::ConnectionManager>>,
    script: redis::Script,
    prefix: String,
    /// Whether the last attempt failed (to log an outage once, not per request).
    down: AtomicBool,
    /// While Redis is failing, requests skip it until this instant instead of each
    /// waiting for a timeout.
    retry_at: Mutex<Option<std::time::Instant>>,
}

/// How long to go local after a Redis failure before trying it again.
const REDIS_RETRY_AFTER: Duration = Duration::from_secs(5);

/// GCRA: allow if the theoretical arrival time minus the burst allowance is not in
/// the future; returns {allowed, retry_after_ms}. Uses Redis time so instances with
/// skewed clocks agree.
const GCRA_SCRIPT: &str = r"
local emission = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + emission
local allow_at = new_tat - burst * emission
if allow_at > now then
  return {0, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now) + 1000)
return {1, 0}
";

/// One in-process keyed limiter per tier and scope, made when first used.
type LocalLimiters = HashMap<(Tier, Scope), Arc<DefaultKeyedRateLimiter<String>>>;

pub struct RateLimiter {
    limits: RateLimits,
    local: Mutex<LocalLimiters>,
    redis: Option<RedisGcra>,
}

impl RateLimiter {
    /// Limits from config; shared through Redis when `redis_url` is given.
    pub fn new(limits: RateLimits, redis_url: Option<&url::Url>, prefix: &str) -> Self {
        let redis = redis_url.and_then(|url| match redis::Client::open(url.as_str()) {
            Ok(client) => Some(RedisGcra {
                client,
                manager: tokio::sync::Mutex::new(None),
                script: redis::Script::new(GCRA_SCRIPT),
                prefix: prefix.to_owned(),
                down: AtomicBool::new(false),
                retry_at: Mutex::new(None),
            }),
            Err(e) => {
                tracing::warn!(error = %e, "REDIS_URL is not usable for rate limits; using in-process limits");
                None
            }
        });
        RateLimiter { limits, local: Mutex::new(HashMap::new()), redis }
    }

    fn per_minute(&self, tier: Tier, scope: Scope) -> Option<u32> {
        let l = &self.limits;
        match (tier, scope) {
            (Tier::Browse, Scope::Ip) => l.browse_per_ip,
            (Tier::Browse, Scope::Account) => None,
            (Tier::Auth, Scope::Ip) => l.auth_per_ip,
            (Tier::Auth, Scope::Account) => l.auth_per_account,
            (Tier::Checkout, Scope::Ip) => l.checkout_per_ip,
            (Tier::Checkout, Scope::Account) => l.checkout_per_account,
        }
    }

    /// Charges one request to `key` in `tier`/`scope`. `Err(retry_after)` when over
    /// the limit; tiers that are switched off always pass.
    pub async fn check(&self, tier: Tier, scope: Scope, key: &str) -> Result<(), Duration> {
        let Some(n) = self.per_minute(tier, scope).and_then(NonZeroU32::new) else { return Ok(()) };
        if let Some(redis) = self.redis.as_ref().filter(|r| r.worth_trying()) {
            match redis.check(tier, scope, key, n).await {
                Ok(result) => return result,
                Err(e) => {
                    *redis.retry_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now() + REDIS_RETRY_AFTER);
                    if !redis.down.swap(true, Ordering::Relaxed) {
                        tracing::warn!(error = %e, "rate limits: Redis unreachable, using in-process limits until it returns");
                    }
                }
            }
        }
        self.check_local(tier, scope, key, n)
    }

    fn check_local(&self, tier: Tier, scope: Scope, key: &str, n: NonZeroU32) -> Result<(), Duration> {
        let limiter = {
            let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
            local.entry((tier, scope)).or_insert_with(|| Arc::new(governor::RateLimiter::keyed(Quota::per_minute(n)))).clone()
        };
        limiter.check_key(&key.to_owned()).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets idle in-process keys so memory stays bounded; call periodically.
    pub fn housekeeping(&self) {
        let local = self.local.lock().unwrap_or_else(|e| e.into_inner());
        for limiter in local.values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

impl RedisGcra {
    fn worth_trying(&self) -> bool {
        self.retry_at.lock().unwrap_or_else(|p| p.into_inner()).is_none_or(|at| std::time::Instant::now() >= at)
    }

    async fn connection(&self) -> redis::RedisResult<redis::aio::ConnectionManager> {
        let mut slot = self.manager.lock().await;
        if let Some(manager) = slot.as_ref() {
            return Ok(manager.clone());
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_millis(500)))
            .set_number_of_retries(1);
        let manager = redis::aio::ConnectionManager::new_with_config(self.client.clone(), config).await?;
        *slot = Some(manager.clone());
        Ok(manager)
    }

    async fn check(&self, tier: Tier, scope: Scope, key: &str, n: NonZeroU32) -> redis::RedisResult<Result<(), Duration>> {
        let mut conn = self.connection().await?;
        let emission_ms = 60_000.0 / f64::from(n.get());
        let redis_key = format!("{}:{}:{}:{key}", self.prefix, tier.name(), scope.name());
        let (allowed, retry_ms): (i64, f64) = self.script.key(redis_key).arg(emission_ms).arg(n.get()).invoke_async(&mut conn).await?;
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::info!("rate limits: Redis is back, limits are shared again");
        }
        Ok(if allowed == 1 { Ok(()) } else { Err(Duration::from_millis(retry_ms.max(1.0).ceil() as u64)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(auth_per_ip: Option<u32>) -> RateLimits {
        RateLimits { browse_per_ip: None, auth_per_ip, auth_per_account: None, checkout_per_ip: None, checkout_per_account: None }
    }

    #[tokio::test]
    async fn refuses_past_the_limit_with_a_retry_time() {
        let limiter = RateLimiter::new(limits(Some(3)), None, "t");
        for _ in 0..3 {
            assert!(limiter.check(Tier::Auth, Scope::Ip, "1.2.3.4").await.is_ok());
        }
        let retry = limiter.check(Tier::Auth, Scope::Ip, "1.2.3.4").await.unwrap_err();
        assert!(retry > Duration::ZERO && retry <= Duration::from_secs(20), "{retry:?}");
        assert!(limiter.check(Tier::Auth, Scope::Ip, "5.6.7.8").await.is_ok(), "other keys have their own budget");
        assert!(limiter.check(Tier::Browse, Scope::Ip, "1.2.3.4").await.is_ok(), "switched-off tiers pass");
    }
}
