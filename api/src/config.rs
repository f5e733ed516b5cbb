//! Typed configuration read from the environment.
//!
//! Every setting has a default that needs nothing installed (SQLite under `./data`, the
//! in-process event bus). A bad value is reported as one [`ConfigError`] naming the
//! variable and the problem; values that may carry credentials are wrapped in
//! [`Secret`] or masked before they are printed.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// A value that must never be printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    /// The wrapped value. Call sites are easy to audit: grep for `expose`.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A configuration problem: which variable, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl ConfigError {
    pub fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self { var, problem: problem.into() }
    }
}

/// Where the data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// The embedded default: a SQLite file.
    Sqlite { path: PathBuf },
    /// Production: a Postgres server. The URL may carry a password.
    Postgres { url: Secret<Url> },
}

impl DatabaseTarget {
    /// A printable description with any password masked.
    pub fn describe(&self) -> String {
        match self {
            DatabaseTarget::Sqlite { path } => format!("sqlite:{}", path.display()),
            DatabaseTarget::Postgres { url } => mask_url(url.expose()),
        }
    }
}

/// A URL as text with its password (if any) replaced by `***`.
pub fn mask_url(url: &Url) -> String {
    let mut masked = url.clone();
    if masked.password().is_some() {
        // Cannot fail for URLs that already have a password.
        let _ = masked.set_password(Some("***"));
    }
    masked.to_string()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Limits that keep one GraphQL request from taking the server down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphqlLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Largest `first` / `last` a connection accepts.
    pub max_page_size: usize,
    pub max_body_bytes: usize,
    /// Most fields one operation may select once its fragments are expanded
    /// (`GRAPHQL_MAX_FIELDS`).
    pub max_fields: usize,
    /// Most root fields (aliases included) one operation may select
    /// (`GRAPHQL_MAX_ROOT_FIELDS`).
    pub max_root_fields: usize,
    /// How long a WebSocket client has to send `connection_init` (`WS_INIT_TIMEOUT_SECS`).
    pub ws_init_timeout: Duration,
    pub graphiql: bool,
    pub introspection: bool,
    /// Most variants one `stockChanged` subscription may watch
    /// (`STOCK_SUBSCRIPTION_MAX_VARIANTS`).
    pub max_stock_subscription_variants: usize,
}

impl Default for GraphqlLimits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            // Every field costs 1; a list multiplies what is under it by its page size
            // (`first`/`last`) or, for nested lists, by a typical length (10 variants or
            // images, 5 categories). A 100-product listing with variants, images and
            // categories costs about 13,000.
            max_complexity: 20_000,
            max_page_size: 100,
            max_body_bytes: 256 * 1024,
            max_fields: 2_000,
            max_root_fields: 20,
            ws_init_timeout: Duration::from_secs(10),
            graphiql: true,
            introspection: true,
            max_stock_subscription_variants: 50,
        }
    }
}

/// Event delivery: the outbox publisher and the event bus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventsConfig {
    /// Run the outbox publisher in this instance (`EVENTS_PUBLISHER`, default on). Any
    /// number of instances may run one; turn it off only where another instance does.
    pub publisher: bool,
    /// How often the publisher looks for undelivered rows written by other instances
    /// (`OUTBOX_POLL_INTERVAL_MS`). Writes in this instance wake it at once.
    pub poll_interval: Duration,
    /// Most rows published per transaction (`OUTBOX_BATCH_SIZE`).
    pub batch_size: u32,
    /// How long delivered rows are kept before pruning (`OUTBOX_RETENTION_HOURS`).
    pub retention: Duration,
    /// Events a subscriber may fall behind by before it is told to resync
    /// (`EVENTS_SUBSCRIBER_BUFFER`).
    pub subscriber_buffer: usize,
    /// The Redis pub/sub channel instances share (`REDIS_EVENTS_CHANNEL`).
    pub redis_channel: String,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            publisher: true,
            poll_interval: Duration::from_millis(500),
            batch_size: 256,
            retention: Duration::from_secs(24 * 3600),
            subscriber_buffer: 1024,
            redis_channel: "stockade:events".into(),
        }
    }
}

impl EventsConfig {
    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let redis_channel = match get("REDIS_EVENTS_CHANNEL") {
            None => defaults.redis_channel,
            Some(v) if v.len() > 128 || v.chars().any(|c| c.is_whitespace() || c.is_control()) => {
                return Err(ConfigError::new("REDIS_EVENTS_CHANNEL", "must be at most 128 characters, without spaces"));
            }
            Some(v) => v,
        };
        let events = Self {
            publisher: parse_bool("EVENTS_PUBLISHER", get("EVENTS_PUBLISHER"), defaults.publisher)?,
            poll_interval: Duration::from_millis(parse_number(
                "OUTBOX_POLL_INTERVAL_MS",
                get("OUTBOX_POLL_INTERVAL_MS"),
                defaults.poll_interval.as_millis() as u64,
                10..=60_000,
            )?),
            batch_size: parse_number("OUTBOX_BATCH_SIZE", get("OUTBOX_BATCH_SIZE"), defaults.batch_size, 1..=10_000)?,
            retention: Duration::from_secs(
                3600 * parse_number(
                    "OUTBOX_RETENTION_HOURS",
                    get("OUTBOX_RETENTION_HOURS"),
                    defaults.retention.as_secs() / 3600,
                    0..=24 * 366,
                )?,
            ),
            subscriber_buffer: parse_number(
                "EVENTS_SUBSCRIBER_BUFFER",
                get("EVENTS_SUBSCRIBER_BUFFER"),
                defaults.subscriber_buffer,
                4..=1_000_000,
            )?,
            redis_channel,
        };
        // A batch is handed to subscribers at once: a smaller buffer would make even a
        // subscriber that keeps up miss events.
        if events.subscriber_buffer < events.batch_size as usize {
            return Err(ConfigError::new(
                "EVENTS_SUBSCRIBER_BUFFER",
                format!("{} is smaller than OUTBOX_BATCH_SIZE ({})", events.subscriber_buffer, events.batch_size),
            ));
        }
        Ok(events)
    }
}

