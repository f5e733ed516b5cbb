//! The server's configuration: one place that reads every area's settings.
//!
//! Each area owns its settings type and defaults (`db::DatabaseConfig`,
//! `inventory::InventoryConfig`, `checkout::CommerceConfig`, `payments::PaymentsConfig`,
//! `events::EventsConfig`, `accounts::AuthConfig`, `ratelimit::RateLimitConfig`,
//! `stockade_graphql::GraphqlLimits`); this module holds what only the server needs
//! (where to listen, CORS, logs) and reads them all through one layered
//! [`Env`]: the process environment, then the env file named by `STOCKADE_ENV_FILE`,
//! then the defaults. Every setting has a default that needs nothing installed (SQLite
//! under `./data`, the in-process event bus). A bad value is one [`ConfigError`] naming
//! the variable; values that may carry credentials are [`Secret`] or masked when printed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use url::Url;

use stockade_domain::accounts::AuthConfig;
use stockade_domain::checkout::CommerceConfig;
use stockade_domain::db::DatabaseConfig;
use stockade_domain::events::EventsConfig;
use stockade_domain::inventory::InventoryConfig;
use stockade_domain::money::Currency;
use stockade_domain::payments::{GatewayChoice, PaymentsConfig};
use stockade_domain::ratelimit::RateLimitConfig;
use stockade_domain::reminders::RemindersConfig;
pub use stockade_domain::settings::{ConfigError, Env, Secret, mask_url};
use stockade_graphql::GraphqlLimits;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// `LISTEN_ADDR`.
    pub listen_addr: SocketAddr,
    /// `DATA_DIR`: the SQLite file and the generated signing key, unless configured.
    pub data_dir: PathBuf,
    pub database: DatabaseConfig,
    /// `REDIS_URL`: events between instances and shared rate limits.
    pub redis_url: Option<Secret<Url>>,
    /// `LOG_FORMAT`.
    pub log_format: LogFormat,
    /// Seed the demo catalog when the database is empty at start (`SEED_DEMO`).
    pub seed_demo: bool,
    /// Base URL clients reach this server at, used to make relative media URLs
    /// absolute (`PUBLIC_URL`). Unset: taken from each request's `Host` header.
    pub public_url: Option<Url>,
    /// The shop's currency (`SHOP_CURRENCY`).
    pub shop_currency: Currency,
    pub graphql: GraphqlLimits,
    pub inventory: InventoryConfig,
    pub commerce: CommerceConfig,
    pub reminders: RemindersConfig,
    pub payments: PaymentsConfig,
    pub events: EventsConfig,
    pub auth: AuthConfig,
    /// Origins allowed to call the API from a browser (`CORS_ALLOWED_ORIGINS`, `*` for any).
    pub cors_allowed_origins: Vec<String>,
    /// Take the client address from `X-Forwarded-For` (behind a trusted proxy only;
    /// `TRUST_FORWARDED_FOR`).
    pub trust_forwarded_for: bool,
    pub rate_limits: RateLimitConfig,
}

impl Config {
    /// Reads the process environment, over the env file `STOCKADE_ENV_FILE` names.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = Env::process();
        let env = match env.get("STOCKADE_ENV_FILE") {
            Some(path) => env.with_env_file("STOCKADE_ENV_FILE", Path::new(&path))?,
            None => env,
        };
        Self::read(&env)
    }

    /// Reads every area's settings from `env`.
    pub fn read(env: &Env) -> Result<Self, ConfigError> {
        let listen_addr: SocketAddr = match env.get("LISTEN_ADDR") {
            None => SocketAddr::from(([127, 0, 0, 1], 8000)),
            Some(v) => v.parse().map_err(|_| {
                env.error("LISTEN_ADDR", format!("'{v}' is not a socket address (expected host:port, e.g. 127.0.0.1:8000)"))
            })?,
        };
        let data_dir = PathBuf::from(env.get("DATA_DIR").unwrap_or_else(|| "./data".into()));
        let shop_currency = Currency::from_env(env)?;
        Ok(Config {
            listen_addr,
            database: DatabaseConfig::from_env(env, &data_dir)?,
            data_dir,
            redis_url: redis_url(env)?,
            log_format: match env.get("LOG_FORMAT").as_deref() {
                None | Some("pretty") => LogFormat::Pretty,
                Some("json") => LogFormat::Json,
                Some(other) => return Err(env.error("LOG_FORMAT", format!("'{other}' is not one of: pretty, json"))),
            },
            seed_demo: env.flag("SEED_DEMO", true)?,
            public_url: match env.get("PUBLIC_URL") {
                None => None,
                Some(_) => Some(env.http_url("PUBLIC_URL", "")?),
            },
            shop_currency,
            graphql: GraphqlLimits::from_env(env)?,
            inventory: InventoryConfig::from_env(env)?,
            commerce: CommerceConfig::from_env(env, shop_currency)?,
            reminders: RemindersConfig::from_env(env)?,
            payments: PaymentsConfig::from_env(env)?,
            events: EventsConfig::from_env(env)?,
            auth: AuthConfig::from_env(env)?,
            cors_allowed_origins: cors_origins(env)?,
            trust_forwarded_for: env.flag("TRUST_FORWARDED_FOR", false)?,
            rate_limits: RateLimitConfig::from_env(env)?,
        })
    }

    /// One short line per concern, secrets masked, for the start-up log.
    pub fn summary(&self) -> String {
        format!(
            "database={}{} pool={} redis={} {} log={} seed_demo={} currency={} {} {} {} {} {}",
            self.database.target.describe(),
            if self.database.read_targets.is_empty() {
                String::new()
            } else {
                format!(" read_replicas=[{}]", self.database.read_targets.iter().map(|r| r.describe()).collect::<Vec<_>>().join(","))
            },
            self.database.max_connections,
            self.redis_url
                .as_ref()
                .map(|u| format!("{} channel={}", mask_url(u.expose()), self.events.redis_channel))
                .unwrap_or_else(|| "off (in-process bus)".into()),
            self.events.summary(),
            match self.log_format {
                LogFormat::Pretty => "pretty",
                LogFormat::Json => "json",
            },
            self.seed_demo,
            self.shop_currency,
            self.graphql.summary(),
            self.inventory.summary(),
            self.commerce.summary(),
            self.reminders.summary(),
            self.payments.summary(),
        )
    }
}