/// Inventory settings: the reservation sweeper and the low-stock default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InventoryConfig {
    /// Seconds between background sweeps of expired reservations; 0 switches this
    /// instance's sweeper off (another instance must run one).
    pub sweep_interval_secs: u64,
    /// Most reservations one sweep transaction expires.
    pub sweep_batch: usize,
    /// Low-stock threshold of variants that have none of their own.
    pub low_stock_threshold: i64,
    /// Most reservation transactions per SKU one instance lets into the database at
    /// once; the rest queue in-process (hot-SKU throughput). 0 switches the gate off.
    pub reserve_concurrency_per_sku: usize,
}

impl Default for InventoryConfig {
    fn default() -> Self {
        Self { sweep_interval_secs: 5, sweep_batch: 500, low_stock_threshold: 5, reserve_concurrency_per_sku: 2 }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen_addr: SocketAddr,
    pub data_dir: PathBuf,
    pub database: DatabaseTarget,
    /// Connections in the pool (Postgres; SQLite readers).
    pub database_max_connections: u32,
    /// How long a request waits for a database connection
    /// (`DATABASE_ACQUIRE_TIMEOUT_MS`; unset: 30 s on SQLite, 3 s on Postgres).
    pub database_acquire_timeout: Option<Duration>,
    pub redis_url: Option<Secret<Url>>,
    pub log_format: LogFormat,
    /// Seed the demo catalog when the database is empty at start.
    pub seed_demo: bool,
    /// Base URL clients reach this server at, used to make relative media URLs
    /// absolute. Unset: taken from each request's `Host` header.
    pub public_url: Option<Url>,
    /// ISO 4217 code of the shop's currency.
    pub shop_currency: crate::money::Currency,
    pub graphql: GraphqlLimits,
    /// Most public query responses kept in the response cache; 0 switches it off.
    pub response_cache_entries: u64,
    pub inventory: InventoryConfig,
    pub commerce: CommerceConfig,
    pub payments: PaymentsConfig,
    pub events: EventsConfig,
    pub auth: AuthConfig,
    /// Origins allowed to call the API from a browser (`*` for any).
    pub cors_allowed_origins: Vec<String>,
    /// Take the client address from `X-Forwarded-For` (behind a trusted proxy only).
    pub trust_forwarded_for: bool,
    pub rate_limits: RateLimits,
    /// Key prefix of shared rate-limit counters in Redis.
    pub rate_limit_prefix: String,
}

/// Carts, checkout and orders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommerceConfig {
    /// How long adding a line holds its stock (`CART_HOLD_SECS`).
    pub cart_hold: Duration,
    /// From checkout until payment, the order holds its stock this long
    /// (`PAYMENT_WINDOW_SECS`); unpaid orders then expire.
    pub payment_window: Duration,
    /// Idle guest carts expire after this (`GUEST_CART_IDLE_HOURS`).
    pub guest_cart_idle: Duration,
    /// Idle customer carts expire after this (`CUSTOMER_CART_IDLE_HOURS`).
    pub customer_cart_idle: Duration,
    /// Most units of one variant in a cart (`CART_MAX_LINE_QUANTITY`).
    pub max_line_quantity: i64,
    /// Most lines in a cart (`CART_MAX_LINES`).
    pub max_lines: usize,
    /// Seconds between sweeps of expired carts and unpaid orders
    /// (`COMMERCE_SWEEP_INTERVAL_SECS`, 0 = off in this instance).
    pub sweep_interval_secs: u64,
    pub pricing: crate::checkout::pricing::PricingConfig,
}

impl CommerceConfig {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>, currency: crate::money::Currency) -> Result<Self, ConfigError> {
        use crate::checkout::pricing::{PricingConfig, parse_table, percent_to_ppm};
        let secs = |var: &'static str, default: u64, range: std::ops::RangeInclusive<u64>| -> Result<Duration, ConfigError> {
            Ok(Duration::from_secs(parse_number(var, get(var), default, range)?))
        };
        let hours = |var: &'static str, default: u64| -> Result<Duration, ConfigError> {
            Ok(Duration::from_secs(3600 * parse_number(var, get(var), default, 1..=24 * 365)?))
        };
        let mut pricing = PricingConfig::demo(currency);
        if let Some(raw) = get("SHIPPING_RATES") {
            pricing.shipping =
                parse_table(&raw, |v| v.parse::<i64>().ok().filter(|n| *n >= 0)).map_err(|e| ConfigError::new("SHIPPING_RATES", e))?;
        }
        if let Some(raw) = get("TAX_RATES") {
            pricing.tax = parse_table(&raw, percent_to_ppm).map_err(|e| ConfigError::new("TAX_RATES", e))?;
        }
        pricing.free_shipping_over =
            parse_number("FREE_SHIPPING_OVER", get("FREE_SHIPPING_OVER"), pricing.free_shipping_over, 0..=1_000_000_000)?;
        pricing.min_order_value = parse_number("MIN_ORDER_VALUE", get("MIN_ORDER_VALUE"), pricing.min_order_value, 0..=1_000_000_000)?;
        Ok(CommerceConfig {
            cart_hold: secs("CART_HOLD_SECS", 600, 30..=86_400)?,
            payment_window: secs("PAYMENT_WINDOW_SECS", 120, 30..=86_400)?,
            guest_cart_idle: hours("GUEST_CART_IDLE_HOURS", 24)?,
            customer_cart_idle: hours("CUSTOMER_CART_IDLE_HOURS", 24 * 30)?,
            max_line_quantity: parse_number("CART_MAX_LINE_QUANTITY", get("CART_MAX_LINE_QUANTITY"), 10, 1..=10_000)?,
            max_lines: parse_number("CART_MAX_LINES", get("CART_MAX_LINES"), 50, 1..=500)?,
            sweep_interval_secs: parse_number("COMMERCE_SWEEP_INTERVAL_SECS", get("COMMERCE_SWEEP_INTERVAL_SECS"), 10, 0..=86_400)?,
            pricing,
        })
    }
}

/// Which payment gateway takes the money.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatewayChoice {
    Stripe,
    /// The built-in test gateway (Stripe's test-card conventions, no network).
    Test,
}

/// Payments: the gateway, Stripe's keys, webhook verification and reconciliation.
#[derive(Clone, Debug)]
pub struct PaymentsConfig {
    /// `PAYMENT_GATEWAY` (`stripe` or `test`); unset: Stripe when `STRIPE_SECRET_KEY`
    /// is set, the test gateway otherwise.
    pub gateway: GatewayChoice,
    pub stripe_secret_key: Option<Secret<String>>,
    /// Webhook signing secrets (`STRIPE_WEBHOOK_SECRET`, comma-separated while rotating:
    /// a signature by any of them is accepted).
    pub stripe_webhook_secrets: Vec<Secret<String>>,
    /// Stripe's API base URL (`STRIPE_API_BASE`; tests point it at a local stand-in).
    pub stripe_api_base: Url,
    /// Handed to storefronts for Stripe.js (`STRIPE_PUBLISHABLE_KEY`).
    pub stripe_publishable_key: Option<String>,
    /// Per-call timeout of gateway requests (`PAYMENT_GATEWAY_TIMEOUT_SECS`).
    pub gateway_timeout: Duration,
    /// Orders waiting for payment this long are checked against the gateway
    /// (`PAYMENT_RECONCILE_AFTER_SECS`).
    pub reconcile_after: Duration,
    /// Seconds between reconciliation passes (`PAYMENT_RECONCILE_INTERVAL_SECS`, 0 = off
    /// in this instance).
    pub reconcile_interval_secs: u64,
    /// A pending order older than this is listed as stuck (`PAYMENT_STUCK_AFTER_SECS`).
    pub stuck_after: Duration,
    /// After a failed payment the order (holding no stock) waits this long for a retry
    /// or staff, then expires (`PAYMENT_RETRY_WINDOW_SECS`).
    pub retry_window: Duration,
    /// Where buyers pay an order (`STOREFRONT_URL`): payment links point there.
    pub storefront_url: Url,
}