impl Config {
    /// Settings that are valid one by one but together silently break something: one
    /// sentence each, saying what breaks and how to fix it. Logged as warnings at start.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if !self.events.publisher {
            warnings.push(if self.redis_url.is_none() {
                "EVENTS_PUBLISHER is off and REDIS_URL is unset: with the in-process event bus nothing else publishes this \
                 instance's events, so subscriptions (stock, order status, payment issues) never get changes; set \
                 EVENTS_PUBLISHER=true"
                    .to_owned()
            } else {
                "EVENTS_PUBLISHER is off on this instance: subscribers get changes only while at least one instance on this \
                 database and Redis runs the publisher; set EVENTS_PUBLISHER=true on at least one (it is safe on all)"
                    .to_owned()
            });
        }
        if self.payments.gateway == GatewayChoice::Stripe && self.payments.stripe_publishable_key.is_none() {
            warnings.push(
                "STRIPE_PUBLISHABLE_KEY is unset while payments go through Stripe: storefronts get no publishableKey for \
                 Stripe.js, so buyers cannot confirm their payments; set it to the pk_... key of the same Stripe account"
                    .to_owned(),
            );
        }
        warnings
    }
}

fn redis_url(env: &Env) -> Result<Option<Secret<Url>>, ConfigError> {
    let Some(raw) = env.get("REDIS_URL") else { return Ok(None) };
    let url = Url::parse(&raw).map_err(|e| env.error("REDIS_URL", format!("not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "redis" | "rediss") {
        return Err(env.error("REDIS_URL", format!("scheme '{}' is not supported (use redis:// or rediss://)", url.scheme())));
    }
    Ok(Some(Secret::new(url)))
}

fn cors_origins(env: &Env) -> Result<Vec<String>, ConfigError> {
    let origins: Vec<String> = env.list("CORS_ALLOWED_ORIGINS").into_iter().map(|o| o.trim_end_matches('/').to_owned()).collect();
    for origin in origins.iter().filter(|o| *o != "*") {
        // `tauri://localhost` is the admin desktop app's origin (Linux and macOS).
        let ok = Url::parse(origin)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "tauri") && matches!(u.path(), "/" | "") && u.host().is_some());
        if !ok {
            return Err(env.error("CORS_ALLOWED_ORIGINS", format!("'{origin}' is not an origin (e.g. https://shop.example.com)")));
        }
    }
    Ok(origins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stockade_domain::db::DatabaseTarget;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::read(&Env::from_pairs(vars))
    }

    #[test]
    fn defaults_need_nothing_installed() {
        let c = config(&[]).unwrap();
        assert_eq!(c.listen_addr.to_string(), "127.0.0.1:8000");
        assert_eq!(c.database.target, DatabaseTarget::Sqlite { path: PathBuf::from("./data/stockade.db") });
        assert!(c.redis_url.is_none());
        assert_eq!(c.log_format, LogFormat::Pretty);
        assert_eq!(c.events, EventsConfig::default());
        assert_eq!(c.inventory, InventoryConfig::default());
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            ("LISTEN_ADDR", "nope"),
            ("DATABASE_URL", "mysql://x/y"),
            ("DATABASE_URL", "::::"),
            ("DATABASE_URL", "sqlite:"),
            ("REDIS_URL", "http://x"),
            ("LOG_FORMAT", "xml"),
            ("PUBLIC_URL", "ftp://x"),
            ("SHOP_CURRENCY", "XYZW"),
            ("GRAPHQL_MAX_DEPTH", "0"),
            ("JWT_SECRET", "short"),
            ("SHIPPING_RATES", "usa=5"),
            ("CORS_ALLOWED_ORIGINS", "not a url"),
            ("CORS_ALLOWED_ORIGINS", "https://shop.example/path"),
            ("RATE_LIMIT_AUTH_PER_MINUTE", "many"),
            ("EVENTS_PUBLISHER", "maybe"),
            ("RESERVE_QUEUE_MAX", "many"),
            ("PAYMENT_GATEWAY", "paypal"),
        ] {
            assert_eq!(config(&[(var, value)]).unwrap_err().var, var, "{var}={value}");
        }
        let app_origins = config(&[("CORS_ALLOWED_ORIGINS", "tauri://localhost, http://tauri.localhost/")]).unwrap().cors_allowed_origins;
        assert_eq!(app_origins, ["tauri://localhost", "http://tauri.localhost"]);
    }

    #[test]
    fn the_summary_has_every_area_and_no_secret() {
        let c = config(&[
            ("DATABASE_URL", "postgres://app:hunter2@db:5432/shop"),
            ("REDIS_URL", "redis://:s3cret@cache:6379"),
            ("JWT_SECRET", "a-very-long-signing-secret-of-40-chars!!"),
            ("RESERVATION_SWEEP_INTERVAL_SECS", "0"),
        ])
        .unwrap();
        let summary = c.summary();
        assert!(!summary.contains("hunter2"), "{summary}");
        assert!(!summary.contains("s3cret"), "{summary}");
        assert!(summary.contains("postgres://app:***@db:5432/shop"), "{summary}");
        for part in ["events(publisher=on", "graphql(depth<=12", "inventory(sweep=off", "commerce(cart_hold=600s", "payments(gateway=test"]
        {
            assert!(summary.contains(part), "{part} missing from {summary}");
        }
        assert_eq!(format!("{:?}", c.database.target), "Postgres { url: *** }");
        assert!(!format!("{c:?}").contains("signing-secret"), "the JWT secret never prints");
    }

    #[test]
    fn settings_that_silently_break_something_are_warned_about() {
        let warnings = |vars: &[(&str, &str)]| config(vars).unwrap().warnings();
        assert_eq!(warnings(&[]), Vec::<String>::new(), "the defaults break nothing");

        let alone = warnings(&[("EVENTS_PUBLISHER", "off")]);
        assert_eq!(alone.len(), 1, "{alone:?}");
        assert!(alone[0].starts_with("EVENTS_PUBLISHER") && alone[0].contains("never get changes"), "{alone:?}");
        let shared = warnings(&[("EVENTS_PUBLISHER", "off"), ("REDIS_URL", "redis://cache:6379")]);
        assert_eq!(shared.len(), 1, "{shared:?}");
        assert!(shared[0].contains("at least one instance"), "{shared:?}");
        assert_eq!(warnings(&[("REDIS_URL", "redis://cache:6379")]), Vec::<String>::new(), "publishing instances are fine");

        let stripe = [("STRIPE_SECRET_KEY", "sk_test_1"), ("STRIPE_WEBHOOK_SECRET", "whsec_1")];
        let no_key = warnings(&stripe);
        assert_eq!(no_key.len(), 1, "{no_key:?}");
        assert!(no_key[0].starts_with("STRIPE_PUBLISHABLE_KEY") && no_key[0].contains("cannot confirm"), "{no_key:?}");
        assert!(!no_key[0].contains("sk_test_1"), "no secret in a warning");
        assert_eq!(warnings(&[stripe[0], stripe[1], ("STRIPE_PUBLISHABLE_KEY", "pk_test_1")]), Vec::<String>::new());
        assert_eq!(
            warnings(&[stripe[0], stripe[1], ("PAYMENT_GATEWAY", "test")]),
            Vec::<String>::new(),
            "the test gateway needs no publishable key"
        );
    }

    #[test]
    fn the_env_file_is_read_under_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("stockade.env");
        std::fs::write(&file, "CART_HOLD_SECS=900\nLOW_STOCK_THRESHOLD=lots\n").unwrap();
        let env =
            Env::from_pairs(&[("CART_HOLD_SECS", "60"), ("LOW_STOCK_THRESHOLD", "2")]).with_env_file("STOCKADE_ENV_FILE", &file).unwrap();
        let c = Config::read(&env).unwrap();
        assert_eq!(c.commerce.cart_hold.as_secs(), 60, "the environment wins");
        let env = Env::from_pairs(&[]).with_env_file("STOCKADE_ENV_FILE", &file).unwrap();
        let err = Config::read(&env).unwrap_err();
        assert_eq!(err.var, "LOW_STOCK_THRESHOLD");
        assert!(err.to_string().contains("stockade.env"), "{err}");
    }
}