impl PaymentsConfig {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let secs = |var: &'static str, default: u64, range: std::ops::RangeInclusive<u64>| -> Result<Duration, ConfigError> {
            Ok(Duration::from_secs(parse_number(var, get(var), default, range)?))
        };
        let stripe_secret_key = get("STRIPE_SECRET_KEY").map(|k| k.trim().to_owned()).filter(|k| !k.is_empty());
        if let Some(key) = &stripe_secret_key
            && !(key.starts_with("sk_") || key.starts_with("rk_"))
        {
            return Err(ConfigError::new("STRIPE_SECRET_KEY", "expected a secret or restricted key (sk_... or rk_...)"));
        }
        let gateway = match get("PAYMENT_GATEWAY").as_deref().map(str::trim) {
            None | Some("") => {
                if stripe_secret_key.is_some() {
                    GatewayChoice::Stripe
                } else {
                    GatewayChoice::Test
                }
            }
            Some("stripe") => GatewayChoice::Stripe,
            Some("test") => GatewayChoice::Test,
            Some(other) => return Err(ConfigError::new("PAYMENT_GATEWAY", format!("'{other}' is not a gateway (stripe or test)"))),
        };
        let stripe_webhook_secrets: Vec<Secret<String>> = get("STRIPE_WEBHOOK_SECRET")
            .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| Secret::new(s.to_owned())).collect())
            .unwrap_or_default();
        if stripe_webhook_secrets.iter().any(|s| !s.expose().starts_with("whsec_")) {
            return Err(ConfigError::new("STRIPE_WEBHOOK_SECRET", "expected signing secrets starting with whsec_ (comma-separated)"));
        }
        if gateway == GatewayChoice::Stripe {
            if stripe_secret_key.is_none() {
                return Err(ConfigError::new("STRIPE_SECRET_KEY", "PAYMENT_GATEWAY=stripe needs a secret key"));
            }
            if stripe_webhook_secrets.is_empty() {
                return Err(ConfigError::new(
                    "STRIPE_WEBHOOK_SECRET",
                    "the Stripe gateway needs the webhook signing secret: orders are only marked paid by verified events",
                ));
            }
        }
        let url = |var: &'static str, default: &str| -> Result<Url, ConfigError> {
            let raw = get(var).unwrap_or_else(|| default.to_owned());
            Url::parse(&raw)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .ok_or_else(|| ConfigError::new(var, format!("'{raw}' is not an http(s) URL")))
        };
        Ok(PaymentsConfig {
            gateway,
            stripe_secret_key: stripe_secret_key.map(Secret::new),
            stripe_webhook_secrets,
            stripe_api_base: url("STRIPE_API_BASE", "https://api.stripe.com/")?,
            stripe_publishable_key: get("STRIPE_PUBLISHABLE_KEY").filter(|k| !k.trim().is_empty()),
            gateway_timeout: secs("PAYMENT_GATEWAY_TIMEOUT_SECS", 20, 1..=120)?,
            reconcile_after: secs("PAYMENT_RECONCILE_AFTER_SECS", 300, 10..=86_400)?,
            reconcile_interval_secs: parse_number(
                "PAYMENT_RECONCILE_INTERVAL_SECS",
                get("PAYMENT_RECONCILE_INTERVAL_SECS"),
                60,
                0..=86_400,
            )?,
            stuck_after: secs("PAYMENT_STUCK_AFTER_SECS", 1800, 60..=7 * 86_400)?,
            retry_window: secs("PAYMENT_RETRY_WINDOW_SECS", 86_400, 60..=30 * 86_400)?,
            storefront_url: url("STOREFRONT_URL", "http://localhost:5173/")?,
        })
    }
}

/// Accounts: token lifetimes, signing key, sign-in throttling.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// HS256 signing key for access tokens; unset: generated once into `DATA_DIR`.
    pub jwt_secret: Option<Secret<String>>,
    pub access_token_ttl: std::time::Duration,
    pub refresh_token_ttl: std::time::Duration,
    /// Failed sign-ins per account (in 15 minutes) before answers slow down.
    pub login_slowdown_after: i32,
    /// Failed sign-ins per account (in the window) that lock it for the window.
    pub login_lockout_after: i32,
    pub login_window: std::time::Duration,
}

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

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads configuration through `lookup` (the environment in production, a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |key: &str| lookup(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let listen_addr: SocketAddr = match get("LISTEN_ADDR") {
            None => SocketAddr::from(([127, 0, 0, 1], 8000)),
            Some(v) => v.parse().map_err(|_| {
                ConfigError::new("LISTEN_ADDR", format!("'{v}' is not a socket address (expected host:port, e.g. 127.0.0.1:8000)"))
            })?,
        };
        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "./data".into()));

        let database = match get("DATABASE_URL") {
            None => DatabaseTarget::Sqlite { path: data_dir.join("stockade.db") },
            Some(raw) => parse_database_url(&raw)?,
        };
        let database_max_connections = parse_number("DATABASE_MAX_CONNECTIONS", get("DATABASE_MAX_CONNECTIONS"), 16u32, 1..=1000)?;
        let database_acquire_timeout = match get("DATABASE_ACQUIRE_TIMEOUT_MS") {
            None => None,
            value => Some(Duration::from_millis(parse_number("DATABASE_ACQUIRE_TIMEOUT_MS", value, 3_000u64, 100..=600_000)?)),
        };

        let redis_url = match get("REDIS_URL") {
            None => None,
            Some(raw) => {
                let url = Url::parse(&raw).map_err(|e| ConfigError::new("REDIS_URL", format!("not a valid URL: {e}")))?;
                if !matches!(url.scheme(), "redis" | "rediss") {
                    return Err(ConfigError::new(
                        "REDIS_URL",
                        format!("scheme '{}' is not supported (use redis:// or rediss://)", url.scheme()),
                    ));
                }
                Some(Secret::new(url))
            }
        };

        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(ConfigError::new("LOG_FORMAT", format!("'{other}' is not one of: pretty, json"))),
        };

        let seed_demo = parse_bool("SEED_DEMO", get("SEED_DEMO"), true)?;

        let public_url = match get("PUBLIC_URL") {
            None => None,
            Some(raw) => {
                let url = Url::parse(&raw).map_err(|e| ConfigError::new("PUBLIC_URL", format!("not a valid URL: {e}")))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(ConfigError::new("PUBLIC_URL", "must be an http:// or https:// URL"));
                }
                Some(url)
            }
        };

        let shop_currency = match get("SHOP_CURRENCY") {
            None => crate::money::Currency::usd(),
            Some(code) => code.parse().map_err(|e: crate::money::CurrencyError| ConfigError::new("SHOP_CURRENCY", e.to_string()))?,
        };

        let defaults = GraphqlLimits::default();
        let graphql = GraphqlLimits {
            max_depth: parse_number("GRAPHQL_MAX_DEPTH", get("GRAPHQL_MAX_DEPTH"), defaults.max_depth, 2..=48)?,
            max_complexity: parse_number("GRAPHQL_MAX_COMPLEXITY", get("GRAPHQL_MAX_COMPLEXITY"), defaults.max_complexity, 10..=1_000_000)?,
            max_page_size: parse_number("GRAPHQL_MAX_PAGE_SIZE", get("GRAPHQL_MAX_PAGE_SIZE"), defaults.max_page_size, 1..=1000)?,
            max_body_bytes: parse_number(
                "GRAPHQL_MAX_BODY_BYTES",
                get("GRAPHQL_MAX_BODY_BYTES"),
                defaults.max_body_bytes,
                1024..=16 * 1024 * 1024,
            )?,
            max_fields: parse_number("GRAPHQL_MAX_FIELDS", get("GRAPHQL_MAX_FIELDS"), defaults.max_fields, 10..=100_000)?,
            max_root_fields: parse_number("GRAPHQL_MAX_ROOT_FIELDS", get("GRAPHQL_MAX_ROOT_FIELDS"), defaults.max_root_fields, 1..=1_000)?,
            ws_init_timeout: Duration::from_secs(parse_number(
                "WS_INIT_TIMEOUT_SECS",
                get("WS_INIT_TIMEOUT_SECS"),
                defaults.ws_init_timeout.as_secs(),
                1..=300,
            )?),
            graphiql: parse_bool("GRAPHIQL", get("GRAPHIQL"), defaults.graphiql)?,
            introspection: parse_bool("GRAPHQL_INTROSPECTION", get("GRAPHQL_INTROSPECTION"), defaults.introspection)?,
            max_stock_subscription_variants: parse_number(
                "STOCK_SUBSCRIPTION_MAX_VARIANTS",
                get("STOCK_SUBSCRIPTION_MAX_VARIANTS"),
                defaults.max_stock_subscription_variants,
                1..=1000,
            )?,
        };

        let response_cache_entries = parse_number("RESPONSE_CACHE_ENTRIES", get("RESPONSE_CACHE_ENTRIES"), 10_000u64, 0..=10_000_000)?;

        let jwt_secret = match get("JWT_SECRET") {
            Some(secret) if secret.len() < 32 => return Err(ConfigError::new("JWT_SECRET", "must be at least 32 characters")),
            other => other.map(Secret::new),
        };
        let auth = AuthConfig {
            jwt_secret,
            access_token_ttl: std::time::Duration::from_secs(parse_number(
                "ACCESS_TOKEN_TTL_SECS",
                get("ACCESS_TOKEN_TTL_SECS"),
                900u64,
                30..=86_400,
            )?),
            refresh_token_ttl: std::time::Duration::from_secs(
                86_400 * parse_number("REFRESH_TOKEN_TTL_DAYS", get("REFRESH_TOKEN_TTL_DAYS"), 30u64, 1..=365)?,
            ),
            login_slowdown_after: parse_number("LOGIN_SLOWDOWN_AFTER", get("LOGIN_SLOWDOWN_AFTER"), 3i32, 0..=1000)?,
            login_lockout_after: parse_number("LOGIN_LOCKOUT_AFTER", get("LOGIN_LOCKOUT_AFTER"), 10i32, 1..=1000)?,
            login_window: std::time::Duration::from_secs(
                60 * parse_number("LOGIN_LOCKOUT_MINUTES", get("LOGIN_LOCKOUT_MINUTES"), 15u64, 1..=1440)?,
            ),
        };
        let cors_allowed_origins: Vec<String> = get("CORS_ALLOWED_ORIGINS")
            .map(|v| v.split(',').map(|o| o.trim().trim_end_matches('/').to_owned()).filter(|o| !o.is_empty()).collect())
            .unwrap_or_default();
        for origin in cors_allowed_origins.iter().filter(|o| *o != "*") {
            // `tauri://localhost` is the admin desktop app's origin (Linux and macOS).
            let ok = Url::parse(origin)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "tauri") && matches!(u.path(), "/" | "") && u.host().is_some());
            if !ok {
                return Err(ConfigError::new(
                    "CORS_ALLOWED_ORIGINS",
                    format!("'{origin}' is not an origin (e.g. https://shop.example.com)"),
                ));
            }
        }
        let trust_forwarded_for = parse_bool("TRUST_FORWARDED_FOR", get("TRUST_FORWARDED_FOR"), false)?;
        let per_minute = |var: &'static str, default: u32| -> Result<Option<u32>, ConfigError> {
            Ok(Some(parse_number(var, get(var), default, 0..=1_000_000)?).filter(|n| *n > 0))
        };
        let rate_limits = RateLimits {
            browse_per_ip: per_minute("RATE_LIMIT_BROWSE_PER_MINUTE", 1200)?,
            auth_per_ip: per_minute("RATE_LIMIT_AUTH_PER_MINUTE", 30)?,
            auth_per_account: per_minute("RATE_LIMIT_AUTH_ACCOUNT_PER_MINUTE", 10)?,
            checkout_per_ip: per_minute("RATE_LIMIT_CHECKOUT_PER_MINUTE", 60)?,
            checkout_per_account: per_minute("RATE_LIMIT_CHECKOUT_ACCOUNT_PER_MINUTE", 30)?,
        };
        let events = EventsConfig::from_lookup(get)?;

        let inventory_defaults = InventoryConfig::default();
        let inventory = InventoryConfig {
            sweep_interval_secs: parse_number(
                "RESERVATION_SWEEP_INTERVAL_SECS",
                get("RESERVATION_SWEEP_INTERVAL_SECS"),
                inventory_defaults.sweep_interval_secs,
                0..=86_400,
            )?,
            sweep_batch: parse_number(
                "RESERVATION_SWEEP_BATCH",
                get("RESERVATION_SWEEP_BATCH"),
                inventory_defaults.sweep_batch,
                1..=10_000,
            )?,
            low_stock_threshold: parse_number(
                "LOW_STOCK_THRESHOLD",
                get("LOW_STOCK_THRESHOLD"),
                inventory_defaults.low_stock_threshold,
                0..=1_000_000,
            )?,
            reserve_concurrency_per_sku: parse_number(
                "RESERVE_CONCURRENCY_PER_SKU",
                get("RESERVE_CONCURRENCY_PER_SKU"),
                inventory_defaults.reserve_concurrency_per_sku,
                0..=1000,
            )?,
        };

        let commerce = CommerceConfig::from_lookup(&get, shop_currency)?;
        let payments = PaymentsConfig::from_lookup(&get)?;

        Ok(Config {
            commerce,
            payments,
            inventory,
            events,
            response_cache_entries,
            auth,
            cors_allowed_origins,
            trust_forwarded_for,
            rate_limits,
            rate_limit_prefix: get("RATE_LIMIT_PREFIX").unwrap_or_else(|| "stockade:rl".into()),
            listen_addr,
            data_dir,
            database,
            database_max_connections,
            database_acquire_timeout,
            redis_url,
            log_format,
            seed_demo,
            public_url,
            shop_currency,
            graphql,
        })
    }

    /// One short line per concern, secrets masked, for the start-up log.
    pub fn summary(&self) -> String {
        format!(
            "database={} pool={} redis={} events(publisher={}, poll={}ms, batch={}, retention={}h, buffer={}) log={} seed_demo={} currency={} response_cache={} graphql(depth<={}, complexity<={}, page<={}, graphiql={}, introspection={}) inventory(sweep={}, batch={}, low_stock<={}, reserve_per_sku={}) commerce(cart_hold={}s, payment_window={}s, sweep={}) payments(gateway={}, webhook_secrets={}, reconcile={}, api={})",
            self.database.describe(),
            self.database_max_connections,
            self.redis_url
                .as_ref()
                .map(|u| format!("{} channel={}", mask_url(u.expose()), self.events.redis_channel))
                .unwrap_or_else(|| "off (in-process bus)".into()),
            if self.events.publisher { "on" } else { "off" },
            self.events.poll_interval.as_millis(),
            self.events.batch_size,
            self.events.retention.as_secs() / 3600,
            self.events.subscriber_buffer,
            match self.log_format {
                LogFormat::Pretty => "pretty",
                LogFormat::Json => "json",
            },
            self.seed_demo,
            self.shop_currency,
            self.response_cache_entries,
            self.graphql.max_depth,
            self.graphql.max_complexity,
            self.graphql.max_page_size,
            self.graphql.graphiql,
            self.graphql.introspection,
            match self.inventory.sweep_interval_secs {
                0 => "off".to_owned(),
                n => format!("every {n}s"),
            },
            self.inventory.sweep_batch,
            self.inventory.low_stock_threshold,
            self.inventory.reserve_concurrency_per_sku,
            self.commerce.cart_hold.as_secs(),
            self.commerce.payment_window.as_secs(),
            match self.commerce.sweep_interval_secs {
                0 => "off".to_owned(),
                n => format!("every {n}s"),
            },
            match self.payments.gateway {
                GatewayChoice::Stripe => "stripe",
                GatewayChoice::Test => "test (no real money)",
            },
            self.payments.stripe_webhook_secrets.len(),
            match self.payments.reconcile_interval_secs {
                0 => "off".to_owned(),
                n => format!("every {n}s after {}s", self.payments.reconcile_after.as_secs()),
            },
            self.payments.stripe_api_base,
        )
    }
}

fn parse_database_url(raw: &str) -> Result<DatabaseTarget, ConfigError> {
    if let Some(path) = raw.strip_prefix("sqlite://").or_else(|| raw.strip_prefix("sqlite:")) {
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(ConfigError::new("DATABASE_URL", "sqlite URL has no file path (e.g. sqlite:./data/stockade.db)"));
        }
        return Ok(DatabaseTarget::Sqlite { path: PathBuf::from(path) });
    }
    let url = Url::parse(raw).map_err(|e| ConfigError::new("DATABASE_URL", format!("not a valid URL: {e}")))?;
    match url.scheme() {
        "postgres" | "postgresql" => {
            if url.host_str().is_none_or(str::is_empty) {
                return Err(ConfigError::new("DATABASE_URL", "postgres URL has no host"));
            }
            Ok(DatabaseTarget::Postgres { url: Secret::new(url) })
        }
        other => Err(ConfigError::new("DATABASE_URL", format!("scheme '{other}' is not supported (use postgres:// or sqlite:)"))),
    }
}

fn parse_bool(var: &'static str, value: Option<String>, default: bool) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError::new(var, format!("'{other}' is not a boolean (use true or false)"))),
    }
}

fn parse_number<T>(var: &'static str, value: Option<String>, default: T, range: std::ops::RangeInclusive<T>) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
{
    let Some(raw) = value else { return Ok(default) };
    let n: T = raw.parse().map_err(|_| ConfigError::new(var, format!("'{raw}' is not a whole number")))?;
    if !range.contains(&n) {
        return Err(ConfigError::new(var, format!("{n} is out of range ({}..={})", range.start(), range.end())));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_nothing_installed() {
        let c = config(&[]).unwrap();
        assert_eq!(c.listen_addr.to_string(), "127.0.0.1:8000");
        assert_eq!(c.database, DatabaseTarget::Sqlite { path: PathBuf::from("./data/stockade.db") });
        assert!(c.redis_url.is_none());
        assert_eq!(c.log_format, LogFormat::Pretty);
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert_eq!(config(&[("LISTEN_ADDR", "nope")]).unwrap_err().var, "LISTEN_ADDR");
        assert_eq!(config(&[("DATABASE_URL", "mysql://x/y")]).unwrap_err().var, "DATABASE_URL");
        assert_eq!(config(&[("DATABASE_URL", "::::")]).unwrap_err().var, "DATABASE_URL");
        assert_eq!(config(&[("REDIS_URL", "http://x")]).unwrap_err().var, "REDIS_URL");
        assert_eq!(config(&[("LOG_FORMAT", "xml")]).unwrap_err().var, "LOG_FORMAT");
        assert_eq!(config(&[("GRAPHQL_MAX_DEPTH", "0")]).unwrap_err().var, "GRAPHQL_MAX_DEPTH");
        assert_eq!(config(&[("STOCK_SUBSCRIPTION_MAX_VARIANTS", "0")]).unwrap_err().var, "STOCK_SUBSCRIPTION_MAX_VARIANTS");
        assert_eq!(config(&[("SHOP_CURRENCY", "XYZW")]).unwrap_err().var, "SHOP_CURRENCY");
        assert_eq!(config(&[("JWT_SECRET", "short")]).unwrap_err().var, "JWT_SECRET");
        assert_eq!(config(&[("SHIPPING_RATES", "usa=5")]).unwrap_err().var, "SHIPPING_RATES");
        assert_eq!(config(&[("TAX_RATES", "DE=150")]).unwrap_err().var, "TAX_RATES");
        assert_eq!(config(&[("PAYMENT_WINDOW_SECS", "5")]).unwrap_err().var, "PAYMENT_WINDOW_SECS");
        assert_eq!(config(&[("CORS_ALLOWED_ORIGINS", "not a url")]).unwrap_err().var, "CORS_ALLOWED_ORIGINS");
        assert_eq!(config(&[("CORS_ALLOWED_ORIGINS", "https://shop.example/path")]).unwrap_err().var, "CORS_ALLOWED_ORIGINS");
        let app_origins = config(&[("CORS_ALLOWED_ORIGINS", "tauri://localhost, http://tauri.localhost")]).unwrap().cors_allowed_origins;
        assert_eq!(app_origins, ["tauri://localhost", "http://tauri.localhost"]);
        assert_eq!(config(&[("RATE_LIMIT_AUTH_PER_MINUTE", "many")]).unwrap_err().var, "RATE_LIMIT_AUTH_PER_MINUTE");
        assert_eq!(config(&[("EVENTS_PUBLISHER", "maybe")]).unwrap_err().var, "EVENTS_PUBLISHER");
        assert_eq!(config(&[("OUTBOX_POLL_INTERVAL_MS", "1")]).unwrap_err().var, "OUTBOX_POLL_INTERVAL_MS");
        assert_eq!(config(&[("OUTBOX_BATCH_SIZE", "0")]).unwrap_err().var, "OUTBOX_BATCH_SIZE");
        assert_eq!(config(&[("OUTBOX_RETENTION_HOURS", "-1")]).unwrap_err().var, "OUTBOX_RETENTION_HOURS");
        assert_eq!(config(&[("EVENTS_SUBSCRIBER_BUFFER", "1")]).unwrap_err().var, "EVENTS_SUBSCRIBER_BUFFER");
        assert_eq!(config(&[("REDIS_EVENTS_CHANNEL", "a b")]).unwrap_err().var, "REDIS_EVENTS_CHANNEL");
        let small_buffer = config(&[("EVENTS_SUBSCRIBER_BUFFER", "100")]).unwrap_err();
        assert_eq!(small_buffer.var, "EVENTS_SUBSCRIBER_BUFFER");
        assert!(small_buffer.problem.contains("OUTBOX_BATCH_SIZE"), "{small_buffer}");
        assert_eq!(config(&[("RESERVATION_SWEEP_INTERVAL_SECS", "soon")]).unwrap_err().var, "RESERVATION_SWEEP_INTERVAL_SECS");
        assert_eq!(config(&[("RESERVATION_SWEEP_BATCH", "0")]).unwrap_err().var, "RESERVATION_SWEEP_BATCH");
        assert_eq!(config(&[("LOW_STOCK_THRESHOLD", "-1")]).unwrap_err().var, "LOW_STOCK_THRESHOLD");
        assert_eq!(config(&[("RESERVE_CONCURRENCY_PER_SKU", "many")]).unwrap_err().var, "RESERVE_CONCURRENCY_PER_SKU");
    }

    #[test]
    fn event_settings_have_defaults_and_overrides() {
        assert_eq!(config(&[]).unwrap().events, EventsConfig::default());
        let c = config(&[
            ("EVENTS_PUBLISHER", "off"),
            ("OUTBOX_POLL_INTERVAL_MS", "50"),
            ("OUTBOX_BATCH_SIZE", "10"),
            ("OUTBOX_RETENTION_HOURS", "48"),
            ("EVENTS_SUBSCRIBER_BUFFER", "64"),
            ("REDIS_EVENTS_CHANNEL", "shop:events"),
        ])
        .unwrap();
        assert!(!c.events.publisher);
        assert_eq!(c.events.poll_interval, Duration::from_millis(50));
        assert_eq!(c.events.batch_size, 10);
        assert_eq!(c.events.retention, Duration::from_secs(48 * 3600));
        assert_eq!(c.events.subscriber_buffer, 64);
        assert_eq!(c.events.redis_channel, "shop:events");
    }

    #[test]
    fn inventory_settings_have_defaults_and_overrides() {
        let defaults = InventoryConfig { sweep_interval_secs: 5, sweep_batch: 500, low_stock_threshold: 5, reserve_concurrency_per_sku: 2 };
        assert_eq!(config(&[]).unwrap().inventory, defaults);
        let c = config(&[
            ("RESERVATION_SWEEP_INTERVAL_SECS", "0"),
            ("RESERVATION_SWEEP_BATCH", "50"),
            ("LOW_STOCK_THRESHOLD", "3"),
            ("RESERVE_CONCURRENCY_PER_SKU", "0"),
        ])
        .unwrap();
        assert_eq!(
            c.inventory,
            InventoryConfig { sweep_interval_secs: 0, sweep_batch: 50, low_stock_threshold: 3, reserve_concurrency_per_sku: 0 }
        );
        assert!(c.summary().contains("inventory(sweep=off, batch=50, low_stock<=3, reserve_per_sku=0)"), "{}", c.summary());
    }

    #[test]
    fn passwords_are_masked_in_the_summary() {
        let c = config(&[
            ("DATABASE_URL", "postgres://app:hunter2@db:5432/shop"),
            ("REDIS_URL", "redis://:s3cret@cache:6379"),
            ("JWT_SECRET", "a-very-long-signing-secret-of-40-chars!!"),
        ])
        .unwrap();
        let summary = c.summary();
        assert!(!summary.contains("hunter2"), "{summary}");
        assert!(!summary.contains("s3cret"), "{summary}");
        assert!(summary.contains("postgres://app:***@db:5432/shop"), "{summary}");
        assert_eq!(format!("{:?}", c.database), "Postgres { url: *** }");
        assert!(!format!("{c:?}").contains("signing-secret"), "the JWT secret never prints");
    }

    #[test]
    fn payments_default_to_the_test_gateway_and_stripe_needs_its_webhook_secret() {
        let c = config(&[]).unwrap();
        assert_eq!(c.payments.gateway, GatewayChoice::Test);
        assert!(c.summary().contains("payments(gateway=test (no real money), webhook_secrets=0"), "{}", c.summary());

        let err = config(&[("STRIPE_SECRET_KEY", "sk_test_123")]).unwrap_err();
        assert_eq!(err.var, "STRIPE_WEBHOOK_SECRET", "Stripe without a way to verify webhooks would never mark orders paid");
        assert_eq!(
            config(&[("STRIPE_SECRET_KEY", "pk_test_123")]).unwrap_err().var,
            "STRIPE_SECRET_KEY",
            "a publishable key is not a secret key"
        );
        assert_eq!(config(&[("STRIPE_WEBHOOK_SECRET", "nope")]).unwrap_err().var, "STRIPE_WEBHOOK_SECRET");
        assert_eq!(config(&[("PAYMENT_GATEWAY", "paypal")]).unwrap_err().var, "PAYMENT_GATEWAY");
        assert_eq!(config(&[("PAYMENT_GATEWAY", "stripe")]).unwrap_err().var, "STRIPE_SECRET_KEY");
        assert_eq!(config(&[("STRIPE_API_BASE", "ftp://x")]).unwrap_err().var, "STRIPE_API_BASE");

        let c = config(&[
            ("STRIPE_SECRET_KEY", "sk_live_very_secret_key"),
            ("STRIPE_WEBHOOK_SECRET", " whsec_new , whsec_old "),
            ("PAYMENT_RECONCILE_INTERVAL_SECS", "0"),
        ])
        .unwrap();
        assert_eq!(c.payments.gateway, GatewayChoice::Stripe);
        let secrets: Vec<&str> = c.payments.stripe_webhook_secrets.iter().map(|s| s.expose().as_str()).collect();
        assert_eq!(secrets, ["whsec_new", "whsec_old"], "rotating: both accepted");
        let (summary, debug) = (c.summary(), format!("{c:?}"));
        for leak in ["sk_live_very_secret_key", "whsec_new", "whsec_old"] {
            assert!(!summary.contains(leak) && !debug.contains(leak), "{leak} leaked");
        }
        assert!(summary.contains("payments(gateway=stripe, webhook_secrets=2, reconcile=off"), "{summary}");
        let test_anyway =
            config(&[("STRIPE_SECRET_KEY", "sk_test_1"), ("STRIPE_WEBHOOK_SECRET", "whsec_1"), ("PAYMENT_GATEWAY", "test")]).unwrap();
        assert_eq!(test_anyway.payments.gateway, GatewayChoice::Test);
    }
}
